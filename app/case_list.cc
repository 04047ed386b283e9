#include "app/case_list.h"

#include <array>

namespace caseledger::app {

bool IsCaseStatus(std::string_view status) {
  static constexpr std::array<std::string_view, 7> kStatuses = {
      "received", "under_assessment", "founded", "unfounded", "intervention", "closed", "erased"};
  for (std::string_view s : kStatuses)
    if (s == status) return true;
  return false;
}

Result<CaseList> ListCases(ledger::LogStore& log, const projections::ProjectionDbs& dbs,
                           projections::CaseCache& cache, const Principal& who,
                           const CaseListQuery& query) {
  CL_ASSIGN_OR_RETURN(std::vector<std::string> ids, projections::ListCaseIds(log, dbs));
  CaseList out;
  for (const std::string& id : ids) {
    if (!query.after.empty() && id <= query.after) continue;
    CL_ASSIGN_OR_RETURN(projections::CaseCache::Read read, cache.Get(id));
    const projections::CaseView& v = read.c->view;
    if (!MayList(who, v)) continue;
    if (!query.status.empty() && v.status != query.status) continue;
    if (out.cases.size() == query.limit) {
      out.next = out.cases.back()->view.case_id;
      break;
    }
    out.cases.push_back(std::move(read.c));
  }
  return out;
}

}  // namespace caseledger::app
