// Retention (DESIGN §7.3, FLAG-RETENTION): which subjects are due for
// erasure. The policy is the latest `retention.policy_set` (projected into
// proj.meta "retention_policy"), or the defaults of DESIGN §7.3: an
// unfounded concern is erased `unfounded_days` (30) after its assessment, a
// closed case `closed_years` (5) after closing. Erasure is per subject (its
// one data key covers all its cases), so a subject is due when every one of
// its cases is due: the latest of their deadlines. A case still open (not
// unfounded, not closed) keeps its subject. A legal hold on any case blocks
// the subject's erasure (ROL-16): it is reported as held, never erased.
// Pure reads of the projections; thread-safe. Decisions: docs/privacy.md.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "ledger/time.h"
#include "projections/projector.h"

namespace caseledger::projections {

using ledger::Micros;

struct RetentionPolicy {
  int unfounded_days = 30;
  int closed_years = 5;
  int review_months = 12;
  std::uint64_t seq = 0;  // of the retention.policy_set; 0: the defaults
  std::string actor;      // who set it ("" for the defaults)
};
// The policy in force. Corruption for a stored policy the projector could
// not have written.
Result<RetentionPolicy> ReadRetentionPolicy(ledger::LogStore& log, const ProjectionDbs& dbs);

// `t` plus `years` calendar years (29 February becomes 28 February).
Micros AddYears(Micros t, int years);

struct RetentionCase {
  std::string case_id;
  std::string basis;  // "unfounded", "closed" or "open" (never due)
  std::optional<Micros> due;
  bool legal_hold = false;
};
struct RetentionSubject {
  std::string subject;
  std::vector<RetentionCase> cases;
  Micros due = 0;      // the latest deadline of its cases
  std::string reason;  // "unfounded" if every case is, else "retention"
  bool legal_hold = false;
};
struct RetentionPlan {
  RetentionPolicy policy;
  Micros now = 0;
  Micros soon_until = 0;
  std::vector<RetentionSubject> due;   // to erase now (due <= now, no hold)
  std::vector<RetentionSubject> held;  // due, but a legal hold blocks it
  std::vector<RetentionSubject> soon;  // due in (now, soon_until]
  std::uint64_t subjects = 0;          // subjects with a case
  std::uint64_t erased = 0;            // of which erased already
};
// The plan built from case views fed one by one (so a caller that walks the
// cases for more, like the audit, parses each once).
class RetentionPlanner {
 public:
  RetentionPlanner(RetentionPolicy policy, Micros now, Micros window);
  void Add(const CaseView& v);
  RetentionPlan Finish() &&;

 private:
  RetentionPlan plan_;
  std::map<std::string, RetentionSubject> by_subject_;
  std::set<std::string> erased_;
};

// The plan as of `now`, listing as "soon" what falls due within `window`.
// Subjects in subject-id order. One snapshot of proj.case_rows.
Result<RetentionPlan> PlanRetention(ledger::LogStore& log, const ProjectionDbs& dbs, Micros now,
                                    Micros window);

}  // namespace caseledger::projections
