#include "ledger/command.h"

#include <catch2/catch.hpp>

namespace caseledger::ledger {
namespace {

const std::string kActor = "u-aaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kSubject = "s-aaaaaaaaaaaaaaaaaaaaaaaaaa";

std::string Line(const std::string& extra) {
  return R"({"type":"concern.responded","actor":")" + kActor +
         R"(","role":"caseworker","h":{"channel":"phone"})" + extra + "}";
}

TEST_CASE("Import lines parse into commands", "[ledger]") {
  auto c = ParseCommandJson(
      Line(R"(,"subject":")" + kSubject +
           R"(","body":{"note":"x"},"time":"2020-01-02T03:04:05Z")"));
  REQUIRE(c.ok());
  CHECK(c->type == "concern.responded");
  CHECK(c->subject == kSubject);
  CHECK(c->KeyOwner() == kSubject);
  CHECK(c->body->at("note") == "x");
  CHECK(FormatTime(*c->time) == "2020-01-02T03:04:05.000000Z");
  auto no_subject = ParseCommandJson(Line(R"(,"subject":null,"case":null)"));
  REQUIRE(no_subject.ok());
  CHECK(no_subject->KeyOwner() == kActor);
}

TEST_CASE("Bad import lines are refused with a message naming the problem",
          "[ledger]") {
  struct Case {
    std::string line;
    std::string says;
  };
  const Case cases[] = {
      {"not json", "malformed"},
      {"[1]", "object"},
      {Line(R"(,"extra":1)"), "unknown field"},
      {R"({"actor":")" + kActor + R"(","role":"caseworker","h":{}})",
       "missing field \"type\""},
      {Line(R"(,"subject":7)"), "\"subject\" must be"},
      {Line(R"(,"body":"text")"), "\"body\" must be"},
      {Line(R"(,"time":"yesterday")"), "RFC 3339"},
      {Line(R"(,"time":"2020-02-30T00:00:00Z")"), "RFC 3339"},
      {Line(R"(,"subject":"s-123")"), "not a valid id"},
      {Line(R"(,"h2":{"a":1.5})"), "floating-point"},
      {R"({"type":"Concern","actor":")" + kActor +
           R"(","role":"caseworker","h":{}})",
       "\"type\""},
      {R"({"type":"a.b","actor":")" + kActor + R"(","role":"admin","h":{}})",
       "\"role\""},
      {R"({"type":"a.b","actor":")" + kActor +
           R"(","role":"dpo","h":{"x":0.5}})",
       "floating-point"},
      {R"({"type":"a.b","actor":")" + kActor + R"(","role":"dpo","h":[]})",
       "\"h\" must be an object"},
  };
  for (const auto& c : cases) {
    auto r = ParseCommandJson(c.line);
    INFO(c.line);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(c.says));
  }
}

}  // namespace
}  // namespace caseledger::ledger
