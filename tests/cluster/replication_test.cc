// Verified log shipping (cluster/replication.h) with a real etcd: a leader's
// writer (ledger::Writer with Options::replicate = Shipper::Replicate) and
// followers (Follower over a mirror-layout log of the same origin and key) in
// one process, the transport a function that can be switched off. Every
// acknowledged event is on a follower byte for byte; a follower that was
// down is caught up in chunks; no follower means no acknowledgement; the
// acknowledged head is in etcd; a paused leader is fenced at the followers
// and at etcd; a different event at a held seq is a fork, a damaged line
// is stored nowhere.
#include "cluster/replication.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/mirror.h"
#include "ledger/verify.h"
#include "tests/cluster/etcd_fixture.h"
#include "tests/ledger/test_util.h"

namespace caseledger::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::NewId;
using testing::SyntheticCommand;
using testing::TempDir;

constexpr const char* kPrefix = "/caseledger/test.invalid/cluster";

EtcdOptions OptionsFor(const std::string& endpoint) {
  EtcdOptions o;
  o.endpoints = {endpoint};
  return o;
}

ElectionOptions Ttl(std::chrono::seconds ttl) {
  ElectionOptions o;
  o.ttl = ttl;
  return o;
}


std::vector<std::string> Lines(ledger::LogStore& store) {
  auto snap = store.Read().value();
  const std::uint64_t size = ledger::TreeSize(snap, store).value();
  std::vector<std::string> out;
  for (std::uint64_t seq = 1; seq <= size; ++seq) out.push_back(ledger::ReadEventLine(snap, store, seq).value());
  return out;
}

// A follower node: a log of the leader's origin and key, its own view of
// the election, and a switch for its transport.
struct FollowerNode {
  TempDir dir;
  std::unique_ptr<ledger::LogStore> store;
  std::unique_ptr<Election> election;
  std::unique_ptr<Follower> follower;
  std::atomic<bool> up{true};
  std::atomic<int> requests{0};

  FollowerNode(EtcdClient& etcd, const std::string& vkey) {
    auto verifier = ledger::InitMirror(dir.path(), vkey).value();
    store = ledger::LogStore::Open(dir.path(), false).value();
    election = std::make_unique<Election>(etcd, kPrefix, Ttl(2s));
    follower = std::make_unique<Follower>(*store, nullptr, verifier, *election);
  }
  FollowerTransport Transport() {
    return [this](const ShippedBatch& b) -> Result<std::uint64_t> {
      ++requests;
      if (!up) return Unavailable("follower down");
      return follower->Apply(b);
    };
  }
};

struct Leader {
  TempDir dir;
  std::string vkey;
  std::unique_ptr<Election> election;
  std::unique_ptr<Shipper> shipper;  // declared before the ledger: outlives its writer
  std::unique_ptr<ledger::Ledger> ledger;

  Leader(EtcdClient& etcd, const std::vector<FollowerTransport>& followers, ShipperOptions so,
         std::chrono::seconds ttl = 2s) {
    vkey = ledger::InitDataDir(dir.path(), "test.invalid/cluster").value().verifier;
    election = std::make_unique<Election>(etcd, kPrefix, Ttl(ttl));
    REQUIRE(election->Campaign("n1", "http://n1.invalid").value().elected);
    ledger::LedgerOptions opts;
    opts.writer.log = [](std::string_view) {};
    opts.writer.replicate = [this](std::uint64_t first, const std::vector<std::string>& lines,
                                   const std::string& note) {
      return shipper->Replicate(first, lines, note);
    };
    ledger = ledger::Ledger::Open(dir.path(), opts).value();
    shipper = std::make_unique<Shipper>(ledger->store(), *election, "n1", followers, so);
  }
  ~Leader() { ledger.reset(); }
  Result<ledger::Appended> Write(int i) { return ledger->writer().Submit(SyntheticCommand(i, NewId("s"))).get(); }
};

// A leader (default shipper options) with one follower.
struct OneFollower {
  std::unique_ptr<FollowerNode> follower;  // declared first: outlives the leader's shipper
  std::unique_ptr<Leader> leader;
  explicit OneFollower(EtcdClient& etcd) {
    leader = std::make_unique<Leader>(
        etcd, std::vector<FollowerTransport>{[this](const ShippedBatch& b) { return follower->Transport()(b); }},
        ShipperOptions{});
    follower = std::make_unique<FollowerNode>(etcd, leader->vkey);
  }
  ~OneFollower() { leader.reset(); }
};

// The size in P/acked; checks that its root is the leader's root there.
std::uint64_t AckedSize(Leader& leader) {
  auto text = leader.election->ReadAcked().value();
  REQUIRE(text.has_value());
  AckedHead head = ParseAckedHead(*text).value();
  CHECK(HeadAt(leader.ledger->store(), head.size).value().root == head.root);
  CHECK(HoldsAcked(leader.ledger->store(), head).value());
  return head.size;
}

TEST_CASE("replication: every acknowledged event is on a follower byte for byte, a follower that "
          "was down is caught up, no follower means no acknowledgement",
          "[cluster][replication]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  std::unique_ptr<FollowerNode> f1, f2;
  std::vector<FollowerTransport> transports;
  // Transports are bound to nodes made below; indirection through pointers.
  transports.push_back([&](const ShippedBatch& b) { return f1->Transport()(b); });
  transports.push_back([&](const ShippedBatch& b) { return f2->Transport()(b); });
  ShipperOptions so;
  so.min_acks = 1;
  so.max_catch_up = 64;  // small: catching up takes several chunks
  Leader leader(client, transports, so);
  f1 = std::make_unique<FollowerNode>(client, leader.vkey);
  f2 = std::make_unique<FollowerNode>(client, leader.vkey);
  f2->up = false;

  // Concurrent writers; f2 is down, f1 acknowledges.
  std::vector<std::thread> threads;
  std::atomic<int> acked{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 75; ++i)
        if (leader.Write(t * 1000 + i).ok()) ++acked;
    });
  for (auto& t : threads) t.join();
  REQUIRE(acked == 300);
  const std::uint64_t size = leader.ledger->writer().size();
  CHECK(size == 300);
  CHECK(Lines(*f1->store) == Lines(leader.ledger->store()));
  CHECK(Lines(*f2->store).empty());
  // The acknowledged head is in etcd, written by the leader's fenced txn.
  CHECK(AckedSize(leader) == 300);
  CHECK(leader.shipper->acknowledged() == 300);

  // A heartbeat while f2 is down changes nothing and acknowledges nothing;
  // f1, which holds everything, is not sent anything.
  const int f1_requests = f1->requests.load();
  leader.shipper->Heartbeat();
  CHECK(Lines(*f2->store).empty());
  CHECK(f1->requests.load() == f1_requests);

  // f2 comes back and the leader is idle: the next heartbeat catches it up
  // from 0, in chunks ending at the leader's checkpoints.
  f2->up = true;
  leader.shipper->Heartbeat();
  CHECK(Lines(*f2->store) == Lines(leader.ledger->store()));
  CHECK(f2->requests > 5);  // 300 events in chunks of at most 64, and more
  CHECK(f1->requests.load() == f1_requests);
  CHECK(AckedSize(leader) == 300);

  // f1 goes down: f2 takes the new batches.
  f1->up = false;
  for (int i = 0; i < 20; ++i) REQUIRE(leader.Write(5000 + i).ok());
  CHECK(Lines(*f2->store) == Lines(leader.ledger->store()));
  CHECK(AckedSize(leader) == 320);

  // Both down: durable on the leader, never acknowledged, and the writer stops.
  f2->up = false;
  auto lost = leader.Write(9000);
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.status().code() == StatusCode::kUnavailable);
  CHECK(leader.ledger->writer().health().reason == "not-replicated");
  CHECK(AckedSize(leader) == 320);
  f1->up = f2->up = true;
  CHECK_FALSE(leader.Write(9001).ok());

  // The followers' logs verify on their own, with the leader's key only.
  f1->store.reset();
  f2->store.reset();
  for (auto* f : {f1.get(), f2.get()}) {
    auto report = ledger::VerifyLedger(f->dir.path()).value();
    CHECK(report.ok);
  }
  CHECK(ledger::VerifyLedger(f2->dir.path()).value().events == 320);
}

TEST_CASE("replication: a paused leader gets nothing acknowledged — the followers refuse its term and "
          "etcd refuses its fenced write, a newer leader's batch is taken",
          "[cluster][replication]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  OneFollower cluster(client);
  Leader& leader = *cluster.leader;
  std::unique_ptr<FollowerNode>& f1 = cluster.follower;
  for (int i = 0; i < 10; ++i) REQUIRE(leader.Write(i).ok());
  const std::int64_t old_term = leader.election->state().term;

  // The leader freezes (its lease is no longer renewed) and n2 wins.
  leader.election->StopKeepAliveForTesting();
  Election n2(client, kPrefix, Ttl(2s));
  REQUIRE(Eventually([&] {
    auto c = n2.Campaign("n2", "http://n2.invalid");
    return c.ok() && c->elected;
  }));
  const std::int64_t new_term = n2.state().term;
  CHECK(new_term > old_term);

  // The old leader's next batch (as it would ship it, never having noticed).
  const std::vector<std::string> held = Lines(*f1->store);
  ShippedBatch stale{"n1", old_term, 11, {"x"}, "y", {}};
  auto refused = f1->follower->Apply(stale);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().reason() == kStaleTermReason);
  CHECK(Lines(*f1->store) == held);
  // etcd refuses its fenced write of the acknowledged head.
  CHECK_FALSE(leader.election->FencedPut(leader.election->acked_key(), "999").ok());
  CHECK(AckedSize(leader) == 10);
  // And its writer acknowledges nothing more.
  CHECK_FALSE(leader.Write(100).ok());
  CHECK(Lines(*f1->store) == held);

  // A batch of the new term from n2 (here: the events n1 already shipped,
  // re-sent) is accepted; a batch claiming n2's term from n1 is not.
  ShippedBatch again{"n2", new_term, 1, held, "", {}};
  CHECK(f1->follower->Apply(again).value() == held.size());
  ShippedBatch impostor{"n1", new_term, 11, {"x"}, "y", {}};
  CHECK(f1->follower->Apply(impostor).status().reason() == kStaleTermReason);
}

TEST_CASE("replication: a different event at a held seq is a fork, a damaged line is stored nowhere",
          "[cluster][replication]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  OneFollower cluster(client);
  Leader& leader = *cluster.leader;
  std::unique_ptr<FollowerNode>& f1 = cluster.follower;
  for (int i = 0; i < 5; ++i) REQUIRE(leader.Write(i).ok());
  const std::int64_t term = leader.election->state().term;
  const std::vector<std::string> held = Lines(*f1->store);
  REQUIRE(held.size() == 5);

  // Event 3 re-sent with one byte changed: another history of a held seq.
  std::vector<std::string> forked = held;
  forked[2][forked[2].size() / 2] ^= 0x01;
  auto fork = f1->follower->Apply(ShippedBatch{"n1", term, 1, forked, "", {}});
  REQUIRE_FALSE(fork.ok());
  CHECK(ledger::IsFork(fork.status()));
  CHECK_THAT(fork.status().message(), Catch::Contains("seq 3"));
  CHECK(Lines(*f1->store) == held);

  // A new follower is sent the whole log with one signature byte flipped in
  // its last event: the verification refuses it and nothing is stored.
  ledger::LogStore& ls = leader.ledger->store();
  std::vector<std::string> all = Lines(ls);
  const std::string note = ledger::LatestCheckpoint(ls.Read().value(), ls).value().second;
  FollowerNode f2(client, leader.vkey);
  CHECK_FALSE(f2.follower->Apply(ShippedBatch{"n1", term, 1, all, "", {}}).ok());  // no signed checkpoint
  CHECK(Lines(*f2.store).empty());
  const std::string good = all.back();
  const auto sig = good.find("\"sig\":\"") + 8;
  all.back()[sig] = good[sig] == 'A' ? 'B' : 'A';
  auto damaged = f2.follower->Apply(ShippedBatch{"n1", term, 1, all, note, {}});
  REQUIRE_FALSE(damaged.ok());
  CHECK_THAT(damaged.status().message(), Catch::Contains("seq 5"));
  CHECK(Lines(*f2.store).empty());
  all.back() = good;
  CHECK(f2.follower->Apply(ShippedBatch{"n1", term, 1, all, note, {}}).value() == 5);
  CHECK(Lines(*f2.store) == Lines(ls));
}

TEST_CASE("replication: a batch's wire form round-trips byte for byte, and a malformed one is refused as invalid",
          "[cluster][replication]") {
  ShippedBatch b{"n1", 7, 42, {R"({"seq":42,"x":"a\"b"})", "second line"}, "origin\n42\nroot\n\n— sig\n", {}};
  const std::string wire = EncodeBatch(b);
  auto back = DecodeBatch(wire).value();
  CHECK(back.leader == b.leader);
  CHECK(back.term == b.term);
  CHECK(back.first_seq == b.first_seq);
  CHECK(back.lines == b.lines);
  CHECK(back.checkpoint == b.checkpoint);
  CHECK(EncodeBatch(back) == wire);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not JSON", "{"},
      {"not an object", "[]"},
      {"an unknown member", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":["l"],"term":1,"x":1})"},
      {"a member missing", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":["l"]})"},
      {"a mistyped term", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":["l"],"term":"1"})"},
      {"term 0", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":["l"],"term":0})"},
      {"first seq 0", R"({"checkpoint":"","first_seq":0,"leader":"n","lines":["l"],"term":1})"},
      {"no lines", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":[],"term":1})"},
      {"a line that is no string", R"({"checkpoint":"","first_seq":1,"leader":"n","lines":[1],"term":1})"},
      {"a duplicate member", R"({"checkpoint":"","first_seq":1,"first_seq":2,"leader":"n","lines":["l"],"term":1})"},
      {"past the largest seq", R"({"checkpoint":"","first_seq":9007199254740991,"leader":"n","lines":["l","m"],"term":1})"},
  };
  for (const auto& [what, text] : bad) {
    INFO(what);
    auto r = DecodeBatch(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace caseledger::cluster
