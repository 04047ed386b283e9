// AsyncAppender (app/async_append.h) on a real domain ledger: every command's
// function is called exactly once — after its commit with the writer's
// answer, at once for a command the writer refuses before queueing, within
// the timeout otherwise — and the destructor waits for all of them.
#include "app/async_append.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

TEST_CASE("AsyncAppender: each command answered once, with the writer's answer", "[app]") {
  Domain d;
  const Command opened = Concern(d.cw, Json::array({Ground("b.threat")}));
  const std::uint64_t opened_seq = d.Must(opened);
  constexpr int kThreads = 4, kPerThread = 25;
  std::mutex mu;
  std::vector<Result<ledger::Appended>> answers;
  std::set<std::thread::id> answered_on;
  {
    app::AsyncAppender appender(d.Ledger().writer(), std::chrono::seconds(30));
    std::vector<std::thread> submitters;
    for (int t = 0; t < kThreads; ++t)
      submitters.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i)
          appender.Submit(CaseEvent(d.cw, *opened.case_id, "concern.responded",
                                    Json{{"channel", "phone"}}),
                          [&](Result<ledger::Appended> r) {
                            std::lock_guard lock(mu);
                            answers.push_back(std::move(r));
                            answered_on.insert(std::this_thread::get_id());
                          });
      });
    for (std::thread& t : submitters) t.join();
  }  // the destructor waited for every answer
  REQUIRE(answers.size() == kThreads * kPerThread);
  std::set<std::uint64_t> seqs;
  for (const auto& r : answers) {
    REQUIRE(r.ok());
    CHECK(r->seq > opened_seq);
    CHECK(r->tree_size >= r->seq);  // the checkpoint covers it: durable
    CHECK_FALSE(r->checkpoint.empty());
    seqs.insert(r->seq);
  }
  CHECK(seqs.size() == answers.size());
  CHECK(d.size() == opened_seq + kThreads * kPerThread);
  CHECK(answered_on.count(std::this_thread::get_id()) == 0);
}

TEST_CASE("AsyncAppender: a malformed command is answered at once, on the submitting thread",
          "[app]") {
  Domain d;
  app::AsyncAppender appender(d.Ledger().writer(), std::chrono::seconds(30));
  Command bad;  // no type, no actor
  std::optional<Status> got;
  std::thread::id on;
  appender.Submit(std::move(bad), [&](Result<ledger::Appended> r) {
    got = r.status();
    on = std::this_thread::get_id();
  });
  REQUIRE(got);  // before Submit returned
  CHECK(got->code() == StatusCode::kInvalidArgument);
  CHECK(on == std::this_thread::get_id());
}

TEST_CASE("AsyncAppender: a policy refusal is the writer's answer", "[app]") {
  Domain d;
  const Command opened = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(opened);
  std::atomic<int> calls{0};
  std::optional<Status> got;
  {
    app::AsyncAppender appender(d.Ledger().writer(), std::chrono::seconds(30));
    // An auditor writes nothing to a case (ROLE).
    appender.Submit(CaseEvent(d.aud, *opened.case_id, "concern.responded",
                              Json{{"channel", "phone"}}),
                    [&](Result<ledger::Appended> r) {
                      ++calls;
                      got = r.status();
                    });
  }
  CHECK(calls.load() == 1);
  REQUIRE(got);
  CHECK(got->code() == StatusCode::kPolicyRefused);
}

}  // namespace
}  // namespace caseledger::testing
