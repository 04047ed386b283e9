#include "base/ids.h"

namespace caseledger {

namespace {
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
int Base32Value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}
}  // namespace

std::string FormatId(std::string_view prefix,
                     const std::array<std::uint8_t, kIdRandomBytes>& random) {
  std::string out(prefix);
  out.push_back('-');
  unsigned buffer = 0;
  int bits = 0;
  for (std::uint8_t b : random) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Status ValidateId(std::string_view id, std::string_view prefix,
                  std::string_view what) {
  std::string bad = std::string(what) + " is not a valid id (expected " +
                    std::string(prefix) + "- followed by 26 base32 characters)";
  if (id.size() != prefix.size() + 1 + kIdTextChars ||
      id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '-') {
    return InvalidArgument(bad);
  }
  std::string_view text = id.substr(prefix.size() + 1);
  for (char c : text) {
    if (Base32Value(c) < 0) return InvalidArgument(bad);
  }
  // 26 chars carry 130 bits; the last 2 must be zero.
  if ((Base32Value(text.back()) & 3) != 0) return InvalidArgument(bad);
  return Status::Ok();
}

}  // namespace caseledger
