// Election (cluster/election.h) against a real etcd: "nodes" are Election
// objects in this process, each with its own lease. One winner per term,
// the others see it; a leader that stops renewing (a paused process) is
// replaced by one with a larger term and its fenced writes are refused
// although it never noticed; resigning hands over at once; a leader whose
// key is deleted, or whose etcd freezes, knows it lost; an unreachable etcd
// is Unavailable; four threads campaigning at once, round after round, give
// exactly one leader per term. Waits poll with generous deadlines (a loaded
// two-core machine), and no assertion depends on how fast something is.
#include "cluster/election.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/etcd_fixture.h"

namespace caseledger::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

constexpr const char* kPrefix = "/caseledger/test.example/ledger";

EtcdOptions OptionsFor(std::string endpoint, std::chrono::milliseconds timeout = 2000ms) {
  EtcdOptions o;
  o.endpoints = {std::move(endpoint)};
  o.request_timeout = timeout;
  return o;
}

ElectionOptions WithTtl(std::chrono::seconds ttl) {
  ElectionOptions o;
  o.ttl = ttl;
  return o;
}


// Campaigns as `node_id` until elected (a lease left by a frozen leader
// expires first); the winning result, or nullopt after the deadline.
std::optional<CampaignResult> CampaignUntilElected(Election& e, const std::string& node_id) {
  std::optional<CampaignResult> won;
  Eventually([&] {
    Result<CampaignResult> r = e.Campaign(node_id, "");
    if (r.ok() && r->elected) won = *r;
    return won.has_value();
  });
  return won;
}

// Counts on_lost calls (they come from the keep-alive thread).
struct LostLog {
  std::mutex mu;
  int calls = 0;
  std::int64_t term = 0;
  Status why;

  ElectionOptions Options(std::chrono::seconds ttl) {
    ElectionOptions o;
    o.ttl = ttl;
    o.on_lost = [this](std::int64_t t, const Status& s) {
      std::lock_guard lock(mu);
      ++calls;
      term = t;
      why = s;
    };
    return o;
  }
  int Calls() {
    std::lock_guard lock(mu);
    return calls;
  }
};

TEST_CASE("election: of two nodes exactly one wins, the other sees its term", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  LostLog lost_a, lost_b;
  Election a(client, kPrefix, lost_a.Options(3s));
  Election b(client, kPrefix, lost_b.Options(3s));

  Result<std::optional<LeaderInfo>> none = a.Observe();
  REQUIRE(none.ok());
  CHECK(!none->has_value());

  Result<CampaignResult> ra = a.Campaign("node-a", "http://127.0.0.1:9001");
  REQUIRE(ra.ok());
  Result<CampaignResult> rb = b.Campaign("node-b", "http://127.0.0.1:9002");
  REQUIRE(rb.ok());
  CHECK(ra->elected);
  CHECK(!rb->elected);
  const std::int64_t term = ra->leader.term;
  CHECK(term > 0);
  CHECK(ra->leader.node_id == "node-a");
  CHECK(rb->leader.node_id == "node-a");
  CHECK(rb->leader.value == "http://127.0.0.1:9001");
  CHECK(rb->leader.term == term);

  CHECK(a.state().state == LeadershipState::kLeader);
  CHECK(a.state().term == term);
  CHECK(a.IsLeader());
  CHECK(b.state().state == LeadershipState::kFollower);
  CHECK(!b.IsLeader());

  // The leader key: node-a's, attached to a's lease, created at the term.
  Result<std::optional<KeyValue>> raw = client.Get(std::string(kPrefix) + "/leader");
  REQUIRE(raw.ok());
  REQUIRE(raw->has_value());
  CHECK((*raw)->create_revision == term);
  CHECK((*raw)->lease == a.state().lease);

  // Campaigning again changes nothing: the leader stays, the follower loses.
  ra = a.Campaign("node-a", "http://127.0.0.1:9001");
  REQUIRE(ra.ok());
  CHECK(ra->elected);
  CHECK(ra->leader.term == term);
  rb = b.Campaign("node-b", "http://127.0.0.1:9002");
  REQUIRE(rb.ok());
  CHECK(!rb->elected);

  // Past two TTLs the keep-alive thread has held the lease: same leader, same
  // term, nothing lost.
  std::this_thread::sleep_for(7s);
  Result<std::optional<LeaderInfo>> seen = b.Observe();
  REQUIRE(seen.ok());
  REQUIRE(seen->has_value());
  CHECK((*seen)->node_id == "node-a");
  CHECK((*seen)->term == term);
  CHECK(a.IsLeader());
  CHECK(lost_a.Calls() == 0);
  CHECK(b.state().state == LeadershipState::kFollower);
}

TEST_CASE("election: a paused leader is replaced by a larger term and fenced off",
          "[cluster][fault]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  LostLog lost_a, lost_b;
  Election a(client, kPrefix, lost_a.Options(2s));
  Election b(client, kPrefix, lost_b.Options(2s));

  Result<CampaignResult> ra = a.Campaign("node-a", "");
  REQUIRE(ra.ok());
  REQUIRE(ra->elected);
  const std::int64_t old_term = ra->leader.term;
  Result<std::int64_t> w = a.FencedPut(a.acked_key(), "head 10");
  REQUIRE(w.ok());
  Result<std::optional<std::string>> acked = b.ReadAcked();
  REQUIRE(acked.ok());
  CHECK(*acked == std::optional<std::string>("head 10"));

  // a freezes: no more renewals, no resign, and it is not told.
  a.StopKeepAliveForTesting();

  // b retries until the lease has expired and it wins.
  std::optional<CampaignResult> won = CampaignUntilElected(b, "node-b");
  REQUIRE(won.has_value());
  CHECK(won->leader.node_id == "node-b");
  CHECK(won->leader.term > old_term);

  // a still believes it leads (never noticed) …
  CHECK(a.state().state == LeadershipState::kLeader);
  CHECK(lost_a.Calls() == 0);
  // … but etcd refuses its write: the same transaction proves the term.
  Result<std::int64_t> stale = a.FencedPut(a.acked_key(), "head 11 (stale)");
  CHECK(stale.status().code() == StatusCode::kFailedPrecondition);
  acked = b.ReadAcked();
  REQUIRE(acked.ok());
  CHECK(*acked == std::optional<std::string>("head 10"));
  // The refusal is how a learns it was deposed.
  CHECK(a.state().state == LeadershipState::kLost);
  CHECK(lost_a.Calls() == 1);
  CHECK(a.FencedPut(a.acked_key(), "again").status().code() ==
        StatusCode::kFailedPrecondition);

  // The new leader's fenced write goes through.
  w = b.FencedPut(b.acked_key(), "head 12");
  REQUIRE(w.ok());
  acked = a.ReadAcked();
  REQUIRE(acked.ok());
  CHECK(*acked == std::optional<std::string>("head 12"));
  Result<std::optional<LeaderInfo>> seen = a.Observe();
  REQUIRE(seen.ok());
  REQUIRE(seen->has_value());
  CHECK((*seen)->node_id == "node-b");
  CHECK((*seen)->term == won->leader.term);

  // a may campaign again, and loses to the live leader.
  Result<CampaignResult> again = a.Campaign("node-a", "");
  REQUIRE(again.ok());
  CHECK(!again->elected);
  CHECK(again->leader.node_id == "node-b");
  CHECK(lost_b.Calls() == 0);
}

TEST_CASE("election: resigning hands over at once, without waiting for the TTL",
          "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  LostLog lost_a;
  // A long TTL: if b wins at once, the resign did it, not an expiry.
  Election a(client, kPrefix, lost_a.Options(60s));
  Election b(client, kPrefix, WithTtl(60s));

  Result<CampaignResult> ra = a.Campaign("node-a", "");
  REQUIRE(ra.ok());
  REQUIRE(ra->elected);
  Result<CampaignResult> rb = b.Campaign("node-b", "");
  REQUIRE(rb.ok());
  REQUIRE(!rb->elected);

  REQUIRE(a.Resign().ok());
  CHECK(a.state().state == LeadershipState::kFollower);
  CHECK(!a.IsLeader());
  Result<std::optional<LeaderInfo>> seen = b.Observe();
  REQUIRE(seen.ok());
  CHECK(!seen->has_value());

  rb = b.Campaign("node-b", "");
  REQUIRE(rb.ok());
  CHECK(rb->elected);
  CHECK(rb->leader.term > ra->leader.term);
  // A resigned node is not fenced in: it is simply not the leader.
  CHECK(a.FencedPut(a.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
  CHECK(lost_a.Calls() == 0);  // resigning is not losing
  CHECK(a.Resign().ok());      // twice is fine

  // The destructor resigns too.
  {
    Election c(client, "/caseledger/other.example/ledger", WithTtl(60s));
    Result<CampaignResult> rc = c.Campaign("node-c", "");
    REQUIRE(rc.ok());
    REQUIRE(rc->elected);
  }
  Election d(client, "/caseledger/other.example/ledger", WithTtl(60s));
  Result<CampaignResult> rd = d.Campaign("node-d", "");
  REQUIRE(rd.ok());
  CHECK(rd->elected);
}

TEST_CASE("election: a leader whose key is deleted or overwritten knows it lost",
          "[cluster][fault]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  LostLog lost;
  Election a(client, kPrefix, lost.Options(3s));
  Result<CampaignResult> ra = a.Campaign("node-a", "");
  REQUIRE(ra.ok());
  REQUIRE(ra->elected);
  const std::int64_t term = ra->leader.term;

  SECTION("deleted") {
    TxnRequest del;
    del.success = {TxnOp::Delete(a.leader_key())};
    REQUIRE(client.Txn(del).ok());
  }
  SECTION("overwritten (same value, no lease)") {
    Result<std::optional<KeyValue>> kv = client.Get(a.leader_key());
    REQUIRE(kv.ok());
    REQUIRE(kv->has_value());
    REQUIRE(client.Put(a.leader_key(), (*kv)->value).ok());
  }
  // The keep-alive thread checks the key after each renewal.
  CHECK(Eventually([&] { return lost.Calls() > 0; }));
  CHECK(lost.Calls() == 1);
  CHECK(a.state().state == LeadershipState::kLost);
  CHECK(!a.IsLeader());
  {
    std::lock_guard lock(lost.mu);
    CHECK(lost.term == term);
    CHECK(lost.why.code() == StatusCode::kFailedPrecondition);
  }
  CHECK(a.FencedPut(a.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("election: fenced puts and observing are checked", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint()));
  Election a(client, kPrefix, WithTtl(5s));
  Election b(client, kPrefix, WithTtl(5s));

  // Never leader: refused locally, nothing written.
  CHECK(a.FencedPut(a.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
  Result<std::optional<std::string>> acked = a.ReadAcked();
  REQUIRE(acked.ok());
  CHECK(!acked->has_value());

  REQUIRE(a.Campaign("node-a", "").ok());
  REQUIRE(a.IsLeader());
  REQUIRE(!b.Campaign("node-b", "")->elected);
  CHECK(b.FencedPut(b.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
  // The leader key is the election's own.
  CHECK(a.FencedPut(a.leader_key(), "x").status().code() == StatusCode::kInvalidArgument);

  Result<std::int64_t> r1 = a.FencedPut(a.acked_key(), "1");
  Result<std::int64_t> r2 = a.FencedPut(a.acked_key(), "2");
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  CHECK(*r2 > *r1);
  // The acked key is not on the lease: it outlives the leader.
  REQUIRE(a.Resign().ok());
  acked = b.ReadAcked();
  REQUIRE(acked.ok());
  CHECK(*acked == std::optional<std::string>("2"));

  // A leader key that is not what Campaign writes: Corruption, for observers
  // and campaigners alike.
  REQUIRE(client.Put(a.leader_key(), "not json").ok());
  CHECK(b.Observe().status().code() == StatusCode::kCorruption);
  CHECK(b.Campaign("node-b", "").status().code() == StatusCode::kCorruption);
  CHECK(b.state().state == LeadershipState::kFollower);
}

TEST_CASE("election: etcd unreachable or frozen is Unavailable, and a leader steps down",
          "[cluster][fault]") {
  {
    EtcdClient dead(OptionsFor(testing::UnusedEndpoint(), 500ms));
    Election e(dead, kPrefix, WithTtl(2s));
    CHECK(e.Campaign("node-a", "").status().code() == StatusCode::kUnavailable);
    CHECK(e.state().state == LeadershipState::kFollower);
    CHECK(e.Observe().status().code() == StatusCode::kUnavailable);
    CHECK(e.ReadAcked().status().code() == StatusCode::kUnavailable);
    CHECK(e.FencedPut(e.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
    CHECK(e.Resign().ok());
  }

  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint(), 1000ms));
  LostLog lost;
  Election a(client, kPrefix, lost.Options(2s));
  Result<CampaignResult> ra = a.Campaign("node-a", "");
  REQUIRE(ra.ok());
  REQUIRE(ra->elected);

  // etcd freezes: renewals go unanswered, and the leader steps down on its
  // own (it cannot know whether another node has been elected meanwhile).
  etcd->Pause();
  const bool stepped_down = Eventually([&] { return lost.Calls() > 0; });
  CHECK(!a.IsLeader());
  CHECK(a.FencedPut(a.acked_key(), "x").status().code() == StatusCode::kFailedPrecondition);
  etcd->Resume();
  CHECK(stepped_down);
  CHECK(a.state().state == LeadershipState::kLost);
  {
    std::lock_guard lock(lost.mu);
    CHECK(lost.why.code() == StatusCode::kUnavailable);
  }

  // Once etcd runs again, the unrenewed lease expires there and another
  // node wins with a larger term.
  Election b(client, kPrefix, WithTtl(2s));
  std::optional<CampaignResult> won = CampaignUntilElected(b, "node-b");
  REQUIRE(won.has_value());
  CHECK(won->leader.term > ra->leader.term);
}

TEST_CASE("election: four nodes campaigning at once: exactly one leader per term",
          "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor(etcd->endpoint(), 5000ms));  // one client, shared
  constexpr int kNodes = 4;
  constexpr int kRounds = 5;
  std::vector<std::unique_ptr<Election>> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.push_back(std::make_unique<Election>(client, kPrefix, WithTtl(10s)));

  std::int64_t last_term = 0;
  std::map<std::int64_t, int> leaders_per_term;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    std::vector<std::optional<Result<CampaignResult>>> results(kNodes);
    std::latch start(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();  // all campaign at once
        results[static_cast<std::size_t>(i)] =
            nodes[static_cast<std::size_t>(i)]->Campaign("node-" + std::to_string(i), "");
      });
    }
    for (auto& t : threads) t.join();

    int elected = 0, winner = -1;
    for (int i = 0; i < kNodes; ++i) {
      const auto& r = results[static_cast<std::size_t>(i)];
      REQUIRE(r.has_value());
      INFO("node " << i << ": " << r->status().ToString());
      REQUIRE(r->ok());
      if ((*r)->elected) {
        ++elected;
        winner = i;
      }
    }
    REQUIRE(elected == 1);
    const std::int64_t term = (*results[static_cast<std::size_t>(winner)])->leader.term;
    for (int i = 0; i < kNodes; ++i) {
      const CampaignResult& r = **results[static_cast<std::size_t>(i)];
      CHECK(r.leader.term == term);  // everyone saw the same leader
      CHECK(r.leader.node_id == "node-" + std::to_string(winner));
      CHECK(nodes[static_cast<std::size_t>(i)]->IsLeader() == (i == winner));
    }
    CHECK(term > last_term);
    last_term = term;
    ++leaders_per_term[term];
    REQUIRE(nodes[static_cast<std::size_t>(winner)]->Resign().ok());
  }
  CHECK(leaders_per_term.size() == kRounds);
  for (const auto& [term, n] : leaders_per_term) CHECK(n == 1);
}

}  // namespace
}  // namespace caseledger::cluster
