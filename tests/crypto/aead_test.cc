#include "crypto/aead.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

using testing::Hex;
using testing::SecretHex;

AeadNonce NonceHex(std::string_view hex) {
  const Bytes b = Hex(hex);
  REQUIRE(b.size() == kAeadNonceBytes);
  AeadNonce n;
  std::memcpy(n.bytes.data(), b.data(), b.size());
  return n;
}

TEST_CASE("XChaCha20-Poly1305 known answer (draft-irtf-cfrg-xchacha-03 §A.3.1)",
          "[crypto]") {
  const SecretBytes key = SecretHex(
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const AeadNonce nonce =
      NonceHex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const Bytes ad = Hex("50515253c0c1c2c3c4c5c6c7");
  const std::string plaintext =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one "
      "tip for the "
      "future, sunscreen would be it.";
  const std::string want_ct =
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
      "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
      "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
      "21f9664c97637da9768812f615c68b13b52e";
  const std::string want_tag = "c0875924c1c7987947deafd8780acf49";

  const Bytes sealed = AeadSeal(key, nonce, ad, AsBytes(plaintext));
  CHECK(ToHex(sealed) == want_ct + want_tag);

  Result<Bytes> opened = AeadOpen(key, nonce, ad, Hex(want_ct + want_tag));
  REQUIRE(opened.ok());
  CHECK(AsChars(*opened) == plaintext);
  Result<SecretBytes> secret = AeadOpenSecret(key, nonce, ad, sealed);
  REQUIRE(secret.ok());
  CHECK(AsChars(secret->view()) == plaintext);
}

TEST_CASE("AEAD round trip and every wrong input fails with Corruption",
          "[crypto]") {
  const SecretBytes key = NewAeadKey();
  REQUIRE(key.size() == kAeadKeyBytes);
  const AeadNonce nonce = AeadNonce::Random();
  const std::string ad = "sha256 of the envelope";
  const std::string msg = "personal data: name, CPR, narrative";
  const Bytes ct = AeadSeal(key, nonce, AsBytes(ad), AsBytes(msg));
  REQUIRE(ct.size() == msg.size() + kAeadTagBytes);

  Result<Bytes> ok = AeadOpen(key, nonce, AsBytes(ad), ct);
  REQUIRE(ok.ok());
  CHECK(AsChars(*ok) == msg);

  SECTION("wrong key") {
    CHECK(AeadOpen(NewAeadKey(), nonce, AsBytes(ad), ct).status().code() ==
          StatusCode::kCorruption);
    CHECK(
        AeadOpenSecret(NewAeadKey(), nonce, AsBytes(ad), ct).status().code() ==
        StatusCode::kCorruption);
  }
  SECTION("wrong associated data") {
    CHECK(AeadOpen(key, nonce, AsBytes("other"), ct).status().code() ==
          StatusCode::kCorruption);
    CHECK(AeadOpen(key, nonce, {}, ct).status().code() ==
          StatusCode::kCorruption);
  }
  SECTION("wrong nonce") {
    AeadNonce other = nonce;
    other.bytes[23] ^= 0x80;
    CHECK(AeadOpen(key, other, AsBytes(ad), ct).status().code() ==
          StatusCode::kCorruption);
    CHECK(AeadOpen(key, AeadNonce::Random(), AsBytes(ad), ct).status().code() ==
          StatusCode::kCorruption);
  }
  SECTION("any flipped bit of ciphertext or tag") {
    for (std::size_t i = 0; i < ct.size(); ++i) {
      Bytes bad = ct;
      bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      CHECK(AeadOpen(key, nonce, AsBytes(ad), bad).status().code() ==
            StatusCode::kCorruption);
    }
  }
  SECTION("truncated") {
    Bytes shorter(ct.begin(), ct.end() - 1);
    CHECK(AeadOpen(key, nonce, AsBytes(ad), shorter).status().code() ==
          StatusCode::kCorruption);
    CHECK(AeadOpen(key, nonce, AsBytes(ad), Bytes(kAeadTagBytes - 1))
              .status()
              .code() == StatusCode::kInvalidArgument);
    CHECK(AeadOpenSecret(key, nonce, AsBytes(ad), Bytes(3)).status().code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("AEAD empty plaintext and random nonces", "[crypto]") {
  const SecretBytes key = NewAeadKey();
  const AeadNonce nonce = AeadNonce::Random();
  const Bytes ct = AeadSeal(key, nonce, {}, {});
  CHECK(ct.size() == kAeadTagBytes);
  Result<Bytes> pt = AeadOpen(key, nonce, {}, ct);
  REQUIRE(pt.ok());
  CHECK(pt->empty());
  CHECK_FALSE(AeadNonce::Random().bytes == AeadNonce::Random().bytes);
  CHECK(AeadSeal(key, nonce, {}, AsBytes("x")) !=
        AeadSeal(key, AeadNonce::Random(), {}, AsBytes("x")));
}

}  // namespace
}  // namespace caseledger::crypto
