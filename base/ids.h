// Typed ids: random 128-bit values printed as "<prefix>-<26 base32 chars>"
// (RFC 4648 alphabet, lower case, no padding), e.g. "c-…" case, "s-…" subject,
// "u-…" user, "k-…" data key. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caseledger {

inline constexpr std::size_t kIdRandomBytes = 16;
inline constexpr std::size_t kIdTextChars = 26;  // ceil(128 / 5)

// "<prefix>-" followed by the base32 text of `random`.
std::string FormatId(std::string_view prefix,
                     const std::array<std::uint8_t, kIdRandomBytes>& random);

// OK iff `id` is "<prefix>-" + 26 chars of [a-z2-7] whose last char carries
// only the 3 remaining bits (so every id has exactly one spelling).
// InvalidArgument naming `what` otherwise (without echoing the input).
Status ValidateId(std::string_view id, std::string_view prefix,
                  std::string_view what);

}  // namespace caseledger
