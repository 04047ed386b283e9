#include "crypto/base64.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace caseledger::crypto {
namespace {

constexpr std::uint8_t kNotBase64 = 0xff;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of each base64 character (RFC 4648 §4's alphabet), kNotBase64
// for every other byte, '=' included.
constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kNotBase64;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr std::array<std::uint8_t, 256> kDecode = MakeDecodeTable();

std::uint32_t Value(char c) { return kDecode[static_cast<unsigned char>(c)]; }

}  // namespace

std::string Base64Encode(ByteView data) {
  // Table-driven, as Base64Decode (public data; the writer encodes every
  // event's ciphertext). The same characters as sodium_bin2base64's original
  // variant (tests/crypto/base64_test.cc checks the two against each other).
  std::string out((data.size() + 2) / 3 * 4, '=');
  std::size_t o = 0, i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16 | std::uint32_t{data[i + 1]} << 8 |
                            std::uint32_t{data[i + 2]};
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (i < data.size()) {  // one or two bytes left: two or three characters, then '='
    const bool two = i + 1 < data.size();
    const std::uint32_t v = std::uint32_t{data[i]} << 16 | (two ? std::uint32_t{data[i + 1]} << 8 : 0);
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    if (two) out[o++] = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  // Table-driven, not libsodium's constant-time decoder: what is decoded
  // here is public (ciphertexts, signatures, keys' public halves and proofs),
  // and a replay decodes every event's ciphertext (docs/performance.md,
  // "Replay, fourth round"). It accepts exactly what libsodium's strict
  // decoder (sodium_base642bin, original variant, no ignored characters,
  // whole input) accepts: a multiple of 4 characters of the alphabet, at most
  // two '=' and only at the end, the unused bits of the last character zero
  // (tests/crypto/base64_test.cc checks the two against each other).
  const Status bad = InvalidArgument("not valid base64");
  if (text.size() % 4 != 0) return bad;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t chars = text.size() - pad;  // chars % 4 is 0, 3 or 2
  Bytes out(chars / 4 * 3 + (pad == 0 ? 0 : 3 - pad));
  std::size_t o = 0, i = 0;
  for (; i + 4 <= chars; i += 4) {
    const std::uint32_t a = Value(text[i]), b = Value(text[i + 1]), c = Value(text[i + 2]),
                        d = Value(text[i + 3]);
    if (((a | b | c | d) & 0xc0) != 0) return bad;  // kNotBase64 has them set
    const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }
  if (pad != 0) {
    const std::uint32_t a = Value(text[i]), b = Value(text[i + 1]);
    const std::uint32_t c = pad == 1 ? Value(text[i + 2]) : 0;
    if (((a | b | c) & 0xc0) != 0) return bad;
    const std::uint32_t v = a << 18 | b << 12 | c << 6;
    // The bits of the last character that belong to no byte must be zero.
    if ((pad == 2 ? (v & 0xffff) : (v & 0xff)) != 0) return bad;
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    if (pad == 1) out[o++] = static_cast<std::uint8_t>(v >> 8);
  }
  return out;
}

}  // namespace caseledger::crypto
