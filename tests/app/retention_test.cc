// Retention (DESIGN §7.3) with the clock advanced: unfounded cases are erased
// after their period, closed cases after theirs, a legal hold blocks it, an
// open case keeps its subject, and the report says so.
#include "app/retention.h"

#include <catch2/catch.hpp>

#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

constexpr ledger::Micros kDay = ledger::Micros{86400} * 1000000;

struct Cases {
  Command unfounded, closed, held, open, mixed_closed, mixed_open;
};

// One subject per case, except `mixed_*`: two cases of one subject, one
// closed and one still open.
Cases Plant(Domain& d) {
  Cases c{Concern(d.cw, Json::array({Ground("b.threat")})),
          Concern(d.cw, Json::array({Ground("b.threat")})),
          Concern(d.cw, Json::array({Ground("b.threat")})),
          Concern(d.cw, Json::array({Ground("b.threat")})),
          Concern(d.cw, Json::array({Ground("b.threat")})),
          Concern(d.cw, Json::array({Ground("b.threat")}))};
  c.mixed_open.subject = c.mixed_closed.subject;
  c.mixed_open.h["new_subject"] = false;
  for (Command* x : {&c.unfounded, &c.closed, &c.held, &c.open, &c.mixed_closed, &c.mixed_open})
    d.Must(*x);
  d.Must(Assessment(d.co, *c.unfounded.case_id, "unfounded", Json::array()));
  d.Must(Assessment(d.co, *c.held.case_id, "unfounded", Json::array()));
  d.Must(CaseEvent(d.dpo, *c.held.case_id, "legal_hold.set", Json{{"ground", "complaint"}}));
  for (const Command* x : {&c.closed, &c.mixed_closed})
    d.Must(CaseEvent(d.co, *x->case_id, "case.closed", Json{{"reason", "completed"}}));
  return c;
}

std::set<std::string> Subjects(const std::vector<projections::RetentionSubject>& v) {
  std::set<std::string> s;
  for (const auto& x : v) s.insert(x.subject);
  return s;
}

TEST_CASE("AddYears adds calendar years and keeps the time of day", "[api][retention]") {
  const auto t = ledger::ParseTime("2024-02-29T13:14:15.000016Z").value();
  CHECK(ledger::FormatTime(projections::AddYears(t, 5)) == "2029-02-28T13:14:15.000016Z");
  CHECK(ledger::FormatTime(projections::AddYears(t, 4)) == "2028-02-29T13:14:15.000016Z");
}

TEST_CASE("retention erases what is due, keeps what a legal hold or an open case keeps, and reports it",
          "[api][retention][erasure]") {
  Domain d;
  Cases c = Plant(d);
  const ledger::Micros now = ledger::NowMicros();
  auto plan = [&](ledger::Micros at) {
    return projections::PlanRetention(d.store(), d.dbs(), at, app::kRetentionSoonWindow).value();
  };
  // Today nothing is due; the unfounded ones fall due within 30 days.
  auto today = plan(now);
  CHECK(today.due.empty());
  CHECK(today.held.empty());
  CHECK(Subjects(today.soon) == std::set<std::string>{*c.unfounded.subject, *c.held.subject});
  CHECK(today.policy.seq == 0);  // the defaults
  CHECK(today.policy.unfounded_days == 30);

  // 31 days on: the unfounded subject is due (reason unfounded), the held one
  // is blocked; the closed ones are years away.
  auto month = plan(now + 31 * kDay);
  CHECK(Subjects(month.due) == std::set<std::string>{*c.unfounded.subject});
  CHECK(month.due.front().reason == "unfounded");
  CHECK(Subjects(month.held) == std::set<std::string>{*c.held.subject});
  CHECK(month.soon.empty());

  // Just under five years after closing: not yet; just over: the closed
  // subject is due (reason retention); the subject with an open case never is.
  auto almost = plan(projections::AddYears(now, 5) - kDay);
  CHECK_FALSE(Subjects(almost.due).contains(*c.closed.subject));
  CHECK(Subjects(almost.soon).contains(*c.closed.subject));
  auto years = plan(projections::AddYears(now, 5) + kDay);
  CHECK(Subjects(years.due) == std::set<std::string>{*c.unfounded.subject, *c.closed.subject});
  CHECK_FALSE(Subjects(years.due).contains(*c.mixed_closed.subject));
  CHECK_FALSE(Subjects(years.due).contains(*c.open.subject));

  // The run, 31 days on: erases the due subject through the erasure path
  // (its key destroyed), leaves the held one and says so.
  auto run = app::RunRetention(d.Ledger(), d.dbs(), d.dpo.id, now + 31 * kDay).value();
  REQUIRE(run.erased.size() == 1);
  CHECK(run.erased[0].subject == *c.unfounded.subject);
  CHECK(run.erased[0].reason == "unfounded");
  CHECK(run.failed.empty());
  CHECK(d.keys().IsDestroyed(*c.unfounded.subject));
  CHECK_FALSE(d.keys().IsDestroyed(*c.held.subject));
  CHECK(d.View(*c.unfounded.case_id).status == "erased");
  const std::string text = app::RetentionRunText(run);
  CHECK_THAT(text, Catch::Contains("erased now: 1") && Catch::Contains("blocked by a legal hold: 1") &&
                       Catch::Contains("held    " + *c.held.subject));
  const Json j = app::RetentionRunJson(run);
  CHECK(j["held"][0]["subject"] == *c.held.subject);
  CHECK(j["held"][0]["legal_hold"] == true);

  // Again: nothing new; the erased subject is counted as erased before.
  auto again = app::RunRetention(d.Ledger(), d.dbs(), d.dpo.id, now + 31 * kDay).value();
  CHECK(again.erased.empty());
  CHECK(again.plan.erased == 1);

  // Released, the held subject goes at the next run.
  d.Must(CaseEvent(d.dpo, *c.held.case_id, "legal_hold.released", Json{{"ground", "complaint"}}));
  auto released = app::RunRetention(d.Ledger(), d.dbs(), d.dpo.id, now + 31 * kDay).value();
  REQUIRE(released.erased.size() == 1);
  CHECK(released.erased[0].subject == *c.held.subject);
}

TEST_CASE("a retention.policy_set shortens or lengthens the periods", "[api][retention]") {
  Domain d;
  Cases c = Plant(d);
  // A DPO who is not (yet) in the user registry (the fixture registers its
  // own users).
  const testing::Actor dpo{NewId("u"), "dpo"};
  Command set;
  set.type = "retention.policy_set";
  set.actor = dpo.id;
  set.role = "dpo";
  set.h = Json{{"unfounded_days", 10}, {"closed_years", 2}, {"review_months", 12}};
  const std::uint64_t seq = d.Must(set);
  const auto policy = projections::ReadRetentionPolicy(d.store(), d.dbs()).value();
  CHECK(policy.seq == seq);
  CHECK(policy.actor == dpo.id);
  CHECK(policy.unfounded_days == 10);
  const ledger::Micros now = ledger::NowMicros();
  auto p = projections::PlanRetention(d.store(), d.dbs(), now + 11 * kDay, 0).value();
  CHECK(Subjects(p.due) == std::set<std::string>{*c.unfounded.subject});
  p = projections::PlanRetention(d.store(), d.dbs(), projections::AddYears(now, 2) + kDay, 0).value();
  CHECK(Subjects(p.due).contains(*c.closed.subject));
  // The run acts for the policy's author while that DPO is active, else for
  // another active DPO, else for no one.
  CHECK(app::RetentionActor(d.store(), d.dbs(), policy).value() == d.dpo.id);
  d.Must(RegisterUser(d.dpo, dpo.id, "dpo", NewTokenHash()));
  CHECK(app::RetentionActor(d.store(), d.dbs(), policy).value() == dpo.id);
  d.Must(UserCommand(d.dpo, "user.revoked", Json{{"user", dpo.id}}));
  CHECK(app::RetentionActor(d.store(), d.dbs(), policy).value() == d.dpo.id);
  d.Must(UserCommand(d.dpo, "user.revoked", Json{{"user", d.dpo.id}}));
  CHECK(app::RetentionActor(d.store(), d.dbs(), policy).status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger::testing
