#include "app/retention.h"

#include <sstream>

#include "app/erasure.h"

namespace caseledger::app {

namespace {

Json SubjectJson(const projections::RetentionSubject& s) {
  Json cases = Json::array();
  for (const auto& c : s.cases) {
    Json o{{"case", c.case_id}, {"basis", c.basis}, {"legal_hold", c.legal_hold}};
    if (c.due) o["due"] = ledger::FormatTime(*c.due);
    cases.push_back(std::move(o));
  }
  return Json{{"subject", s.subject},
                      {"due", ledger::FormatTime(s.due)},
                      {"reason", s.reason},
                      {"legal_hold", s.legal_hold},
                      {"cases", std::move(cases)}};
}

Json List(const std::vector<projections::RetentionSubject>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(SubjectJson(s));
  return a;
}

}  // namespace

Result<std::string> RetentionActor(ledger::LogStore& log, const projections::ProjectionDbs& dbs,
                                   const projections::RetentionPolicy& policy) {
  CL_ASSIGN_OR_RETURN(auto users, projections::ListUsers(log, dbs));
  for (const auto& u : users)
    if (u.user == policy.actor && u.role == "dpo" && !u.is_revoked()) return u.user;
  for (const auto& u : users)
    if (u.role == "dpo" && !u.is_revoked()) return u.user;
  return NotFound("no active dpo to act for the retention run");
}

Result<RetentionRun> RunRetention(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                                  const std::string& actor, ledger::Micros now,
                                  ledger::Micros soon_window, const ProgressFn& progress) {
  RetentionRun run;
  CL_ASSIGN_OR_RETURN(run.plan, projections::PlanRetention(ledger.store(), dbs, now, soon_window));
  const std::uint64_t due = run.plan.due.size();
  auto report = [&] {
    if (progress) progress(run.erased.size() + run.failed.size(), due);
  };
  report();
  for (const auto& s : run.plan.due) {
    auto c = ErasureCommand(ledger.keys(), actor, "dpo", s.subject, s.reason);
    if (!c.ok()) {
      run.failed.push_back({s.subject, c.status().ToString()});
      report();
      continue;
    }
    auto r = ledger.writer().Submit(std::move(*c)).get();
    if (!r.ok()) {
      run.failed.push_back({s.subject, r.status().ToString()});
      report();
      continue;
    }
    run.erased.push_back({s.subject, s.reason, r->seq});
    report();
  }
  return run;
}

Json RetentionRunJson(const RetentionRun& run) {
  const auto& p = run.plan;
  Json erased = Json::array();
  for (const auto& e : run.erased)
    erased.push_back({{"subject", e.subject}, {"reason", e.reason}, {"seq", e.seq}});
  Json failed = Json::array();
  for (const auto& f : run.failed) failed.push_back({{"subject", f.subject}, {"why", f.why}});
  Json policy{{"unfounded_days", p.policy.unfounded_days},
                      {"closed_years", p.policy.closed_years},
                      {"review_months", p.policy.review_months},
                      {"source", p.policy.seq == 0 ? "defaults (DESIGN §7.3)"
                                                   : "retention.policy_set at seq " +
                                                         std::to_string(p.policy.seq)}};
  return Json{{"now", ledger::FormatTime(p.now)},
                      {"soon_until", ledger::FormatTime(p.soon_until)},
                      {"policy", std::move(policy)},
                      {"subjects", p.subjects},
                      {"erased_before", p.erased},
                      {"erased", std::move(erased)},
                      {"failed", std::move(failed)},
                      {"held", List(p.held)},
                      {"due_soon", List(p.soon)}};
}

std::string RetentionRunText(const RetentionRun& run) {
  const auto& p = run.plan;
  std::ostringstream o;
  o << "retention run at " << ledger::FormatTime(p.now) << ": policy unfounded "
    << p.policy.unfounded_days << " days, closed " << p.policy.closed_years << " years ("
    << (p.policy.seq == 0 ? std::string("defaults") : "seq " + std::to_string(p.policy.seq))
    << ")\n";
  o << "  erased now: " << run.erased.size() << "; refused: " << run.failed.size()
    << "; blocked by a legal hold: " << p.held.size() << "; due by "
    << ledger::FormatTime(p.soon_until).substr(0, 10) << ": " << p.soon.size() << "\n";
  for (const auto& e : run.erased)
    o << "  erased  " << e.subject << " (" << e.reason << ", seq " << e.seq << ")\n";
  for (const auto& f : run.failed) o << "  refused " << f.subject << ": " << f.why << "\n";
  for (const auto& s : p.held)
    o << "  held    " << s.subject << " (due " << ledger::FormatTime(s.due).substr(0, 10)
      << ", legal hold)\n";
  for (const auto& s : p.soon)
    o << "  soon    " << s.subject << " (due " << ledger::FormatTime(s.due).substr(0, 10)
      << ", " << s.reason << (s.legal_hold ? ", legal hold" : "") << ")\n";
  return o.str();
}

}  // namespace caseledger::app
