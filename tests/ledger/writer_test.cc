#include "ledger/writer.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
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
  CHECK(report.checkpoints == stats.batches);
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
    "Imported times must not decrease nor lie in the future; refusals store "
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

}  // namespace
}  // namespace caseledger::ledger
