#include "crypto/sha256.h"

namespace caseledger::crypto {

Digest Sha256(ByteView data) {
  Digest d;
  crypto_hash_sha256(d.bytes.data(), data.data(), data.size());
  return d;
}

Sha256Hasher::Sha256Hasher() { crypto_hash_sha256_init(&state_); }

Sha256Hasher& Sha256Hasher::Update(ByteView data) {
  crypto_hash_sha256_update(&state_, data.data(), data.size());
  return *this;
}

Sha256Hasher& Sha256Hasher::Update(std::uint8_t byte) {
  crypto_hash_sha256_update(&state_, &byte, 1);
  return *this;
}

Digest Sha256Hasher::Final() {
  Digest d;
  crypto_hash_sha256_final(&state_, d.bytes.data());
  return d;
}

}  // namespace caseledger::crypto
