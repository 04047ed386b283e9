#include "crypto/argon2.h"

#include <sodium.h>

namespace caseledger::crypto {

static_assert(kArgon2SaltBytes == crypto_pwhash_SALTBYTES);
static_assert(Argon2Params{}.ops_limit == crypto_pwhash_OPSLIMIT_MODERATE);
static_assert(Argon2Params{}.mem_limit == crypto_pwhash_MEMLIMIT_MODERATE);

Argon2Params Argon2Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
Argon2Params Argon2Moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
Argon2Params Argon2Sensitive() {
  return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
}
bool Argon2ParamsAcceptable(std::uint64_t ops_limit, std::uint64_t mem_limit) {
  return ops_limit >= crypto_pwhash_OPSLIMIT_MIN && ops_limit <= crypto_pwhash_OPSLIMIT_SENSITIVE &&
         mem_limit >= crypto_pwhash_MEMLIMIT_MIN && mem_limit <= crypto_pwhash_MEMLIMIT_SENSITIVE;
}

Result<SecretBytes> Argon2idDerive(
    std::string_view passphrase,
    const std::array<std::uint8_t, kArgon2SaltBytes>& salt, std::size_t out_len,
    const Argon2Params& params) {
  if (out_len < crypto_pwhash_BYTES_MIN || out_len > crypto_pwhash_BYTES_MAX ||
      params.ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_OPSLIMIT_MAX ||
      params.mem_limit < crypto_pwhash_MEMLIMIT_MIN ||
      params.mem_limit > crypto_pwhash_MEMLIMIT_MAX ||
      passphrase.size() > crypto_pwhash_PASSWD_MAX) {
    return InvalidArgument("Argon2id parameters out of range");
  }
  SecretBytes out(out_len);
  if (crypto_pwhash(out.data(), out.size(), passphrase.data(),
                    passphrase.size(), salt.data(), params.ops_limit,
                    params.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhausted("Argon2id could not allocate its memory");
  }
  return out;
}

}  // namespace caseledger::crypto
