#include "cli/exit_codes.h"

#include <iostream>

namespace caseledger::cli {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return 65;
    case StatusCode::kAlreadyExists:
      return 65;
    case StatusCode::kNotFound:
      return 66;
    case StatusCode::kPolicyRefused:
      return 67;
    case StatusCode::kUnavailable:
      return 75;
    case StatusCode::kPermissionDenied:
      return 77;
    case StatusCode::kIoError:
      return 74;
    case StatusCode::kResourceExhausted:
      return 74;
    case StatusCode::kCorruption:
      return 76;
    case StatusCode::kFailedPrecondition:
      return 70;
    case StatusCode::kInternal:
      return 70;
    case StatusCode::kUnauthenticated:
      return 77;  // EX_NOPERM
    case StatusCode::kRateLimited:
      return 75;  // EX_TEMPFAIL
  }
  return 70;
}

int Fail(const Status& s) {
  std::cerr << "caseledger: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

}  // namespace caseledger::cli
