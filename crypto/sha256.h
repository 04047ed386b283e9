// SHA-256 (OpenSSL's libcrypto, using the CPU's SHA extensions where
// present; docs/decisions.md #50): one-shot and incremental.
// Digest is a 32-byte value type. Pure; thread-safe (Sha256 instances are not
// shared between threads).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, opaque here

namespace caseledger::crypto {

inline constexpr std::size_t kSha256Bytes = 32;

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
  struct ContextFree {
    void operator()(evp_md_ctx_st* c) const;
  };
  Sha256Hasher();
  Sha256Hasher& Update(ByteView data);
  Sha256Hasher& Update(std::uint8_t byte);
  Digest Final();

 private:
  std::unique_ptr<evp_md_ctx_st, ContextFree> ctx_;
};

}  // namespace caseledger::crypto
