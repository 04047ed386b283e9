// Issue 17: server time per page of the web workspace (web/), p50 and p99,
// beside the JSON API's own listing on the same data in the same run.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "bench/measure.h"

namespace caseledger::bench {

struct PageTiming {
  std::string path;  // the route, e.g. /ui/cases/{case}
  std::string role;  // who asks
  Samples micros;  // server time per request (Service::Handle), microseconds
  std::size_t bytes = 0;
  int status = 0;  // of the last answer
};

struct WebFigure {
  std::vector<PageTiming> pages;
  PageTiming api_cases;       // GET /v1/cases?limit=50 for the same user: the baseline
  std::size_t cases = 0;      // cases in the data dir
};

// Opens the domain data dir `dir` (closed), registers a coordinator, an
// auditor and a DPO (by the first active DPO of the log), signs each in to
// the workspace, and times `samples` requests of each page through the
// router, interleaved with the API's listing — the pages that read every
// case (the register, the statistics, the retention plan) a tenth as often.
// The compliance audit page is app::BuildAudit, timed on its own above.
Result<WebFigure> WebPagesOf(const std::string& dir, int samples);

}  // namespace caseledger::bench
