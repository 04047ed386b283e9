// One case from concern to closure through the HTTP API, as each role,
// including the four-eyes disclosure and its legal review — written once and
// run twice: against the router without sockets (service_test) and against
// the real server over 127.0.0.1 (e2e http_test). It checks every forbidden
// read is 403, and that every read of a case left an `access.read` in the
// log (counted from the raw log entries, which are not themselves case
// reads). All data is synthetic.
#pragma once

#include <catch2/catch.hpp>
#include <atomic>
#include <cstdio>
#include <functional>
#include <string>

#include "base/json.h"
#include "http/router.h"

namespace caseledger::testing {

using WalkJson = Json;

struct WalkTokens {
  std::string cw, cw2, co, co2, lr, aud, dpo;  // bearer tokens
  std::string cw_id;                          // the caseworker's user id
};

class CaseWalk {
 public:
  using Transport = std::function<http::HttpResponse(const http::HttpRequest&)>;
  CaseWalk(Transport t, WalkTokens tok) : t_(std::move(t)), tok_(std::move(tok)) {}

  http::HttpResponse Get(const std::string& token, const std::string& target) {
    http::HttpRequest r;
    r.method = "GET";
    r.target = target;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.remote = "127.0.0.1";
    return t_(r);
  }
  http::HttpResponse Post(const std::string& token, const std::string& target,
                         const WalkJson& body) {
    http::HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.headers["authorization"] = "Bearer " + token;
    r.headers["content-type"] = "application/json";
    r.body = body.dump();
    r.remote = "127.0.0.1";
    return t_(r);
  }
  static WalkJson Body(const http::HttpResponse& r) {
    return WalkJson::parse(r.body, nullptr, false);
  }
  // Appends a case event and requires 201; returns its seq.
  std::uint64_t Event(const std::string& token, const std::string& type, WalkJson h,
                      WalkJson body = nullptr) {
    WalkJson b{{"type", type}, {"h", std::move(h)}};
    if (!body.is_null()) b["body"] = std::move(body);
    auto r = Post(token, "/v1/cases/" + case_ + "/events", b);
    INFO(type << ": " << r.body);
    REQUIRE(r.status == 201);
    return Body(r)["seq"].get<std::uint64_t>();
  }
  // Reads the case's history for `purpose`; counts the read if it was let through.
  http::HttpResponse History(const std::string& token, const std::string& purpose) {
    auto r = Get(token, "/v1/cases/" + case_ + "/history?purpose=" + purpose);
    if (r.status == 200) ++reads_;
    return r;
  }
  http::HttpResponse State(const std::string& token, const std::string& query) {
    auto r = Get(token, "/v1/cases/" + case_ + "?" + query);
    if (r.status == 200) ++reads_;
    return r;
  }
  // access.read records of the case in the raw log (as the auditor).
  int AccessRecords() {
    int n = 0;
    for (std::uint64_t from = 1;; from += 1000) {
      auto r = Get(tok_.aud, "/v1/log/entries?from=" + std::to_string(from) + "&count=1000");
      REQUIRE(r.status == 200);
      if (r.body.empty()) break;
      std::size_t start = 0;
      while (start < r.body.size()) {
        const std::size_t end = r.body.find('\n', start);
        auto e = WalkJson::parse(r.body.substr(start, end - start));
        if (e["type"] == "access.read" && e.value("case", "") == case_) ++n;
        start = end + 1;
      }
    }
    return n;
  }

  // A concern about a new synthetic person, each with a CPR number not used
  // before in this process (the identity index refuses a second subject for
  // one number).
  static WalkJson Concern(const std::string& ground) {
    static std::atomic<unsigned> next{9001};
    const unsigned n = next++;
    char cpr[16];
    std::snprintf(cpr, sizeof cpr, "00%04u-%04u", (n / 10000) % 10000, n % 10000);
    return WalkJson{
        {"subject", nullptr},
        {"h",
         {{"source", "school"},
          {"subject_kind", "person"},
          {"grounds", {{{"code", ground}, {"observed_on", "2026-01-15"}}}},
          {"context", WalkJson::array()},
          {"minor", false},
          {"new_subject", true}}},
        {"body",
         {{"narrative", "synthetic narrative (test data)"},
          {"identity",
           {{"name", "Testperson 9001"},
            {"cpr", cpr},
            {"address", "Syntetisk Vej 9, 9999 Demoby"}}}}}};
  }

  void Run() {
    // 1. A caseworker reports a concern citing observed behaviour: 201 with
    //    the seq and the signed checkpoint covering it.
    auto r = Post(tok_.cw, "/v1/cases", Concern("b.threat"));
    INFO(r.body);
    REQUIRE(r.status == 201);
    WalkJson j = Body(r);
    case_ = j["case"].get<std::string>();
    const std::uint64_t opened = j["seq"].get<std::uint64_t>();
    CHECK(j["checkpoint"]["size"].get<std::uint64_t>() >= opened);
    CHECK(j["checkpoint"]["note"].get<std::string>().find("\n" + std::to_string(
              j["checkpoint"]["size"].get<std::uint64_t>()) + "\n") != std::string::npos);
    CHECK(j["subject"].get<std::string>().rfind("s-", 0) == 0);

    // 2. Belief alone is refused with the rule id.
    r = Post(tok_.cw, "/v1/cases", Concern("p.religion"));
    CHECK(r.status == 422);
    CHECK(r.content_type == "application/problem+json");
    CHECK(Body(r)["rule"] == "ROL-1");
    CHECK(r.body.find("Testperson") == std::string::npos);

    // 3. The coordinator assigns the case to the caseworker.
    const std::uint64_t assigned =
        Event(tok_.co, "case.assigned", {{"assignees", {tok_.cw_id}}});

    // 4. Another caseworker may not read or write it, nor see it listed.
    CHECK(History(tok_.cw2, "casework").status == 403);
    CHECK(State(tok_.cw2, "purpose=casework").status == 403);
    CHECK(Post(tok_.cw2, "/v1/cases/" + case_ + "/events",
               {{"type", "concern.responded"}, {"h", {{"channel", "phone"}}}})
              .status == 403);
    auto listing = Get(tok_.cw2, "/v1/cases?limit=1000");
    REQUIRE(listing.status == 200);
    CHECK(listing.body.find(case_) == std::string::npos);
    listing = Get(tok_.cw, "/v1/cases?limit=1000");
    CHECK(listing.body.find(case_) != std::string::npos);

    // 5. The assigned caseworker reads the bodies, for casework only.
    r = History(tok_.cw, "casework");
    REQUIRE(r.status == 200);
    CHECK(Body(r)["entries"][0]["body"]["identity"]["name"] == "Testperson 9001");
    CHECK(State(tok_.cw, "").status == 400);                // purpose required
    CHECK(State(tok_.cw, "purpose=audit").status == 403);   // not the role's purpose
    CHECK(State(tok_.cw, "purpose=spying").status == 400);  // not a purpose

    // 6. The auditor gets metadata only; the DPO bodies only for subject access.
    r = History(tok_.aud, "audit");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("Testperson") == std::string::npos);
    CHECK(Body(r)["entries"][0]["body"].contains("withheld"));
    r = History(tok_.dpo, "audit");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("Testperson") == std::string::npos);
    r = History(tok_.dpo, "subject_access");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("Testperson 9001") != std::string::npos);

    // 7. Response, founded assessment (coordinator only), consent, intervention.
    Event(tok_.cw, "concern.responded", {{"channel", "phone"}}, {{"note", "synthetic note"}});
    WalkJson assessment{{"outcome", "founded"},
                        {"grounds", {{{"code", "b.threat"}, {"observed_on", "2026-01-15"}}}},
                        {"panel", "infohus"},
                        {"factors", WalkJson::object()}};
    r = Post(tok_.cw, "/v1/cases/" + case_ + "/events",
             {{"type", "assessment.recorded"}, {"h", assessment},
              {"body", {{"reasoning", "synthetic"}}}});
    CHECK(r.status == 422);
    CHECK(Body(r)["rule"] == "ROL-4");
    const std::uint64_t founded = Event(tok_.co, "assessment.recorded", assessment,
                                        {{"reasoning", "synthetic reasoning"}});
    Event(tok_.cw, "consent.recorded", {{"decision", "given"}, {"by", "subject"}});
    const std::uint64_t intervention =
        Event(tok_.cw, "intervention.started", {{"kind", "mentor"}, {"provider", "municipality"}},
              {{"plan", "synthetic plan"}});

    // 8. No disclosure under review yet: the legal reviewer may not read.
    CHECK(History(tok_.lr, "review").status == 403);

    // 9. Four eyes: the requester cannot approve; another coordinator does.
    const std::uint64_t request = Event(
        tok_.co2, "disclosure.requested",
        {{"recipient", "police"},
         {"basis", "rpl-115-ssp"},
         {"registry_version", "2026-1"},
         {"purpose", "prevention"},
         {"categories", {"identity", "concern"}}},
        {{"purpose_text", "synthetic purpose"}, {"summary", "synthetic summary"}});
    r = Post(tok_.co2, "/v1/cases/" + case_ + "/events",
             {{"type", "disclosure.approved"}, {"h", {{"request", request}}}});
    CHECK(r.status == 422);
    CHECK(Body(r)["rule"] == "ROL-5");
    r = Post(tok_.cw, "/v1/cases/" + case_ + "/events",
             {{"type", "disclosure.made"},
              {"h", {{"request", request}, {"channel", "secure_mail"},
                     {"document_sha256", std::string(64, 'a')}}}});
    CHECK(r.status == 422);  // not approved yet
    CHECK(Body(r)["rule"] == "ROL-5");
    Event(tok_.co, "disclosure.approved", {{"request", request}});
    const std::uint64_t made =
        Event(tok_.cw, "disclosure.made",
              {{"request", request}, {"channel", "secure_mail"},
               {"document_sha256", std::string(64, 'a')}});
    (void)made;

    // 10. The register shows it; the legal reviewer reads the case for review,
    //     records a verdict, and may then no longer read it.
    auto reg = Get(tok_.lr, "/v1/disclosures?recipient=police");
    REQUIRE(reg.status == 200);
    CHECK(reg.body.find(case_) != std::string::npos);
    {
      const WalkJson doc = Body(reg);
      const WalkJson* entry = nullptr;
      for (const WalkJson& d : doc["disclosures"])
        if (d["case"] == case_ && d["request"] == request) entry = &d;
      REQUIRE(entry != nullptr);
      CHECK((*entry)["status"] == "made");
      CHECK((*entry)["findings"].empty());  // lawful: every check passed
      CHECK((*entry)["decisions"].size() == 1);
      CHECK(doc["checks"].size() == 14);
    }
    CHECK(Body(Get(tok_.lr, "/v1/disclosures?basis=fvl-28"))["count"] == 0);
    CHECK(Body(Get(tok_.lr, "/v1/disclosures?finding=self_approval"))["count"] == 0);
    CHECK(Get(tok_.lr, "/v1/disclosures?finding=no_such_code").status == 400);
    CHECK(Get(tok_.lr, "/v1/disclosures?legacy=maybe").status == 400);
    CHECK(Get(tok_.lr, "/v1/disclosures?colour=red").status == 400);
    CHECK(Get(tok_.cw, "/v1/disclosures").status == 403);
    // Migrated history is for `caseledger import --legacy`, never the API.
    r = Post(tok_.co2, "/v1/cases/" + case_ + "/events",
             {{"type", "disclosure.approved"},
              {"h", {{"request", request}, {"legacy_ref", true}}}});
    CHECK(r.status == 400);
    r = History(tok_.lr, "review");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("Testperson 9001") != std::string::npos);
    Event(tok_.lr, "disclosure.reviewed",
          {{"disclosure", request}, {"verdict", "lawful"}, {"findings", WalkJson::array()}});
    CHECK(History(tok_.lr, "review").status == 403);
    {
      // (The legal reviewer's access ended with the verdict; the coordinator
      // sees the register of every case.)
      const WalkJson doc = Body(Get(tok_.co, "/v1/disclosures?status=reviewed"));
      REQUIRE(doc["count"] == 1);
      CHECK(doc["disclosures"][0]["reviews"][0]["verdict"] == "lawful");
      CHECK(doc["disclosures"][0]["timings"].contains("made_to_review_days"));
    }

    // 11. Time travel: as of the assignment the case was not yet founded.
    r = State(tok_.co, "purpose=casework&as_of=" + std::to_string(assigned));
    REQUIRE(r.status == 200);
    CHECK(Body(r)["state"]["status"] != "founded");
    r = State(tok_.co, "purpose=casework&as_of=" + std::to_string(founded));
    REQUIRE(r.status == 200);
    CHECK(Body(r)["state"]["status"] == "founded");

    // 12. The intervention ends and the coordinator closes the case.
    Event(tok_.cw, "intervention.ended", {{"intervention", intervention}, {"reason", "completed"}});
    Event(tok_.co, "case.closed", {{"reason", "completed"}}, {{"note", "synthetic"}});
    r = State(tok_.co, "purpose=casework");
    REQUIRE(r.status == 200);
    CHECK(Body(r)["state"]["status"] == "closed");

    // 13. Every read that was let through left exactly one access record.
    CHECK(AccessRecords() == reads_);
    CHECK(reads_ == 8);  // the reads above that were let through
  }

  const std::string& case_id() const { return case_; }
  int reads() const { return reads_; }

 private:
  Transport t_;
  WalkTokens tok_;
  std::string case_;
  int reads_ = 0;
};

}  // namespace caseledger::testing
