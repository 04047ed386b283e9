#include "ledger/event.h"

#include <catch2/catch.hpp>

#include "ledger/merkle/tree_hash.h"

namespace caseledger::ledger {
namespace {

Event SampleEvent(bool with_body) {
  Event e;
  e.seq = 42;
  e.time = "2019-04-08T09:12:33.123456Z";
  e.type = "concern.reported";
  e.actor = "u-aaaaaaaaaaaaaaaaaaaaaaaaaa";
  e.role = "caseworker";
  e.case_id = "c-bbbbbbbbbbbbbbbbbbbbbbbbba";
  e.subject = "s-ccccccccccccccccccccccccca";
  e.h = Json{{"source", "school"}, {"minor", false}};
  e.prev = merkle::EmptyRoot();
  if (with_body)
    e.body = EncryptedBody{"Y3Q=", "k-dddddddddddddddddddddddda", "bm9uY2U="};
  return e;
}

TEST_CASE("Event encoding is canonical and round-trips", "[ledger]") {
  auto key = crypto::Ed25519SigningKey::Generate();
  for (bool with_body : {false, true}) {
    Event e = SampleEvent(with_body);
    std::size_t offset = 0;
    std::string c = EncodeUnsigned(e, &offset);
    // The hand-written encoder agrees with the generic canonical encoder.
    Json as_json = Json::parse(c);
    CHECK(CanonicalJson(as_json) == c);
    e.sig = key.Sign(AsBytes(SignatureInput(c)));
    std::string line = EncodeSigned(e);
    CHECK(InsertSignature(c, offset, *e.sig) == line);
    CHECK(CanonicalJson(Json::parse(line)) == line);
    auto back = DecodeEvent(line);
    REQUIRE(back.ok());
    CHECK(EncodeSigned(*back) == line);
    CHECK(back->seq == 42);
    CHECK(back->body.has_value() == with_body);
    CHECK(crypto::Ed25519Verify(key.public_key(),
                                AsBytes(SignatureInput(EncodeUnsigned(*back))),
                                *back->sig));
  }
}

TEST_CASE("The line made from the body's AD bytes is EncodeUnsigned's", "[ledger]") {
  // The writer encodes the envelope once (EncodeForBodyAdParts) and puts the
  // body in (EncodeUnsignedFrom). With and without case, subject and header
  // canonical text, and with characters the encoder escapes in the actor
  // and the body, the line and the signature's offset must be those of
  // EncodeUnsigned.
  int checked = 0;
  for (bool with_case : {false, true}) {
    for (bool with_subject : {false, true}) {
      for (bool h_text : {false, true}) {
        for (const char* actor : {"u-aaaaaaaaaaaaaaaaaaaaaaaaaa", "u-\"quoted\\\n"}) {
          Event e = SampleEvent(/*with_body=*/false);
          e.actor = actor;
          if (!with_case) e.case_id.reset();
          if (!with_subject) e.subject.reset();
          if (h_text) e.h_canonical = CanonicalJson(e.h);
          const BodyAdEncoding ad = EncodeForBodyAdParts(e);
          CHECK(ad.bytes == EncodeForBodyAd(e));
          const EncryptedBody body{"Y3Q+/w==\"", "k-dddddddddddddddddddddddda", "bm9uY2U="};
          std::size_t from_offset = 0;
          const std::string from = EncodeUnsignedFrom(ad, body, &from_offset);
          e.body = body;
          std::size_t offset = 0;
          CHECK(from == EncodeUnsigned(e, &offset));
          CHECK(from_offset == offset);
          CHECK(ad.bytes == EncodeForBodyAd(e));  // the AD leaves the body out
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 16);
}

TEST_CASE("The signature input is domain-separated", "[ledger]") {
  CHECK(SignatureInput("{}") == "caseledger/event/v1\n{}");
}

TEST_CASE("Decoding refuses non-canonical or malformed lines", "[ledger]") {
  auto key = crypto::Ed25519SigningKey::Generate();
  Event e = SampleEvent(true);
  e.sig = key.Sign(AsBytes(SignatureInput(EncodeUnsigned(e))));
  std::string line = EncodeSigned(e);
  auto expect_bad = [](const std::string& l, const char* why) {
    auto r = DecodeEvent(l);
    INFO(why);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
  };
  expect_bad(line + " ", "trailing whitespace");
  expect_bad(" " + line, "leading whitespace");
  std::string reordered = line;
  reordered.replace(reordered.find("\"seq\":42"), 8, "\"seq\":042");
  expect_bad(reordered, "leading zero");
  std::string extra = line;
  extra.insert(1, "\"zzz\":1,");
  expect_bad(extra, "unknown field");
  std::string dup = line;
  dup.insert(dup.size() - 1, ",\"v\":1");
  expect_bad(dup, "duplicate key");
  std::string flt = line;
  flt.replace(flt.find("\"v\":1"), 5, "\"v\":1.0");
  expect_bad(flt, "float");
  expect_bad("[]", "not an object");
  expect_bad(line.substr(0, line.size() - 1), "truncated");
}

}  // namespace
}  // namespace caseledger::ledger

namespace caseledger::ledger {
namespace {

TEST_CASE("A seq beyond 2^53 - 1 is not a canonical event", "[ledger]") {
  auto key = crypto::Ed25519SigningKey::Generate();
  Event e = SampleEvent(false);
  e.seq = std::uint64_t{1} << 53;
  e.sig = key.Sign(AsBytes(SignatureInput(EncodeUnsigned(e))));
  CHECK(DecodeEvent(EncodeSigned(e)).status().code() == StatusCode::kCorruption);
  e.seq = (std::uint64_t{1} << 53) - 1;
  e.sig = key.Sign(AsBytes(SignatureInput(EncodeUnsigned(e))));
  CHECK(DecodeEvent(EncodeSigned(e)).ok());
}

}  // namespace
}  // namespace caseledger::ledger
