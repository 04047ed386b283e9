// The flags of DESIGN §5.2 that one case raises: not refusals (the law lets
// one record these) but findings the compliance audit reports (§10), each
// about one event of the case, from when it applies. Definitions, with the
// demo's planted defects as their test table: docs/audit.md.
//   FLAG-24H        late_response            no concern.responded within 24 h
//                                            of the concern (seq: the concern)
//   FLAG-ASSESS     no_assessment            no assessment within 30 days of
//                                            the concern (seq: the concern)
//   FLAG-INFORM     late_information         founded, and neither
//                                            subject.informed nor
//                                            .information_deferred within 30
//                                            days of the founded assessment
//                                            (seq: that assessment)
//   FLAG-REVIEW     no_review_12_months      open (not closed, not erased) and
//                                            no case.reviewed in the last 12
//                                            months (seq: the concern)
//   FLAG-DISCLOSURE disclosure_unreviewed    made, and no legal review 30 days
//                                            after it was first made (seq: the
//                                            request)
//   FLAG-DISCLOSURE disclosure_deficient     the latest review's verdict is
//                                            `deficient` (seq: the request)
//   FLAG-ART19      recipients_not_notified  a correction, retraction,
//                                            restriction or erasure after a
//                                            disclosure was made, whose
//                                            recipients are not all notified
//                                            (seq: that event)
// A deadline applies from the moment it passes: a flag whose `due` is at or
// before `now` is raised. FLAG-RETENTION (per subject, projections/retention.h)
// and FLAG-ACCESS (per user, from the access records) are not per case.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "projections/case_state.h"

namespace caseledger::projections {

struct CaseFlag {
  std::string_view flag;  // "FLAG-24H", …
  std::string_view kind;  // "late_response", …
  std::uint64_t seq = 0;  // the event the finding is about
  Micros due = 0;         // from when it applies
};

// Every per-case (flag, kind) pair, in the order of the table above.
struct FlagKind {
  std::string_view flag, kind;
};
inline constexpr FlagKind kCaseFlagKinds[] = {
    {"FLAG-24H", "late_response"},
    {"FLAG-ASSESS", "no_assessment"},
    {"FLAG-INFORM", "late_information"},
    {"FLAG-REVIEW", "no_review_12_months"},
    {"FLAG-DISCLOSURE", "disclosure_unreviewed"},
    {"FLAG-DISCLOSURE", "disclosure_deficient"},
    {"FLAG-ART19", "recipients_not_notified"},
};

// The flags `v` raises as of `now`, in the order of kCaseFlagKinds, then seq.
std::vector<CaseFlag> CaseFlags(const CaseView& v, Micros now);

}  // namespace caseledger::projections
