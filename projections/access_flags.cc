#include "projections/access_flags.h"

#include <cstdio>

#include "ledger/time.h"

namespace caseledger::projections {

namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kHour = 3600 * kSecond;
constexpr Micros kDay = 24 * kHour;

std::int64_t FloorDiv(Micros a, Micros b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// 0 = Sunday.
unsigned Weekday(std::int64_t days) {
  return static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
}

// The last Sunday of `month` in `year`, 01:00 UTC.
Micros LastSundayOneUtc(std::int64_t year, unsigned month) {
  const std::int64_t first_next = month == 12 ? ledger::DaysFromCivil(year + 1, 1, 1)
                                              : ledger::DaysFromCivil(year, month + 1, 1);
  std::int64_t day = first_next - 1;
  while (Weekday(day) != 0) --day;
  return day * kDay + kHour;
}

std::int64_t YearOf(Micros t) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  ledger::CivilFromDays(FloorDiv(t, kDay), y, m, d);
  return y;
}

std::string Month(Micros t) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  ledger::CivilFromDays(FloorDiv(t, kDay), y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y), m);
  return buf;
}

}  // namespace

Micros CopenhagenOffset(Micros t) {
  const std::int64_t year = YearOf(t);
  const bool summer = t >= LastSundayOneUtc(year, 3) && t < LastSundayOneUtc(year, 10);
  return summer ? 2 * kHour : kHour;
}

bool WithinWorkingHours(Micros t, const AccessPolicy& policy) {
  const Micros local = t + CopenhagenOffset(t);
  const std::int64_t days = FloorDiv(local, kDay);
  const unsigned wd = Weekday(days);
  if (wd == 0 || wd == 6) return false;
  const Micros in_day = local - days * kDay;
  return in_day >= policy.work_start_hour * kHour && in_day < policy.work_end_hour * kHour;
}

void AccessScan::Add(const Fact& f) {
  if (!f.case_id) return;
  const std::string& c = *f.case_id;
  if (f.type == "access.read" || f.type == "access.exported") {
    const std::string purpose =
        f.h.is_object() && f.h.contains("purpose") && f.h["purpose"].is_string()
            ? f.h["purpose"].get<std::string>()
            : "";
    if (!WithinWorkingHours(f.time, policy_)) {
      AccessFinding& a = after_hours_[f.actor];
      a.user = f.actor;
      a.role = f.role;
      a.kind = "after_hours_reads";
      ++a.count;
      if (a.examples.size() < kExamples) a.examples.push_back(f.seq);
    }
    if (purpose == "casework" || purpose == "lookup") {
      auto it = involved_.find(c);
      if (it == involved_.end() || !it->second.contains(f.actor)) {
        Reads& r = uninvolved_[{f.actor, Month(f.time)}];
        r.role = f.role;
        if (r.cases.insert(c).second && r.examples.size() < kExamples) r.examples.push_back(f.seq);
      }
    }
    return;
  }
  if (f.type == "policy.refused") return;
  std::set<std::string>& users = involved_[c];
  users.insert(f.actor);
  if (f.type == "case.assigned" && f.h.is_object() && f.h.contains("assignees") &&
      f.h["assignees"].is_array()) {
    for (const auto& a : f.h["assignees"])
      if (a.is_string()) users.insert(a.get<std::string>());
  }
}

std::vector<AccessFinding> AccessScan::Findings() const {
  std::vector<AccessFinding> out;
  for (const auto& [key, r] : uninvolved_) {
    if (r.cases.size() <= policy_.max_uninvolved_per_month) continue;
    out.push_back({key.first, r.role, "uninvolved_reads", key.second, r.cases.size(), r.examples});
  }
  for (const auto& [user, a] : after_hours_) out.push_back(a);
  return out;
}

}  // namespace caseledger::projections
