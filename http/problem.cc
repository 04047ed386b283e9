#include "http/problem.h"

#include <array>

#include "ledger/canonical_json.h"
#include "projections/policy.h"

namespace caseledger::http {

namespace {

constexpr std::string_view kServerDetail =
    "the server could not complete the request; the operator's log has the "
    "details";

// Indexed by StatusCode. One row per code: keep in the enum's order.
constexpr std::array<HttpProblem, 14> kTable = {{
    {200, "", "OK", "", true},                                   // kOk
    {400, "https://caseledger.invalid/problems/invalid-argument",
     "The request is malformed", "", true},                      // kInvalidArgument
    {404, "https://caseledger.invalid/problems/not-found",
     "Not found", "", true},                                     // kNotFound
    {409, "https://caseledger.invalid/problems/already-exists",
     "Already exists", "", true},                                // kAlreadyExists
    {409, "https://caseledger.invalid/problems/failed-precondition",
     "Not possible in the current state", "", true},             // kFailedPrecondition
    {422, "https://caseledger.invalid/problems/policy-refused",
     "Refused by a rule of law", "", true},                      // kPolicyRefused
    {403, "https://caseledger.invalid/problems/forbidden",
     "Forbidden", "", true},                                     // kPermissionDenied
    {500, "https://caseledger.invalid/problems/integrity",
     "Stored data failed an integrity check", "", false},        // kCorruption
    {500, "https://caseledger.invalid/problems/io",
     "Storage failure", "", false},                              // kIoError
    {507, "https://caseledger.invalid/problems/insufficient-storage",
     "Insufficient storage", "", false},                         // kResourceExhausted
    {503, "https://caseledger.invalid/problems/unavailable",
     "Temporarily unavailable", "1", true},                        // kUnavailable
    {500, "https://caseledger.invalid/problems/internal",
     "Internal error", "", false},                               // kInternal
    {401, "https://caseledger.invalid/problems/unauthenticated",
     "Authentication required", "", true},                       // kUnauthenticated
    {429, "https://caseledger.invalid/problems/too-many-attempts",
     "Too many attempts", "60", true},                              // kRateLimited
}};

static_assert(static_cast<std::size_t>(StatusCode::kRateLimited) + 1 == kTable.size(),
              "one row per StatusCode");

}  // namespace

const HttpProblem& ProblemFor(StatusCode code) {
  return kTable[static_cast<std::size_t>(code)];
}

std::string ProblemBody(int status, std::string_view type, std::string_view title,
                        std::string_view detail, std::string_view rule) {
  Json j = Json::object();
  j["type"] = std::string(type);
  j["title"] = std::string(title);
  j["status"] = status;
  j["detail"] = std::string(detail);
  if (!rule.empty()) j["rule"] = std::string(rule);
  return ledger::CanonicalJson(j);
}

std::string ProblemJson(const Status& s) {
  const HttpProblem& p = ProblemFor(s.code());
  const std::string rule =
      s.code() == StatusCode::kPolicyRefused ? projections::RuleOf(s) : std::string();
  return ProblemBody(p.status, p.type, p.title,
                     p.expose_detail ? std::string_view(s.message()) : kServerDetail, rule);
}

}  // namespace caseledger::http
