// Status: a cheap value that says whether an operation succeeded and, if not,
// which kind of failure it was and what failed, in words without personal data.
// Immutable once made; safe to copy and to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace caseledger {

// Kinds of failure. Mapped to HTTP statuses and CLI exit codes in one table
// each (http/problem.cc, cli/exit_codes.cc), never by callers.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from the caller (malformed, unknown field…)
  kNotFound,         // the thing asked for does not exist
  kAlreadyExists,    // creating something that is already there
  kFailedPrecondition,  // the system is not in a state that allows this
  kPolicyRefused,  // a rule-of-law rule refused the command (its id: reason())
  kPermissionDenied,   // the caller may not do this
  kCorruption,         // stored data fails an integrity check
  kIoError,            // the operating system or LMDB failed
  kResourceExhausted,  // a limit was hit (size, queue, map)
  kUnavailable,        // temporarily unable; retrying may succeed
  kInternal,           // a bug: an invariant did not hold
  kUnauthenticated,    // no valid credentials (missing, unknown or revoked)
  kRateLimited,        // too many attempts (failed logins); retry later
};

// Returns a stable lower-case name for `code` ("invalid_argument", …).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "ok" or "<code name>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` and ": ".
  // The reason is kept.
  Status WithContext(std::string_view context) const;

  // A stable, machine-readable name of the specific cause, set as data by the
  // module that failed or refused (the domain sets the id of the rule that
  // refused a command); empty if none. Never parsed out of the message.
  const std::string& reason() const { return reason_; }
  // Returns a copy with `reason` as its reason.
  Status WithReason(std::string reason) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status AlreadyExists(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status Corruption(std::string m) {
  return {StatusCode::kCorruption, std::move(m)};
}
inline Status IoError(std::string m) {
  return {StatusCode::kIoError, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status Internal(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status RateLimited(std::string m) {
  return {StatusCode::kRateLimited, std::move(m)};
}

}  // namespace caseledger

// Evaluates `expr` (a Status); returns it from the calling function if not ok.
#define CL_CONCAT_INNER_(a, b) a##b
#define CL_CONCAT_(a, b) CL_CONCAT_INNER_(a, b)

#define CL_RETURN_IF_ERROR(expr) \
  CL_RETURN_IF_ERROR_IMPL_(CL_CONCAT_(cl_status_, __COUNTER__), expr)
#define CL_RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                      \
    ::caseledger::Status tmp = (expr);      \
    if (!tmp.ok()) return tmp;              \
  } while (false)

// `CL_ASSIGN_OR_RETURN(auto x, ResultExpr())`: on error returns the status,
// otherwise moves the value into the declaration on the left.
#define CL_ASSIGN_OR_RETURN(lhs, expr) \
  CL_ASSIGN_OR_RETURN_IMPL_(CL_CONCAT_(cl_result_, __COUNTER__), lhs, expr)
#define CL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
