#include "ledger/command.h"

#include "ledger/canonical_json.h"

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

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

TEST_CASE("ValidateAndEncode refuses what ValidateCommand refuses, and encodes the rest",
          "[ledger]") {
  Command good;
  good.type = "concern.responded";
  good.actor = kActor;
  good.role = "caseworker";
  good.subject = kSubject;
  good.h = Json{{"channel", "phone"}, {"n", 3}, {"list", {"b", "a"}}};
  good.body = Json{{"note", "x\n\xc3\xa9"}};
  std::vector<std::pair<const char*, Command>> commands = {{"valid", good}};
  auto with = [&](const char* name, auto change) {
    Command c = good;
    change(c);
    commands.emplace_back(name, std::move(c));
  };
  with("no body", [](Command& c) { c.body.reset(); });
  with("empty body", [](Command& c) { c.body = Json::object(); });
  with("bad type", [](Command& c) { c.type = "Concern"; });
  with("bad actor", [](Command& c) { c.actor = "x"; });
  with("bad role", [](Command& c) { c.role = "admin"; });
  with("bad case", [](Command& c) { c.case_id = "s-1"; });
  with("bad subject", [](Command& c) { c.subject = "c-1"; });
  with("h not object", [](Command& c) { c.h = Json::array(); });
  with("float in h", [](Command& c) { c.h["f"] = 0.5; });
  with("big integer in h", [](Command& c) { c.h["n"] = std::uint64_t{1} << 60; });
  with("body not object", [](Command& c) { c.body = Json("x"); });
  with("bad UTF-8 in body", [](Command& c) { (*c.body)["note"] = std::string("\xff"); });
  with("non-ASCII key in body", [](Command& c) { (*c.body)["\xc3\xa9"] = 1; });
  // Both h and body wrong: the first refusal (h) is the one named.
  with("float in h, body not object", [](Command& c) {
    c.h["f"] = 0.5;
    c.body = Json(1);
  });
  std::size_t valid = 0;
  for (const auto& [name, c] : commands) {
    INFO(name);
    const Status check = ValidateCommand(c);
    const Result<CanonicalCommand> both = ValidateAndEncode(c);
    REQUIRE(both.ok() == check.ok());
    if (!check.ok()) {
      CHECK(both.status().message() == check.message());
      continue;
    }
    ++valid;
    CHECK(both->h == CanonicalJson(c.h));
    CHECK(both->body == (c.body ? CanonicalJson(*c.body) : std::string()));
  }
  CHECK(valid == 3);
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
