// ScanEvent must accept exactly what the DOM decoder accepts and agree on the
// values: checked on real lines and on many random mutations of them. The DOM
// decoder is DecodeEventReference (ledger/event_reference.h), not DecodeEvent,
// which is itself built on ScanEvent.
#include "ledger/event_scan.h"

#include <catch2/catch.hpp>

#include <random>

#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/event_reference.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::ledger {
namespace {

std::vector<std::string> SampleLines() {
  auto key = crypto::Ed25519SigningKey::Generate();
  std::vector<std::string> lines;
  for (int variant = 0; variant < 4; ++variant) {
    Event e;
    e.seq = 1 + static_cast<std::uint64_t>(variant) * 977;
    e.time = "2020-02-29T12:00:00.000001Z";
    e.type = "concern.reported";
    e.actor = "u-aaaaaaaaaaaaaaaaaaaaaaaaaa";
    e.role = "coordinator";
    if (variant % 2 == 0) e.case_id = "c-aaaaaaaaaaaaaaaaaaaaaaaaaa";
    if (variant != 1) e.subject = "s-aaaaaaaaaaaaaaaaaaaaaaaaaa";
    e.h = Json::parse(R"({"a":[1,-2,{"x":null,"y":true}],"grounds":[{"code":"b.threat","observed_on":"2019-03-02"}],)"
                      R"("k\"q":"t\u0001\n\u00e9","minor":false,"n":9007199254740991,"z":"\u007f"})");
    if (variant >= 2) e.body = EncryptedBody{"Y3QgdGV4dA==", "k-aaaaaaaaaaaaaaaaaaaaaaaaaa", "bm9uY2U="};
    e.prev = merkle::HashLeaf(AsBytes(std::to_string(variant)));
    e.sig = key.Sign(AsBytes(SignatureInput(EncodeUnsigned(e))));
    lines.push_back(EncodeSigned(e));
  }
  return lines;
}

void ExpectSameVerdict(const std::string& line) {
  auto decoded = DecodeEventReference(line);
  auto scanned = ScanEvent(line);
  INFO(line);
  REQUIRE(decoded.ok() == scanned.ok());
  if (!decoded.ok()) {
    CHECK(scanned.status().code() == StatusCode::kCorruption);
    return;
  }
  CHECK(scanned->seq == decoded->seq);
  CHECK(scanned->prev == decoded->prev);
  CHECK(scanned->sig == *decoded->sig);
  CHECK(scanned->time == decoded->time);
  CHECK(scanned->unsigned_bytes() == EncodeUnsigned(*decoded));
  CHECK(scanned->signature_input == SignatureInput(EncodeUnsigned(*decoded)));
  // The envelope views that rebuild uses instead of the decoder.
  CHECK(scanned->h == CanonicalJson(decoded->h));
  if (!scanned->has_escapes) {
    CHECK(scanned->type == decoded->type);
    CHECK(scanned->actor == decoded->actor);
    CHECK(scanned->role == decoded->role);
    CHECK(scanned->case_id == decoded->case_id.value_or(""));
    CHECK(scanned->subject == decoded->subject.value_or(""));
  }
  // Without the signature input, the same fields.
  auto light = ScanEvent(line, /*signature_input=*/false);
  REQUIRE(light.ok());
  CHECK(light->signature_input.empty());
  CHECK(light->seq == scanned->seq);
  CHECK(light->h == scanned->h);
}

TEST_CASE("CheckEventLine: scan, signature and leaf of one line, for verify, evidence and history",
          "[ledger]") {
  auto key = crypto::Ed25519SigningKey::Generate();
  const auto other = crypto::Ed25519SigningKey::Generate();
  Event e;
  e.seq = 7;
  e.time = "2020-02-29T12:00:00.000001Z";
  e.type = "concern.reported";
  e.actor = "u-aaaaaaaaaaaaaaaaaaaaaaaaaa";
  e.role = "coordinator";
  e.h = Json{{"channel", "phone"}};
  e.prev = merkle::HashLeaf(AsBytes("previous"));
  const std::string unsigned_line = EncodeUnsigned(e);
  e.sig = key.Sign(AsBytes(SignatureInput(unsigned_line)));
  const std::string line = EncodeSigned(e);
  const crypto::Digest leaf = merkle::HashLeaf(AsBytes(unsigned_line));

  auto good = CheckEventLine(line, key.public_key());
  REQUIRE(good.ok());
  CHECK(good->signature_valid);
  CHECK(good->leaf == leaf);
  CHECK(good->event.seq == 7);
  // Another key: the signature fails, the line's leaf is the same.
  auto foreign = CheckEventLine(line, other.public_key());
  REQUIRE(foreign.ok());
  CHECK_FALSE(foreign->signature_valid);
  CHECK(foreign->leaf == leaf);
  // A changed header: a valid line whose signature no longer verifies.
  std::string changed = line;
  changed.replace(changed.find("phone"), 5, "email");
  auto tampered = CheckEventLine(changed, key.public_key());
  REQUIRE(tampered.ok());
  CHECK_FALSE(tampered->signature_valid);
  CHECK(tampered->leaf != leaf);
  // Not an event at all.
  CHECK(CheckEventLine(line.substr(1), key.public_key()).status().code() ==
        StatusCode::kCorruption);
}

TEST_CASE("ScanEvent agrees with the reference decoder on real lines", "[ledger]") {
  for (const auto& line : SampleLines()) {
    REQUIRE(ScanEvent(line).ok());
    ExpectSameVerdict(line);
  }
}

TEST_CASE("ScanEvent agrees with the reference decoder on mutated lines", "[ledger]") {
  std::mt19937_64 rng(20261123);
  const std::string alphabet = "{}[]\":,\\0123456789-.eEabcdefnrtuluesigprevhtime \x01\x7f\xc3\xa9\xff";
  std::size_t accepted = 0;
  for (const auto& original : SampleLines()) {
    for (int round = 0; round < 3000; ++round) {
      std::string line = original;
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits && !line.empty(); ++k) {
        std::size_t pos = rng() % line.size();
        char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0: line[pos] = c; break;
          case 1: line.insert(line.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
          default: line.erase(pos, 1); break;
        }
      }
      if (ScanEvent(line).ok()) ++accepted;
      ExpectSameVerdict(line);
    }
  }
  // Some mutations keep the line valid (e.g. a different digit in a header
  // value): the property was tested on both sides.
  CHECK(accepted > 0);
}

TEST_CASE("ScanEvent refuses the classic non-canonical forms", "[ledger]") {
  std::string line = SampleLines()[0];
  auto bad = [&](std::string l) {
    ExpectSameVerdict(l);
    CHECK_FALSE(ScanEvent(l).ok());
  };
  bad(line + "\n");
  bad(" " + line);
  std::string s = line;
  s.replace(s.find("\"v\":1"), 5, "\"v\":1.0");
  bad(s);
  s = line;
  s.replace(s.find("9007199254740991"), 16, "9007199254740992");
  bad(s);
  s = line;
  s.replace(s.find("\\u0001"), 6, "\\u0041");
  bad(s);
  s = line;
  s.replace(s.find("\\n"), 2, "\\u000a");
  bad(s);
  s = line;
  s.insert(s.find("\"minor\""), "\"minor\":true,");
  bad(s);
}

// ParseCanonicalObject's contract: t is accepted exactly when
// ParseUntrustedJson(t) gives an object whose canonical form is t (and within
// the limits), and then it gives the same value with the same number types.
// Checked on canonical objects and on every single-byte mutation of them.
void ExpectCanonicalVerdict(const std::string& t, const JsonLimits& limits) {
  Result<Json> fast = ParseCanonicalObject(t, limits);
  Result<Json> general = ParseUntrustedJson(t, limits);
  const bool canonical = general.ok() && general->is_object() && CanonicalJson(*general) == t;
  INFO("text: " << t);
  REQUIRE(fast.ok() == canonical);
  if (!fast.ok()) {
    CHECK(fast.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  CHECK(*fast == *general);
  CHECK(fast->dump() == general->dump());
  CHECK(SameJsonTypes(*fast, *general));
}

TEST_CASE("ParseCanonicalObject accepts exactly the canonical objects ParseUntrustedJson reads, with their values",
          "[ledger]") {
  JsonLimits limits;
  limits.max_depth = 5;
  limits.max_string_bytes = 40;
  const std::vector<std::string> texts = {
      R"({})",
      R"({"a":1})",
      R"({"a":[1,-2,{"x":null,"y":true}],"b":false,"c":"q\"\\\n\u0001/Ã©","d":9007199254740991})",
      R"({"actor":"u-aaaa","case":"c-aaaa","h":{"grounds":[{"code":"b.threat","observed_on":"2019-03-02"}]},"seq":12})",
      R"({"a":{"b":{"c":{"d":{"e":1}}}}})",  // depth 4 of 5: the limit is reached only by mutations
      R"({"s":"0123456789012345678901234567890123456789"})",  // a string of exactly 40 bytes
  };
  static const std::string kReplacements = std::string("\"\\{}[],:0195-.eEu \x01\x7f\x80\xc3\xff") + '\0';
  std::size_t mutations = 0;
  for (const std::string& t : texts) {
    ExpectCanonicalVerdict(t, limits);
    REQUIRE(ParseCanonicalObject(t, limits).ok());
    for (std::size_t pos = 0; pos <= t.size(); ++pos) {
      for (const char* ins : {" ", "{", "[", "0", "\""}) {
        std::string m = t;
        m.insert(pos, ins);
        ExpectCanonicalVerdict(m, limits);
        ++mutations;
      }
      if (pos == t.size()) break;
      std::string deleted = t;
      deleted.erase(pos, 1);
      ExpectCanonicalVerdict(deleted, limits);
      std::string duplicated = t;
      duplicated.insert(pos, 1, t[pos]);
      ExpectCanonicalVerdict(duplicated, limits);
      for (char c : kReplacements) {
        if (c == t[pos]) continue;
        std::string replaced = t;
        replaced[pos] = c;
        ExpectCanonicalVerdict(replaced, limits);
        ++mutations;
      }
    }
  }
  CHECK(mutations > 1000);
  // The limits themselves: one level deeper, one byte longer, a byte too many.
  CHECK_FALSE(ParseCanonicalObject(R"({"a":{"b":{"c":{"d":{"e":{"f":1}}}}}})", limits).ok());
  CHECK_FALSE(ParseCanonicalObject(R"({"s":"01234567890123456789012345678901234567890"})", limits).ok());
  JsonLimits small = limits;
  small.max_bytes = 7;
  CHECK(ParseCanonicalObject(R"({"a":1})", small).ok());
  small.max_bytes = 6;
  CHECK_FALSE(ParseCanonicalObject(R"({"a":1})", small).ok());
  // Not objects, though canonical values.
  CHECK_FALSE(ParseCanonicalObject("[1]", limits).ok());
  CHECK_FALSE(ParseCanonicalObject("1", limits).ok());
  CHECK_FALSE(ParseCanonicalObject("", limits).ok());
}

}  // namespace
}  // namespace caseledger::ledger
