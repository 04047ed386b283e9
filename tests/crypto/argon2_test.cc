#include "crypto/argon2.h"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "base/bytes.h"

namespace caseledger::crypto {
namespace {

std::array<std::uint8_t, kArgon2SaltBytes> Salt(std::string_view s) {
  REQUIRE(s.size() == kArgon2SaltBytes);
  std::array<std::uint8_t, kArgon2SaltBytes> salt{};
  std::memcpy(salt.data(), s.data(), s.size());
  return salt;
}

constexpr Argon2Params kMin{crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN};

TEST_CASE(
    "Argon2id known answer (reference argon2 CLI: -id -v 13 -k 1024 -t 5 -p 1)",
    "[crypto]") {
  // echo -n "123" | argon2 ABCDEFGHIJKLMNOP -id -v 13 -k 1024 -t 5
  Result<SecretBytes> key = Argon2idDerive("123", Salt("ABCDEFGHIJKLMNOP"), 32,
                                           Argon2Params{5, 1024 * 1024});
  REQUIRE(key.ok());
  CHECK(ToHex(key->view()) ==
        "3c5d010180ba0cf5b6b858cba23b318e42d33088983c404598599c3b029ecac6");
}

TEST_CASE("Argon2id is deterministic, salt and passphrase matter", "[crypto]") {
  const auto salt = Salt("caseledger-salt1");
  Result<SecretBytes> a = Argon2idDerive("correct horse", salt, 32, kMin);
  Result<SecretBytes> b = Argon2idDerive("correct horse", salt, 32, kMin);
  Result<SecretBytes> c =
      Argon2idDerive("correct horse", Salt("caseledger-salt2"), 32, kMin);
  Result<SecretBytes> d = Argon2idDerive("correct horsf", salt, 32, kMin);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  REQUIRE(d.ok());
  CHECK(a->size() == 32);
  CHECK(ToHex(a->view()) == ToHex(b->view()));
  CHECK(ToHex(a->view()) != ToHex(c->view()));
  CHECK(ToHex(a->view()) != ToHex(d->view()));
}

TEST_CASE("Argon2id rejects parameters out of range", "[crypto]") {
  const auto salt = Salt("caseledger-salt1");
  CHECK(Argon2idDerive("pw", salt, 32,
                       Argon2Params{0, crypto_pwhash_MEMLIMIT_MIN})
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(Argon2idDerive("pw", salt, 32, Argon2Params{1, 1024}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Argon2idDerive("pw", salt, 8, kMin).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger::crypto
