#include "crypto/sha256.h"

#include <catch2/catch.hpp>
#include <string>

namespace caseledger::crypto {
namespace {

TEST_CASE("SHA-256 known answers (FIPS 180-2)", "[crypto]") {
  CHECK(Sha256(AsBytes("abc")).Hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256(AsBytes("")).Hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256(
            AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
            .Hex() ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-256 incremental equals one-shot", "[crypto]") {
  const std::string msg(1000, 'x');
  Sha256Hasher h;
  h.Update(AsBytes(std::string_view(msg).substr(0, 333)));
  h.Update(static_cast<std::uint8_t>('x'));
  h.Update(AsBytes(std::string_view(msg).substr(334)));
  CHECK(h.Final() == Sha256(AsBytes(msg)));
  CHECK_FALSE(Sha256(AsBytes("abc")) == Sha256(AsBytes("abd")));
}

}  // namespace
}  // namespace caseledger::crypto
