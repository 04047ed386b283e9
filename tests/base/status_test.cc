#include "base/status.h"

#include <catch2/catch.hpp>

#include "base/result.h"

namespace caseledger {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  CL_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

Status CheckEven(int x) {
  CL_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST_CASE("Status carries code and message", "[base]") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "ok");
  Status s = NotFound("no such seq");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.ToString() == "not_found: no such seq");
  CHECK(s.WithContext("line 3").message() == "line 3: no such seq");
}

TEST_CASE("A status's reason is data: set once, kept by WithContext, never read from the text",
          "[base]") {
  const Status plain(StatusCode::kPolicyRefused, "R-9: looks like a reason");
  CHECK(plain.reason().empty());  // the message is not parsed
  const Status refused = plain.WithReason("R-1");
  CHECK(refused.reason() == "R-1");
  CHECK(refused.message() == plain.message());
  CHECK(refused.code() == plain.code());
  const Status wrapped = refused.WithContext("line 3");
  CHECK(wrapped.reason() == "R-1");
  CHECK(wrapped.message() == "line 3: R-9: looks like a reason");
  CHECK(refused.ToString() == plain.ToString());  // the reason is not printed twice
}

TEST_CASE("Result propagates errors through the macros", "[base]") {
  CHECK(Quarter(8).value() == 2);
  CHECK_FALSE(Quarter(6).ok());
  CHECK(Quarter(6).status().message() == "odd");
  CHECK(CheckEven(4).ok());
  CHECK(CheckEven(5).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger
