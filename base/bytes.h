// Byte helpers: views, hex, and fixed-width big-endian integers used for LMDB
// keys. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace caseledger {

using ByteView = std::span<const std::uint8_t>;
using Bytes = std::vector<std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex of `b`.
std::string ToHex(ByteView b);
// Parses lower- or upper-case hex; InvalidArgument on odd length or a non-hex
// char.
Result<Bytes> FromHex(std::string_view hex);

// The value of one hex digit (either case), or -1.
int HexDigitValue(char c);

// True if `s` is valid UTF-8: shortest forms only, no surrogates, at most
// U+10FFFF.
bool IsValidUtf8(std::string_view s);

// 8-byte big-endian encoding, so LMDB's byte order is numeric order.
std::array<std::uint8_t, 8> EncodeBigEndian64(std::uint64_t v);
// Precondition: b.size() == 8.
std::uint64_t DecodeBigEndian64(ByteView b);

}  // namespace caseledger
