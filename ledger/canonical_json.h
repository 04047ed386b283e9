// Canonical JSON (RFC 8785 / JCS) for the values caseledger stores: objects
// with ASCII keys sorted by code unit, no whitespace, UTF-8 strings with the
// minimal JCS escapes, integers only (|n| <= 2^53 - 1, no floating point
// anywhere), bounded nesting. Also strict parsing of untrusted input (limits,
// duplicate keys refused). Pure; thread-safe.
// Format: docs/formats/event.md §Canonical JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"

namespace caseledger::ledger {

inline constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

struct JsonLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB
  std::size_t max_depth = 16;
  std::size_t max_string_bytes = std::size_t{64} << 10;
};

// Checks that `value` can be stored canonically: no floats, integers within
// ±(2^53 - 1), ASCII object keys, valid UTF-8 strings, depth within limits.
// InvalidArgument naming the path of the first offending value (e.g.
// "h.grounds[0].code").
Status CheckCanonicalValue(const Json& value, const JsonLimits& limits = {});

// The canonical bytes of `value`. Precondition: CheckCanonicalValue(value) is
// OK.
std::string CanonicalJson(const Json& value);

// Both in one walk: the canonical bytes of `value` if CheckCanonicalValue
// accepts it, else its refusal (the same message).
Result<std::string> CheckedCanonicalJson(const Json& value, const JsonLimits& limits = {});

// Parses untrusted JSON text: size, depth and string limits, duplicate keys
// refused, invalid UTF-8 refused, then CheckCanonicalValue. InvalidArgument
// with a message that says what is wrong (never echoing the input).
Result<Json> ParseUntrustedJson(std::string_view text,
                                const JsonLimits& limits = {});

// Appends the canonical encoding of string `s` (quoted, JCS escapes) to `out`.
// Precondition: `s` is valid UTF-8.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace caseledger::ledger
