// XChaCha20-Poly1305 (IETF) authenticated encryption with associated data,
// libsodium crypto_aead_xchacha20poly1305_ietf_*. Random 192-bit nonces make
// random nonce reuse negligible. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/secret.h"

namespace caseledger::crypto {

// libsodium's sizes (checked against crypto_aead_xchacha20poly1305_ietf_*
// in aead.cc).
inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadNonceBytes = 24;
inline constexpr std::size_t kAeadTagBytes = 16;

struct AeadNonce {
  std::array<std::uint8_t, kAeadNonceBytes> bytes{};
  ByteView view() const { return {bytes.data(), bytes.size()}; }
  static AeadNonce Random();
};

// A fresh random AEAD key.
SecretBytes NewAeadKey();

// Encrypts `plaintext` under `key` (kAeadKeyBytes) and `nonce`, binding `ad`.
// Returns ciphertext ‖ tag (plaintext.size() + kAeadTagBytes bytes).
// Precondition: key.size() == kAeadKeyBytes.
Bytes AeadSeal(const SecretBytes& key, const AeadNonce& nonce, ByteView ad,
               ByteView plaintext);

// Decrypts and authenticates. Corruption if the tag does not verify (wrong key,
// wrong associated data, or altered ciphertext); InvalidArgument if too short.
Result<Bytes> AeadOpen(const SecretBytes& key, const AeadNonce& nonce,
                       ByteView ad, ByteView ciphertext);

// As AeadOpen, but decrypts straight into secure memory, for plaintexts that
// are key material (sealed key files, wrapped data keys). Same errors.
Result<SecretBytes> AeadOpenSecret(const SecretBytes& key,
                                   const AeadNonce& nonce, ByteView ad,
                                   ByteView ciphertext);

// As AeadOpenSecret, into `out` (exactly ciphertext.size() - kAeadTagBytes
// bytes of secure memory the caller reuses, e.g. across a key rotation's
// re-wraps: allocating secure memory costs system calls). Same errors; `out`
// is zeroed on failure.
Status AeadOpenInto(const SecretBytes& key, const AeadNonce& nonce, ByteView ad,
                    ByteView ciphertext, SecretBytes& out);

}  // namespace caseledger::crypto
