// Standard base64 (RFC 4648 §4, with padding), as used by C2SP notes, RFC 9162
// proof JSON and the event envelope. Pure; thread-safe.
// Not constant-time (table lookups indexed by the data): for public data
// only — ciphertexts, nonces, signatures, digests, sealed keys. No plaintext
// secret is base64-encoded in caseledger; one that ever is needs libsodium's
// constant-time sodium_bin2base64 instead (docs/decisions.md #51).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace caseledger::crypto {

std::string Base64Encode(ByteView data);
// Strict decoding: padding required, no whitespace, no trailing garbage.
// InvalidArgument otherwise.
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace caseledger::crypto
