// cluster::Node in-process (docs/cluster-election.md): what a change of role
// must wait for. A request the app answers later (an append, answered by the
// service's appender after the commit) carries steps that use the app (the
// service's metrics); the role may close the app only once they have run.
// The cluster's end-to-end test once lost a node to this (a segfault while
// it was becoming leader).
#include "cluster/node.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "cluster/etcd.h"
#include "crypto/note.h"
#include "ledger/ledger.h"
#include "tests/cluster/etcd_fixture.h"
#include "tests/ledger/test_util.h"

namespace caseledger::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::TempDir;

// The server's side of a request's Deferral, as http/session.cc keeps it:
// the steps run on the answer once the handler has returned and the answer
// has been given, whichever comes second.
class TestDeferral final : public http::Deferral,
                           public http::Deferral::Answer::State,
                           public std::enable_shared_from_this<TestDeferral> {
 public:
  Answer Take() override { return Answer(shared_from_this()); }
  void OnAnswer(std::function<void(http::HttpResponse&)> step) override { steps_.push_back(std::move(step)); }
  void Give(http::HttpResponse response) override {
    {
      std::lock_guard lock(mu_);
      answer_ = std::move(response);
      if (!returned_) return;
    }
    Finish();
  }
  void Returned() {
    {
      std::lock_guard lock(mu_);
      returned_ = true;
      if (!answer_) return;
    }
    Finish();
  }

 private:
  void Finish() {
    for (auto& step : steps_) step(*answer_);
    steps_.clear();
  }
  std::vector<std::function<void(http::HttpResponse&)>> steps_;
  std::mutex mu_;
  bool returned_ = false;
  std::optional<http::HttpResponse> answer_;
};

// What the test sees of the apps the node makes.
struct Probe {
  std::mutex mu;
  std::vector<std::shared_ptr<std::atomic<bool>>> alive;  // one per app made
  std::unique_ptr<http::Deferral::Answer> answer;         // the deferred request's
  std::shared_ptr<std::atomic<bool>> answered_app;        // the app that took it
  std::optional<bool> step_saw_app_alive;
};

// An app that answers every request later, with a step on the answer that
// looks at whether the app still exists (as the service's metrics use it).
class DeferringApp final : public LeaderApp {
 public:
  explicit DeferringApp(Probe& probe) : probe_(probe), alive_(std::make_shared<std::atomic<bool>>(true)) {
    std::lock_guard lock(probe_.mu);
    probe_.alive.push_back(alive_);
  }
  ~DeferringApp() override { *alive_ = false; }
  http::HttpResponse Handle(const http::HttpRequest& request) override {
    http::Deferral::Answer answer = request.deferral->Take();
    request.deferral->OnAnswer([probe = &probe_, alive = alive_](http::HttpResponse&) {
      std::lock_guard lock(probe->mu);
      probe->step_saw_app_alive = alive->load();
    });
    std::lock_guard lock(probe_.mu);
    probe_.answer = std::make_unique<http::Deferral::Answer>(std::move(answer));
    probe_.answered_app = alive_;
    return http::Deferred();
  }

 private:
  Probe& probe_;
  std::shared_ptr<std::atomic<bool>> alive_;
};

TEST_CASE("cluster node: a change of role closes the app only after a deferred answer's steps ran",
          "[cluster][node]") {
  CL_START_ETCD_OR_SKIP(etcd);
  TempDir dir;
  Result<ledger::InitResult> init = ledger::InitDataDir(dir.path(), "test.invalid/node");
  REQUIRE(init.ok());
  Probe probe;
  NodeOptions o;
  o.config.node_id = "n1";
  o.config.url = "http://127.0.0.1:1";
  o.config.etcd = {etcd->endpoint()};
  o.config.min_acks = 0;  // no peers: nothing is written here
  o.config.lease_ttl = 2s;
  o.dir = dir.path();
  o.poll = 50ms;
  o.make_app = [&probe](app::DomainLedger&, bool) -> Result<std::unique_ptr<LeaderApp>> {
    return std::unique_ptr<LeaderApp>(std::make_unique<DeferringApp>(probe));
  };
  o.log = [](std::string_view) {};
  Result<std::unique_ptr<Node>> made = Node::Create(std::move(o));
  REQUIRE(made.ok());
  Node& node = **made;
  // However the test ends, the answer is given before the node stops (its
  // Stop waits for it): an Answer dropped ungiven answers 500.
  struct GiveOnExit {
    Probe& probe;
    ~GiveOnExit() {
      std::unique_ptr<http::Deferral::Answer> left;
      {
        std::lock_guard lock(probe.mu);
        left = std::move(probe.answer);
      }
    }
  } give_on_exit{probe};
  node.Start();
  REQUIRE(Eventually([&] { return node.status().role == Role::kLeader; }));

  auto deferral = std::make_shared<TestDeferral>();
  http::HttpRequest request;
  request.method = "POST";
  request.target = "/v1/cases";
  request.deferral = deferral;
  http::HttpResponse r = node.Handle(request);
  REQUIRE(r.deferred);
  deferral->Returned();
  std::shared_ptr<std::atomic<bool>> app;
  {
    std::lock_guard lock(probe.mu);
    REQUIRE(probe.answer != nullptr);
    app = probe.answered_app;
  }
  REQUIRE(*app);

  // The leadership ends (its key is gone): the node steps down, and must
  // wait for the answer before it closes the app that will give it.
  EtcdOptions eo;
  eo.endpoints = {etcd->endpoint()};
  EtcdClient client(eo);
  Result<crypto::NoteVerifier> verifier = crypto::NoteVerifier::Parse(init->verifier);
  REQUIRE(verifier.ok());
  TxnRequest del;
  del.success = {TxnOp::Delete("/caseledger/" + verifier->name + "/leader")};
  REQUIRE(client.Txn(del).ok());
  REQUIRE(Eventually([&] { return node.status().role != Role::kLeader; }));
  CHECK_FALSE(Eventually([&] { return !*app; }, 3s));  // still open: the answer is outstanding

  http::HttpResponse given;
  given.status = 201;
  {
    std::unique_ptr<http::Deferral::Answer> answer;
    {
      std::lock_guard lock(probe.mu);
      answer = std::move(probe.answer);
    }
    (*answer)(std::move(given));
  }
  {
    std::lock_guard lock(probe.mu);
    REQUIRE(probe.step_saw_app_alive.has_value());
    CHECK(*probe.step_saw_app_alive);
  }
  // Now the role change goes on: that app closes, and the node leads again
  // (it is the only one) with a new app.
  CHECK(Eventually([&] { return !*app; }));
  CHECK(Eventually([&] { return node.status().role == Role::kLeader; }));
  node.Stop();
}

}  // namespace
}  // namespace caseledger::cluster
