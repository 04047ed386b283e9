// ledger::CheckWitnessQuorum: distinct witnesses, duplicates once, unknown
// keys ignored, an invalid line of a given witness = tampered
// (docs/formats/cosignature.md, "Counting a quorum").
#include "ledger/witness_quorum.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "ledger/checkpoint.h"

namespace caseledger::ledger {
namespace {

using crypto::CosignerVerifier;

crypto::Ed25519SigningKey SeedKey(std::uint8_t first) {
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  auto k = crypto::Ed25519SigningKey::FromSeed(seed);
  REQUIRE(k.ok());
  return std::move(k).value();
}

struct Witness {
  std::string name;
  crypto::Ed25519SigningKey key;
  CosignerVerifier verifier() const { return CosignerVerifier::For(name, key.public_key()); }
  std::string Line(std::string_view text, std::uint64_t t = 1700000000) const {
    auto line = crypto::Cosign(text, name, key, t);
    REQUIRE(line.ok());
    return *line;
  }
};

// A log's signed checkpoint note and three witnesses of it.
struct World {
  crypto::Ed25519SigningKey log_key = SeedKey(0x40);
  std::string note;
  std::string text;
  Witness w1{"witness.example/w1", SeedKey(0x00)};
  Witness w2{"witness.example/w2", SeedKey(0x20)};
  Witness w3{"witness.example/w3", SeedKey(0x60)};
  World() {
    Checkpoint c;
    c.origin = "example.invalid/log";
    c.size = 7;
    auto signed_note = SignCheckpoint(c, log_key);
    REQUIRE(signed_note.ok());
    note = *signed_note;
    text = note.substr(0, note.find("\n\n") + 1);
  }
  std::vector<CosignerVerifier> All() const { return {w1.verifier(), w2.verifier(), w3.verifier()}; }
};

// `line` with one base64 character of its signature changed.
std::string Altered(std::string line) {
  char& c = line[line.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  return line;
}

QuorumReport Check(std::string_view note, const std::vector<CosignerVerifier>& v, std::size_t k) {
  auto r = CheckWitnessQuorum(note, v, k);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("a quorum counts the given witnesses that validly cosigned", "[ledger]") {
  World w;
  const std::string cosigned = w.note + w.w1.Line(w.text) + w.w2.Line(w.text);
  const auto all = w.All();

  QuorumReport two = Check(cosigned, all, 2);
  CHECK(two.verdict == QuorumVerdict::kMet);
  CHECK(two.cosigned == std::vector<std::string>{"witness.example/w1", "witness.example/w2"});
  CHECK(two.not_cosigned == std::vector<std::string>{"witness.example/w3"});
  CHECK(two.invalid.empty());
  CHECK(two.Summary() ==
        "witnesses (quorum 2 of 3): cosigned: witness.example/w1, witness.example/w2; "
        "not cosigned: witness.example/w3");
  CHECK(two.Message() == "2 of the 3 given witnesses cosigned the checkpoint; the quorum is 2");

  QuorumReport three = Check(cosigned, all, 3);
  CHECK(three.verdict == QuorumVerdict::kNotMet);
  CHECK(three.Message() ==
        "only 2 of the 3 given witnesses cosigned the checkpoint; the quorum is 3");

  CHECK(Check(cosigned, all, 0).verdict == QuorumVerdict::kMet);
  CHECK(Check(cosigned, {w.w3.verifier()}, 1).verdict == QuorumVerdict::kNotMet);
  CHECK(Check(cosigned, {w.w2.verifier()}, 1).verdict == QuorumVerdict::kMet);
}

TEST_CASE("a note without cosignatures, or no note at all, has no cosigner", "[ledger]") {
  World w;
  const auto all = w.All();
  QuorumReport none = Check(w.note, all, 2);
  CHECK(none.verdict == QuorumVerdict::kNotMet);
  CHECK(none.cosigned.empty());
  CHECK(none.not_cosigned.size() == 3);
  CHECK(none.Summary() ==
        "witnesses (quorum 2 of 3): cosigned: none; not cosigned: witness.example/w1, "
        "witness.example/w2, witness.example/w3");
  CHECK(Check(w.note, all, 0).verdict == QuorumVerdict::kMet);
  CHECK(Check(w.note, {}, 0).verdict == QuorumVerdict::kMet);

  auto no_note = CheckWitnessQuorum(crypto::ParsedNote{}, all, 1);
  REQUIRE(no_note.ok());
  CHECK(no_note->verdict == QuorumVerdict::kNotMet);
  CHECK(no_note->not_cosigned.size() == 3);
}

TEST_CASE("an invalid cosignature by a given witness is tampering", "[ledger]") {
  World w;
  const auto all = w.All();
  const std::string bad3 = Altered(w.w3.Line(w.text));
  const std::string note = w.note + w.w1.Line(w.text) + w.w2.Line(w.text) + bad3;

  QuorumReport r = Check(note, all, 2);
  CHECK(r.verdict == QuorumVerdict::kInvalidCosignature);
  CHECK(r.invalid == std::vector<std::string>{"witness.example/w3"});
  CHECK(r.not_cosigned == std::vector<std::string>{"witness.example/w3"});
  CHECK(r.Message() == "the cosignature of witness witness.example/w3 does not verify");
  CHECK(r.Summary() ==
        "witnesses (quorum 2 of 3): cosigned: witness.example/w1, witness.example/w2; "
        "not cosigned: witness.example/w3; invalid cosignature: witness.example/w3");

  SECTION("a witness not given is ignored, valid or not") {
    QuorumReport two = Check(note, {w.w1.verifier(), w.w2.verifier()}, 2);
    CHECK(two.verdict == QuorumVerdict::kMet);
    CHECK(two.invalid.empty());
  }
  SECTION("an invalid line beside a valid one of the same witness is still tampering") {
    const std::string both = w.note + w.w1.Line(w.text) + Altered(w.w1.Line(w.text, 5));
    QuorumReport one = Check(both, {w.w1.verifier()}, 1);
    CHECK(one.verdict == QuorumVerdict::kInvalidCosignature);
    CHECK(one.cosigned == std::vector<std::string>{"witness.example/w1"});
  }
  SECTION("a cosignature of another checkpoint does not verify over this one") {
    Checkpoint other;
    other.origin = "example.invalid/log";
    other.size = 8;
    const std::string foreign = w.w1.Line(CheckpointBody(other));
    QuorumReport f = Check(w.note + foreign, {w.w1.verifier()}, 1);
    CHECK(f.verdict == QuorumVerdict::kInvalidCosignature);
  }
  SECTION("the note's text altered breaks every cosignature") {
    std::string altered = note;
    altered.replace(altered.find("\n7\n"), 3, "\n6\n");
    QuorumReport a = Check(altered, all, 2);
    CHECK(a.verdict == QuorumVerdict::kInvalidCosignature);
    CHECK(a.invalid.size() == 3);
    CHECK(a.Message() ==
          "the cosignatures of witnesses witness.example/w1, witness.example/w2, "
          "witness.example/w3 do not verify");
  }
}

TEST_CASE("duplicates count once: lines and given keys", "[ledger]") {
  World w;
  const std::string l1 = w.w1.Line(w.text);
  // The same witness twice (two lines, two times) is one cosigner.
  const std::string note = w.note + l1 + w.w1.Line(w.text, 1700000001) + l1;
  QuorumReport r = Check(note, w.All(), 1);
  CHECK(r.verdict == QuorumVerdict::kMet);
  CHECK(r.cosigned.size() == 1);
  CHECK(Check(note, w.All(), 2).verdict == QuorumVerdict::kNotMet);
  // The same key given twice is one witness: a quorum of 2 cannot be met by it.
  const std::vector<CosignerVerifier> twice = {w.w1.verifier(), w.w1.verifier()};
  QuorumReport t = Check(note, twice, 1);
  CHECK(t.witnesses == 1);
  CHECK(t.cosigned.size() == 1);
  auto too_many = CheckWitnessQuorum(note, twice, 2);
  CHECK(too_many.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the quorum's arguments: bad keys, clashing names, a malformed note", "[ledger]") {
  World w;
  auto over = CheckWitnessQuorum(w.note, w.All(), 4);
  CHECK(over.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(over.status().message(), Catch::Contains("4"));

  // Another key under an existing witness's name.
  const CosignerVerifier impostor = CosignerVerifier::For(w.w1.name, w.w2.key.public_key());
  auto clash = CheckWitnessQuorum(w.note, std::vector{w.w1.verifier(), impostor}, 1);
  CHECK(clash.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(clash.status().message(), Catch::Contains("witness.example/w1"));

  CHECK(CheckWitnessQuorum("not a note", w.All(), 1).status().code() ==
        StatusCode::kInvalidArgument);

  // The vkeys: the spec example's parses; repeats once; a log key (type
  // 0x01) or a mangled key is refused, naming it.
  const std::string vkey = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
  const std::vector<std::string> keys = {vkey, w.w2.verifier().ToString(), vkey};
  auto parsed = DistinctWitnesses(keys);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0] == w.w1.verifier());  // seed 00 01 … 1f: the spec example's key
  const std::string log_vkey =
      crypto::NoteVerifier::For("example.invalid/log", w.log_key.public_key()).ToString();
  for (const std::string& bad : {log_vkey, vkey.substr(0, vkey.size() - 2), std::string("x")}) {
    auto r = DistinctWitnesses(std::vector<std::string>{bad});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(bad));
  }
  const std::string clash_vkey = impostor.ToString();
  CHECK(DistinctWitnesses(std::vector<std::string>{vkey, clash_vkey}).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("the spec's worked example counts as a quorum of one", "[ledger]") {
  // docs/formats/cosignature.md: cosigner witness.example/w1 (seed 00..1f)
  // on c2sp.org/tlog-cosignature's example checkpoint at time 1679315147.
  const std::string note =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
      "\xE2\x80\x94 witness.example/w1 "
      "519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7l"
      "V8H6bdoBQGP/l73euDMQ9k+bBQ==\n";
  auto w1 = CosignerVerifier::Parse(
      "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  REQUIRE(w1.ok());
  const std::vector<CosignerVerifier> v = {*w1};
  CHECK(Check(note, v, 1).verdict == QuorumVerdict::kMet);
}

}  // namespace
}  // namespace caseledger::ledger
