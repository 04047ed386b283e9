// The one table from Status codes to HTTP statuses and RFC 9457 problem types
// (`application/problem+json`), for the HTTP API of DESIGN §9. Policy
// refusals are 422 with the rule id; server-side failures (corruption, I/O,
// internal) answer with a fixed detail — the status's own message goes to the
// operator's log, never to the client. No message here ever carries personal
// data: statuses below api/ are written not to (docs/api/errors.md).
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace caseledger::http {

struct HttpProblem {
  int status = 500;          // HTTP status code
  std::string_view type;     // stable problem type URI
  std::string_view title;    // short, fixed, human-readable
  // `Retry-After` in seconds, or empty for none: "1" for a server at
  // capacity or suspended (503), "60" for a client's failed logins (429).
  std::string_view retry_after;
  bool expose_detail = true; // false: the detail is fixed (server-side failure)
};

// The problem of a non-OK `code` (kOk maps to 200 with an empty type).
const HttpProblem& ProblemFor(StatusCode code);

// Problem types that do not come from a Status (the HTTP layer's own).
inline constexpr std::string_view kProblemBase = "https://caseledger.invalid/problems/";

// The RFC 9457 body for a non-OK status: {"detail","status","title","type"}
// plus "rule" for a policy refusal. Canonical JSON (sorted keys).
std::string ProblemJson(const Status& s);

// The one builder of problem bodies: those of statuses (ProblemJson), and the
// router's and the transport's own (ProblemResponse in http/router.h).
// `type` is the whole URI; `rule` is left out when empty. Canonical JSON.
std::string ProblemBody(int status, std::string_view type, std::string_view title,
                        std::string_view detail, std::string_view rule = {});

}  // namespace caseledger::http
