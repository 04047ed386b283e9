#include "ledger/cosignature_store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/cosignature.h"
#include "ledger/checkpoint.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

crypto::Ed25519SigningKey Key(std::uint8_t b) {
  Bytes seed(32, b);
  return crypto::Ed25519SigningKey::FromSeed(seed).value();
}

// The log's signed note of a checkpoint of `size` with a synthetic root.
std::string LogNote(std::uint64_t size, const crypto::Ed25519SigningKey& log) {
  Checkpoint c{"test.invalid/log", size, {}};
  c.root.bytes[0] = static_cast<std::uint8_t>(size);
  return SignCheckpoint(c, log).value();
}

std::string Text(const std::string& note) { return note.substr(0, note.find("\n\n") + 1); }

TEST_CASE("CosignatureStore keeps cosignatures per checkpoint and serves the newest quorum",
          "[ledger]") {
  testing::TempDir dir;
  const auto log = Key(1);
  std::vector<crypto::Ed25519SigningKey> wk;
  std::vector<crypto::CosignerVerifier> ws;
  for (std::uint8_t i = 0; i < 3; ++i) {
    wk.push_back(Key(static_cast<std::uint8_t>(10 + i)));
    ws.push_back(crypto::CosignerVerifier::For("w" + std::to_string(i) + ".test",
                                               wk.back().public_key()));
  }
  auto line = [&](int w, const std::string& note, std::uint64_t t) {
    return crypto::Cosign(Text(note), ws[static_cast<std::size_t>(w)].name,
                          wk[static_cast<std::size_t>(w)], t)
        .value();
  };
  const std::string n10 = LogNote(10, log), n20 = LogNote(20, log), n30 = LogNote(30, log);
  {
    auto s = CosignatureStore::Open(dir.path(), false).value();
    CHECK(!s->NewestWithQuorum(ws, 2).value());
    REQUIRE(s->Add(10, n10, {{"w0.test", line(0, n10, 100)}}, 2, 1000).ok());
    CHECK(!s->NewestWithQuorum(ws, 2).value());
    CHECK(s->NewestWithQuorum(ws, 1).value()->size == 10);
    REQUIRE(s->Add(10, n10, {{"w1.test", line(1, n10, 101)}}, 2, 1001).ok());
    auto q = s->NewestWithQuorum(ws, 2).value();
    REQUIRE(q);
    CHECK(q->size == 10);
    CHECK(q->quorum_at == 1001);
    // The served note is the log's note with both lines, and opens as a
    // checkpoint and as two valid cosignatures.
    auto parsed = crypto::ParseNote(q->Note()).value();
    CHECK(crypto::TallyCosignatures(parsed, ws).valid ==
          std::vector<std::string>{"w0.test", "w1.test"});
    CHECK(OpenCheckpoint(q->Note(), crypto::NoteVerifier::For("test.invalid/log",
                                                              log.public_key()))
              .ok());
    // 20 gets one cosignature only: 10 stays the newest with a quorum.
    REQUIRE(s->Add(20, n20, {{"w2.test", line(2, n20, 102)}}, 2, 1002).ok());
    CHECK(s->NewestWithQuorum(ws, 2).value()->size == 10);
    CHECK(s->NewestWithQuorum(ws, 0).value()->size == 20);
    // A newer line of the same witness replaces the older one.
    REQUIRE(s->Add(20, n20, {{"w2.test", line(2, n20, 200)}}, 2, 1003).ok());
    CHECK(s->At(20).value()->cosignatures.size() == 1);
    CHECK(s->At(20).value()->cosignatures.at("w2.test") == line(2, n20, 200));
    // Another note for a size already cosigned: refused, nothing changed.
    CHECK(s->Add(20, LogNote(21, log), {{"w0.test", "x"}}, 2, 1004).code() ==
          StatusCode::kCorruption);
    // 30 reaches a quorum: 20 (no quorum, older) is dropped, 10 kept.
    REQUIRE(s->Add(30, n30, {{"w0.test", line(0, n30, 300)}, {"w2.test", line(2, n30, 301)}},
                   2, 1005)
                .ok());
    CHECK(s->NewestWithQuorum(ws, 2).value()->size == 30);
    CHECK(!s->At(20).value());
    CHECK(s->At(10).value());
  }
  // Durable: reopened read-only, the same answers.
  auto r = CosignatureStore::Open(dir.path(), true).value();
  CHECK(r->NewestWithQuorum(ws, 2).value()->size == 30);
  // Readers verify again: with w0 replaced by another key, 30 lacks a quorum
  // and 10 (w0 and w1) too, so nothing qualifies.
  std::vector<crypto::CosignerVerifier> changed = ws;
  changed[0] = crypto::CosignerVerifier::For("w0.test", Key(99).public_key());
  CHECK(!r->NewestWithQuorum(changed, 2).value());
  // Absent store, read-only: NotFound.
  testing::TempDir empty;
  CHECK(CosignatureStore::Open(empty.path(), true).status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger::ledger
