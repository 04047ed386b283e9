#include "crypto/argon2.h"

namespace caseledger::crypto {

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
