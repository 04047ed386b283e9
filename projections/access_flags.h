// FLAG-ACCESS (DESIGN §5.2): unusual access, found in the access records of
// the log. Two kinds, per user:
//   uninvolved_reads  in one calendar month (UTC), a user read more than
//                     `max_uninvolved_per_month` distinct cases for casework
//                     (or looked their subject up) in which they had no part:
//                     not assigned to them, no event of theirs
//   after_hours_reads reads (any purpose) outside working hours: Monday to
//                     Friday, 07:00-18:00 Copenhagen time (CET/CEST, EU
//                     summer-time rule)
// Reads for review, audit and subject access are the legal reviewer's,
// auditor's and DPO's work across cases and are not counted as uninvolved.
// Fed every event of the log in seq order (Add), it keeps per case the
// users involved so far: O(cases · users per case) memory.
// Definitions and thresholds: docs/audit.md. Not thread-safe (one scan).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "projections/case_state.h"

namespace caseledger::projections {

struct AccessPolicy {
  std::uint64_t max_uninvolved_per_month = 20;
  int work_start_hour = 7, work_end_hour = 18;  // local time, weekdays
};

// The UTC offset of Copenhagen at `t` (3600 or 7200 s as Micros): CEST from
// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
Micros CopenhagenOffset(Micros t);
// Whether `t` lies within working hours in Copenhagen.
bool WithinWorkingHours(Micros t, const AccessPolicy& policy);

struct AccessFinding {
  std::string user, role;
  std::string kind;       // "uninvolved_reads" or "after_hours_reads"
  std::string month;      // "YYYY-MM" (uninvolved_reads), else ""
  std::uint64_t count = 0;  // distinct cases, or reads
  std::vector<std::uint64_t> examples;  // seqs of the first few reads
};

class AccessScan {
 public:
  explicit AccessScan(AccessPolicy policy = {}) : policy_(policy) {}
  void Add(const Fact& f);
  // Users above the threshold, and users with after-hours reads; by kind,
  // then user, then month.
  std::vector<AccessFinding> Findings() const;
  static constexpr std::size_t kExamples = 5;

 private:
  struct Reads {
    std::string role;
    std::set<std::string> cases;
    std::vector<std::uint64_t> examples;
  };
  AccessPolicy policy_;
  std::map<std::string, std::set<std::string>> involved_;  // case -> users
  std::map<std::pair<std::string, std::string>, Reads> uninvolved_;  // (user, month)
  std::map<std::string, AccessFinding> after_hours_;  // user
};

}  // namespace caseledger::projections
