// Argon2id password-based key derivation (libsodium crypto_pwhash), used to
// derive the master key from an operator's passphrase. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "crypto/secret.h"

namespace caseledger::crypto {

inline constexpr std::size_t kArgon2SaltBytes = 16;  // crypto_pwhash_SALTBYTES

struct Argon2Params {
  std::uint64_t ops_limit = 3;        // crypto_pwhash_OPSLIMIT_MODERATE
  std::size_t mem_limit = 256 << 20;  // crypto_pwhash_MEMLIMIT_MODERATE
};

// libsodium's presets (crypto_pwhash_*_INTERACTIVE, _MODERATE, _SENSITIVE;
// checked in argon2.cc).
Argon2Params Argon2Interactive();
Argon2Params Argon2Moderate();
Argon2Params Argon2Sensitive();
// True iff the limits lie between libsodium's minimum and the sensitive
// preset: what a stored salt file may name.
bool Argon2ParamsAcceptable(std::uint64_t ops_limit, std::uint64_t mem_limit);

// Derives `out_len` bytes from `passphrase` and `salt` with Argon2id.
// ResourceExhausted if the memory limit cannot be allocated; InvalidArgument on
// parameters (output length, ops/mem limits, passphrase length) outside
// libsodium's crypto_pwhash_*_MIN/_MAX bounds.
Result<SecretBytes> Argon2idDerive(
    std::string_view passphrase,
    const std::array<std::uint8_t, kArgon2SaltBytes>& salt, std::size_t out_len,
    const Argon2Params& params);

}  // namespace caseledger::crypto
