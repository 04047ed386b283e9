#include "crypto/aead.h"

#include <sodium.h>

#include <cassert>

#include "crypto/sodium.h"

namespace caseledger::crypto {

static_assert(kAeadKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

AeadNonce AeadNonce::Random() {
  AeadNonce n;
  randombytes_buf(n.bytes.data(), n.bytes.size());
  return n;
}

SecretBytes NewAeadKey() {
  SecretBytes k(kAeadKeyBytes);
  crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
  return k;
}

Bytes AeadSeal(const SecretBytes& key, const AeadNonce& nonce, ByteView ad,
               ByteView plaintext) {
  assert(key.size() == kAeadKeyBytes);
  Bytes out(plaintext.size() + kAeadTagBytes);
  unsigned long long out_len = 0;
  CheckSodium(
      crypto_aead_xchacha20poly1305_ietf_encrypt(
          out.data(), &out_len, plaintext.data(), plaintext.size(), ad.data(),
          ad.size(), nullptr, nonce.bytes.data(), key.data()),
      "XChaCha20-Poly1305 encryption");
  out.resize(static_cast<std::size_t>(out_len));
  return out;
}

namespace {

// Decrypts `ciphertext` (‖ tag) into `out`, which has room for exactly
// ciphertext.size() - kAeadTagBytes bytes. Shared by both open functions so the
// checks and the error words exist once.
Status OpenInto(const SecretBytes& key, const AeadNonce& nonce, ByteView ad,
                ByteView ciphertext, std::uint8_t* out) {
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, &out_len, nullptr, ciphertext.data(), ciphertext.size(),
          ad.data(), ad.size(), nonce.bytes.data(), key.data()) != 0) {
    return Corruption(
        "authenticated decryption failed (wrong key, data or ciphertext)");
  }
  assert(out_len == ciphertext.size() - kAeadTagBytes);
  return Status::Ok();
}

}  // namespace

Result<Bytes> AeadOpen(const SecretBytes& key, const AeadNonce& nonce,
                       ByteView ad, ByteView ciphertext) {
  assert(key.size() == kAeadKeyBytes);
  if (ciphertext.size() < kAeadTagBytes)
    return InvalidArgument("ciphertext shorter than its tag");
  Bytes out(ciphertext.size() - kAeadTagBytes);
  CL_RETURN_IF_ERROR(OpenInto(key, nonce, ad, ciphertext, out.data()));
  return out;
}

Result<SecretBytes> AeadOpenSecret(const SecretBytes& key,
                                   const AeadNonce& nonce, ByteView ad,
                                   ByteView ciphertext) {
  assert(key.size() == kAeadKeyBytes);
  if (ciphertext.size() < kAeadTagBytes)
    return InvalidArgument("ciphertext shorter than its tag");
  SecretBytes out(ciphertext.size() - kAeadTagBytes);
  CL_RETURN_IF_ERROR(OpenInto(key, nonce, ad, ciphertext, out.data()));
  return out;
}

Status AeadOpenInto(const SecretBytes& key, const AeadNonce& nonce, ByteView ad,
                    ByteView ciphertext, SecretBytes& out) {
  assert(key.size() == kAeadKeyBytes);
  if (ciphertext.size() < kAeadTagBytes)
    return InvalidArgument("ciphertext shorter than its tag");
  if (out.size() != ciphertext.size() - kAeadTagBytes)
    return InvalidArgument("output buffer of the wrong size");
  Status s = OpenInto(key, nonce, ad, ciphertext, out.data());
  if (!s.ok()) sodium_memzero(out.data(), out.size());
  return s;
}

}  // namespace caseledger::crypto
