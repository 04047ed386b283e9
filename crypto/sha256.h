// SHA-256 (libsodium crypto_hash_sha256): one-shot and incremental.
// Digest is a 32-byte value type. Pure; thread-safe (Sha256 instances are not
// shared between threads).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace caseledger::crypto {

inline constexpr std::size_t kSha256Bytes = 32;  // crypto_hash_sha256_BYTES

struct Digest {
  std::array<std::uint8_t, kSha256Bytes> bytes{};
  friend bool operator==(const Digest&, const Digest&) = default;
  ByteView view() const { return {bytes.data(), bytes.size()}; }
  std::string Hex() const { return ToHex(view()); }
};

// SHA-256 of `data`.
Digest Sha256(ByteView data);

// Incremental SHA-256. Usage: Update(...)… then Final() once.
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher& Update(ByteView data);
  Sha256Hasher& Update(std::uint8_t byte);
  Digest Final();

 private:
  // libsodium's crypto_hash_sha256_state, held opaquely (size and
  // alignment checked in sha256.cc).
  alignas(8) std::array<unsigned char, 104> state_{};
};

}  // namespace caseledger::crypto
