// SecretBytes: a fixed-size secret (key material) in memory obtained with
// sodium_malloc (guard pages, mlock'd) and wiped with sodium_memzero when it
// is destroyed. Move-only; not comparable; not printable.
// Thread-safety: like any value; do not share a mutable instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace caseledger::crypto {

class SecretBytes {
 public:
  // Allocates `size` zeroed bytes. Aborts the process if secure memory cannot
  // be obtained (no safe way to continue with key material in ordinary memory).
  explicit SecretBytes(std::size_t size);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> view() const { return {data_, size_}; }
  std::span<std::uint8_t> mutable_view() { return {data_, size_}; }

  // Fills the buffer with random bytes (randombytes_buf).
  void Randomize();
  // Sets every byte to zero (sodium_memzero), e.g. before the buffer is
  // reused or kept.
  void Wipe();
  // A new buffer with the same content (explicit, so copies of secrets are
  // visible).
  SecretBytes Clone() const;

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace caseledger::crypto
