// Ed25519 signatures (RFC 8032, libsodium crypto_sign_*). The secret key lives
// in SecretBytes (locked, wiped); public keys and signatures are plain values.
// Signing and verification are pure and thread-safe: one SigningKey may sign
// from many threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/secret.h"

namespace caseledger::crypto {

// libsodium's sizes (checked against crypto_sign_* in ed25519.cc).
inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SecretKeyBytes = 64;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

struct Ed25519PublicKey {
  std::array<std::uint8_t, kEd25519PublicKeyBytes> bytes{};
  friend bool operator==(const Ed25519PublicKey&,
                         const Ed25519PublicKey&) = default;
  ByteView view() const { return {bytes.data(), bytes.size()}; }
};

struct Ed25519Signature {
  std::array<std::uint8_t, kEd25519SignatureBytes> bytes{};
  friend bool operator==(const Ed25519Signature&,
                         const Ed25519Signature&) = default;
  ByteView view() const { return {bytes.data(), bytes.size()}; }
};

class Ed25519SigningKey {
 public:
  // A fresh random key pair.
  static Ed25519SigningKey Generate();
  // The key pair derived from a 32-byte seed (RFC 8032 secret key).
  // InvalidArgument if the seed has the wrong size.
  static Result<Ed25519SigningKey> FromSeed(ByteView seed);

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed, for sealing into a key file. Handle as a secret.
  SecretBytes Seed() const;

  // Detached signature over `message`.
  Ed25519Signature Sign(ByteView message) const;

 private:
  explicit Ed25519SigningKey(SecretBytes sk) : secret_(std::move(sk)) {}
  SecretBytes secret_;  // libsodium's 64-byte form: seed ‖ public key
  Ed25519PublicKey public_key_;
};

// True iff `sig` is a valid signature of `message` under `pk`.
bool Ed25519Verify(const Ed25519PublicKey& pk, ByteView message,
                   const Ed25519Signature& sig);

// Parses 32 bytes into a public key; InvalidArgument on the wrong size.
Result<Ed25519PublicKey> Ed25519PublicKeyFromBytes(ByteView b);
// Parses 64 bytes into a signature; InvalidArgument on the wrong size.
Result<Ed25519Signature> Ed25519SignatureFromBytes(ByteView b);

}  // namespace caseledger::crypto
