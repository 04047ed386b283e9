#include "ledger/writer.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "ledger/backup.h"
#include "ledger/body.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/log_store.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::SyntheticCommand;
using testing::TempDir;

std::unique_ptr<Ledger> NewLedger(const TempDir& dir, LedgerOptions opts = {}) {
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  return Ledger::Open(dir.path(), std::move(opts)).value();
}

TEST_CASE(
    "Concurrent submitters get dense seqs, group commits and a verifying log",
    "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  constexpr int kThreads = 4, kPerThread = 300;
  std::vector<std::vector<std::uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Result<Appended>>> fs;
      for (int i = 0; i < kPerThread; ++i)
        fs.push_back(l->writer().Submit(SyntheticCommand(i, NewId("s"))));
      for (auto& f : fs) {
        auto r = f.get();
        if (r.ok()) seqs[static_cast<std::size_t>(t)].push_back(r->seq);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::uint64_t> all;
  for (auto& v : seqs) all.insert(v.begin(), v.end());
  REQUIRE(all.size() == kThreads * kPerThread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == kThreads * kPerThread);
  auto stats = l->writer().stats();
  CHECK(stats.events == kThreads * kPerThread);
  CHECK(stats.batches < stats.events);  // group commit happened
  l.reset();
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == kThreads * kPerThread);
  // One checkpoint per prepared batch, and a commit carries every batch
  // prepared while the one before it committed (docs/architecture.md,
  // "Write path"): exactly the batches the writer counted, at least one per
  // commit, never more than one per event.
  CHECK(report.checkpoints == stats.checkpoints);
  CHECK(stats.checkpoints >= stats.batches);
  CHECK(stats.checkpoints <= stats.events);
}

TEST_CASE(
    "Answered by callback, every event is durable with its data key: a reopened "
    "ledger opens each body, new subjects in most batches",
    "[ledger]") {
  TempDir dir;
  constexpr int kThreads = 4, kPerThread = 200;
  std::vector<std::string> subjects;
  for (int i = 0; i < 50; ++i) subjects.push_back(NewId("s"));
  std::mutex mu;
  std::map<std::uint64_t, std::string> note_of;  // seq -> the body's note
  std::atomic<int> answered{0}, failed{0};
  std::uint64_t key_stores = 0;
  {
    auto l = NewLedger(dir);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const int n = t * kPerThread + i;
          // Every 3rd command a subject of its own, the others reuse a few.
          const std::string subject =
              n % 3 == 0 ? NewId("s") : subjects[static_cast<std::size_t>(n) % subjects.size()];
          Command c = SyntheticCommand(n, subject);
          const std::string note = c.body->at("note").get<std::string>();
          l->writer().Submit(std::move(c), [&, note](Result<Appended> r) {
            if (r.ok()) {
              std::lock_guard lock(mu);
              note_of.emplace(r->seq, note);
            } else {
              ++failed;
            }
            ++answered;
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    // An invalid command is answered at once, on this thread.
    Command bad = SyntheticCommand(0, NewId("s"));
    bad.type = "Not A Type";
    bool bad_answered = false;
    l->writer().Submit(std::move(bad), [&](Result<Appended> r) {
      bad_answered = true;
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
    });
    CHECK(bad_answered);
    l->writer().Stop();
    key_stores = l->writer().stats().key_stores;
  }
  CHECK(answered == kThreads * kPerThread);
  CHECK(failed == 0);
  REQUIRE(note_of.size() == static_cast<std::size_t>(kThreads * kPerThread));
  CHECK(key_stores > 0);
  // At most one keystore transaction per new subject (several batches'
  // keys may share one).
  CHECK(key_stores <= static_cast<std::uint64_t>(kThreads * kPerThread / 3 + subjects.size()));
  auto l = Ledger::Open(dir.path(), {}).value();
  std::optional<lmdb::ReadTxn> txn(l->store().env().BeginRead().value());
  for (const auto& [seq, note] : note_of) {
    Event e = DecodeEvent(ReadEventLine(*txn, l->store(), seq).value()).value();
    auto body = OpenBody(e, l->keys());
    REQUIRE(body.ok());
    CHECK(body->at("note") == note);
  }
  txn.reset();
  CHECK(VerifyLedger(dir.path()).value().ok);
}

// In a forked child: opens the ledger in `dir` with pool keys bound only
// after an hour, waits until the pool is topped up (any store would bind the
// keys handed out so far), submits `commands`, and once every one is
// acknowledged dies without stopping its writer, as a kill would leave it.
// The child's exit status: 0 when all went so.
int AppendInChildThenDie(const TempDir& dir, std::vector<Command> commands) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    LedgerOptions opts;
    opts.writer.pool_bind_after = std::chrono::hours(1);
    auto l = Ledger::Open(dir.path(), std::move(opts));
    if (!l.ok()) ::_exit(2);
    for (int i = 0; (*l)->keys().PoolFree() < Keystore::kPoolLowWater; ++i) {
      if (i == 5000) ::_exit(4);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::vector<std::future<Result<Appended>>> acks;
    for (Command& c : commands) acks.push_back((*l)->writer().Submit(std::move(c)));
    for (auto& a : acks)
      if (!a.get().ok()) ::_exit(5);
    ::_exit(0);  // no Stop, no destructor: the bindings die with the process
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST_CASE("A crash before the key storer binds its pool keys loses no body: the next writer finds the bindings in the log",
          "[ledger][fault]") {
  // docs/formats/storage.md, "Key pool": a new subject's key comes from the
  // pool, stored ahead of need, and its binding to the subject is stored
  // later. A child process appends with bindings held back, is acknowledged
  // and dies without stopping its writer (as a kill would leave it).
  TempDir dir;
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  constexpr int kNew = 40;
  const std::string known = NewId("s");
  std::vector<std::string> subjects;
  for (int i = 0; i < kNew; ++i) subjects.push_back(NewId("s"));
  std::vector<Command> commands;
  commands.push_back(SyntheticCommand(0, known));
  for (int i = 0; i < kNew; ++i) {
    commands.push_back(SyntheticCommand(100 + i, subjects[static_cast<std::size_t>(i)]));
    commands.push_back(SyntheticCommand(200 + i, known));
  }
  REQUIRE(AppendInChildThenDie(dir, std::move(commands)) == 0);
  const auto master = LoadMasterKey(dir.path()).value();
  {
    // The premise: the disk does not know these subjects' keys.
    auto ks = Keystore::Open(dir.path() + "/keystore", master, false).value();
    int unbound = 0;
    for (const std::string& s : subjects)
      if (ks->KidOf(s).status().code() == StatusCode::kNotFound) ++unbound;
    CHECK(unbound == kNew);
  }
  std::uint64_t size = 0;
  {
    // The hook opens after the recovery: the projector finishes an erasure
    // a crash interrupted there, and its Destroy must find the key.
    LedgerOptions reopen;
    bool bound_before_hook = false;
    reopen.make_hook = [&](LogStore&, Keystore& keys) -> Result<std::unique_ptr<WriteHook>> {
      bound_before_hook = keys.KidOf(subjects[0]).ok();
      return std::unique_ptr<WriteHook>();
    };
    auto l = Ledger::Open(dir.path(), std::move(reopen)).value();
    CHECK(bound_before_hook);
    size = l->writer().size();
    CHECK(size == 1 + 2 * kNew);
    std::optional<lmdb::ReadTxn> txn(l->store().env().BeginRead().value());
    std::set<std::string> kids;
    for (std::uint64_t seq = 1; seq <= size; ++seq) {
      Event e = DecodeEvent(ReadEventLine(*txn, l->store(), seq).value()).value();
      REQUIRE(e.body);
      INFO("seq " << seq);
      CHECK(l->keys().KidOf(*e.subject).value() == e.body->kid);
      auto body = OpenBody(e, l->keys());
      REQUIRE(body.ok());
      CHECK(body->at("note") == "synthetic note " + std::to_string(e.h.at("n").get<int>()));
      kids.insert(e.body->kid);
    }
    CHECK(kids.size() == static_cast<std::size_t>(kNew + 1));
    txn.reset();
    // More appends after the recovery, then a clean stop.
    REQUIRE(l->writer().Submit(SyntheticCommand(999, NewId("s"))).get().ok());
  }
  // A clean stop binds what it handed out and covers the whole log.
  auto ks = Keystore::Open(dir.path() + "/keystore", master, false).value();
  CHECK(ks->PoolScanFrom(size + 1).value() == std::optional<std::uint64_t>(size + 1));
  for (const std::string& s : subjects) CHECK(ks->KidOf(s).ok());
  ks.reset();
  CHECK(VerifyLedger(dir.path()).value().ok);
}

TEST_CASE("A restore destroys an erased subject's pool key that the backup's keystore never bound",
          "[ledger][fault][erasure]") {
  // The log is copied before the keystore, and a pool key's binding may be
  // stored after both copies (or never, with a crash): the restore must
  // find the key through the log before it replays the log's erasures.
  TempDir dir;
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  const std::string erased = NewId("s"), kept = NewId("s");
  std::vector<Command> commands;
  commands.push_back(SyntheticCommand(1, erased));
  commands.push_back(SyntheticCommand(2, kept));
  Command erasure = SyntheticCommand(3);
  erasure.type = "subject.erased";
  erasure.subject = erased;
  commands.push_back(std::move(erasure));
  REQUIRE(AppendInChildThenDie(dir, std::move(commands)) == 0);  // before either key was bound
  std::string erased_kid;
  {
    auto store = LogStore::Open(dir.path(), true).value();
    auto txn = store->env().BeginRead().value();
    erased_kid = DecodeEvent(ReadEventLine(txn, *store, 1).value()).value().body->kid;
  }
  const std::string backup = dir / "backup", target = dir / "restored";
  REQUIRE(MakeBackup(dir.path(), backup).ok());
  auto report = RestoreBackup(backup, target);
  REQUIRE(report.ok());
  CHECK(report->erasures_in_log == 1);
  CHECK(report->keys_destroyed == 1);
  CHECK(report->rotated);
  REQUIRE(FinishRestore(target).ok());
  auto ks = Keystore::Open(target + "/keystore", LoadMasterKey(target).value(), false).value();
  CHECK(ks->IsDestroyed(erased));
  CHECK(ks->DataKey(erased_kid).status().code() == StatusCode::kNotFound);
  CHECK(ks->KidOf(kept).ok());  // bound from the log, not destroyed
}

TEST_CASE("The acknowledgement carries the checkpoint that covers the event",
          "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  auto r = l->writer().Submit(SyntheticCommand(1)).get();
  REQUIRE(r.ok());
  CHECK(r->seq == 1);
  CHECK(r->tree_size >= 1);
  auto verifier = ReadVerifierFile(dir / "ledger.pub").value();
  auto cp = crypto::OpenNote(r->checkpoint, verifier);
  REQUIRE(cp.ok());
  CHECK(cp->text.find("test.invalid/log\n1\n") == 0);
}

TEST_CASE("Bodies are encrypted per subject and decrypt with its data key",
          "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  std::string subject = NewId("s");
  Command c = SyntheticCommand(7, subject);
  c.body = Json{{"name", "Testperson Syntetisk"}, {"cpr", "000000-0000"}};
  auto r = l->writer().Submit(c).get();
  REQUIRE(r.ok());
  std::optional<lmdb::ReadTxn> txn(l->store().env().BeginRead().value());
  Event e =
      DecodeEvent(ReadEventLine(*txn, l->store(), r->seq).value()).value();
  REQUIRE(e.body.has_value());
  CHECK(e.body->kid == l->keys().KidOf(subject).value());
  auto dek = l->keys().DataKey(e.body->kid).value();
  crypto::AeadNonce nonce;
  auto n = crypto::Base64Decode(e.body->n).value();
  REQUIRE(n.size() == nonce.bytes.size());
  std::copy(n.begin(), n.end(), nonce.bytes.begin());
  crypto::Digest ad = crypto::Sha256(AsBytes(EncodeForBodyAd(e)));
  auto pt = crypto::AeadOpen(*dek, nonce, ad.view(),
                             crypto::Base64Decode(e.body->ct).value())
                .value();
  CHECK(std::string(AsChars(pt)) == CanonicalJson(*c.body));
  // The associated data binds the body to its envelope: another seq does not
  // open it.
  Event moved = e;
  moved.seq += 1;
  crypto::Digest other_ad = crypto::Sha256(AsBytes(EncodeForBodyAd(moved)));
  CHECK_FALSE(crypto::AeadOpen(*dek, nonce, other_ad.view(),
                               crypto::Base64Decode(e.body->ct).value())
                  .ok());
  // Nothing of the body is in the data files in clear.
  txn.reset();
  l.reset();
  for (const char* f : {"ledger/data.mdb", "keystore/data.mdb"}) {
    std::string bytes = testing::ReadFile(dir / f);
    CHECK(bytes.find("Testperson Syntetisk") == std::string::npos);
    CHECK(bytes.find("000000-0000") == std::string::npos);
  }
}

TEST_CASE(
    "Imported times must not decrease nor lie in the future, refusals store "
    "nothing",
    "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  Command a = SyntheticCommand(1);
  a.time = ParseTime("2020-01-01T00:00:00Z").value();
  REQUIRE(l->writer().Submit(a).get().ok());
  Command earlier = SyntheticCommand(2);
  earlier.time = ParseTime("2019-12-31T23:59:59Z").value();
  auto r = l->writer().Submit(earlier).get();
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(),
             Catch::Contains("earlier than the previous"));
  Command future = SyntheticCommand(3);
  future.time = NowMicros() + 3600LL * 1000000;
  CHECK_THAT(l->writer().Submit(future).get().status().message(),
             Catch::Contains("future"));
  Command same = SyntheticCommand(4);
  same.time = a.time;  // equal time is allowed (never decreasing)
  auto ok = l->writer().Submit(same).get();
  REQUIRE(ok.ok());
  CHECK(ok->seq == 2);
  CHECK(l->writer().size() == 2);
  CHECK(l->writer().stats().refused == 2);
}

TEST_CASE("No body is written for a subject whose data key was destroyed, and the writer goes on",
          "[ledger][erasure]") {
  TempDir dir;
  auto l = NewLedger(dir);
  const std::string erased = NewId("s"), other = NewId("s");
  Command c = SyntheticCommand(1, erased);
  c.body = Json{{"note", "synthetic"}};
  auto first = l->writer().Submit(c).get();
  REQUIRE(first.ok());
  REQUIRE(l->keys().Destroy(erased).ok());
  auto refused = l->writer().Submit(c).get();
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  // Without a body (clear header only) the subject may still be named, e.g.
  // by the erasure record itself; others' bodies are written as before.
  Command header_only = SyntheticCommand(2, erased);
  header_only.body.reset();
  CHECK(l->writer().Submit(header_only).get().ok());
  Command c2 = SyntheticCommand(3, other);
  c2.body = Json{{"note", "synthetic"}};
  auto ok = l->writer().Submit(c2).get();
  REQUIRE(ok.ok());
  CHECK(ok->seq == first->seq + 2);  // the refusal took no seq
  // The erased subject's stored body no longer opens.
  std::optional<lmdb::ReadTxn> txn(l->store().env().BeginRead().value());
  Event e = DecodeEvent(ReadEventLine(*txn, l->store(), first->seq).value()).value();
  REQUIRE(e.body.has_value());
  CHECK(l->keys().DataKey(e.body->kid).status().code() == StatusCode::kNotFound);
  txn.reset();
  l.reset();
  auto v = VerifyLedger(dir.path(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);  // the log still verifies: signatures cover the ciphertext
}

TEST_CASE("A reopened ledger continues the same tree", "[ledger]") {
  TempDir dir;
  {
    auto l = NewLedger(dir);
    for (int i = 0; i < 10; ++i)
      REQUIRE(l->writer().Submit(SyntheticCommand(i)).get().ok());
  }
  {
    auto l = Ledger::Open(dir.path()).value();
    CHECK(l->writer().size() == 10);
    auto r = l->writer().Submit(SyntheticCommand(11)).get();
    REQUIRE(r.ok());
    CHECK(r->seq == 11);
    // A second owner of the same data dir is refused.
    auto second = Ledger::Open(dir.path());
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == StatusCode::kUnavailable);
  }
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == 11);
}

TEST_CASE("Stop finishes queued commands before returning", "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  std::vector<std::future<Result<Appended>>> fs;
  for (int i = 0; i < 200; ++i)
    fs.push_back(l->writer().Submit(SyntheticCommand(i)));
  l->writer().Stop();
  for (auto& f : fs) CHECK(f.get().ok());
  CHECK(l->writer().Submit(SyntheticCommand(0)).get().status().code() ==
        StatusCode::kUnavailable);
}

TEST_CASE("The committer goes on while an acknowledgement is being delivered, and answers keep commit order",
          "[ledger]") {
  TempDir dir;
  auto l = NewLedger(dir);
  Writer& w = l->writer();
  // The first command's answer blocks until the test opens the gate.
  std::promise<void> entered, gate;
  std::shared_future<void> open = gate.get_future().share();
  std::promise<Result<Appended>> first;
  w.Submit(SyntheticCommand(1), [&, open](Result<Appended> r) {
    entered.set_value();
    open.wait();
    first.set_value(std::move(r));
  });
  REQUIRE(entered.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  // While that answer is held, a second command is still committed: the
  // committer does not deliver answers itself.
  auto second = w.Submit(SyntheticCommand(2));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (w.size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(w.size() == 2);
  // Its answer waits behind the first (one answerer, in commit order).
  CHECK(second.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  gate.set_value();
  auto a = first.get_future().get();
  auto b = second.get();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->seq == 1);
  CHECK(b->seq == 2);
  w.Stop();
}

// The writer's operator log, kept for the test to read.
struct LogLines {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> Sink() {
    return [this](std::string_view l) {
      std::lock_guard lock(mu);
      lines.emplace_back(l);
    };
  }
  std::string All() {
    std::lock_guard lock(mu);
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }
};

// The server's writer options (resume after a storage failure), probing
// every 10 ms, logging into `log`.
LedgerOptions Resuming(LogLines& log) {
  LedgerOptions opts;
  opts.writer.resume = true;
  opts.writer.probe_every = std::chrono::milliseconds(10);
  opts.writer.log = log.Sink();
  return opts;
}

bool WaitForState(Writer& w, WriterHealth::State state) {
  for (int i = 0; i < 1000; ++i) {
    if (w.health().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_CASE("A full disk suspends writes (nothing acknowledged), logs the cause, and writes resume once a probe succeeds",
          "[ledger][storage]") {
  TempDir dir;
  LogLines log;
  auto l = NewLedger(dir, Resuming(log));
  for (int i = 0; i < 5; ++i) REQUIRE(l->writer().Submit(SyntheticCommand(i)).get().ok());
  CHECK(l->writer().health().state == WriterHealth::State::kOk);

  l->store().env().InjectCommitFailures(ENOSPC, 1 << 30);
  std::vector<std::future<Result<Appended>>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(l->writer().Submit(SyntheticCommand(100 + i)));
  for (auto& f : fs) {
    auto r = f.get();
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kResourceExhausted);
  }
  WriterHealth h = l->writer().health();
  CHECK(h.state == WriterHealth::State::kDegraded);
  CHECK(h.reason == "storage-full");
  CHECK(h.op == "LMDB commit");
  CHECK(h.cause == "ENOSPC");
  CHECK(h.since > 0);
  CHECK(h.suspensions == 1);
  CHECK(l->writer().size() == 5);
  // While suspended: answered at once, nothing queued, probes keep failing.
  CHECK(l->writer().Submit(SyntheticCommand(200)).get().status().code() ==
        StatusCode::kResourceExhausted);
  for (int i = 0; i < 500 && l->writer().health().probes < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(l->writer().health().probes >= 3);
  CHECK(l->writer().health().storage_failures >= 3);
  CHECK(l->writer().health().state == WriterHealth::State::kDegraded);

  l->store().env().InjectCommitFailures(0, 0);
  REQUIRE(WaitForState(l->writer(), WriterHealth::State::kOk));
  auto r = l->writer().Submit(SyntheticCommand(300)).get();
  REQUIRE(r.ok());
  CHECK(r->seq == 6);  // no gap: the failed batch took no seq

  const std::string lines = log.All();
  INFO(lines);
  CHECK_THAT(lines, Catch::Contains(
                        "storage failure during=commit op=\"LMDB commit\" cause=ENOSPC "
                        "status=resource_exhausted"));
  CHECK_THAT(lines, Catch::Contains("writer state=degraded reason=storage-full cause=ENOSPC "
                                    "writes=suspended"));
  CHECK_THAT(lines, Catch::Contains("storage failure during=probe"));
  CHECK_THAT(lines, Catch::Contains("writer state=ok writes=resumed"));
  // No probe key is left behind.
  {
    auto txn = l->store().env().BeginRead().value();
    CHECK_FALSE(txn.Get(l->store().meta(), AsBytes(std::string_view("probe"))).value().has_value());
  }
  l.reset();
  auto v = VerifyLedger(dir.path(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->events == 6);
}

TEST_CASE("Another storage failure suspends writes as unavailable, and the writer resumes",
          "[ledger][storage]") {
  TempDir dir;
  LogLines log;
  auto l = NewLedger(dir, Resuming(log));
  REQUIRE(l->writer().Submit(SyntheticCommand(1)).get().ok());
  // A bounded fault: the commit and the first two probes fail.
  l->store().env().InjectCommitFailures(EIO, 3);
  auto failed = l->writer().Submit(SyntheticCommand(2)).get();
  CHECK(failed.status().code() == StatusCode::kIoError);
  REQUIRE(WaitForState(l->writer(), WriterHealth::State::kOk));
  CHECK(l->writer().health().probes == 3);
  CHECK_THAT(log.All(), Catch::Contains("writer state=degraded reason=storage-error cause=EIO"));
  auto r = l->writer().Submit(SyntheticCommand(3)).get();
  REQUIRE(r.ok());
  CHECK(r->seq == 2);
}

// The writer's before_chain for the key-store failure tests: once `writer`
// is set, a batch with new data keys waits until the failing key storer has
// suspended the writer (and dropped the batch's reservations).
void AwaitKeyStoreFailure(std::atomic<Writer*>& writer, std::atomic<int>& paused,
                          std::uint64_t ticket) {
  Writer* w = writer.load();
  if (ticket == 0 || w == nullptr) return;
  ++paused;
  for (int i = 0; i < 1000 && w->health().state == WriterHealth::State::kOk; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Then: the key store heals, the writer resumes, the next append gets seq
// `next_seq`, and the log verifies with exactly the events acknowledged.
void ResumesAfterKeyStoreFailure(std::unique_ptr<Ledger>& l, std::atomic<Writer*>& writer,
                                 const TempDir& dir, std::uint64_t next_seq) {
  l->keys().env().InjectCommitFailures(0, 0);
  REQUIRE(WaitForState(l->writer(), WriterHealth::State::kOk));
  writer = nullptr;
  auto again = l->writer().Submit(SyntheticCommand(1000, NewId("s"))).get();
  REQUIRE(again.ok());
  CHECK(again->seq == next_seq);
  l.reset();
  auto v = VerifyLedger(dir.path(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->events == next_seq);
}

TEST_CASE("A batch whose new data key the key storer fails to store while the batch is chained gets the store's failure",
          "[ledger][storage]") {
  // The key storer may fail, and drop the reservations, after the writer
  // reserved a batch's keys and before it chained the batch (which then finds
  // no key). The batch must be answered with the store's failure (a full
  // disk), not with the missing key that failure caused.
  TempDir dir;
  LogLines log;
  LedgerOptions opts = Resuming(log);
  opts.writer.key_pool = false;  // a new subject's key is stored before its batch
  std::atomic<Writer*> writer{nullptr};
  std::atomic<int> paused{0};
  // Let the key storer fail first (it suspends the writer as it does).
  opts.writer.before_chain = [&](std::uint64_t ticket) {
    AwaitKeyStoreFailure(writer, paused, ticket);
  };
  auto l = NewLedger(dir, opts);
  REQUIRE(l->writer().Submit(SyntheticCommand(1, NewId("s"))).get().ok());
  writer = &l->writer();
  l->keys().env().InjectCommitFailures(ENOSPC, 1 << 30);
  auto r = l->writer().Submit(SyntheticCommand(2, NewId("s"))).get();
  CHECK(paused == 1);
  INFO(r.status().ToString());
  CHECK(r.status().code() == StatusCode::kResourceExhausted);
  CHECK(l->writer().health().cause == "ENOSPC");
  CHECK(l->writer().size() == 1);
  ResumesAfterKeyStoreFailure(l, writer, dir, 2);
}

TEST_CASE("A batch whose chain fails half-way while the pool signs its lines is answered whole",
          "[ledger][storage]") {
  // Prepare signs each line on the pool's other threads as soon as Chain has
  // built it (ledger/writer.cc). Here Chain fails at the 201st command of a
  // batch (a new subject whose reserved key the failing key storer dropped)
  // after the pool signed lines before it: the signers waiting for the next
  // line must stop, every command of the batch gets the store's failure, and
  // nothing of it is stored.
  TempDir dir;
  LogLines log;
  LedgerOptions opts = Resuming(log);
  opts.writer.key_pool = false;  // a new subject's key is stored before its batch
  opts.writer.threads = 3;  // two signers beside the writer, whatever the machine
  std::atomic<Writer*> writer{nullptr};
  std::atomic<bool> gate_open{true}, at_gate{false};
  std::atomic<int> paused{0};
  opts.writer.before_chain = [&](std::uint64_t ticket) {
    // Hold a batch until the test has queued the next one behind it.
    if (!gate_open.load()) at_gate = true;
    while (!gate_open.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    AwaitKeyStoreFailure(writer, paused, ticket);
  };
  auto l = NewLedger(dir, opts);
  const std::string known = NewId("s");
  REQUIRE(l->writer().Submit(SyntheticCommand(1, known)).get().ok());
  writer = &l->writer();
  gate_open = false;
  auto held = l->writer().Submit(SyntheticCommand(2, known));  // its batch waits at the gate
  while (!at_gate.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  l->keys().env().InjectCommitFailures(ENOSPC, 1 << 30);
  std::vector<std::future<Result<Appended>>> batch;
  for (int i = 0; i < 200; ++i) batch.push_back(l->writer().Submit(SyntheticCommand(3 + i, known)));
  batch.push_back(l->writer().Submit(SyntheticCommand(300, NewId("s"))));
  for (int i = 0; i < 50; ++i) batch.push_back(l->writer().Submit(SyntheticCommand(400 + i, known)));
  gate_open = true;
  // The held command's batch needs no new key and is handed to the committer
  // before the failing batch is built. Once writes are suspended, every
  // batch not yet committed is answered with the failure (docs/architecture.md
  // "Write path" step 9), so on a loaded machine, where the committer may
  // not have taken it before the key storer failed, it gets the store's
  // failure too; either way it is all or nothing, and the log says which.
  auto h = held.get();
  INFO(h.status().ToString());
  CHECK((h.ok() || h.status().code() == StatusCode::kResourceExhausted));
  const std::uint64_t kept = h.ok() ? 2 : 1;
  for (auto& f : batch) {
    auto r = f.get();
    INFO(r.status().ToString());
    CHECK(r.status().code() == StatusCode::kResourceExhausted);
  }
  CHECK(paused == 1);
  CHECK(l->writer().size() == kept);
  ResumesAfterKeyStoreFailure(l, writer, dir, kept + 1);
}

// A hook with state it cannot rebuild (WriteHook::Rewind's default).
class StatefulHook : public WriteHook {
 public:
  Decision Check(Command&, Micros) override { return {}; }
  void Apply(Command&, std::uint64_t, Micros) override {}
  std::function<Status(TableWrites&)> TakeWrites(std::uint64_t, const crypto::Digest&) override {
    return {};
  }
};

// Gives each command whose header holds "indexed" an identity index entry,
// so that its subject's key is stored before its batch (never a pool key).
class IndexingHook : public StatefulHook {
 public:
  Decision Check(Command& c, Micros) override {
    Decision d;
    if (c.h.contains("indexed")) d.index_key = Keystore::LookupKey{static_cast<std::uint8_t>(++n_)};
    return d;
  }
  Status Rewind(std::uint64_t) override { return Status::Ok(); }

 private:
  int n_ = 0;
};

TEST_CASE("After a failed key store and the resume, the pool's upkeep goes on without suspending writes again",
          "[ledger][storage]") {
  // The failed store dropped its reservation's ticket; the key storer's
  // later stores for the pool alone must not be answered as that ticket.
  TempDir dir;
  LogLines log;
  LedgerOptions opts = Resuming(log);
  opts.writer.pool_bind_after = std::chrono::milliseconds(10);
  opts.make_hook = [](LogStore&, Keystore&) -> Result<std::unique_ptr<WriteHook>> {
    return std::unique_ptr<WriteHook>(new IndexingHook);
  };
  auto l = NewLedger(dir, opts);
  for (int i = 0; l->keys().PoolFree() < Keystore::kPoolLowWater; ++i) {
    REQUIRE(i < 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  l->keys().env().InjectCommitFailures(ENOSPC, 1 << 30);
  Command indexed = SyntheticCommand(1, NewId("s"));
  indexed.h["indexed"] = true;
  CHECK(l->writer().Submit(std::move(indexed)).get().status().code() ==
        StatusCode::kResourceExhausted);
  l->keys().env().InjectCommitFailures(0, 0);
  REQUIRE(WaitForState(l->writer(), WriterHealth::State::kOk));
  const std::uint64_t suspensions = l->writer().health().suspensions;
  // A pool key, whose binding the key storer stores 10 ms later.
  const std::string pooled = NewId("s");
  REQUIRE(l->writer().Submit(SyntheticCommand(2, pooled)).get().ok());
  for (int i = 0; l->keys().PoolWorkDue(std::chrono::milliseconds(10)) && i < 500; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK_FALSE(l->keys().PoolWorkDue(std::chrono::milliseconds(10)));  // bound
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(l->writer().health().state == WriterHealth::State::kOk);
  CHECK(l->writer().health().suspensions == suspensions);
  REQUIRE(l->writer().Submit(SyntheticCommand(3, NewId("s"))).get().ok());
  l.reset();
  auto ks = Keystore::Open(dir.path() + "/keystore", LoadMasterKey(dir.path()).value(), false).value();
  CHECK(ks->KidOf(pooled).ok());
}

TEST_CASE("A writer whose state cannot be rebuilt from the disk fails for good", "[ledger][storage]") {
  TempDir dir;
  LogLines log;
  LedgerOptions opts = Resuming(log);
  opts.make_hook = [](LogStore&, Keystore&) -> Result<std::unique_ptr<WriteHook>> {
    return std::unique_ptr<WriteHook>(new StatefulHook);
  };
  auto l = NewLedger(dir, opts);
  REQUIRE(l->writer().Submit(SyntheticCommand(1)).get().ok());
  l->store().env().InjectCommitFailures(ENOSPC, 1);
  CHECK(l->writer().Submit(SyntheticCommand(2)).get().status().code() ==
        StatusCode::kResourceExhausted);
  REQUIRE(WaitForState(l->writer(), WriterHealth::State::kFailed));
  CHECK(l->writer().health().reason == "restart-required");
  CHECK(l->writer().Submit(SyntheticCommand(3)).get().status().code() ==
        StatusCode::kUnavailable);
  CHECK_THAT(log.All(), Catch::Contains("writer state=failed reason=restart-required"));
  l.reset();
  // Reopened, it writes again.
  auto again = Ledger::Open(dir.path(), opts).value();
  auto r = again->writer().Submit(SyntheticCommand(4)).get();
  REQUIRE(r.ok());
  CHECK(r->seq == 2);
}

TEST_CASE("Without resume (batch tools) a failed commit stops the writer until reopened",
          "[ledger][storage]") {
  TempDir dir;
  LedgerOptions opts;
  LogLines log;
  opts.writer.log = log.Sink();
  opts.writer.probe_every = std::chrono::milliseconds(10);
  auto l = NewLedger(dir, opts);
  REQUIRE(l->writer().Submit(SyntheticCommand(1)).get().ok());
  l->store().env().InjectCommitFailures(ENOSPC, 1);
  CHECK(l->writer().Submit(SyntheticCommand(2)).get().status().code() ==
        StatusCode::kResourceExhausted);
  // The disk would take writes again, but nothing after the failed command
  // is stored: an import stops at its first failed line.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(l->writer().health().state == WriterHealth::State::kFailed);
  CHECK(l->writer().health().probes == 0);
  CHECK(l->writer().Submit(SyntheticCommand(3)).get().status().code() ==
        StatusCode::kResourceExhausted);
  CHECK(l->writer().size() == 1);
  CHECK_THAT(log.All(), Catch::Contains("writer state=failed reason=storage-full cause=ENOSPC writes=stopped"));
}

TEST_CASE("A leader's writer acknowledges a batch only after it was replicated, passes it byte for byte, "
          "and stops for good when replication fails",
          "[ledger][replication]") {
  TempDir dir;
  LogLines log;
  struct Shipped {
    std::uint64_t first_seq;
    std::vector<std::string> lines;
    std::string checkpoint;
  };
  std::mutex mu;
  std::vector<Shipped> shipped;
  std::atomic<bool> follower_up{true};
  std::atomic<int> calls{0};
  LedgerOptions opts;
  opts.writer.log = log.Sink();
  opts.writer.replicate = [&](std::uint64_t first, const std::vector<std::string>& lines,
                              const std::string& note) -> Status {
    ++calls;
    if (!follower_up) return Unavailable("no follower answered");
    std::lock_guard lock(mu);
    shipped.push_back({first, lines, note});
    return Status::Ok();
  };
  auto l = NewLedger(dir, opts);
  std::vector<std::future<Result<Appended>>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(l->writer().Submit(SyntheticCommand(i, NewId("s"))));
  std::uint64_t acked = 0;
  for (auto& f : fs) {
    auto r = f.get();
    REQUIRE(r.ok());
    acked = std::max(acked, r->seq);
    // Acknowledged means shipped: the batch holding it was replicated first.
    std::lock_guard lock(mu);
    bool covered = false;
    for (const Shipped& b : shipped)
      covered = covered || (r->seq >= b.first_seq && r->seq < b.first_seq + b.lines.size());
    CHECK(covered);
  }
  CHECK(acked == 50);
  {
    // What was shipped is what is stored, in order, with its checkpoint.
    auto txn = l->store().env().BeginRead().value();
    std::lock_guard lock(mu);
    std::uint64_t next = 1;
    for (const Shipped& b : shipped) {
      CHECK(b.first_seq == next);
      for (std::size_t i = 0; i < b.lines.size(); ++i)
        CHECK(b.lines[i] == ReadEventLine(txn, l->store(), b.first_seq + i).value());
      next += b.lines.size();
      CHECK(b.checkpoint == CheckpointAt(txn, l->store(), next - 1).value());
    }
    CHECK(next == 51);
  }
  // The follower goes away: the next batch is durable here but never
  // acknowledged, and nothing after it ever is.
  follower_up = false;
  auto lost = l->writer().Submit(SyntheticCommand(99, NewId("s"))).get();
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(lost.status().message(), Catch::Contains("not acknowledged") && Catch::Contains("no follower answered"));
  CHECK(l->writer().health().state == WriterHealth::State::kFailed);
  CHECK(l->writer().health().reason == "not-replicated");
  follower_up = true;  // even once a follower is back: this writer is done
  const int before = calls;
  CHECK(l->writer().Submit(SyntheticCommand(100, NewId("s"))).get().status().code() ==
        StatusCode::kUnavailable);
  CHECK(calls == before);
  CHECK(l->writer().size() == 50);  // what it publishes: acknowledged events only
  CHECK_THAT(log.All(), Catch::Contains("writer state=failed reason=not-replicated status=unavailable "
                                        "unacknowledged_from=51 log_size=51 writes=stopped"));
  l.reset();
  // The unacknowledged event is on this node's disk (its tail), and the log verifies.
  auto report = VerifyLedger(dir.path()).value();
  CHECK(report.ok);
  CHECK(report.events == 51);
}

}  // namespace
}  // namespace caseledger::ledger
