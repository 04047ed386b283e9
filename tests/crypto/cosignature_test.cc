#include "crypto/cosignature.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

// The checkpoint of the spec's examples (c2sp.org/tlog-cosignature).
constexpr std::string_view kSofaText =
    "example.com/behind-the-sofa\n20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSofaLogLine =
    "\xE2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
// The spec's example cosignature line (its key is not published: only its
// encoding is checked) and the timestamp of the spec's example message.
constexpr std::string_view kSofaWitnessLine =
    "\xE2\x80\x94 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

// Derived independently of this code by Python's `cryptography` (OpenSSL's
// Ed25519) from the spec's rules, and checked again by Go's
// golang.org/x/mod/sumdb/note in tests/interop/cosignature_go.sh: the
// cosigner "witness.example/w1" with seed 00 01 … 1f cosigning kSofaText at
// the spec's time 1679315147.
constexpr std::string_view kW1Vkey =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
constexpr std::string_view kW1Line =
    "\xE2\x80\x94 witness.example/w1 "
    "519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7l"
    "V8H6bdoBQGP/l73euDMQ9k+bBQ==\n";
constexpr std::uint64_t kSpecTime = 1679315147;

Ed25519SigningKey SeedKey(std::uint8_t first) {
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(first + i);
  Result<Ed25519SigningKey> k = Ed25519SigningKey::FromSeed(seed);
  REQUIRE(k.ok());
  return std::move(k).value();
}

NoteSignature OnlyLine(std::string_view text, std::string_view line) {
  Result<ParsedNote> n = ParseNote(std::string(text) + "\n" + std::string(line));
  REQUIRE(n.ok());
  REQUIRE(n->signatures.size() == 1);
  return n->signatures[0];
}

TEST_CASE("cosignature/v1 signed message is the spec's example byte for byte",
          "[crypto]") {
  CHECK(CosignatureMessage(kSofaText, kSpecTime) ==
        "cosignature/v1\n"
        "time 1679315147\n"
        "example.com/behind-the-sofa\n"
        "20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  CHECK(CosignatureMessage("o\n1\nr\n", 0) == "cosignature/v1\ntime 0\no\n1\nr\n");
}

TEST_CASE("timestamped_signature decodes as the spec and transparency-dev say",
          "[crypto]") {
  // The spec's example line: key id 8d66cf3f, time 1679315147.
  const NoteSignature spec = OnlyLine(kSofaText, kSofaWitnessLine);
  CHECK(spec.key_id == 0x8d66cf3fu);
  Result<TimestampedSignature> t = DecodeTimestampedSignature(spec.signature);
  REQUIRE(t.ok());
  CHECK(t->timestamp == kSpecTime);

  // transparency-dev/formats note_cosigv1_test.go (TestCoSigV1Timestamp).
  Result<Bytes> td = Base64Decode(
      "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5"
      "gxEHWWOworDcFiEBYJXORmnFBOBA==");
  REQUIRE(td.ok());
  Result<TimestampedSignature> t2 =
      DecodeTimestampedSignature(ByteView(*td).subspan(4));
  REQUIRE(t2.ok());
  CHECK(t2->timestamp == 1727964367u);
  // Its "wrong type of signature" case: a 0x01 note signature (64 bytes).
  Result<Bytes> plain = Base64Decode(
      "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+"
      "MUMLXpWs1hPb/W/4xkNQY=");
  REQUIRE(plain.ok());
  CHECK(DecodeTimestampedSignature(ByteView(*plain).subspan(4)).status().code() ==
        StatusCode::kInvalidArgument);

  // Timestamps above 2^63 - 1 are refused, both ways.
  Bytes high(kTimestampedSignatureBytes, 0);
  high[0] = 0x80;
  CHECK(!DecodeTimestampedSignature(high).ok());
  high[0] = 0x7f;
  for (std::size_t i = 1; i < 8; ++i) high[i] = 0xff;
  Result<TimestampedSignature> max = DecodeTimestampedSignature(high);
  REQUIRE(max.ok());
  CHECK(max->timestamp == kMaxCosignatureTime);
  const Ed25519SigningKey k = SeedKey(0);
  CHECK(Cosign(kSofaText, "w", k, kMaxCosignatureTime + 1).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Cosign(kSofaText, "w", k, kMaxCosignatureTime).ok());
}

TEST_CASE("cosigner vkeys: type 0x04 key id (transparency-dev known answer)",
          "[crypto]") {
  // A native cosignature/v1 verifier key from transparency-dev/formats
  // (TestCoSigV1NewVerifier): its key id was computed by that code.
  Result<CosignerVerifier> remora = CosignerVerifier::Parse(
      "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
  REQUIRE(remora.ok());
  CHECK(remora->key_id == 0xda77ade7u);
  CHECK(CosignerKeyId("remora.n621.de", remora->key) == 0xda77ade7u);
  CHECK(remora->ToString() ==
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");

  // Our seed key gives the independently derived vkey.
  const CosignerVerifier w1 =
      CosignerVerifier::For("witness.example/w1", SeedKey(0).public_key());
  CHECK(w1.ToString() == kW1Vkey);

  // A log key (type 0x01) is not a cosigner key, and a wrong key id fails.
  const std::string log_vkey =
      NoteVerifier::For("witness.example/w1", SeedKey(0).public_key()).ToString();
  CHECK(CosignerVerifier::Parse(log_vkey).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(!CosignerVerifier::Parse(
             "witness.example/w1+e75f6533+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
             .ok());
  CHECK(!CosignerVerifier::Parse("witness.example/w1+e75f6532").ok());
  CHECK(!CosignerVerifier::Parse("w+e75f6532+BAOh").ok());
}

TEST_CASE("Cosign reproduces the independently derived line, it verifies",
          "[crypto]") {
  const Ed25519SigningKey k = SeedKey(0);
  Result<std::string> line = Cosign(kSofaText, "witness.example/w1", k, kSpecTime);
  REQUIRE(line.ok());
  CHECK(*line == kW1Line);

  const CosignerVerifier w1 = *CosignerVerifier::Parse(kW1Vkey);
  const NoteSignature sig = OnlyLine(kSofaText, *line);
  Result<std::uint64_t> ts = VerifyCosignature(sig, kSofaText, w1);
  REQUIRE(ts.ok());
  CHECK(*ts == kSpecTime);

  // Another text (size 20852164), another key, a time in the future.
  std::string other(kSofaText);
  other.replace(other.find("63\n"), 2, "64");
  CHECK(VerifyCosignature(sig, other, w1).status().code() ==
        StatusCode::kCorruption);
  const CosignerVerifier w2 =
      CosignerVerifier::For("witness.example/w2", SeedKey(1).public_key());
  CHECK(VerifyCosignature(sig, kSofaText, w2).status().code() ==
        StatusCode::kNotFound);
  CHECK(VerifyCosignature(sig, kSofaText, w1, kSpecTime - 1).status().code() ==
        StatusCode::kCorruption);
  CHECK(VerifyCosignature(sig, kSofaText, w1, kSpecTime).ok());

  // Same name and key id, key swapped: the signature does not verify.
  CosignerVerifier impostor = w1;
  impostor.key = SeedKey(2).public_key();
  CHECK(VerifyCosignature(sig, kSofaText, impostor).status().code() ==
        StatusCode::kCorruption);

  // The same key's plain note signature (type 0x01) is no cosignature: its
  // key id differs, so it is another signer's line.
  Result<std::string> plain = SignNote(kSofaText, "witness.example/w1", k);
  REQUIRE(plain.ok());
  Result<ParsedNote> pn = ParseNote(*plain);
  REQUIRE(pn.ok());
  CHECK(VerifyCosignature(pn->signatures[0], kSofaText, w1).status().code() ==
        StatusCode::kNotFound);
  // And a cosignature never opens as a log signature of the same key.
  CHECK(OpenNote(std::string(kSofaText) + "\n" + *line,
                 NoteVerifier::For("witness.example/w1", k.public_key()))
            .status()
            .code() == StatusCode::kNotFound);
}

TEST_CASE("TallyCosignatures counts distinct valid cosigners, reports forgeries",
          "[crypto]") {
  const std::string text(kSofaText);
  std::vector<Ed25519SigningKey> keys;
  std::vector<CosignerVerifier> vs;
  for (std::uint8_t i = 0; i < 4; ++i) {
    keys.push_back(SeedKey(static_cast<std::uint8_t>(10 * i)));
    vs.push_back(CosignerVerifier::For("w" + std::to_string(i) + ".example",
                                       keys.back().public_key()));
  }
  std::string note = text + "\n" + std::string(kSofaLogLine);
  note += *Cosign(text, "w0.example", keys[0], 100);
  note += *Cosign(text, "w0.example", keys[0], 200);  // twice: counted once
  note += *Cosign(text, "w2.example", keys[2], 150);
  note += *Cosign(text, "unknown.example", keys[3], 150);  // not configured
  Result<ParsedNote> parsed = ParseNote(note);
  REQUIRE(parsed.ok());

  std::vector<CosignerVerifier> asked = {vs[0], vs[1], vs[2], vs[0]};
  CosignatureTally t = TallyCosignatures(*parsed, asked);
  CHECK(t.valid == std::vector<std::string>{"w0.example", "w2.example"});
  CHECK(t.timestamps == std::vector<std::uint64_t>{200, 150});
  CHECK(t.invalid.empty());

  // Not after 120: w0's line of 200 is refused as dated in the future.
  t = TallyCosignatures(*parsed, asked, 120);
  CHECK(t.valid == std::vector<std::string>{"w0.example"});
  CHECK(t.invalid == std::vector<std::string>{"w0.example", "w2.example"});

  // w1's name and key id on a signature by w3's key: a forgery, reported.
  std::string forged = *Cosign(text, "w1.example", keys[3], 150);
  Result<Bytes> raw = Base64Decode(
      std::string_view(forged).substr(forged.find(' ', 4) + 1,
                                      forged.size() - forged.find(' ', 4) - 2));
  REQUIRE(raw.ok());
  const std::uint32_t id = vs[1].key_id;
  (*raw)[0] = static_cast<std::uint8_t>(id >> 24);
  (*raw)[1] = static_cast<std::uint8_t>(id >> 16);
  (*raw)[2] = static_cast<std::uint8_t>(id >> 8);
  (*raw)[3] = static_cast<std::uint8_t>(id);
  Result<ParsedNote> with_forgery = ParseNote(
      note + "\xE2\x80\x94 w1.example " + Base64Encode(*raw) + "\n");
  REQUIRE(with_forgery.ok());
  t = TallyCosignatures(*with_forgery, asked);
  CHECK(t.valid == std::vector<std::string>{"w0.example", "w2.example"});
  CHECK(t.invalid == std::vector<std::string>{"w1.example"});
}

}  // namespace
}  // namespace caseledger::crypto
