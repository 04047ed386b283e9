#include "crypto/blake2b.h"

#include <catch2/catch.hpp>

#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

using testing::SecretHex;

constexpr const char* kKey0To31 =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// Expected values computed independently with Python's hashlib:
//   hashlib.blake2b(data, key=bytes(range(32)), digest_size=32).hexdigest()
TEST_CASE("BLAKE2b-256 keyed known answers", "[crypto]") {
  const SecretBytes key = SecretHex(kKey0To31);
  CHECK(ToHex(Blake2bKeyed(key, AsBytes("abc"))) ==
        "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f");
  CHECK(ToHex(Blake2bKeyed(key, {})) ==
        "4e51e7a913fc80137da52880fecca175bf81e117d5c68126dc2774033517ea0d");
}

TEST_CASE("BLAKE2b keyed: deterministic, key-dependent", "[crypto]") {
  SecretBytes k1(kBlake2bKeyBytes);
  k1.Randomize();
  SecretBytes k2(kBlake2bKeyBytes);
  k2.Randomize();
  CHECK(Blake2bKeyed(k1, AsBytes("0101011234")) ==
        Blake2bKeyed(k1, AsBytes("0101011234")));
  CHECK(Blake2bKeyed(k1, AsBytes("0101011234")) !=
        Blake2bKeyed(k2, AsBytes("0101011234")));
  CHECK(Blake2bKeyed(k1, AsBytes("0101011234")) !=
        Blake2bKeyed(k1, AsBytes("0101011235")));
  CHECK(Blake2bKeyed(k1, AsBytes("x")).size() == 32);
}

TEST_CASE("DeriveSubkey: known answer, independence of contexts and masters",
          "[crypto]") {
  const SecretBytes master = SecretHex(kKey0To31);
  // = BLAKE2b-256(key = master, data = context) (hashlib, as above).
  CHECK(ToHex(DeriveSubkey(master, "caseledger/keyfile/v1/node-signing-key")
                  .view()) ==
        "9b638c7d906114a3a7dbbe85d938470a9174a49d0d4fbe46f6d02b49c152d6b5");

  const SecretBytes a = DeriveSubkey(master, "caseledger/kek/v1/epoch=1");
  const SecretBytes a2 = DeriveSubkey(master, "caseledger/kek/v1/epoch=1");
  const SecretBytes b = DeriveSubkey(master, "caseledger/kek/v1/epoch=2");
  SecretBytes other(32);
  other.Randomize();
  const SecretBytes c = DeriveSubkey(other, "caseledger/kek/v1/epoch=1");
  CHECK(a.size() == 32);
  CHECK(ToHex(a.view()) == ToHex(a2.view()));
  CHECK(ToHex(a.view()) != ToHex(b.view()));
  CHECK(ToHex(a.view()) != ToHex(c.view()));
  CHECK(ToHex(a.view()) != ToHex(master.view()));
}

}  // namespace
}  // namespace caseledger::crypto
