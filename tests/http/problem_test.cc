// The Status -> HTTP table and the problem+json bodies (RFC 9457).
#include <catch2/catch.hpp>
#include <set>

#include "base/json.h"
#include "http/problem.h"
#include "projections/catalogue.h"

namespace caseledger::http {
namespace {

const StatusCode kAll[] = {
    StatusCode::kInvalidArgument,  StatusCode::kNotFound,       StatusCode::kAlreadyExists,
    StatusCode::kFailedPrecondition, StatusCode::kPolicyRefused, StatusCode::kPermissionDenied,
    StatusCode::kCorruption,       StatusCode::kIoError,        StatusCode::kResourceExhausted,
    StatusCode::kUnavailable,      StatusCode::kInternal,       StatusCode::kUnauthenticated,
    StatusCode::kRateLimited};

TEST_CASE("every status code has its own problem type and an error HTTP status", "[api]") {
  std::set<std::string_view> types;
  for (StatusCode c : kAll) {
    INFO(StatusCodeName(c));
    const HttpProblem& p = ProblemFor(c);
    CHECK(p.status >= 400);
    CHECK(p.type.rfind(kProblemBase, 0) == 0);
    CHECK(types.insert(p.type).second);  // stable and distinct
    CHECK_FALSE(p.title.empty());
  }
  CHECK(ProblemFor(StatusCode::kPolicyRefused).status == 422);
  CHECK(ProblemFor(StatusCode::kNotFound).status == 404);
  CHECK(ProblemFor(StatusCode::kPermissionDenied).status == 403);
  CHECK(ProblemFor(StatusCode::kUnavailable).status == 503);
  CHECK(ProblemFor(StatusCode::kUnavailable).retry_after == "1");
  CHECK(ProblemFor(StatusCode::kInvalidArgument).status == 400);
  CHECK(ProblemFor(StatusCode::kUnauthenticated).status == 401);
  CHECK(ProblemFor(StatusCode::kRateLimited).status == 429);
  CHECK(ProblemFor(StatusCode::kRateLimited).retry_after == "60");
  CHECK(ProblemFor(StatusCode::kNotFound).retry_after.empty());
}

TEST_CASE("a policy refusal is 422 with its rule id", "[api]") {
  // As the policy engine refuses: the rule id is data on the status.
  const Status s = projections::RuleRefusal(
      "ROL-1", "a concern, and a founded assessment, needs at least one observed behaviour");
  auto j = Json::parse(ProblemJson(s));
  CHECK(j["status"] == 422);
  CHECK(j["rule"] == "ROL-1");
  CHECK(j["type"] == "https://caseledger.invalid/problems/policy-refused");
  CHECK(j["detail"] == s.message());
  CHECK(j.size() == 5);
}

TEST_CASE("server-side failures never show their message to the client", "[api]") {
  for (StatusCode c : {StatusCode::kCorruption, StatusCode::kIoError, StatusCode::kInternal,
                       StatusCode::kResourceExhausted}) {
    INFO(StatusCodeName(c));
    Status s(c, "/var/lib/caseledger/ledger/data.mdb: seq 42 is missing");
    const std::string body = ProblemJson(s);
    CHECK(body.find("data.mdb") == std::string::npos);
    CHECK(body.find("seq 42") == std::string::npos);
    auto j = Json::parse(body);
    CHECK(j["status"].get<int>() >= 500);
    CHECK_FALSE(j.contains("rule"));
  }
  // Client errors keep their (personal-data-free) detail.
  auto j = Json::parse(ProblemJson(InvalidArgument("h.source: unknown code")));
  CHECK(j["detail"] == "h.source: unknown code");
  CHECK(j["status"] == 400);
}

}  // namespace
}  // namespace caseledger::http
