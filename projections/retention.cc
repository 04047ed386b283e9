#include "projections/retention.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace caseledger::projections {

namespace {

constexpr std::string_view kRetentionPolicyKey = "retention_policy";
constexpr Micros kDay = Micros{86400} * 1000000;

Result<int> IntField(const Json& j, const char* name, int lo, int hi) {
  if (!j.contains(name) || !j[name].is_number_integer())
    return Corruption(std::string("proj.meta retention_policy: missing ") + name);
  const auto v = j[name].get<std::int64_t>();
  if (v < lo || v > hi) return Corruption(std::string("proj.meta retention_policy: ") + name + " out of range");
  return static_cast<int>(v);
}

}  // namespace

Micros AddYears(Micros t, int years) {
  using namespace std::chrono;
  const sys_time<microseconds> tp{microseconds{t}};
  const sys_days day = floor<days>(tp);
  const auto time_of_day = tp - day;
  year_month_day ymd{day};
  year_month_day later = ymd + std::chrono::years{years};
  if (!later.ok()) later = year_month_day{later.year() / later.month() / last};
  return (sys_days{later} + time_of_day).time_since_epoch().count();
}

Result<RetentionPolicy> ReadRetentionPolicy(ledger::LogStore& log, const ProjectionDbs& dbs) {
  RetentionPolicy p;
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.meta, AsBytes(kRetentionPolicyKey)));
  if (!v) return p;
  CL_ASSIGN_OR_RETURN(Json j, ledger::ParseUntrustedJson(AsChars(*v), StoredJsonLimits()));
  if (!j.is_object()) return Corruption("proj.meta retention_policy: not an object");
  CL_ASSIGN_OR_RETURN(p.unfounded_days, IntField(j, "unfounded_days", 1, 3650));
  CL_ASSIGN_OR_RETURN(p.closed_years, IntField(j, "closed_years", 1, 50));
  CL_ASSIGN_OR_RETURN(p.review_months, IntField(j, "review_months", 1, 60));
  if (!j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("actor") ||
      !j["actor"].is_string())
    return Corruption("proj.meta retention_policy: missing seq or actor");
  p.seq = j["seq"].get<std::uint64_t>();
  p.actor = j["actor"].get<std::string>();
  return p;
}

RetentionPlanner::RetentionPlanner(RetentionPolicy policy, Micros now, Micros window) {
  plan_.policy = std::move(policy);
  plan_.now = now;
  plan_.soon_until = now + window;
}

void RetentionPlanner::Add(const CaseView& v) {
  RetentionSubject& s = by_subject_[v.subject];
  s.subject = v.subject;
  if (v.erased) erased_.insert(v.subject);
  RetentionCase c;
  c.case_id = v.case_id;
  c.legal_hold = v.legal_hold;
  if (v.Outcome() == "unfounded") {
    c.basis = "unfounded";
    // The latest assessment (not retracted) is the unfounded one.
    c.due = v.assessments.back().time + plan_.policy.unfounded_days * kDay;
  } else if (v.closed) {
    c.basis = "closed";
    c.due = AddYears(*v.closed, plan_.policy.closed_years);
  } else {
    c.basis = "open";
  }
  s.legal_hold = s.legal_hold || c.legal_hold;
  s.cases.push_back(std::move(c));
}

RetentionPlan RetentionPlanner::Finish() && {
  for (auto& [id, s] : by_subject_) {
    ++plan_.subjects;
    if (erased_.contains(id)) {
      ++plan_.erased;
      continue;
    }
    const bool all_due = std::all_of(s.cases.begin(), s.cases.end(),
                                     [](const RetentionCase& c) { return c.due.has_value(); });
    if (!all_due) continue;
    s.due = 0;
    for (const RetentionCase& c : s.cases) s.due = std::max(s.due, *c.due);
    const bool all_unfounded = std::all_of(s.cases.begin(), s.cases.end(),
                                           [](const RetentionCase& c) { return c.basis == "unfounded"; });
    s.reason = all_unfounded ? "unfounded" : "retention";
    if (s.due <= plan_.now) {
      (s.legal_hold ? plan_.held : plan_.due).push_back(std::move(s));
    } else if (s.due <= plan_.soon_until) {
      plan_.soon.push_back(std::move(s));
    }
  }
  return std::move(plan_);
}

Result<RetentionPlan> PlanRetention(ledger::LogStore& log, const ProjectionDbs& dbs, Micros now,
                                    Micros window) {
  CL_ASSIGN_OR_RETURN(RetentionPolicy policy, ReadRetentionPolicy(log, dbs));
  RetentionPlanner planner(std::move(policy), now, window);
  CL_RETURN_IF_ERROR(ForEachCaseView(log, dbs, [&](const CaseView& v) -> Status {
    planner.Add(v);
    return Status::Ok();
  }));
  return std::move(planner).Finish();
}

}  // namespace caseledger::projections
