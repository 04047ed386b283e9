#include "crypto/base64.h"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace caseledger::crypto {
namespace {

TEST_CASE("base64 RFC 4648 §10 vectors", "[crypto]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(Base64Encode(AsBytes(plain)) == encoded);
    Result<Bytes> back = Base64Decode(encoded);
    REQUIRE(back.ok());
    CHECK(AsChars(*back) == plain);
  }
  const Bytes all = [] {
    Bytes b;
    for (int i = 0; i < 256; ++i) b.push_back(static_cast<std::uint8_t>(i));
    return b;
  }();
  Result<Bytes> round = Base64Decode(Base64Encode(all));
  REQUIRE(round.ok());
  CHECK(*round == all);
  CHECK(Base64Encode(Bytes{0xfb, 0xff}) ==
        "+/8=");  // standard alphabet, not URL-safe
}

TEST_CASE("base64 decoding is strict", "[crypto]") {
  const char* bad[] = {
      "Zg",            // missing padding
      "Zg=",           // partial padding
      "Zg===",         // too much padding
      "Zh==",          // non-zero unused bits
      "Zm9=",          // non-zero unused bits
      "Zm9v=",         // padding where none belongs
      "====",          // padding only
      "Zm9v\n",        // trailing newline
      " Zm9v",         // leading space
      "Zm9v ",         // trailing space
      "Zm 9v",         // inner space
      "Zm9\tv",        // tab
      "Zm9v!",         // garbage
      "Zm9vYg==Zm9v",  // data after padding
      "-_8=",          // URL-safe alphabet
      "Z",             // truncated
  };
  for (const char* s : bad) {
    INFO(s);
    CHECK(Base64Decode(s).status().code() == StatusCode::kInvalidArgument);
  }
  // Bytes >= 0x80 are not base64 (libsodium 1.0.18 alone would decode each as
  // '/').
  CHECK(Base64Decode("QUFB").ok());
  CHECK(Base64Decode("Q//B").ok());
  for (int c = 0x80; c <= 0xff; ++c) {
    std::string s = "Q//B";
    s[1] = static_cast<char>(c);
    INFO(c);
    CHECK(Base64Decode(s).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(Base64Decode("Q\xC3\xA9"
                     "B")
            .status()
            .code() == StatusCode::kInvalidArgument);  // "é" for "//"
  // An embedded NUL is garbage too, not an end of input.
  CHECK(Base64Decode(std::string_view("Zm9v\0", 5)).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("base64 decoding accepts exactly what libsodium's strict decoder accepts",
          "[crypto]") {
  // The reference: sodium_base642bin, original variant with padding, no
  // characters ignored, the whole input consumed; bytes >= 0x80 refused
  // first (libsodium 1.0.18 would take them for '/'). Inputs: encodings of
  // random bytes, then each with one character replaced, inserted or
  // dropped, from characters weighted toward the edge cases ('=', the last
  // characters' unused bits, bytes outside the alphabet).
  auto reference = [](std::string_view text) -> std::optional<Bytes> {
    for (char c : text)
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
    Bytes out(text.size() / 4 * 3 + 3);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len,
                          &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size())
      return std::nullopt;
    out.resize(len);
    return out;
  };
  std::mt19937 rng(20261206);
  const std::string edge = std::string("AQgw+/=/Zz9 \n-_") + '\x80' + '\0';
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t accepted = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes raw(pick(12));
    for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
    std::string s = Base64Encode(raw);
    switch (pick(5)) {
      case 0:
        break;  // as encoded
      case 1:
        if (!s.empty()) s[pick(s.size())] = edge[pick(edge.size())];
        break;
      case 2:
        s.insert(pick(s.size() + 1), 1, edge[pick(edge.size())]);
        break;
      case 3:
        if (!s.empty()) s.erase(pick(s.size()), 1);
        break;
      default:  // any byte at all, anywhere
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
        break;
    }
    const std::optional<Bytes> want = reference(s);
    const Result<Bytes> got = Base64Decode(s);
    INFO(Base64Encode(AsBytes(s)));  // the input, printable
    REQUIRE(got.ok() == want.has_value());
    if (want) {
      CHECK(*got == *want);
      ++accepted;
    } else {
      CHECK(got.status().code() == StatusCode::kInvalidArgument);
      ++refused;
    }
  }
  // Both outcomes well represented.
  CHECK(accepted > 4000);
  CHECK(refused > 4000);
}

TEST_CASE("base64 encoding is libsodium's, byte for byte", "[crypto]") {
  std::mt19937 rng(4648);
  for (std::size_t n = 0; n < 2000; ++n) {
    Bytes raw(n % 200);
    for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
    std::string want(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    REQUIRE(sodium_bin2base64(want.data(), want.size(), raw.data(), raw.size(),
                              sodium_base64_VARIANT_ORIGINAL) != nullptr);
    want.resize(want.size() - 1);  // its terminating NUL
    INFO(n);
    CHECK(Base64Encode(raw) == want);
  }
}

}  // namespace
}  // namespace caseledger::crypto
