#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstring>

#include "crypto/sodium.h"

namespace caseledger::crypto {

static_assert(kEd25519PublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kEd25519SecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kEd25519SeedBytes == crypto_sign_SEEDBYTES);
static_assert(kEd25519SignatureBytes == crypto_sign_BYTES);

Ed25519SigningKey Ed25519SigningKey::Generate() {
  SecretBytes seed(kEd25519SeedBytes);
  seed.Randomize();
  return std::move(FromSeed(seed.view())).value();
}

Result<Ed25519SigningKey> Ed25519SigningKey::FromSeed(ByteView seed) {
  if (seed.size() != kEd25519SeedBytes)
    return InvalidArgument("Ed25519 seed must be 32 bytes");
  SecretBytes sk(kEd25519SecretKeyBytes);
  Ed25519SigningKey key(std::move(sk));
  CheckSodium(crypto_sign_seed_keypair(key.public_key_.bytes.data(),
                                       key.secret_.data(), seed.data()),
              "Ed25519 key pair from seed");
  return key;
}

SecretBytes Ed25519SigningKey::Seed() const {
  SecretBytes seed(kEd25519SeedBytes);
  CheckSodium(crypto_sign_ed25519_sk_to_seed(seed.data(), secret_.data()),
              "Ed25519 seed extraction");
  return seed;
}

Ed25519Signature Ed25519SigningKey::Sign(ByteView message) const {
  Ed25519Signature sig;
  CheckSodium(crypto_sign_detached(sig.bytes.data(), nullptr, message.data(),
                                   message.size(), secret_.data()),
              "Ed25519 signing");
  return sig;
}

bool Ed25519Verify(const Ed25519PublicKey& pk, ByteView message,
                   const Ed25519Signature& sig) {
  return crypto_sign_verify_detached(sig.bytes.data(), message.data(),
                                     message.size(), pk.bytes.data()) == 0;
}

Result<Ed25519PublicKey> Ed25519PublicKeyFromBytes(ByteView b) {
  if (b.size() != kEd25519PublicKeyBytes)
    return InvalidArgument("Ed25519 public key must be 32 bytes");
  Ed25519PublicKey pk;
  std::memcpy(pk.bytes.data(), b.data(), b.size());
  return pk;
}

Result<Ed25519Signature> Ed25519SignatureFromBytes(ByteView b) {
  if (b.size() != kEd25519SignatureBytes)
    return InvalidArgument("Ed25519 signature must be 64 bytes");
  Ed25519Signature s;
  std::memcpy(s.bytes.data(), b.data(), b.size());
  return s;
}

}  // namespace caseledger::crypto
