#include "crypto/sha256.h"

#include <sodium.h>

#include "crypto/sodium.h"

namespace caseledger::crypto {

static_assert(kSha256Bytes == crypto_hash_sha256_BYTES);
static_assert(sizeof(crypto_hash_sha256_state) <= 104 && alignof(crypto_hash_sha256_state) <= 8,
              "Sha256Hasher::state_ must hold libsodium's state");

namespace {
crypto_hash_sha256_state* State(std::array<unsigned char, 104>& s) {
  return reinterpret_cast<crypto_hash_sha256_state*>(s.data());
}
}  // namespace

Digest Sha256(ByteView data) {
  Digest d;
  CheckSodium(crypto_hash_sha256(d.bytes.data(), data.data(), data.size()),
              "SHA-256");
  return d;
}

Sha256Hasher::Sha256Hasher() {
  CheckSodium(crypto_hash_sha256_init(State(state_)), "SHA-256 init");
}

Sha256Hasher& Sha256Hasher::Update(ByteView data) {
  CheckSodium(crypto_hash_sha256_update(State(state_), data.data(), data.size()),
              "SHA-256 update");
  return *this;
}

Sha256Hasher& Sha256Hasher::Update(std::uint8_t byte) {
  CheckSodium(crypto_hash_sha256_update(State(state_), &byte, 1), "SHA-256 update");
  return *this;
}

Digest Sha256Hasher::Final() {
  Digest d;
  CheckSodium(crypto_hash_sha256_final(State(state_), d.bytes.data()),
              "SHA-256 final");
  return d;
}

}  // namespace caseledger::crypto
