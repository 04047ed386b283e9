// The node's witnessing (app/witnessing.h) against real witnesses
// (witness/witness.h) in-process, through a transport that can be cut: the
// quorum met with one witness down, appends going on with all down, catch-up,
// 409 learning, and a log rewritten with the same key refused by every
// witness and reported as a conflict.
#include "app/witnessing.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"
#include "witness/witness.h"

namespace caseledger::app {
namespace {

struct TestWitness {
  testing::TempDir dir;
  std::unique_ptr<witness::WitnessStore> store;
  std::unique_ptr<witness::Witness> w;
  bool up = true;
};

// Three witnesses trusting `log_vkey`, reachable at http://w<i>.test.
struct Witnesses {
  std::vector<std::unique_ptr<TestWitness>> ws;
  std::uint64_t now = 1700000000;
  int requests = 0;

  explicit Witnesses(const crypto::NoteVerifier& log, int n = 3) {
    for (int i = 0; i < n; ++i) {
      auto t = std::make_unique<TestWitness>();
      t->store = witness::WitnessStore::Open(t->dir.path(), true).value();
      witness::WitnessConfig c;
      c.name = "w" + std::to_string(i) + ".test";
      c.logs = {log};
      c.clock = [this] { return now; };
      Bytes seed(32, static_cast<std::uint8_t>(40 + i));
      t->w = witness::Witness::Create(c, crypto::Ed25519SigningKey::FromSeed(seed).value(),
                                      *t->store)
                 .value();
      ws.push_back(std::move(t));
    }
  }
  WitnessTransport Transport() {
    return [this](const std::string& url, const std::string& body,
                  std::chrono::milliseconds) -> Result<WitnessReply> {
      ++requests;
      for (std::size_t i = 0; i < ws.size(); ++i) {
        if (url != "http://w" + std::to_string(i) + ".test/add-checkpoint") continue;
        if (!ws[i]->up) return Unavailable("connection refused");
        witness::WitnessResponse r = ws[i]->w->Route("POST", "/add-checkpoint", body);
        return WitnessReply{r.status, r.content_type, r.body};
      }
      return Unavailable("no such host");
    };
  }
  WitnessingOptions Options(std::size_t quorum) {
    WitnessingOptions o;
    for (std::size_t i = 0; i < ws.size(); ++i)
      o.witnesses.push_back({ws[i]->w->verifier(), "http://w" + std::to_string(i) + ".test"});
    o.quorum = quorum;
    o.now = [this] { return static_cast<std::int64_t>(now); };
    return o;
  }
  std::vector<crypto::CosignerVerifier> Verifiers() const {
    std::vector<crypto::CosignerVerifier> v;
    for (const auto& t : ws) v.push_back(t->w->verifier());
    return v;
  }
};

void Append(ledger::Ledger& l, int n) {
  std::vector<std::future<Result<ledger::Appended>>> fs;
  for (int i = 0; i < n; ++i) fs.push_back(l.writer().Submit(testing::SyntheticCommand(i)));
  for (auto& f : fs) REQUIRE(f.get().ok());
}

// The data dir `a` with a log of 6 events, and `b` a copy of it: two logs
// with the same key and origin that grow apart from the 7th event on.
void ForkAfterSix(const testing::TempDir& a, const testing::TempDir& b) {
  REQUIRE(ledger::InitDataDir(a.path(), "test.invalid/log").ok());
  {
    auto l = ledger::Ledger::Open(a.path()).value();
    Append(*l, 6);
  }
  std::filesystem::copy(a.path(), b.path(), std::filesystem::copy_options::recursive |
                                                std::filesystem::copy_options::overwrite_existing);
}

std::uint64_t Witnessed(const ledger::CosignatureStore& s, const Witnesses& w, std::size_t k) {
  auto c = s.NewestWithQuorum(w.Verifiers(), k).value();
  return c ? c->size : 0;
}

TEST_CASE("Witnessing: quorum with one witness down, none down, catch-up", "[app][witness]") {
  testing::TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.invalid/log").ok());
  auto l = ledger::Ledger::Open(dir.path()).value();
  const auto log_vkey = ledger::ReadVerifierFile(dir / "ledger.pub").value();
  Witnesses w(log_vkey);
  auto store = ledger::CosignatureStore::Open(dir.path(), false).value();
  Witnessing wit(l->store(), *store, w.Options(2), w.Transport());

  // The empty log: nothing to ask.
  CHECK(!wit.RoundForTest(0));
  CHECK(w.requests == 0);

  Append(*l, 5);
  for (std::size_t i = 0; i < 3; ++i) CHECK(wit.RoundForTest(i));
  CHECK(Witnessed(*store, w, 2) == 5);
  CHECK(Witnessed(*store, w, 3) == 5);
  // Nothing new: no request.
  const int before = w.requests;
  CHECK(!wit.RoundForTest(0));
  CHECK(w.requests == before);

  // One witness down: 2 of 3 still cosign the new checkpoint.
  w.ws[2]->up = false;
  Append(*l, 7);
  CHECK(wit.RoundForTest(0));
  CHECK(wit.RoundForTest(1));
  CHECK(!wit.RoundForTest(2));
  CHECK(Witnessed(*store, w, 2) == 12);
  WitnessingSnapshot s = wit.Snapshot();
  CHECK(s.witnesses[2].failures == 1);
  CHECK(s.witnesses[2].last_failure == "unreachable");
  CHECK(s.witnesses[2].cosigned_size == 5);

  // All down: appends go on, the witnessed size stays, the lag grows.
  for (auto& t : w.ws) t->up = false;
  Append(*l, 4);
  w.now += 30;
  for (std::size_t i = 0; i < 3; ++i) CHECK(!wit.RoundForTest(i));
  w.now += 90;
  CHECK(l->writer().size() == 16);
  CHECK(Witnessed(*store, w, 2) == 12);
  s = wit.Snapshot();
  CHECK(s.log_size == 16);
  CHECK(s.witnessed_size == 12);
  CHECK(s.lag_seconds >= 90);

  // Back up: each catches up from the size it holds (w2 from 5, with a
  // consistency proof 5 -> 16), and the lag is gone.
  for (auto& t : w.ws) t->up = true;
  for (std::size_t i = 0; i < 3; ++i) CHECK(wit.RoundForTest(i));
  CHECK(Witnessed(*store, w, 3) == 16);
  s = wit.Snapshot();
  CHECK(s.witnessed_size == 16);
  CHECK(s.lag_seconds == 0);
  for (const WitnessState& x : s.witnesses) CHECK(!x.conflict);
}

// Under a steady write load the writer signs a checkpoint per commit, so
// every round of a witness finds a newer one than the round of the witness
// before it. If each round took the newest checkpoint, no two witnesses would
// ever cosign the same one and the quorum would never form while the load
// lasts: a round first joins the newest checkpoint another witness cosigned
// that lacks a quorum (docs/witnessing.md, "The rounds").
TEST_CASE("Witnessing: rounds out of phase while the log grows still reach a quorum",
          "[app][witness]") {
  for (const std::size_t quorum : {std::size_t{2}, std::size_t{3}}) {
    testing::TempDir dir;
    REQUIRE(ledger::InitDataDir(dir.path(), "test.invalid/log").ok());
    auto l = ledger::Ledger::Open(dir.path()).value();
    Witnesses w(ledger::ReadVerifierFile(dir / "ledger.pub").value());
    auto store = ledger::CosignatureStore::Open(dir.path(), false).value();
    Witnessing wit(l->store(), *store, w.Options(quorum), w.Transport());
    std::uint64_t last = 0;
    for (int r = 0; r < 12; ++r) {
      Append(*l, 1);  // a new checkpoint before every round
      CHECK(wit.RoundForTest(static_cast<std::size_t>(r) % 3));
      const std::uint64_t witnessed = Witnessed(*store, w, quorum);
      CHECK(witnessed >= last);
      last = witnessed;
      // Every `quorum` rounds a checkpoint reaches its quorum, so once the
      // first has, the witnessed size trails the log by at most the appends
      // of two such cycles less the two rounds that close them.
      if (r + 1 >= static_cast<int>(quorum))
        CHECK(l->writer().size() - witnessed <= 2 * quorum - 2);
    }
    CHECK(wit.Snapshot().witnessed_size == last);
    CHECK(last >= 12 - quorum);
  }
  // One witness down, the other two alternating with appends in between.
  testing::TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.invalid/log").ok());
  auto l = ledger::Ledger::Open(dir.path()).value();
  Witnesses w(ledger::ReadVerifierFile(dir / "ledger.pub").value());
  auto store = ledger::CosignatureStore::Open(dir.path(), false).value();
  Witnessing wit(l->store(), *store, w.Options(2), w.Transport());
  w.ws[1]->up = false;
  for (int r = 0; r < 8; ++r) {
    Append(*l, 2);
    CHECK(wit.RoundForTest(r % 2 == 0 ? 0 : 2));
  }
  // w2's rounds joined the checkpoints w0 cosigned at 2, 6, 10 and 14.
  CHECK(Witnessed(*store, w, 2) == 14);
}

TEST_CASE("Witnessing: a checkpoint the log no longer holds is never joined", "[app][witness]") {
  // The log A at 10 events, cosigned by w0 alone (no quorum of 2); then the
  // node's log is rolled back to 6 and rewritten (B, same key) while its
  // cosignature store is kept: the open checkpoint of size 10 is A's.
  testing::TempDir a, b;
  ForkAfterSix(a, b);
  Witnesses w(ledger::ReadVerifierFile(a / "ledger.pub").value());
  {
    auto la = ledger::Ledger::Open(a.path()).value();
    auto sa = ledger::CosignatureStore::Open(a.path(), false).value();
    Witnessing wa(la->store(), *sa, w.Options(2), w.Transport());
    Append(*la, 4);
    REQUIRE(wa.RoundForTest(0));
  }
  std::filesystem::remove_all(b / "cosignatures");
  std::filesystem::copy(a / "cosignatures", b / "cosignatures");
  auto lb = ledger::Ledger::Open(b.path()).value();
  Append(*lb, 5);  // B: 11 events, another history from 7 on
  auto sb = ledger::CosignatureStore::Open(b.path(), false).value();
  REQUIRE(sb->At(10).value());
  Witnessing wb(lb->store(), *sb, w.Options(2), w.Transport());
  // w1 is asked for B's own newest checkpoint, not A's open one at 10.
  CHECK(wb.RoundForTest(1));
  CHECK(wb.Snapshot().witnesses[1].cosigned_size == 11);
  CHECK(Witnessed(*sb, w, 2) == 0);
  // w2 joins B's checkpoint: the quorum is B's.
  CHECK(wb.RoundForTest(2));
  CHECK(Witnessed(*sb, w, 2) == 11);
  auto cp = sb->NewestWithQuorum(w.Verifiers(), 2).value();
  REQUIRE(cp);
  auto snap = lb->store().Read().value();
  CHECK(cp->log_note == ledger::LatestCheckpoint(snap, lb->store()).value().second);
}

TEST_CASE("Witnessing: a node that lost its state learns each witness's size from 409",
          "[app][witness]") {
  testing::TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.invalid/log").ok());
  auto l = ledger::Ledger::Open(dir.path()).value();
  Witnesses w(ledger::ReadVerifierFile(dir / "ledger.pub").value(), 1);
  {
    auto store = ledger::CosignatureStore::Open(dir.path(), false).value();
    Witnessing wit(l->store(), *store, w.Options(1), w.Transport());
    Append(*l, 3);
    REQUIRE(wit.RoundForTest(0));
  }
  std::filesystem::remove_all(dir / "cosignatures");
  Append(*l, 4);
  auto store = ledger::CosignatureStore::Open(dir.path(), false).value();
  Witnessing wit(l->store(), *store, w.Options(1), w.Transport());
  const int before = w.requests;
  CHECK(wit.RoundForTest(0));  // old 0 -> 409 "3" -> old 3 with a proof -> 200
  CHECK(w.requests == before + 2);
  CHECK(Witnessed(*store, w, 1) == 7);
}

TEST_CASE("Witnessing: a log rewritten with the same key is refused by every witness",
          "[app][witness]") {
  // The honest log A and a rewrite B: a copy of A at 6 events (same key,
  // same origin) that then appends other events.
  testing::TempDir a, b;
  ForkAfterSix(a, b);
  auto la = ledger::Ledger::Open(a.path()).value();
  auto lb = ledger::Ledger::Open(b.path()).value();
  Witnesses w(ledger::ReadVerifierFile(a / "ledger.pub").value());
  auto sa = ledger::CosignatureStore::Open(a.path(), false).value();
  auto sb = ledger::CosignatureStore::Open(b.path(), false).value();
  Witnessing wa(la->store(), *sa, w.Options(2), w.Transport());
  Witnessing wb(lb->store(), *sb, w.Options(2), w.Transport());

  Append(*la, 4);  // A: 10 events, cosigned by all
  for (std::size_t i = 0; i < 3; ++i) REQUIRE(wa.RoundForTest(i));
  Append(*lb, 4);  // B: also 10 events, another root (same size)
  for (std::size_t i = 0; i < 3; ++i) CHECK(!wb.RoundForTest(i));
  WitnessingSnapshot s = wb.Snapshot();
  for (const WitnessState& x : s.witnesses) {
    CHECK(x.conflict);
    CHECK(x.last_failure == "conflict");
  }
  Append(*lb, 5);  // B grows beyond: its proof from 10 cannot match A's 10
  for (std::size_t i = 0; i < 3; ++i) CHECK(!wb.RoundForTest(i));
  s = wb.Snapshot();
  for (const WitnessState& x : s.witnesses) CHECK(x.last_failure == "status_422");
  CHECK(!sb->NewestWithQuorum(w.Verifiers(), 1).value());
  // Every witness kept the fork's evidence (both notes at size 10).
  for (const auto& t : w.ws) {
    auto ev = t->store->Evidence().value();
    CHECK(!ev.empty());
  }
  // A goes on being cosigned.
  Append(*la, 2);
  for (std::size_t i = 0; i < 3; ++i) CHECK(wa.RoundForTest(i));
  CHECK(Witnessed(*sa, w, 3) == 12);
}

}  // namespace
}  // namespace caseledger::app
