#include "crypto/ed25519.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

using testing::Hex;

struct Rfc8032Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1, 2 and 3.
const std::vector<Rfc8032Vector> kVectors = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb882159"
     "0a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43"
     "e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538"
     "d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST_CASE("Ed25519 RFC 8032 §7.1 test vectors 1-3", "[crypto]") {
  int n = 0;
  for (const Rfc8032Vector& v : kVectors) {
    INFO("TEST " << ++n);
    Result<Ed25519SigningKey> key = Ed25519SigningKey::FromSeed(Hex(v.seed));
    REQUIRE(key.ok());
    CHECK(ToHex(key->public_key().view()) == v.public_key);
    CHECK(ToHex(key->Seed().view()) == v.seed);

    const Bytes msg = Hex(v.message);
    const Ed25519Signature sig = key->Sign(msg);
    CHECK(ToHex(sig.view()) == v.signature);
    CHECK(Ed25519Verify(key->public_key(), msg, sig));

    // Verification from the published bytes alone.
    Result<Ed25519PublicKey> pk = Ed25519PublicKeyFromBytes(Hex(v.public_key));
    Result<Ed25519Signature> published =
        Ed25519SignatureFromBytes(Hex(v.signature));
    REQUIRE(pk.ok());
    REQUIRE(published.ok());
    CHECK(Ed25519Verify(*pk, msg, *published));

    // Any flipped bit of the signature fails.
    for (std::size_t i = 0; i < kEd25519SignatureBytes; ++i) {
      Ed25519Signature bad = *published;
      bad.bytes[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      CHECK_FALSE(Ed25519Verify(*pk, msg, bad));
    }
    // A flipped bit of the message or of the key fails.
    Bytes longer = msg;
    longer.push_back(0);
    CHECK_FALSE(Ed25519Verify(*pk, longer, *published));
    if (!msg.empty()) {
      Bytes bad_msg = msg;
      bad_msg[0] ^= 0x01;
      CHECK_FALSE(Ed25519Verify(*pk, bad_msg, *published));
    }
    Ed25519PublicKey bad_pk = *pk;
    bad_pk.bytes[0] ^= 0x01;
    CHECK_FALSE(Ed25519Verify(bad_pk, msg, *published));
  }
}

TEST_CASE("Ed25519 generated keys sign and verify, seeds round-trip",
          "[crypto]") {
  const Ed25519SigningKey a = Ed25519SigningKey::Generate();
  const Ed25519SigningKey b = Ed25519SigningKey::Generate();
  CHECK_FALSE(a.public_key() == b.public_key());
  const Ed25519Signature sig = a.Sign(AsBytes("caseledger/event/v1\n{}"));
  CHECK(Ed25519Verify(a.public_key(), AsBytes("caseledger/event/v1\n{}"), sig));
  CHECK_FALSE(
      Ed25519Verify(b.public_key(), AsBytes("caseledger/event/v1\n{}"), sig));

  Result<Ed25519SigningKey> again =
      Ed25519SigningKey::FromSeed(a.Seed().view());
  REQUIRE(again.ok());
  CHECK(again->public_key() == a.public_key());
  CHECK(again->Sign(AsBytes("x")) == a.Sign(AsBytes("x")));  // deterministic
}

TEST_CASE("Ed25519 parsers check sizes", "[crypto]") {
  CHECK(Ed25519SigningKey::FromSeed(Bytes(31)).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Ed25519SigningKey::FromSeed(Bytes(33)).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Ed25519PublicKeyFromBytes(Bytes(31)).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Ed25519SignatureFromBytes(Bytes(63)).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Ed25519SignatureFromBytes(Bytes(64)).ok());
}

}  // namespace
}  // namespace caseledger::crypto
