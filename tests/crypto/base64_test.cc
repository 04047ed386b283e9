#include "crypto/base64.h"

#include <catch2/catch.hpp>
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

}  // namespace
}  // namespace caseledger::crypto
