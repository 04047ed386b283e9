// FLAG-ACCESS (projections/access_flags.h): unusual access is raised by a
// user who reads many cases they had no part in, or reads outside working
// hours, and not by the close variants just inside the limits.
#include "projections/access_flags.h"

#include <catch2/catch.hpp>

#include "ledger/time.h"

namespace caseledger::projections {
namespace {

Micros T(const char* text) { return ledger::ParseTime(text).value(); }

std::uint64_t next_seq = 1;

Fact Event(const std::string& type, const std::string& actor, const std::string& role,
           const std::string& case_id, Micros t, Json h = Json::object()) {
  Fact f;
  f.seq = next_seq++;
  f.time = t;
  f.type = type;
  f.actor = actor;
  f.role = role;
  f.case_id = case_id;
  f.h = std::move(h);
  return f;
}

Fact Read(const std::string& actor, const std::string& role, const std::string& case_id, Micros t,
          const std::string& purpose = "casework") {
  return Event("access.read", actor, role, case_id, t, Json{{"purpose", purpose}});
}

// A Tuesday at 10:00 Copenhagen time (CET), plus `day` days of the same month.
Micros Workday(int day) { return T("2026-12-01T09:00:00Z") + Micros{day} * 86'400'000'000; }

std::vector<AccessFinding> Of(AccessScan& s, const std::string& kind) {
  std::vector<AccessFinding> out;
  for (auto& f : s.Findings())
    if (f.kind == kind) out.push_back(f);
  return out;
}

TEST_CASE("Copenhagen time follows the EU summer-time rule", "[projections][flags]") {
  constexpr Micros kHour = 3'600'000'000;
  CHECK(CopenhagenOffset(T("2026-03-29T00:59:59Z")) == kHour);
  CHECK(CopenhagenOffset(T("2026-03-29T01:00:00Z")) == 2 * kHour);
  CHECK(CopenhagenOffset(T("2026-10-25T00:59:59Z")) == 2 * kHour);
  CHECK(CopenhagenOffset(T("2026-10-25T01:00:00Z")) == kHour);
  const AccessPolicy p;
  CHECK(WithinWorkingHours(T("2026-12-01T06:00:00Z"), p));         // Tue 07:00 CET
  CHECK_FALSE(WithinWorkingHours(T("2026-12-01T05:59:59Z"), p));   // Tue 06:59
  CHECK(WithinWorkingHours(T("2026-12-01T16:59:59Z"), p));         // Tue 17:59
  CHECK_FALSE(WithinWorkingHours(T("2026-12-01T17:00:00Z"), p));   // Tue 18:00
  CHECK(WithinWorkingHours(T("2026-07-01T05:00:00Z"), p));         // Wed 07:00 CEST
  CHECK_FALSE(WithinWorkingHours(T("2026-07-01T04:59:59Z"), p));   // Wed 06:59 CEST
  CHECK_FALSE(WithinWorkingHours(T("2026-12-05T10:00:00Z"), p));   // Saturday
  CHECK_FALSE(WithinWorkingHours(T("2026-12-06T10:00:00Z"), p));   // Sunday
}

TEST_CASE("FLAG-ACCESS: more than 20 uninvolved cases read in a month", "[projections][flags]") {
  auto run = [](int cases, bool split_months, const std::string& purpose) {
    AccessScan s;
    for (int i = 0; i < cases; ++i) {
      const std::string c = "c-" + std::to_string(i);
      s.Add(Event("concern.reported", "u-cw", "caseworker", c, Workday(0)));
      const Micros t = split_months && i % 2 ? Workday(0) + Micros{40} * 86'400'000'000
                                             : Workday(1);
      s.Add(Read("u-co", "coordinator", c, t, purpose));
      s.Add(Read("u-co", "coordinator", c, t, purpose));  // the same case twice counts once
    }
    return Of(s, "uninvolved_reads");
  };
  auto raised = run(21, false, "casework");
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].user == "u-co");
  CHECK(raised[0].count == 21);
  CHECK(raised[0].month == "2026-12");
  CHECK(raised[0].examples.size() == AccessScan::kExamples);
  CHECK(run(20, false, "casework").empty());
  CHECK(run(21, true, "casework").empty());  // 11 and 10 in two months
  CHECK(run(30, false, "review").empty());   // a legal review's reads are its work
  CHECK(run(30, false, "audit").empty());
}

TEST_CASE("FLAG-ACCESS: reads of one's own cases are not uninvolved", "[projections][flags]") {
  AccessScan s;
  for (int i = 0; i < 30; ++i) {
    const std::string c = "c-" + std::to_string(i);
    s.Add(Event("concern.reported", "u-cw", "caseworker", c, Workday(0)));
    // Assigned by the coordinator to a second caseworker: both take part.
    s.Add(Event("case.assigned", "u-co", "coordinator", c, Workday(0),
                Json{{"assignees", Json::array({"u-cw2"})}}));
    s.Add(Read("u-co", "coordinator", c, Workday(1)));
    s.Add(Read("u-cw2", "caseworker", c, Workday(1)));
    s.Add(Read("u-cw", "caseworker", c, Workday(1)));
  }
  CHECK(s.Findings().empty());
}

TEST_CASE("FLAG-ACCESS: a read outside working hours", "[projections][flags]") {
  AccessScan s;
  s.Add(Event("concern.reported", "u-cw", "caseworker", "c-1", Workday(0)));
  s.Add(Read("u-cw", "caseworker", "c-1", T("2026-12-01T16:59:00Z")));  // 17:59: inside
  CHECK(s.Findings().empty());
  s.Add(Read("u-cw", "caseworker", "c-1", T("2026-12-01T21:00:00Z")));  // 22:00
  const std::uint64_t seq = next_seq - 1;
  auto late = Of(s, "after_hours_reads");
  REQUIRE(late.size() == 1);
  CHECK(late[0].user == "u-cw");
  CHECK(late[0].count == 1);
  CHECK(late[0].examples == std::vector<std::uint64_t>{seq});
}

}  // namespace
}  // namespace caseledger::projections
