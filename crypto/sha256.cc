#include "crypto/sha256.h"

#include "crypto/sodium.h"

namespace caseledger::crypto {

Digest Sha256(ByteView data) {
  Digest d;
  CheckSodium(crypto_hash_sha256(d.bytes.data(), data.data(), data.size()),
              "SHA-256");
  return d;
}

Sha256Hasher::Sha256Hasher() {
  CheckSodium(crypto_hash_sha256_init(&state_), "SHA-256 init");
}

Sha256Hasher& Sha256Hasher::Update(ByteView data) {
  CheckSodium(crypto_hash_sha256_update(&state_, data.data(), data.size()),
              "SHA-256 update");
  return *this;
}

Sha256Hasher& Sha256Hasher::Update(std::uint8_t byte) {
  CheckSodium(crypto_hash_sha256_update(&state_, &byte, 1), "SHA-256 update");
  return *this;
}

Digest Sha256Hasher::Final() {
  Digest d;
  CheckSodium(crypto_hash_sha256_final(&state_, d.bytes.data()),
              "SHA-256 final");
  return d;
}

}  // namespace caseledger::crypto
