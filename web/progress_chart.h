// The case page's progress per dimension (docs/web.md, "A case"): risk and
// resources (0–3) on each of the nine assessment dimensions
// (projections::kFactorDimensions) as the case's assessments and its
// interventions' progress entries recorded them, each point dated — a step
// chart per dimension (web/chart.h) with a table of the same figures under
// it (WCAG 1.1.1). Reads only the view it is given, so under time travel it
// shows the case as it stood. Codes and scores only, never a body.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "projections/case_state.h"
#include "web/i18n.h"

namespace caseledger::web {

// One recorded set of scores: an assessment with factors, or a progress
// entry of an intervention.
struct ProgressPoint {
  std::uint64_t seq = 0;
  ledger::Micros time = 0;
  std::string kind;  // "" for an assessment; else the intervention's kind
  projections::Factors factors;
};

// Every recorded point of `view`, in time order (then seq); assessments
// without factors are left out.
std::vector<ProgressPoint> ProgressPoints(const projections::CaseView& view);

// The section (HTML, every text escaped), or "" when nothing was recorded.
std::string ProgressSection(Lang lang, const projections::CaseView& view);

}  // namespace caseledger::web
