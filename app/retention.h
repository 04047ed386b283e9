// `caseledger retention run` and the server's daily retention task (DESIGN
// §7.3): plans (projections/retention.h) and erases every subject that is due
// and not under a legal hold, each through the normal erasure path
// (app/erasure.h: the policy engine decides again, in the writer), acting for
// a DPO. Reports what it erased, what a legal hold blocks and what falls due
// soon, by pseudonymous id only.
#pragma once

#include <string>
#include <vector>

#include "base/progress.h"
#include "base/result.h"
#include "ledger/ledger.h"
#include "projections/retention.h"

namespace caseledger::app {

struct RetentionRun {
  projections::RetentionPlan plan;
  struct Erased {
    std::string subject, reason;
    std::uint64_t seq = 0;
  };
  std::vector<Erased> erased;
  struct Failed {
    std::string subject, why;  // why: a status (no personal data)
  };
  std::vector<Failed> failed;
};

// The default "due soon" window: 30 days.
inline constexpr ledger::Micros kRetentionSoonWindow = ledger::Micros{30} * 86400 * 1000000;

// Plans as of `now` and erases what is due, for the DPO `actor`. A subject
// the policy engine refuses at that moment (e.g. a legal hold set since the
// plan) is listed as failed with the reason, and the run goes on.
// `progress`, if set, is called once planned and after each subject with
// the subjects done (erased or failed) and the subjects due
// (base/progress.h).
Result<RetentionRun> RunRetention(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                                  const std::string& actor, ledger::Micros now,
                                  ledger::Micros soon_window = kRetentionSoonWindow,
                                  const ProgressFn& progress = {});

// The report: canonical-ready JSON, and a few readable lines.
Json RetentionRunJson(const RetentionRun& run);
std::string RetentionRunText(const RetentionRun& run);

// The DPO a retention run acts for: the one who set the policy in force if
// still active, else the first active DPO. NotFound if there is none.
Result<std::string> RetentionActor(ledger::LogStore& log, const projections::ProjectionDbs& dbs,
                                   const projections::RetentionPolicy& policy);

}  // namespace caseledger::app
