// The case listing (GET /v1/cases; the workspace's "my cases" and triage
// pages): every case the caller may list (ROL-3, app::MayList), in case-id
// order, optionally of one status, a page at a time. Summaries only: the
// caller picks what to show of each view, never the context codes (ROL-3)
// and never a body. Reads no body, so it records no access.
// Thread-safety: as CaseCache.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "app/authz.h"
#include "base/result.h"
#include "projections/case_cache.h"

namespace caseledger::app {

struct CaseListQuery {
  std::string status;  // a case status, or "" for all
  std::string after;   // a case id: list the cases after it, or "" from the start
  std::size_t limit = 100;
};

struct CaseList {
  std::vector<std::shared_ptr<const projections::CachedCase>> cases;
  std::string next;  // the last listed case id if more follow, else ""
};

// The statuses a query may name.
bool IsCaseStatus(std::string_view status);

// Precondition: query.status is "" or IsCaseStatus; query.limit >= 1.
Result<CaseList> ListCases(ledger::LogStore& log, const projections::ProjectionDbs& dbs,
                           projections::CaseCache& cache, const Principal& who,
                           const CaseListQuery& query);

}  // namespace caseledger::app
