// Keyed BLAKE2b (libsodium crypto_generichash), used for the pepper-keyed CPR
// index, token hashes and key derivation from the master key. Pure;
// thread-safe.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "crypto/secret.h"

namespace caseledger::crypto {

// crypto_generichash_KEYBYTES (checked in blake2b.cc).
inline constexpr std::size_t kBlake2bKeyBytes = 32;

// BLAKE2b-256 of `data` keyed with `key` (16..64 bytes).
Bytes Blake2bKeyed(const SecretBytes& key, ByteView data);

// Derives a 32-byte subkey from `master` for the purpose named by `context`
// (e.g. "caseledger/kek/v1/epoch=1"): BLAKE2b-256 keyed with the master key
// over the context text. Different contexts give independent keys.
SecretBytes DeriveSubkey(const SecretBytes& master, std::string_view context);

}  // namespace caseledger::crypto
