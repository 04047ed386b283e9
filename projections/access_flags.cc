#include "projections/access_flags.h"

#include <cstdio>

namespace caseledger::projections {

namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kHour = 3600 * kSecond;
constexpr Micros kDay = 24 * kHour;

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};
Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t FloorDiv(Micros a, Micros b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// 0 = Sunday.
unsigned Weekday(std::int64_t days) {
  return static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
}

// The last Sunday of `month` in `year`, 01:00 UTC.
Micros LastSundayOneUtc(std::int64_t year, unsigned month) {
  const std::int64_t first_next = month == 12 ? DaysFromCivil(year + 1, 1, 1)
                                              : DaysFromCivil(year, month + 1, 1);
  std::int64_t day = first_next - 1;
  while (Weekday(day) != 0) --day;
  return day * kDay + kHour;
}

std::string Month(Micros t) {
  const Civil c = CivilFromDays(FloorDiv(t, kDay));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(c.y), c.m);
  return buf;
}

}  // namespace

Micros CopenhagenOffset(Micros t) {
  const std::int64_t year = CivilFromDays(FloorDiv(t, kDay)).y;
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
