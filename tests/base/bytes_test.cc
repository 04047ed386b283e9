#include "base/bytes.h"

#include <catch2/catch.hpp>

namespace caseledger {
namespace {

TEST_CASE("hex round trip and errors", "[base]") {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  CHECK(ToHex(b) == "007fff10");
  CHECK(FromHex("007FFF10").value() == b);
  CHECK_FALSE(FromHex("abc").ok());
  CHECK_FALSE(FromHex("zz").ok());
}

TEST_CASE("big-endian keys sort numerically", "[base]") {
  auto a = EncodeBigEndian64(255);
  auto b = EncodeBigEndian64(256);
  CHECK(a < b);
  CHECK(DecodeBigEndian64(a) == 255);
  CHECK(DecodeBigEndian64(EncodeBigEndian64(0x0102030405060708ULL)) ==
        0x0102030405060708ULL);
}

}  // namespace
}  // namespace caseledger
