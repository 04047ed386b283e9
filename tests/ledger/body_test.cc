#include "ledger/body.h"

#include <catch2/catch.hpp>

#include "crypto/base64.h"
#include "ledger/ledger.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::SyntheticCommand;
using testing::TempDir;

Event Stored(Ledger& l, std::uint64_t seq) {
  auto txn = l.store().env().BeginRead().value();
  return DecodeEvent(ReadEventLine(txn, l.store(), seq).value()).value();
}

TEST_CASE("OpenBody returns what was sealed, and refuses what was altered",
          "[ledger]") {
  TempDir dir;
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  auto l = Ledger::Open(dir.path()).value();
  const std::string subject = NewId("s");
  REQUIRE(l->writer().Submit(SyntheticCommand(7, subject)).get().ok());
  REQUIRE(l->writer().Submit(SyntheticCommand(8)).get().ok());  // no body

  Event e = Stored(*l, 1);
  auto body = OpenBody(e, l->keys());
  REQUIRE(body.ok());
  CHECK((*body)["note"] == "synthetic note 7");

  SECTION("an event without a body") {
    CHECK(OpenBody(Stored(*l, 2), l->keys()).status().code() ==
          StatusCode::kNotFound);
  }
  SECTION("the envelope changed (associated data)") {
    e.h["channel"] = "letter";
    CHECK(OpenBody(e, l->keys()).status().code() == StatusCode::kCorruption);
  }
  SECTION("the ciphertext changed") {
    Bytes ct = crypto::Base64Decode(e.body->ct).value();
    ct[0] ^= 1;
    e.body->ct = crypto::Base64Encode(ct);
    const Status s = OpenBody(e, l->keys()).status();
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find("synthetic") == std::string::npos);
  }
  SECTION("a key that does not exist (destroyed)") {
    e.body->kid = NewId("k");
    CHECK(OpenBody(e, l->keys()).status().code() ==
          StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace caseledger::ledger
