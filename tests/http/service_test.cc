// The HTTP API's handlers through the router, without sockets (STYLE: router
// tests without sockets), on a real temporary ledger with the domain.
#include "http/service.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "base/progress_board.h"
#include "cli/commands.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "ledger/verify.h"
#include "ledger/log_store.h"
#include "tests/http/case_walk.h"
#include "tests/http/service_world.h"
#include "tests/ledger/test_util.h"

namespace caseledger::http {
namespace {

using testing::NewId;

using World = testing::ServiceWorld;

TEST_CASE("a case from concern to closure through the router, as each role", "[api]") {
  World w;
  auto walk = w.Walk();
  walk.Run();
}

// A Deferral as the server gives one (http/session.cc), except that the
// caller of Handle waits here for the answer.
class WaitingDeferral final : public Deferral,
                              public Deferral::Answer::State,
                              public std::enable_shared_from_this<WaitingDeferral> {
 public:
  Answer Take() override {
    ++taken;
    return Answer(std::static_pointer_cast<Deferral::Answer::State>(shared_from_this()));
  }
  void OnAnswer(std::function<void(HttpResponse&)> step) override {
    steps.push_back(std::move(step));
  }
  void Give(HttpResponse r) override { answer.set_value(std::move(r)); }

  int taken = 0;
  std::vector<std::function<void(HttpResponse&)>> steps;
  std::promise<HttpResponse> answer;
};

// Service::Handle with a Deferral, as the server runs it: a Deferred()
// response is waited for and finished as the server finishes it.
HttpResponse HandleDeferring(Service& s, const HttpRequest& in, int& deferred) {
  HttpRequest r = in;
  auto d = std::make_shared<WaitingDeferral>();
  r.deferral = d;
  HttpResponse resp = s.Handle(r);
  if (!resp.deferred) {
    CHECK(d->taken == 0);
    return resp;
  }
  ++deferred;
  CHECK(d->taken == 1);
  CHECK_FALSE(resp.route.empty());
  HttpResponse a = d->answer.get_future().get();
  if (a.route.empty()) a.route = resp.route;
  for (auto& step : d->steps) step(a);
  return a;
}

TEST_CASE("appends answered through a Deferral: the same walk, statuses and bodies", "[api]") {
  World w;
  int deferred = 0;
  testing::CaseWalk walk(
      [&](const HttpRequest& r) { return HandleDeferring(*w.service, r, deferred); }, w.tokens);
  walk.Run();
  CHECK(deferred > 10);  // the walk's POSTs: cases, events, refusals among them
  // The metrics saw each deferred request once, when it was answered.
  const std::string m = w.service->Handle(HttpRequest{"GET", "/metrics", {}, "", "", nullptr}).body;
  CHECK(m.find("caseledger_http_requests_total{method=\"POST\",route=\"/v1/cases/{case}/events\",status=\"201\"}") !=
        std::string::npos);
  CHECK(m.find("caseledger_http_requests_total{method=\"POST\",route=\"/v1/cases\",status=\"201\"}") !=
        std::string::npos);
}

TEST_CASE("a read whose access record cannot be appended is refused (fail closed)", "[api]") {
  ServiceOptions o;
  o.fail_access_records = true;
  World w(std::move(o));
  auto walk = w.Walk();
  auto r = walk.Post(w.tokens.cw, "/v1/cases", testing::CaseWalk::Concern("b.violence"));
  REQUIRE(r.status == 201);
  const std::string c = testing::CaseWalk::Body(r)["case"];
  const std::uint64_t size = w.ledger->writer().size();
  for (const std::string& target : {"/v1/cases/" + c + "/history?purpose=casework",
                                   "/v1/cases/" + c + "?purpose=casework"}) {
    r = walk.Get(w.tokens.co, target);
    CHECK(r.status == 503);
    CHECK(r.content_type == "application/problem+json");
    CHECK(r.body.find("Testperson") == std::string::npos);
    CHECK(r.body.find("fail closed") != std::string::npos);
  }
  CHECK(w.ledger->writer().size() == size);  // nothing was appended
}

TEST_CASE("authentication: missing, malformed, wrong and revoked tokens are 401", "[api]") {
  World w;
  auto walk = w.Walk();
  auto r = walk.Get("", "/v1/cases");
  CHECK(r.status == 401);
  bool challenge = false;
  for (const auto& [k, v] : r.headers) challenge |= k == "WWW-Authenticate";
  CHECK(challenge);
  CHECK(walk.Get("not-a-token", "/v1/cases").status == 401);
  std::string wrong = w.tokens.cw;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK(walk.Get(wrong, "/v1/cases").status == 401);
  CHECK(walk.Get(w.tokens.cw, "/v1/cases").status == 200);
  // Revocation is an event; the token stops working at once.
  ledger::Command c;
  c.type = "user.revoked";
  c.actor = w.ids[w.tokens.dpo];
  c.role = "dpo";
  c.h = Json{{"user", w.ids[w.tokens.cw]}};
  REQUIRE(w.ledger->writer().Submit(std::move(c)).get().ok());
  r = walk.Get(w.tokens.cw, "/v1/cases");
  CHECK(r.status == 401);
  CHECK(r.body == walk.Get(wrong, "/v1/cases").body);  // says nothing of why
}

TEST_CASE("failed logins are throttled per user and per address", "[api]") {
  ServiceOptions o;
  o.throttle.max_failures_per_user = 3;
  o.throttle.max_failures_per_address = 5;
  World w(std::move(o));
  auto walk = w.Walk();
  std::string wrong = w.tokens.co;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  for (int i = 0; i < 3; ++i) CHECK(walk.Get(wrong, "/v1/cases").status == 401);
  // The user is locked now, even with the right token.
  auto r = walk.Get(w.tokens.co, "/v1/cases");
  CHECK(r.status == 429);
  std::vector<std::string> retry;
  for (const auto& [k, v] : r.headers)
    if (k == "Retry-After") retry.push_back(v);
  CHECK(retry == std::vector<std::string>{"60"});
  // Another user from another address is not affected ...
  HttpRequest req;
  req.method = "GET";
  req.target = "/v1/cases";
  req.headers["authorization"] = "Bearer " + w.tokens.aud;
  req.remote = "127.0.0.2";
  CHECK(w.service->Handle(req).status == 200);
  // ... until that address has failed too often.
  req.headers["authorization"] = "Bearer clt1_garbage";
  for (int i = 0; i < 5; ++i) CHECK(w.service->Handle(req).status == 401);
  req.headers["authorization"] = "Bearer " + w.tokens.aud;
  CHECK(w.service->Handle(req).status == 429);
}

TEST_CASE("bad request bodies and queries get the right 4xx and store nothing", "[api]") {
  World w;
  auto walk = w.Walk();
  const std::uint64_t size = w.ledger->writer().size();
  auto post = [&](std::string body, std::string type = "application/json") {
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/cases";
    r.headers["authorization"] = "Bearer " + w.tokens.cw;
    if (!type.empty()) r.headers["content-type"] = type;
    r.body = std::move(body);
    return w.service->Handle(r);
  };
  const std::string good = testing::CaseWalk::Concern("b.threat").dump();
  CHECK(post("{\"subject\":null,").status == 400);                 // malformed JSON
  CHECK(post(good, "text/plain").status == 415);                   // wrong content type
  CHECK(post(good, "").status == 415);                             // none
  CHECK(post(std::string(40, '[') + std::string(40, ']')).status == 400);  // deep nesting
  std::string bad_utf8 = good;
  bad_utf8.replace(bad_utf8.find("Testperson"), 1, "\xc3\x28");
  CHECK(post(bad_utf8).status == 400);                             // invalid UTF-8
  auto unknown = testing::CaseWalk::Concern("b.threat");
  unknown["extra"] = 1;
  CHECK(post(unknown.dump()).status == 400);                       // unknown field
  unknown = testing::CaseWalk::Concern("b.threat");
  unknown["h"]["colour"] = "red";
  CHECK(post(unknown.dump()).status == 400);                       // unknown header field
  auto r = post(good);
  CHECK(r.status == 201);
  CHECK(w.ledger->writer().size() == size + 1);
  CHECK(walk.Get(w.tokens.co, "/v1/cases/c-nonexistent?purpose=casework").status == 400);
  CHECK(walk.Get(w.tokens.co, "/v1/cases/" + NewId("c") + "?purpose=casework").status == 404);
  CHECK(walk.Get(w.tokens.co, "/v1/cases/..%2Fetc?purpose=casework").status == 400);
  CHECK(walk.Get(w.tokens.co, "/v1/cases?colour=red").status == 400);
  CHECK(walk.Get(w.tokens.co, "/v1/log/entries?from=1").status == 403);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/entries?from=0").status == 400);
  CHECK(walk.Get(w.tokens.dpo, "/v1/audit?from=1").status == 400);
}

// Every byte under the data dir (the log, the keystore, the projections).
std::string DataDirBytes(const std::string& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

TEST_CASE("corrections that would put free text in clear or lead around ROL-2 are refused, "
          "leaving no byte of their header (issue 14)",
          "[api][closed]") {
  World w;
  auto walk = w.Walk();
  auto r = walk.Post(w.tokens.cw, "/v1/cases", testing::CaseWalk::Concern("b.threat"));
  REQUIRE(r.status == 201);
  const std::string c = testing::CaseWalk::Body(r)["case"];
  const std::uint64_t concern = testing::CaseWalk::Body(r)["seq"];
  r = walk.Post(w.tokens.co, "/v1/cases/" + c + "/events",
                {{"type", "case.assigned"}, {"h", {{"assignees", {w.tokens.cw_id}}}}});
  REQUIRE(r.status == 201);
  const std::string events = "/v1/cases/" + c + "/events";
  auto refused_records = [&](std::uint64_t from) {
    int n = 0;
    for (std::uint64_t s = from + 1; s <= w.ledger->writer().size(); ++s) {
      auto txn = w.ledger->store().Read().value();
      auto e = ledger::DecodeEvent(ledger::ReadEventLine(txn, w.ledger->store(), s).value()).value();
      CHECK(e.type == "policy.refused");
      ++n;
    }
    return n;
  };
  // 1. A body field name the target type does not have (a CPR number, an
  //    opinion label): 400, nothing stored.
  for (const char* name : {"body.cpr_0006821207", "body.devout_salafist_prays_at_mosque"}) {
    INFO(name);
    const std::uint64_t size = w.ledger->writer().size();
    r = walk.Post(w.tokens.cw, events,
                  {{"type", "record.corrected"},
                   {"h", {{"target", concern}, {"fields", {name}}}},
                   {"body", {{"reason", "x"}}}});
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/problem+json");
    CHECK(r.body.find("0006821207") == std::string::npos);
    CHECK(r.body.find("salafist") == std::string::npos);
    CHECK(refused_records(size) == 0);
  }
  // 2. A person concern made one about an association: 422 ROL-2, one
  //    policy.refused and nothing else.
  std::uint64_t size = w.ledger->writer().size();
  r = walk.Post(w.tokens.cw, events,
                {{"type", "record.corrected"},
                 {"h", {{"target", concern}, {"fields", {"h.subject_kind"}},
                        {"set", {{"subject_kind", "association"}}}}},
                 {"body", {{"reason", "x"}}}});
  CHECK(r.status == 422);
  CHECK(testing::CaseWalk::Body(r)["rule"] == "ROL-2");
  CHECK(refused_records(size) == 1);
  // 3. Server-written types are 403, whatever their scope.
  size = w.ledger->writer().size();
  for (const char* type : {"policy.refused", "access.read", "access.exported"}) {
    INFO(type);
    r = walk.Post(w.tokens.cw, events,
                  {{"type", type}, {"h", {{"attempted", "concern.reported"}, {"rule", "ROL-1"}}}});
    CHECK(r.status == 403);
  }
  CHECK(w.ledger->writer().size() == size);
  // A lawful correction of the same concern is accepted.
  r = walk.Post(w.tokens.cw, events,
                {{"type", "record.corrected"},
                 {"h", {{"target", concern}, {"fields", {"h.source", "body.narrative"}},
                        {"set", {{"source", "police"}}}}},
                 {"body", {{"reason", "x"}, {"values", {{"narrative", "synthetic"}}}}}});
  CHECK(r.status == 201);
  w.service.reset();
  w.ledger.reset();  // everything flushed and closed
  const std::string bytes = DataDirBytes(w.dir.path());
  CHECK(bytes.find("cpr_0006821207") == std::string::npos);
  CHECK(bytes.find("0006821207") == std::string::npos);
  CHECK(bytes.find("devout_salafist") == std::string::npos);
  CHECK(bytes.find("\"association\"") == std::string::npos);
}

TEST_CASE("erasure over the API: the DPO erases, the key is destroyed, reads say 'erased on'", "[api][erasure]") {
  World w;
  auto walk = w.Walk();
  auto r = walk.Post(w.tokens.cw, "/v1/cases", testing::CaseWalk::Concern("b.threat"));
  REQUIRE(r.status == 201);
  const std::string c = testing::CaseWalk::Body(r)["case"];
  const std::string s = testing::CaseWalk::Body(r)["subject"];
  const std::string history = "/v1/cases/" + c + "/history?purpose=casework";
  auto before = walk.Get(w.tokens.co, history);
  REQUIRE(before.status == 200);
  CHECK(testing::CaseWalk::Body(before)["entries"][0]["body"].contains("identity"));
  const std::string erase = "/v1/subjects/" + s + "/erase";
  const testing::WalkJson why{{"reason", "gdpr_art17"}};
  // Only the DPO (the policy's role table, recorded as a refusal).
  auto by_co = walk.Post(w.tokens.co, erase, why);
  CHECK(by_co.status == 422);
  CHECK(testing::CaseWalk::Body(by_co)["rule"] == "ROLE");
  CHECK(walk.Post(w.tokens.dpo, erase, {{"reason", "because"}}).status == 400);
  CHECK(walk.Post(w.tokens.dpo, erase, {{"reason", "gdpr_art17"}, {"x", 1}}).status == 400);
  CHECK(walk.Post(w.tokens.dpo, "/v1/subjects/s-nope/erase", why).status == 400);
  CHECK(walk.Post(w.tokens.dpo, "/v1/subjects/" + NewId("s") + "/erase", why).status == 404);
  auto done = walk.Post(w.tokens.dpo, erase, why);
  REQUIRE(done.status == 201);
  const auto body = testing::CaseWalk::Body(done);
  CHECK(body["subject"] == s);
  CHECK(body["key_destroyed"] == true);
  CHECK(body["notify"].empty());  // nothing was disclosed: nobody to tell (Art. 19)
  CHECK(w.ledger->keys().IsDestroyed(s));
  CHECK(w.ledger->keys().DataKey(body["kid"].get<std::string>()).status().code() ==
        StatusCode::kNotFound);
  // Every read path answers, never 500: the history says when, the state says erased.
  auto after = walk.Get(w.tokens.co, history);
  REQUIRE(after.status == 200);
  const auto first = testing::CaseWalk::Body(after)["entries"][0]["body"];
  CHECK(first["erased"] == true);
  CHECK(first["note"].get<std::string>().rfind("erased on " + body["time"].get<std::string>().substr(0, 10), 0) == 0);
  CHECK_FALSE(first.contains("identity"));
  auto state = walk.Get(w.tokens.co, "/v1/cases/" + c + "?purpose=casework");
  REQUIRE(state.status == 200);
  CHECK(testing::CaseWalk::Body(state)["state"]["status"] == "erased");
  // Final: a second erasure and any later event are refused.
  auto again = walk.Post(w.tokens.dpo, erase, why);
  CHECK(again.status == 422);
  CHECK(testing::CaseWalk::Body(again)["rule"] == "ROL-16");
  auto event = walk.Post(w.tokens.co, "/v1/cases/" + c + "/events",
                         {{"type", "concern.responded"}, {"h", {{"channel", "phone"}}}});
  CHECK(event.status == 422);
}

// The raw log's access.read records with purpose `purpose`, as (actor, case).
std::vector<std::pair<std::string, std::string>> AccessReads(testing::CaseWalk& walk,
                                                             const std::string& token,
                                                             const std::string& purpose) {
  std::vector<std::pair<std::string, std::string>> out;
  auto r = walk.Get(token, "/v1/log/entries?from=1&count=1000");
  REQUIRE(r.status == 200);
  std::size_t start = 0;
  while (start < r.body.size()) {
    const std::size_t end = r.body.find('\n', start);
    auto e = Json::parse(r.body.substr(start, end - start));
    if (e["type"] == "access.read" && e["h"]["purpose"] == purpose)
      out.emplace_back(e["actor"], e["case"]);
    start = end + 1;
  }
  return out;
}

TEST_CASE("a CPR lookup finds the subject, records who looked, and finds no one after erasure",
          "[api][erasure][cpr]") {
  World w;
  auto walk = w.Walk();
  auto concern = testing::CaseWalk::Concern("b.threat");
  const std::string cpr = concern["body"]["identity"]["cpr"];
  auto r = walk.Post(w.tokens.cw, "/v1/cases", concern);
  REQUIRE(r.status == 201);
  const std::string s = testing::CaseWalk::Body(r)["subject"];
  const std::string c = testing::CaseWalk::Body(r)["case"];

  // The same person again as a new person: 409, nothing appended.
  auto dup = walk.Post(w.tokens.co, "/v1/cases", concern);
  CHECK(dup.status == 409);
  CHECK(dup.content_type == "application/problem+json");
  CHECK(dup.body.find(cpr) == std::string::npos);
  CHECK(testing::CaseWalk::Body(dup)["type"] ==
        "https://caseledger.invalid/problems/already-exists");

  // Found in either written form; the answer is the pseudonym only.
  std::string bare = cpr;
  bare.erase(6, 1);
  CHECK(AccessReads(walk, w.tokens.aud, "lookup").empty());
  for (const std::string& form : {cpr, bare}) {
    auto found = walk.Post(w.tokens.cw2, "/v1/subjects/lookup", {{"cpr", form}});
    REQUIRE(found.status == 200);
    CHECK(testing::CaseWalk::Body(found) == Json{{"subject", s}});
  }
  // Each hit left an access.read (purpose lookup) on the subject's case, by the caller.
  const auto reads = AccessReads(walk, w.tokens.aud, "lookup");
  REQUIRE(reads.size() == 2);
  CHECK(reads[0].second == c);
  CHECK(reads[0].first != w.ids[w.tokens.cw]);
  CHECK(reads[0].first == w.ids[w.tokens.cw2]);

  // Then the concern about the known subject.
  auto second = walk.Post(w.tokens.cw2, "/v1/cases",
                          {{"subject", s},
                           {"h", {{"source", "school"}, {"subject_kind", "person"},
                                  {"grounds", {{{"code", "b.threat"}, {"observed_on", "2026-01-15"}}}},
                                  {"context", Json::array()}, {"minor", false},
                                  {"new_subject", false}}},
                           {"body", {{"narrative", "synthetic narrative (test data)"}}}});
  REQUIRE(second.status == 201);
  // A lookup now records a read on both of the subject's cases.
  REQUIRE(walk.Post(w.tokens.co, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 200);
  CHECK(AccessReads(walk, w.tokens.aud, "lookup").size() == 4);

  // Misses, bad input, other roles.
  auto miss = walk.Post(w.tokens.cw, "/v1/subjects/lookup", {{"cpr", "009999-9999"}});
  CHECK(miss.status == 404);
  CHECK(miss.body.find("009999") == std::string::npos);
  CHECK(walk.Post(w.tokens.cw, "/v1/subjects/lookup", {{"cpr", "12345"}}).status == 400);
  CHECK(walk.Post(w.tokens.cw, "/v1/subjects/lookup", {{"cpr", cpr}, {"name", "x"}}).status == 400);
  CHECK(walk.Post(w.tokens.cw, "/v1/subjects/lookup", Json::object()).status == 400);
  CHECK(walk.Post(w.tokens.aud, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 403);
  CHECK(walk.Post(w.tokens.lr, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 403);
  CHECK(walk.Post("", "/v1/subjects/lookup", {{"cpr", cpr}}).status == 401);
  CHECK(AccessReads(walk, w.tokens.aud, "lookup").size() == 4);  // a miss or a refusal records nothing

  // Erasure drops the entry: not found, and the number may be a new person.
  REQUIRE(walk.Post(w.tokens.dpo, "/v1/subjects/" + s + "/erase", {{"reason", "gdpr_art17"}}).status == 201);
  CHECK(walk.Post(w.tokens.cw, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 404);
  CHECK(walk.Post(w.tokens.cw, "/v1/cases", concern).status == 201);
}

TEST_CASE("subject access export: every event, disclosure and access of the subject, nothing of another",
          "[api][export]") {
  World w;
  auto walk = w.Walk();
  walk.Run();  // a whole case: concern to closure, four-eyes disclosures, reads by every role
  const std::string a_case = walk.case_id();
  // Another person's case, read once, whose identity must not leak.
  auto other_concern = testing::CaseWalk::Concern("b.violence");
  other_concern["body"]["identity"] = {{"name", "Testperson Anden"}, {"cpr", "000000-7777"},
                                       {"address", "Anden Vej 7, 9999 Demoby"}};
  auto r = walk.Post(w.tokens.cw, "/v1/cases", other_concern);
  REQUIRE(r.status == 201);
  const std::string b_case = testing::CaseWalk::Body(r)["case"];
  REQUIRE(walk.Get(w.tokens.co, "/v1/cases/" + b_case + "/history?purpose=casework").status == 200);
  const std::string a_subject = projections::ReadCase(w.ledger->store(), w.service->dbs(), a_case)
                                    .value().state.subject();

  const std::string target = "/v1/subjects/" + a_subject + "/export";
  CHECK(walk.Get(w.tokens.co, target).status == 403);
  CHECK(walk.Get(w.tokens.aud, target).status == 403);
  CHECK(walk.Get(w.tokens.dpo, "/v1/subjects/" + NewId("s") + "/export").status == 404);
  CHECK(walk.Get(w.tokens.dpo, "/v1/subjects/s-bad/export").status == 400);
  CHECK(walk.Get(w.tokens.dpo, target + "?format=pdf").status == 400);
  auto e = walk.Get(w.tokens.dpo, target);
  REQUIRE(e.status == 200);
  const auto x = testing::CaseWalk::Body(e);

  // The raw log, read directly: what belongs to the subject's case.
  std::set<std::uint64_t> a_seqs, b_seqs;
  std::size_t a_requests = 0, a_reads = 0;
  {
    auto txn = w.ledger->store().Read().value();
    for (std::uint64_t seq = 1; seq <= w.ledger->writer().size(); ++seq) {
      auto ev = ledger::DecodeEvent(ledger::ReadEventLine(txn, w.ledger->store(), seq).value()).value();
      if (ev.case_id == a_case) {
        a_seqs.insert(seq);
        if (ev.type == "disclosure.requested") ++a_requests;
        if (ev.type == "access.read") ++a_reads;
      }
      if (ev.case_id == b_case) b_seqs.insert(seq);
    }
  }
  REQUIRE(x["cases"].size() == 1);
  std::set<std::uint64_t> exported;
  for (const auto& ev : x["cases"][0]["events"]) exported.insert(ev["seq"].get<std::uint64_t>());
  CHECK(exported == a_seqs);  // every event of the case, the access records included
  CHECK(a_requests >= 1);
  CHECK(x["disclosures"].size() == a_requests);
  for (const auto& d : x["disclosures"]) {
    CHECK(d.contains("recipient"));
    CHECK(d.contains("basis"));
    CHECK(d.contains("time"));
  }
  std::size_t reads = 0, exports = 0;
  for (const auto& acc : x["accesses"]) {
    CHECK(acc["case"] == a_case);
    if (acc["type"] == "access.read") ++reads;
    if (acc["type"] == "access.exported") ++exports;
  }
  CHECK(reads == a_reads);
  CHECK(exports == 1);  // this export's own record, durable before it answered
  // The bodies are decrypted: the subject's own identity is there.
  CHECK(e.body.find("Testperson 9001") != std::string::npos);
  // Nothing of the other person: no event, no id, no identity.
  for (std::uint64_t seq : b_seqs) CHECK_FALSE(exported.contains(seq));
  for (const char* leak : {"Testperson Anden", "000000-7777", "Anden Vej"})
    CHECK(e.body.find(leak) == std::string::npos);
  CHECK(e.body.find(b_case) == std::string::npos);

  auto html = walk.Get(w.tokens.dpo, target + "?format=html");
  REQUIRE(html.status == 200);
  CHECK(html.content_type == "text/html; charset=utf-8");
  CHECK(html.body.find("Subject access export") != std::string::npos);
  CHECK(html.body.find(a_subject) != std::string::npos);
  CHECK(html.body.find("<script") == std::string::npos);

  // Exemptions are marked, not dropped: information from PET on the other case.
  auto info = walk.Post(w.tokens.cw, "/v1/cases/" + b_case + "/events",
                        {{"type", "information.received"},
                         {"h", {{"from", "pet"}, {"basis", "dbl-8-2-3"}, {"categories", {"concern"}}}},
                         {"body", {{"content", "synthetic information from the security service"}}}});
  INFO(info.body);
  REQUIRE(info.status == 201);
  const std::uint64_t info_seq = testing::CaseWalk::Body(info)["seq"];
  const std::string b_subject = projections::ReadCase(w.ledger->store(), w.service->dbs(), b_case)
                                    .value().state.subject();
  auto eb = walk.Get(w.tokens.dpo, "/v1/subjects/" + b_subject + "/export");
  REQUIRE(eb.status == 200);
  const auto xb = testing::CaseWalk::Body(eb);
  REQUIRE(xb["exemptions"].size() == 1);
  CHECK(xb["exemptions"][0]["seq"] == info_seq);
  bool kept = false;
  for (const auto& ev : xb["cases"][0]["events"])
    if (ev["seq"] == info_seq)
      kept = ev.contains("exemption") &&
             ev["body"]["content"] == "synthetic information from the security service";
  CHECK(kept);
  CHECK(eb.body.find(a_case) == std::string::npos);
}

TEST_CASE("Art. 19: erasing a subject whose case was disclosed lists the recipients to notify, recipients.notified records it",
          "[api][erasure][art19]") {
  World w;
  auto walk = w.Walk();
  walk.Run();  // the case was disclosed (four-eyes) and is closed
  const std::string c = walk.case_id();
  const auto view = projections::ReadCase(w.ledger->store(), w.service->dbs(), c).value().state.Derive();
  std::set<std::string> made_to;
  for (const auto& d : view.disclosures)
    if (!d.made.empty()) made_to.insert(d.recipient);
  REQUIRE_FALSE(made_to.empty());
  auto r = walk.Post(w.tokens.dpo, "/v1/subjects/" + view.subject + "/erase", {{"reason", "gdpr_art17"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  const auto body = testing::CaseWalk::Body(r);
  REQUIRE(body["notify"].size() == 1);
  CHECK(body["notify"][0]["case"] == c);
  CHECK(body["notify"][0]["about"] == body["seq"]);
  std::set<std::string> due;
  for (const auto& x : body["notify"][0]["recipients"]) due.insert(x.get<std::string>());
  CHECK(due == made_to);
  // Recorded after the erasure (allowed on an erased case: it carries no body).
  testing::WalkJson recipients = testing::WalkJson::array();
  for (const auto& x : made_to) recipients.push_back(x);
  auto n = walk.Post(w.tokens.dpo, "/v1/cases/" + c + "/events",
                     {{"type", "recipients.notified"},
                      {"h", {{"about", body["seq"]}, {"recipients", recipients}}}});
  INFO(n.body);
  CHECK(n.status == 201);
  auto state = walk.Get(w.tokens.co, "/v1/cases/" + c + "?purpose=casework");
  REQUIRE(state.status == 200);
  bool cleared = false;
  const auto now = testing::CaseWalk::Body(state);
  for (const auto& d : now["state"]["notifications"])
    if (d["seq"] == body["seq"]) cleared = d["pending"].empty();
  CHECK(cleared);
}

TEST_CASE("GET /v1/audit: the compliance audit for auditors and the DPO only", "[api][audit]") {
  World w;
  auto walk = w.Walk();
  walk.Run();  // a whole case, disclosures and reads included
  for (const std::string* t : {&w.tokens.cw, &w.tokens.co, &w.tokens.lr}) {
    auto r = walk.Get(*t, "/v1/audit");
    CHECK(r.status == 403);
    CHECK(r.content_type == "application/problem+json");
  }
  CHECK(walk.Get(w.tokens.aud, "/v1/audit?x=1").status == 400);
  for (const std::string* t : {&w.tokens.aud, &w.tokens.dpo}) {
    auto r = walk.Get(*t, "/v1/audit");
    REQUIRE(r.status == 200);
    auto j = testing::CaseWalk::Body(r);
    CHECK(j["integrity"]["verified"] == true);
    CHECK(j["integrity"]["events_verified"] == j["integrity"]["log_size"]);
    CHECK(j["cases"] == 1);
    // No body leaves: the walk's synthetic texts and identity are not in it.
    CHECK(r.body.find("synthetic") == std::string::npos);
    CHECK(r.body.find("Testperson") == std::string::npos);
  }
}

TEST_CASE("GET /v1/audit?previous_checkpoint=: consistency with the previous audit's signed checkpoint",
          "[api][audit]") {
  World w;
  auto walk = w.Walk();
  walk.Run();
  auto encode = [](const std::string& text) {
    std::string out;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
    return out;
  };
  const auto first = testing::CaseWalk::Body(walk.Get(w.tokens.aud, "/v1/audit"));
  const std::string note = first["integrity"]["latest_checkpoint"]["note"];
  const std::uint64_t size = first["integrity"]["latest_checkpoint"]["size"];
  // More happens; the next audit proves the log still extends the first.
  walk.Event(w.tokens.co, "case.reviewed", {{"decision", "continue"}}, {{"reasoning", "synthetic"}});
  auto r = walk.Get(w.tokens.aud, "/v1/audit?previous_checkpoint=" + encode(note));
  REQUIRE(r.status == 200);
  const auto j = testing::CaseWalk::Body(r);
  const auto& c = j["integrity"]["consistency"];
  CHECK(c["consistent"] == true);
  CHECK(c["previous_size"] == size);
  CHECK(j["integrity"]["latest_checkpoint"]["size"].get<std::uint64_t>() > size);
  // Not a note signed by this log: 400, nothing else said.
  std::string forged = note;
  forged[forged.find('\n') + 1] = forged[forged.find('\n') + 1] == '1' ? '2' : '1';
  CHECK(walk.Get(w.tokens.aud, "/v1/audit?previous_checkpoint=" + encode(forged)).status == 400);
  CHECK(walk.Get(w.tokens.aud, "/v1/audit?previous_checkpoint=junk").status == 400);
  CHECK(walk.Get(w.tokens.cw, "/v1/audit?previous_checkpoint=" + encode(note)).status == 403);
}

TEST_CASE("?format=html: the audit, the statistics and a case's history as self-contained pages",
          "[api][html]") {
  World w;
  auto walk = w.Walk();
  walk.Run();
  auto is_page = [](const http::HttpResponse& r) {
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    bool csp = false;
    for (const auto& [k, v] : r.headers)
      if (k == "Content-Security-Policy" && v.find("default-src 'none'") != std::string::npos) csp = true;
    CHECK(csp);
    CHECK(r.body.starts_with("<!DOCTYPE html>"));
    CHECK(r.body.find("<script") == std::string::npos);
    // Headers only: no body text, no identity.
    CHECK(r.body.find("Testperson") == std::string::npos);
    CHECK(r.body.find("synthetic") == std::string::npos);
  };
  auto audit = walk.Get(w.tokens.aud, "/v1/audit?format=html");
  is_page(audit);
  CHECK(audit.body.find("The log verifies") != std::string::npos);
  CHECK(audit.body.find("id=\"flags\"") != std::string::npos);
  CHECK(walk.Get(w.tokens.aud, "/v1/audit?format=json").content_type == "application/json");
  CHECK(walk.Get(w.tokens.aud, "/v1/audit?format=pdf").status == 400);
  CHECK(walk.Get(w.tokens.cw, "/v1/audit?format=html").status == 403);

  auto reg = walk.Get(w.tokens.co, "/v1/disclosures?format=html");
  is_page(reg);
  CHECK(reg.body.find("No automatic findings") != std::string::npos);
  CHECK(reg.body.find("id=\"request-") != std::string::npos);
  CHECK(walk.Get(w.tokens.co, "/v1/disclosures?format=csv").status == 400);

  auto stats = walk.Get(w.tokens.co, "/v1/stats?format=html");
  is_page(stats);
  CHECK(stats.body.find("24") != std::string::npos);
  CHECK(walk.Get(w.tokens.co, "/v1/stats?format=xml").status == 400);

  const std::string history = "/v1/cases/" + walk.case_id() + "/history?purpose=casework&format=html";
  auto page = walk.Get(w.tokens.co, history);
  is_page(page);
  CHECK(page.body.find("concern.reported") != std::string::npos);
  CHECK(page.body.find("signature valid") != std::string::npos);
  CHECK(page.body.find("id=\"seq-1\"") == std::string::npos);  // seq 1 is no event of the case
  // Need to know holds as for JSON: the auditor's purpose is audit, and a
  // bad format is refused before anything is read.
  CHECK(walk.Get(w.tokens.cw, "/v1/cases/" + walk.case_id() + "/history?purpose=casework&format=doc")
            .status == 400);
}

TEST_CASE("log endpoints: checkpoint, entries and proofs of the served log", "[api]") {
  World w;
  auto walk = w.Walk();
  auto r = walk.Get(w.tokens.aud, "/v1/log/checkpoint");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
  CHECK(r.body.rfind("test.caseledger.invalid/api\n7\n", 0) == 0);
  r = walk.Get(w.tokens.aud, "/v1/log/entries?from=2&count=3");
  REQUIRE(r.status == 200);
  CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 3);
  CHECK(r.body.find("\"seq\":2,") != std::string::npos);
  r = walk.Get(w.tokens.aud, "/v1/log/proof/inclusion?seq=3&size=7");
  REQUIRE(r.status == 200);
  auto j = testing::CaseWalk::Body(r);
  CHECK(j["leaf_index"] == 2);
  CHECK(j["tree_size"] == 7);
  r = walk.Get(w.tokens.aud, "/v1/log/proof/consistency?from=3&to=7");
  REQUIRE(r.status == 200);
  CHECK(testing::CaseWalk::Body(r)["size1"] == 3);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/proof/inclusion?seq=8").status == 400);
  r = walk.Get(w.tokens.aud, "/v1/stats");
  CHECK(r.status == 200);
  r = walk.Get("", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("caseledger_http_requests_total{method=\"GET\",route=\"/v1/log/checkpoint\","
                    "status=\"200\"} 1") != std::string::npos);
  CHECK(r.body.find("caseledger_batch_size_events_bucket") != std::string::npos);
  CHECK(r.body.find("u-") == std::string::npos);  // no user ids in metrics
}

TEST_CASE("GET /v1/log/evidence: evidence of one event for auditors and the DPO, verifiable offline",
          "[api][evidence]") {
  World w;
  auto walk = w.Walk();
  walk.Run();
  const std::string key = ledger::ReadVerifierFile(w.dir.path() + "/ledger.pub").value().ToString();
  for (const std::string* t : {&w.tokens.aud, &w.tokens.dpo}) {
    auto r = walk.Get(*t, "/v1/log/evidence?seq=3");
    REQUIRE(r.status == 200);
    const auto report = ledger::VerifyEvidence(r.body, key);
    CHECK(report.verdict == ledger::BundleVerdict::kVerified);
    CHECK(report.seq == 3);
  }
  for (const std::string* t : {&w.tokens.cw, &w.tokens.co, &w.tokens.lr})
    CHECK(walk.Get(*t, "/v1/log/evidence?seq=3").status == 403);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/evidence").status == 400);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/evidence?seq=0").status == 400);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/evidence?seq=3&x=1").status == 400);
  CHECK(walk.Get(w.tokens.aud, "/v1/log/evidence?seq=999999").status == 400);
}

TEST_CASE("advice without registration: headers only, caseworkers and coordinators, no protected "
          "characteristic, counted in the statistics",
          "[api][advice]") {
  World w;
  auto walk = w.Walk();
  const Json h{{"channel", "hotline"}, {"caller", "relative"},
               {"behaviours", {"b.legitimises_violence"}}, {"outcome", "advice_only"}};
  std::uint64_t n = w.ledger->writer().size();
  auto ok = walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", h}});
  REQUIRE(ok.status == 201);
  const Json done = testing::CaseWalk::Body(ok);
  CHECK(done["seq"] == n + 1);
  CHECK_FALSE(done.contains("case"));
  auto snap = w.ledger->store().Read().value();
  const ledger::Event e =
      ledger::DecodeEvent(ledger::ReadEventLine(snap, w.ledger->store(), n + 1).value()).value();
  CHECK(e.type == "advice.given");
  CHECK_FALSE(e.case_id.has_value());
  CHECK_FALSE(e.subject.has_value());
  CHECK(e.h == h);
  Json referred = h;
  referred["outcome"] = "referred";
  // Five of each, so that no cell of the year is suppressed (docs/statistics.md).
  for (int i = 0; i < 4; ++i) REQUIRE(walk.Post(w.tokens.co, "/v1/advice", Json{{"h", h}}).status == 201);
  for (int i = 0; i < 5; ++i)
    REQUIRE(walk.Post(w.tokens.co, "/v1/advice", Json{{"h", referred}}).status == 201);

  // Refused, and nothing stored but a refusal record: a body (personal data
  // has no place), an unknown member, a protected characteristic, a role
  // that gives no advice, a query.
  n = w.ledger->writer().size();
  CHECK(walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", h}, {"body", {{"note", "x"}}}}).status == 400);
  CHECK(walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", h}, {"case", "c-x"}}).status == 400);
  CHECK(walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", "x"}}).status == 400);
  CHECK(walk.Post(w.tokens.cw, "/v1/advice?x=1", Json{{"h", h}}).status == 400);
  Json unknown = h;
  unknown["name"] = "x";
  CHECK(walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", unknown}}).status == 400);
  CHECK(w.ledger->writer().size() == n);
  Json belief = h;
  belief["behaviours"] = {"p.religion"};
  auto rol1 = walk.Post(w.tokens.cw, "/v1/advice", Json{{"h", belief}});
  CHECK(rol1.status == 422);
  CHECK(testing::CaseWalk::Body(rol1)["rule"] == "ROL-1");
  for (const std::string& token : {w.tokens.aud, w.tokens.lr, w.tokens.dpo}) {
    auto role = walk.Post(token, "/v1/advice", Json{{"h", h}});
    CHECK(role.status == 422);
    CHECK(testing::CaseWalk::Body(role)["rule"] == "ROLE");
  }
  const std::uint64_t refusals = w.ledger->writer().size() - n;
  CHECK(refusals == 4);  // one policy.refused each, nothing else
  for (std::uint64_t seq = n + 1; seq <= w.ledger->writer().size(); ++seq) {
    auto s = w.ledger->store().Read().value();
    CHECK(ledger::DecodeEvent(ledger::ReadEventLine(s, w.ledger->store(), seq).value()).value().type ==
          "policy.refused");
  }

  // Counted in the statistics of the year, by outcome.
  auto stats = walk.Get(w.tokens.co, "/v1/stats");
  REQUIRE(stats.status == 200);
  const Json years = testing::CaseWalk::Body(stats)["years"];
  REQUIRE(years.is_array());
  REQUIRE_FALSE(years.empty());
  const Json& advice = years.back()["advice"];
  CHECK(advice["total"] == 10);
  CHECK(advice["by_outcome"]["advice_only"] == 5);
  CHECK(advice["by_outcome"]["referred"] == 5);
}

TEST_CASE("the OpenAPI description lists exactly the router's routes", "[api]") {
  World w;
  std::ifstream in(std::string(CASELEDGER_SOURCE_DIR) + "/docs/api/openapi.yaml");
  REQUIRE(in.good());
  // Paths are two-space-indented keys under `paths:`, methods four-space.
  std::set<std::pair<std::string, std::string>> documented, routed;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line.rfind("paths:", 0) == 0) { in_paths = true; continue; }
    if (in_paths && !line.empty() && line[0] != ' ' && line[0] != '#') in_paths = false;
    if (!in_paths) continue;
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
    } else if (line.size() > 5 && line.rfind("    ", 0) == 0 && line[4] != ' ') {
      const std::string m = line.substr(4, line.find(':') - 4);
      for (const char* verb : {"get", "post", "put", "delete", "patch"})
        if (m == verb) {
          std::string up = m;
          for (char& ch : up) ch = static_cast<char>(std::toupper(ch));
          documented.emplace(up, path);
        }
    }
  }
  for (const auto& r : w.service->router().Routes()) routed.insert(r);
  CHECK(documented == routed);
}

// Events written by a bare ledger (no projector), as a data dir written
// without projections or by an older version: the projections are behind.
void AppendUsersWithoutProjections(const std::string& dir, const std::string& dpo, int n) {
  ledger::LedgerOptions lo;
  lo.no_sync = true;
  auto bare = ledger::Ledger::Open(dir, std::move(lo)).value();
  const app::TokenHasher hasher(app::TokenPepper(ledger::LoadMasterKey(dir).value()));
  for (int i = 0; i < n; ++i) {
    const std::string id = i == 0 && bare->writer().size() == 0 ? dpo : NewId("u");
    ledger::Command c;
    c.type = "user.registered";
    c.actor = dpo;
    c.role = "dpo";
    c.h = Json{{"user", id}, {"role", i == 0 ? "dpo" : "auditor"},
               {"token_hash", app::NewToken(id, hasher).hash}};
    c.body = Json{{"display_name", "Synthetic user " + std::to_string(i)}};
    REQUIRE(bare->writer().Submit(std::move(c)).get().ok());
  }
}

// The value of the metric line `name` (with its labels) in a /metrics page.
std::optional<std::uint64_t> MetricValue(const std::string& page, const std::string& name) {
  const std::size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + 1 + name.size() + 1;
  return std::stoull(page.substr(start, page.find('\n', start) - start));
}

TEST_CASE("/metrics shows the data keys stored ahead of need, and a new subject without a CPR number takes one",
          "[api]") {
  World w;
  ledger::Keystore& keys = w.ledger->keys();
  // The key storer fills the pool after the start.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (keys.PoolFree() < ledger::Keystore::kPoolLowWater &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto page = [&] {
    return w.service->Handle(HttpRequest{"GET", "/metrics", {}, "", "", nullptr}).body;
  };
  const std::string before = page();
  const auto free_before = MetricValue(before, "caseledger_key_pool_free");
  REQUIRE(free_before.has_value());
  CHECK(*free_before == keys.PoolFree());
  CHECK(*free_before >= ledger::Keystore::kPoolLowWater);
  const auto stores = MetricValue(before, "caseledger_key_stores_total");
  REQUIRE(stores.has_value());
  CHECK(*stores >= 1);  // the pool's fill, at least
  // A concern about a new person given without an identity block: no CPR
  // index entry, so the subject's key is one of the pool's.
  auto concern = testing::CaseWalk::Concern("b.threat");
  concern["body"].erase("identity");
  auto walk = w.Walk();
  REQUIRE(walk.Post(w.tokens.cw, "/v1/cases", concern).status == 201);
  CHECK(MetricValue(page(), "caseledger_key_pool_free") == *free_before - 1);
  // With a CPR number the key is stored before its batch, not taken from the pool.
  REQUIRE(walk.Post(w.tokens.cw, "/v1/cases", testing::CaseWalk::Concern("b.threat")).status == 201);
  CHECK(MetricValue(page(), "caseledger_key_pool_free") == *free_before - 1);
}

TEST_CASE("/metrics shows how far the server's long tasks are: the projections' rebuild and catch-up at start",
          "[api][progress]") {
  testing::TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/api").ok());
  const std::string dpo = NewId("u");
  AppendUsersWithoutProjections(dir.path(), dpo, 5);  // no projections at all: a rebuild
  ProgressBoard board;
  const ProgressFn track = board.Track("projections");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto open = [&] {
    calls.clear();
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    return app::OpenDomainLedger(dir.path(), std::move(lo),
                                 [&](std::uint64_t done, std::uint64_t total) {
                                   calls.emplace_back(done, total);
                                   track(done, total);
                                 })
        .value();
  };
  auto metrics = [&](app::DomainLedger& domain) {
    ServiceOptions so;
    so.progress = &board;
    auto master = ledger::LoadMasterKey(dir.path()).value();
    auto service = Service::Create(domain, app::TokenPepper(master), std::move(so)).value();
    HttpRequest r;
    r.method = "GET";
    r.target = "/metrics";
    r.remote = "127.0.0.1";
    HttpResponse page = service->Handle(r);
    REQUIRE(page.status == 200);
    return page.body;
  };
  const std::string done = "caseledger_task_progress_done{task=\"projections\"}";
  const std::string total = "caseledger_task_progress_total{task=\"projections\"}";
  {
    auto domain = open();
    using Call = std::pair<std::uint64_t, std::uint64_t>;
    REQUIRE(calls.size() >= 2);
    CHECK(calls.front() == Call{0, 5});
    CHECK(calls.back() == Call{5, 5});
    const std::string page = metrics(*domain);
    CHECK(page.find("# TYPE caseledger_task_progress_done gauge") != std::string::npos);
    CHECK(MetricValue(page, done) == 5u);
    CHECK(MetricValue(page, total) == 5u);
  }
  // Projections built to 5, the log grown to 8 behind them: a catch-up of 3.
  AppendUsersWithoutProjections(dir.path(), dpo, 3);
  {
    auto domain = open();
    using Call = std::pair<std::uint64_t, std::uint64_t>;
    REQUIRE(calls.size() >= 2);
    CHECK(calls.front() == Call{0, 3});
    CHECK(calls.back() == Call{3, 3});
    CHECK(projections::ReadBuiltTo(domain->store(), domain->dbs()).value().size == 8);
    const std::string page = metrics(*domain);
    CHECK(MetricValue(page, done) == 3u);
    CHECK(MetricValue(page, total) == 3u);
  }
  // Up to date: no catch-up; the task keeps how its last run ended.
  {
    auto domain = open();
    CHECK(calls.empty());
    const std::string page = metrics(*domain);
    CHECK(MetricValue(page, done) == 3u);
    CHECK(MetricValue(page, total) == 3u);
  }
  // No board: no task gauges.
  {
    auto domain = open();
    auto master = ledger::LoadMasterKey(dir.path()).value();
    auto service = Service::Create(*domain, app::TokenPepper(master)).value();
    HttpRequest r;
    r.method = "GET";
    r.target = "/metrics";
    CHECK(service->Handle(r).body.find("caseledger_task_progress") == std::string::npos);
  }
}

}  // namespace
}  // namespace caseledger::http
