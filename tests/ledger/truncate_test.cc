// TruncateLog: dropping an unacknowledged tail leaves a log that verifies at
// the kept size, with the same root as before for that size, and that a new
// writer continues. Synthetic data only.
#include <bit>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <vector>

#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/log_store.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::SyntheticCommand;
using testing::TempDir;

// Holds the writer in Check while closed, so that the commands submitted
// meanwhile make up the next batch: batch boundaries become deterministic.
class GateHook : public WriteHook {
 public:
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
    entered_ = false;
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Waits until the writer is held in Check.
  void AwaitHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  Decision Check(Command& /*cmd*/, Micros /*time*/) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    return {};
  }
  void Apply(Command& /*cmd*/, std::uint64_t /*seq*/, Micros /*time*/) override {}
  std::function<Status(TableWrites&)> TakeWrites(std::uint64_t /*size*/,
                                                 const crypto::Digest& /*root*/) override {
    return {};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool entered_ = false;
};

// Batches of 1 and 9 events, three times: checkpoints at 1, 10, 11, 20, 21, 30.
constexpr std::uint64_t kEvents = 30;
const std::set<std::uint64_t> kBoundaries = {1, 10, 11, 20, 21, 30};

void BuildLog(const TempDir& dir) {
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  GateHook* gate = nullptr;
  LedgerOptions opts;
  opts.make_hook = [&](LogStore&, Keystore&) -> Result<std::unique_ptr<WriteHook>> {
    auto h = std::make_unique<GateHook>();
    gate = h.get();
    return std::unique_ptr<WriteHook>(std::move(h));
  };
  auto l = Ledger::Open(dir.path(), std::move(opts)).value();
  REQUIRE(gate != nullptr);
  int n = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::future<Result<Appended>>> fs;
    gate->Close();
    fs.push_back(l->writer().Submit(SyntheticCommand(n++, NewId("s"))));
    gate->AwaitHeld();
    for (int i = 0; i < 9; ++i) {
      fs.push_back(l->writer().Submit(
          i % 2 == 0 ? SyntheticCommand(n++, NewId("s")) : SyntheticCommand(n++)));
    }
    gate->Open();
    for (auto& f : fs) REQUIRE(f.get().ok());
  }
}

// The log as built: its lines, the root at every size, its checkpoint sizes.
struct Before {
  std::vector<std::string> lines;    // seq 1 at [0]
  std::vector<crypto::Digest> roots;  // size 0 .. kEvents
  std::set<std::uint64_t> checkpoints;
};

std::set<std::uint64_t> CheckpointSizes(const lmdb::ReadTxn& txn, const LogStore& store) {
  std::set<std::uint64_t> sizes;
  auto c = lmdb::Cursor::Open(txn, store.checkpoints()).value();
  for (auto kv = c.First().value(); kv; kv = c.Next().value())
    sizes.insert(DecodeBigEndian64(kv->key));
  return sizes;
}

std::uint64_t NodeCount(const lmdb::ReadTxn& txn, const LogStore& store) {
  std::uint64_t n = 0;
  auto c = lmdb::Cursor::Open(txn, store.nodes()).value();
  for (auto kv = c.First().value(); kv; kv = c.Next().value()) ++n;
  return n;
}

Before ReadBefore(const TempDir& dir) {
  auto store = LogStore::Open(dir.path(), true).value();
  auto txn = store->env().BeginRead().value();
  Before b;
  REQUIRE(TreeSize(txn, *store).value() == kEvents);
  for (std::uint64_t seq = 1; seq <= kEvents; ++seq)
    b.lines.push_back(ReadEventLine(txn, *store, seq).value());
  for (std::uint64_t size = 0; size <= kEvents; ++size)
    b.roots.push_back(LoadCompactRange(txn, *store, size).value().Root());
  b.checkpoints = CheckpointSizes(txn, *store);
  return b;
}

void CopyDir(const TempDir& from, const TempDir& to) {
  std::filesystem::copy(from.path(), to.path(),
                        std::filesystem::copy_options::recursive |
                            std::filesystem::copy_options::overwrite_existing);
}

// The node key's checkpoint signer, counting its calls.
struct Signer {
  crypto::Ed25519SigningKey key;
  std::string origin;
  std::vector<std::pair<std::uint64_t, crypto::Digest>> calls;
  CheckpointSigner Fn() {
    return [this](std::uint64_t size, const crypto::Digest& root) -> Result<std::string> {
      calls.emplace_back(size, root);
      return SignCheckpoint(Checkpoint{origin, size, root}, key);
    };
  }
};

Signer NodeSigner(const TempDir& dir, const LogStore& store) {
  auto master = LoadMasterKey(dir.path()).value();
  return Signer{LoadNodeKey(dir.path(), master).value(), store.origin(), {}};
}

TEST_CASE("The test log has the batch boundaries the truncation cases rely on", "[truncate]") {
  TempDir dir;
  BuildLog(dir);
  CHECK(ReadBefore(dir).checkpoints == kBoundaries);
}

TEST_CASE("TruncateLog drops the tail, leaves a verifying log with the same root, "
          "and a new writer continues after it",
          "[truncate]") {
  TempDir built;
  BuildLog(built);
  const Before before = ReadBefore(built);
  REQUIRE(before.checkpoints == kBoundaries);
  auto verifier = ReadVerifierFile(built / "ledger.pub").value();

  // 0, 1 (a boundary), a power of two (not one), size-1, size, and another
  // value inside a batch.
  for (std::uint64_t keep : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{16},
                             kEvents - 1, kEvents, std::uint64_t{5}}) {
    DYNAMIC_SECTION("keep " << keep) {
      TempDir dir;
      CopyDir(built, dir);
      {
        auto store = LogStore::Open(dir.path(), false).value();
        // A table beside the log (as the projections are) is left alone.
        Table other = store->tables().Open("proj.test", true).value();
        REQUIRE(store->tables()
                    .Write([&](TableWrites& w) { return w.Put(other, AsBytes("k"), AsBytes("v")); })
                    .ok());
        Signer signer = NodeSigner(dir, *store);
        auto t = TruncateLog(*store, keep, signer.Fn());
        REQUIRE(t.ok());
        CHECK(t->old_size == kEvents);
        CHECK(t->new_size == keep);
        const std::vector<std::string> expected(
            before.lines.begin() + static_cast<std::ptrdiff_t>(keep), before.lines.end());
        CHECK(t->dropped == expected);
        // A checkpoint is signed only where none was stored.
        if (keep == 0 || kBoundaries.count(keep) != 0) {
          CHECK(signer.calls.empty());
        } else {
          REQUIRE(signer.calls.size() == 1);
          CHECK(signer.calls[0].first == keep);
          CHECK(signer.calls[0].second == before.roots[keep]);
        }

        auto txn = store->env().BeginRead().value();
        CHECK(TreeSize(txn, *store).value() == keep);
        CHECK(LoadCompactRange(txn, *store, keep).value().Root() == before.roots[keep]);
        // Exactly the nodes of the first `keep` leaves: 2n - popcount(n).
        CHECK(NodeCount(txn, *store) == 2 * keep - static_cast<std::uint64_t>(std::popcount(keep)));
        std::set<std::uint64_t> cps;
        for (std::uint64_t s : before.checkpoints)
          if (s <= keep) cps.insert(s);
        if (keep > 0) cps.insert(keep);
        CHECK(CheckpointSizes(txn, *store) == cps);
        if (keep == 0) {
          CHECK(LatestCheckpoint(txn, *store).status().code() == StatusCode::kNotFound);
        } else {
          auto latest = LatestCheckpoint(txn, *store).value();
          CHECK(latest.first == keep);
          auto cp = OpenCheckpoint(latest.second, verifier).value();
          CHECK(cp.size == keep);
          CHECK(cp.root == before.roots[keep]);
        }
        auto snap = store->tables().Read().value();
        auto v = snap.Get(other, AsBytes("k")).value();
        REQUIRE(v.has_value());
        CHECK(AsChars(*v) == "v");
      }
      auto report = VerifyLedger(dir.path()).value();
      CHECK(report.problem == "");
      CHECK(report.ok);
      CHECK(report.events == keep);
      CHECK(report.latest_checkpoint == keep);
      if (keep > 0) CHECK(report.root == before.roots[keep]);

      {
        auto l = Ledger::Open(dir.path()).value();
        CHECK(l->writer().size() == keep);
        for (std::uint64_t i = 1; i <= 3; ++i) {
          auto r = l->writer().Submit(SyntheticCommand(100 + static_cast<int>(i), NewId("s"))).get();
          REQUIRE(r.ok());
          CHECK(r->seq == keep + i);
        }
      }
      auto again = VerifyLedger(dir.path()).value();
      CHECK(again.problem == "");
      CHECK(again.ok);
      CHECK(again.events == keep + 3);
    }
  }
}

TEST_CASE("TruncateLog past the end is InvalidArgument and changes nothing", "[truncate]") {
  TempDir dir;
  BuildLog(dir);
  const Before before = ReadBefore(dir);
  {
    auto store = LogStore::Open(dir.path(), false).value();
    Signer signer = NodeSigner(dir, *store);
    for (std::uint64_t keep : {kEvents + 1, std::uint64_t{1} << 63}) {
      auto t = TruncateLog(*store, keep, signer.Fn());
      REQUIRE_FALSE(t.ok());
      CHECK(t.status().code() == StatusCode::kInvalidArgument);
      CHECK_THAT(t.status().message(), Catch::Contains("only 30 events"));
    }
    CHECK(signer.calls.empty());
  }
  CHECK(ReadBefore(dir).lines == before.lines);
  CHECK(ReadBefore(dir).checkpoints == before.checkpoints);
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == kEvents);
}

TEST_CASE("TruncateLog of an empty log to 0 changes nothing", "[truncate]") {
  TempDir dir;
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  {
    auto store = LogStore::Open(dir.path(), false).value();
    Signer signer = NodeSigner(dir, *store);
    auto t = TruncateLog(*store, 0, signer.Fn());
    REQUIRE(t.ok());
    CHECK(t->old_size == 0);
    CHECK(t->new_size == 0);
    CHECK(t->dropped.empty());
    CHECK(TruncateLog(*store, 1, signer.Fn()).status().code() == StatusCode::kInvalidArgument);
    CHECK(signer.calls.empty());
  }
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == 0);
}

TEST_CASE("A signer's error aborts TruncateLog: nothing changes", "[truncate]") {
  TempDir dir;
  BuildLog(dir);
  const Before before = ReadBefore(dir);
  {
    auto store = LogStore::Open(dir.path(), false).value();
    auto t = TruncateLog(*store, 16, [](std::uint64_t, const crypto::Digest&) -> Result<std::string> {
      return Unavailable("no signing key");
    });
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(t.status().message(), Catch::Contains("no signing key"));
  }
  CHECK(ReadBefore(dir).lines == before.lines);
  CHECK(ReadBefore(dir).checkpoints == before.checkpoints);
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == kEvents);
}

}  // namespace
}  // namespace caseledger::ledger
