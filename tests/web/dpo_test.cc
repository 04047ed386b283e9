// The DPO's pages (docs/web.md, "The DPO's pages"): a person found by CPR
// number sent in a POST body only, the lookup recorded on each case first;
// the subject-access export shown and downloaded only for the DPO, its
// access.exported records appended before it is shown; erasure with its
// reason, after which the bodies cannot be read and the Art. 19 list names
// the recipients of earlier disclosures; CSRF checked before anything.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ledger/event.h"
#include "projections/projector.h"
#include "tests/web/workspace_world.h"

namespace caseledger::web {
namespace {

using http::HttpResponse;

std::string SubjectOf(WorkspaceWorld& w, const std::string& case_id) {
  return projections::ReadCase(w.ledger->store(), w.ledger->dbs(), case_id)
      .value()
      .state.Derive()
      .subject;
}

// The lookup form's field (a dash needs no percent-encoding).
std::string CprForm(const std::string& cpr) { return "cpr=" + cpr; }

TEST_CASE("the DPO finds a person by CPR number in a POST body, the lookup is recorded first",
          "[web][dpo]") {
  WorkspaceWorld w;
  const testing::WalkJson concern = testing::CaseWalk::Concern("b.threat");
  const std::string cpr = concern["body"]["identity"]["cpr"];
  const std::string case_id = w.Report(concern);
  const std::string subject = SubjectOf(w, case_id);
  const std::string dpo = w.SignIn(w.tokens.dpo);
  const std::string csrf = w.Csrf(dpo);

  HttpResponse form = w.Get("/ui/subjects", dpo);
  REQUIRE(form.status == 200);
  CHECK(Has(form.body, "method=\"post\" action=\"/ui/subjects/lookup\""));

  std::uint64_t n = w.ledger->writer().size();
  HttpResponse found = w.Post("/ui/subjects/lookup", "csrf=" + csrf + "&" + CprForm(cpr), dpo);
  REQUIRE(found.status == 200);
  CHECK(Has(found.body, subject));
  CHECK(Has(found.body, case_id));
  CHECK(Has(found.body, "/ui/subjects/" + subject + "/export"));
  CHECK_FALSE(Has(found.body, cpr));           // never echoed back
  CHECK(HeaderOf(found, "Location").empty());  // answered in place: no URL carries it
  // The lookup's access.read (purpose lookup, by the DPO) was appended.
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "access.read");
  CHECK(appended[0].case_id == case_id);
  CHECK(appended[0].h["purpose"] == "lookup");
  CHECK(appended[0].actor == w.ids[w.tokens.dpo]);

  // The number without its dash finds the same person.
  std::string bare = cpr;
  bare.erase(6, 1);
  CHECK(Has(w.Post("/ui/subjects/lookup", "csrf=" + csrf + "&cpr=" + bare, dpo).body, subject));

  // A number nobody is registered under finds nothing, and records nothing.
  n = w.ledger->writer().size();
  HttpResponse miss = w.Post("/ui/subjects/lookup", "csrf=" + csrf + "&cpr=009999-9999", dpo);
  CHECK(miss.status == 404);
  CHECK_FALSE(Has(miss.body, "009999"));
  CHECK_FALSE(Has(miss.body, subject));
  CHECK(w.Post("/ui/subjects/lookup", "csrf=" + csrf + "&cpr=12345", dpo).status == 400);
  // Without the CSRF token: 403 and nothing appended.
  CHECK(w.Post("/ui/subjects/lookup", CprForm(cpr), dpo).status == 403);
  CHECK(w.ledger->writer().size() == n);

  // Other roles: 403 on the page and on the form, and nothing recorded.
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.aud, w.tokens.lr}) {
    const std::string cookie = w.SignIn(token);
    CHECK(w.Get("/ui/subjects", cookie).status == 403);
    HttpResponse r = w.Post("/ui/subjects/lookup", "csrf=" + w.Csrf(cookie) + "&" + CprForm(cpr), cookie);
    CHECK(r.status == 403);
    CHECK_FALSE(Has(r.body, subject));
  }
  CHECK(w.ledger->writer().size() == n);
  // The DPO's navigation leads to the lookup.
  CHECK(Has(w.Get("/ui/home", dpo).body, "href=\"/ui/subjects\""));
}

TEST_CASE("the subject-access export for the DPO only, recorded first, erasure with its reason "
          "and the Art. 19 list",
          "[web][dpo][erasure]") {
  WorkspaceWorld w;
  auto walk = w.Walk();
  walk.Run();  // a case from concern to closure, with a disclosure made to the police
  const std::string case_id = walk.case_id();
  const std::string subject = SubjectOf(w, case_id);
  const std::string dpo = w.SignIn(w.tokens.dpo);
  const std::string csrf = w.Csrf(dpo);
  const std::string base = "/ui/subjects/" + subject;

  // Other roles get 403 and nothing of the person.
  std::uint64_t n = w.ledger->writer().size();
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.aud, w.tokens.lr}) {
    const std::string cookie = w.SignIn(token);
    for (const std::string& path : {base + "/export", base + "/export/download", base + "/erase",
                                    base + "/notify"}) {
      HttpResponse r = w.Get(path, cookie);
      CHECK(r.status == 403);
      CHECK_FALSE(Has(r.body, "Testperson"));
    }
  }
  CHECK(w.ledger->writer().size() == n);

  // The DPO's export page: the person's data, after the access.exported record.
  HttpResponse page = w.Get(base + "/export", dpo);
  REQUIRE(page.status == 200);
  CHECK(Has(page.body, "Testperson 9001"));
  CHECK(Has(page.body, "Politiet"));  // the disclosure's recipient, labelled
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "access.exported");
  CHECK(appended[0].case_id == case_id);
  CHECK(appended[0].h["purpose"] == "subject_access");

  // The download is the API's JSON, as an attachment, also recorded.
  n = w.ledger->writer().size();
  HttpResponse file = w.Get(base + "/export/download", dpo);
  REQUIRE(file.status == 200);
  CHECK(file.content_type == "application/json");
  CHECK(Has(HeaderOf(file, "Content-Disposition"), "attachment"));
  const Json j = Json::parse(file.body);
  CHECK(j["subject"] == subject);
  CHECK(j["cases"][0]["case"] == case_id);
  CHECK(w.EventsSince(n).size() == 1);
  CHECK(w.Get("/ui/subjects/s-nope/export", dpo).status == 404);

  // Erasure: without CSRF 403 and nothing appended; without a reason the form names it.
  HttpResponse erase_form = w.Get(base + "/erase", dpo);
  REQUIRE(erase_form.status == 200);
  CHECK(Has(erase_form.body, "value=\"gdpr_art17\""));
  n = w.ledger->writer().size();
  CHECK(w.Post(base + "/erase", "reason=gdpr_art17", dpo).status == 403);
  CHECK(w.Post(base + "/erase", "csrf=x&reason=gdpr_art17", dpo).status == 403);
  CHECK(w.Post(base + "/erase", "csrf=" + csrf, dpo).status == 400);
  const std::string co = w.SignIn(w.tokens.co);
  CHECK(w.Post(base + "/erase", "csrf=" + w.Csrf(co) + "&reason=gdpr_art17", co).status == 403);
  CHECK(w.ledger->writer().size() == n);

  HttpResponse done = w.Post(base + "/erase", "csrf=" + csrf + "&reason=gdpr_art17", dpo);
  REQUIRE(done.status == 303);
  CHECK(HeaderOf(done, "Location") == base + "/notify?erased=1");
  appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "subject.erased");
  CHECK(appended[0].h["reason"] == "gdpr_art17");
  CHECK(w.ledger->keys().IsDestroyed(subject));
  // The case's bodies can no longer be read, by anyone.
  auto history = walk.History(w.tokens.co, "casework");
  REQUIRE(history.status == 200);
  CHECK_FALSE(Has(history.body, "Testperson"));
  CHECK(testing::CaseWalk::Body(history)["entries"][0]["body"]["erased"] == true);
  HttpResponse after = w.Get(base + "/export", dpo);
  REQUIRE(after.status == 200);
  CHECK_FALSE(Has(after.body, "Testperson"));

  // The Art. 19 list: the recipient of the earlier disclosure, to be told.
  HttpResponse notify = w.Get(base + "/notify?erased=1", dpo);
  REQUIRE(notify.status == 200);
  CHECK(Has(notify.body, case_id));
  CHECK(Has(notify.body, "Politiet"));
  // Erasure is final: a second one is refused on the form with its rule.
  HttpResponse again = w.Post(base + "/erase", "csrf=" + csrf + "&reason=gdpr_art17", dpo);
  CHECK(again.status == 422);
  CHECK(Has(again.body, "ROL-16"));

  // Telling the recipients is recorded on the case from the same page
  // (recipients.notified about the erasure); then no duty is left.
  const std::string about = HiddenField(notify.body, "h.about");
  REQUIRE_FALSE(about.empty());
  CHECK(Has(notify.body, "name=\"h.recipients.police\""));
  const std::string told = "csrf=" + csrf + "&case=" + case_id + "&h.about=" + about;
  n = w.ledger->writer().size();
  CHECK(w.Post(base + "/notify", "case=" + case_id + "&h.about=" + about + "&h.recipients.police=on", dpo)
            .status == 403);
  CHECK(w.Post(base + "/notify", told, dpo).status == 400);  // no one ticked
  CHECK(w.Post(base + "/notify", "csrf=" + csrf + "&case=c-nope&h.about=" + about + "&h.recipients.police=on", dpo)
            .status == 404);
  CHECK(w.Post(base + "/notify", told + "&h.recipients.police=on", co).status == 403);
  CHECK(w.ledger->writer().size() == n);
  HttpResponse recorded = w.Post(base + "/notify", told + "&h.recipients.police=on", dpo);
  REQUIRE(recorded.status == 303);
  CHECK(HeaderOf(recorded, "Location") == base + "/notify?told=1");
  appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "recipients.notified");
  CHECK(appended[0].case_id == case_id);
  CHECK(appended[0].h["about"] == std::stoull(about));
  CHECK(appended[0].h["recipients"] == Json::array({"police"}));
  HttpResponse none_left = w.Get(base + "/notify?told=1", dpo);
  CHECK(Has(none_left.body, "Underretningen er registreret"));
  CHECK(Has(none_left.body, "Ingen modtagere mangler"));
  CHECK_FALSE(Has(none_left.body, "name=\"h.about\""));
  // Sent again from the stale page: no duty is left on that case.
  CHECK(w.Post(base + "/notify", told + "&h.recipients.police=on", dpo).status == 409);
  CHECK(w.ledger->writer().size() == n + 1);
}

TEST_CASE("the DPO sets a legal hold from the person's page: erasure is refused (ROL-16) until "
          "it is released, the hold page shows no case content",
          "[web][dpo][hold]") {
  WorkspaceWorld w;
  const testing::WalkJson concern = testing::CaseWalk::Concern("b.threat");
  const std::string cpr = concern["body"]["identity"]["cpr"];
  const std::string case_id = w.Report(concern);
  const std::string subject = SubjectOf(w, case_id);
  const std::string dpo = w.SignIn(w.tokens.dpo);
  const std::string csrf = w.Csrf(dpo);
  const std::string hold = "/ui/cases/" + case_id + "/hold";

  // The person's page says each case's hold and links to its form.
  HttpResponse found = w.Post("/ui/subjects/lookup", "csrf=" + csrf + "&" + CprForm(cpr), dpo);
  REQUIRE(found.status == 200);
  CHECK(Has(found.body, "Intet tilbagehold."));
  CHECK(Has(found.body, "href=\"" + hold + "\""));

  // Only the DPO; no read of the case, and no content on the page.
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.aud, w.tokens.lr}) {
    const std::string cookie = w.SignIn(token);
    CHECK(w.Get(hold, cookie).status == 403);
    CHECK(w.Post(hold, "csrf=" + w.Csrf(cookie) + "&type=legal_hold.set&h.ground=complaint", cookie)
              .status == 403);
  }
  std::uint64_t n = w.ledger->writer().size();
  HttpResponse page = w.Get(hold, dpo);
  REQUIRE(page.status == 200);
  CHECK(Has(page.body, "value=\"legal_hold.set\""));
  CHECK(Has(page.body, "value=\"court_case\""));  // the grounds, from the catalogue
  CHECK_FALSE(Has(page.body, "Testperson"));
  CHECK(w.ledger->writer().size() == n);
  CHECK(w.Get("/ui/cases/c-nope/hold", dpo).status == 404);

  // CSRF first; a missing ground is named on the form; nothing appended.
  CHECK(w.Post(hold, "type=legal_hold.set&h.ground=complaint", dpo).status == 403);
  HttpResponse no_ground = w.Post(hold, "csrf=" + csrf + "&type=legal_hold.set", dpo);
  CHECK(no_ground.status == 400);
  CHECK(Has(no_ground.body, "Grund"));
  CHECK(w.Post(hold, "csrf=" + csrf + "&type=case.closed&h.ground=complaint", dpo).status == 400);
  CHECK(w.ledger->writer().size() == n);

  HttpResponse set = w.Post(hold, "csrf=" + csrf + "&type=legal_hold.set&h.ground=complaint&body.note=klage", dpo);
  REQUIRE(set.status == 303);
  CHECK(HeaderOf(set, "Location") == hold + "?done=set");
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "legal_hold.set");
  CHECK(appended[0].h["ground"] == "complaint");
  CHECK(appended[0].actor == w.ids[w.tokens.dpo]);
  HttpResponse held = w.Get(hold + "?done=set", dpo);
  CHECK(Has(held.body, "Tilbageholdet er sat"));
  CHECK(Has(held.body, "value=\"legal_hold.released\""));

  // Erasure is refused on its form with the rule while the hold stands.
  const std::string erase = "/ui/subjects/" + subject + "/erase";
  HttpResponse refused = w.Post(erase, "csrf=" + csrf + "&reason=gdpr_art17", dpo);
  CHECK(refused.status == 422);
  CHECK(Has(refused.body, "ROL-16"));
  CHECK_FALSE(w.ledger->keys().IsDestroyed(subject));

  // Released; a second release (sent from a stale page) is answered 409.
  n = w.ledger->writer().size();
  REQUIRE(w.Post(hold, "csrf=" + csrf + "&type=legal_hold.released&h.ground=complaint", dpo).status == 303);
  CHECK(w.EventsSince(n).at(0).type == "legal_hold.released");
  HttpResponse stale = w.Post(hold, "csrf=" + csrf + "&type=legal_hold.released&h.ground=complaint", dpo);
  CHECK(stale.status == 409);
  CHECK(Has(stale.body, "value=\"legal_hold.set\""));
  REQUIRE(w.Post(erase, "csrf=" + csrf + "&reason=gdpr_art17", dpo).status == 303);
  CHECK(w.ledger->keys().IsDestroyed(subject));
}

}  // namespace
}  // namespace caseledger::web

namespace caseledger::web {
namespace {

// The token shown once on a users page answer ("" if none).
std::string ShownToken(const std::string& html) {
  const std::string key = "<code class=\"token\">";
  const std::size_t at = html.find(key);
  if (at == std::string::npos) return "";
  const std::size_t start = at + key.size();
  return html.substr(start, html.find('<', start) - start);
}

TEST_CASE("the DPO's users page: add a user (the token shown once, and it signs in), issue a new "
          "token, revoke, others get 403, CSRF first",
          "[web][dpo][users]") {
  WorkspaceWorld w;
  const std::string dpo = w.SignIn(w.tokens.dpo);
  const std::string csrf = w.Csrf(dpo);
  HttpResponse page = w.Get("/ui/users", dpo);
  REQUIRE(page.status == 200);
  CHECK(Has(page.body, w.ids[w.tokens.cw]));
  CHECK(Has(w.Get("/ui/home", dpo).body, "href=\"/ui/users\""));
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.aud, w.tokens.lr}) {
    const std::string cookie = w.SignIn(token);
    CHECK(w.Get("/ui/users", cookie).status == 403);
    CHECK(w.Post("/ui/users", "csrf=" + w.Csrf(cookie) + "&name=X&role=dpo", cookie).status == 403);
  }
  std::uint64_t n = w.ledger->writer().size();
  CHECK(w.Post("/ui/users", "name=Ny+Kollega&role=caseworker", dpo).status == 403);
  CHECK(w.Post("/ui/users", "csrf=" + csrf + "&role=caseworker", dpo).status == 400);
  CHECK(w.ledger->writer().size() == n);

  HttpResponse added = w.Post("/ui/users", "csrf=" + csrf + "&name=Ny+Kollega&role=caseworker", dpo);
  REQUIRE(added.status == 200);
  const std::string token = ShownToken(added.body);
  REQUIRE_FALSE(token.empty());
  CHECK(HeaderOf(added, "Location").empty());
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "user.registered");
  CHECK(appended[0].h["role"] == "caseworker");
  const std::string user = appended[0].h["user"];
  CHECK(Has(added.body, "Ny Kollega"));
  CHECK_FALSE(Has(w.Get("/ui/users", dpo).body, token));  // shown once
  const std::string cookie = w.SignIn(token);              // and it works
  CHECK(w.Get("/ui/cases", cookie).status == 200);

  // A new token: the old one stops working.
  HttpResponse issued = w.Post("/ui/users/" + user + "/token", "csrf=" + csrf, dpo);
  REQUIRE(issued.status == 200);
  const std::string fresh = ShownToken(issued.body);
  CHECK_FALSE(fresh.empty());
  CHECK(fresh != token);
  CHECK(w.Post("/ui/signin", "token=" + token + "&lang=da").status == 401);
  w.SignIn(fresh);

  // Revoked: the token no longer signs in.
  n = w.ledger->writer().size();
  CHECK(w.Post("/ui/users/" + user + "/revoke", "", dpo).status == 403);
  CHECK(w.ledger->writer().size() == n);
  HttpResponse revoked = w.Post("/ui/users/" + user + "/revoke", "csrf=" + csrf, dpo);
  CHECK(revoked.status == 303);
  CHECK(HeaderOf(revoked, "Location") == "/ui/users?revoked=1");
  CHECK(w.EventsSince(n).at(0).type == "user.revoked");
  CHECK(w.Post("/ui/signin", "token=" + fresh + "&lang=da").status == 401);
}

}  // namespace
}  // namespace caseledger::web

namespace caseledger::web {
namespace {

// A coordinator's assessment finding the case unfounded (its subject then
// falls due for erasure after the retention policy's days).
void RecordUnfounded(WorkspaceWorld& w, const std::string& case_id) {
  auto r = w.Walk().Post(w.tokens.co, "/v1/cases/" + case_id + "/events",
                         {{"type", "assessment.recorded"},
                          {"h", {{"outcome", "unfounded"},
                                 {"grounds", {{{"code", "b.threat"}, {"observed_on", "2026-01-15"}}}},
                                 {"panel", "infohus"},
                                 {"factors", testing::WalkJson::object()}}},
                          {"body", {{"reasoning", "synthetic"}}}});
  INFO(r.body);
  REQUIRE(r.status == 201);
}

TEST_CASE("the DPO's retention page: the plan (an unfounded concern falls due within 30 days), "
          "the run erases only what is due, others get 403, CSRF first",
          "[web][dpo][retention]") {
  WorkspaceWorld w;
  const std::string case_id = w.Report(testing::CaseWalk::Concern("b.threat"));
  const std::string subject = SubjectOf(w, case_id);
  RecordUnfounded(w, case_id);
  const std::string dpo = w.SignIn(w.tokens.dpo);
  HttpResponse page = w.Get("/ui/retention", dpo);
  REQUIRE(page.status == 200);
  const std::size_t soon = page.body.find("<h2>Skal slettes inden for 30 dage</h2>");
  REQUIRE(soon != std::string::npos);
  CHECK(page.body.find(subject, soon) != std::string::npos);
  CHECK(Has(w.Get("/ui/home", dpo).body, "href=\"/ui/retention\""));
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.aud}) {
    const std::string cookie = w.SignIn(token);
    CHECK(w.Get("/ui/retention", cookie).status == 403);
    CHECK(w.Post("/ui/retention/run", "csrf=" + w.Csrf(cookie), cookie).status == 403);
  }
  const std::uint64_t n = w.ledger->writer().size();
  CHECK(w.Post("/ui/retention/run", "", dpo).status == 403);
  HttpResponse ran = w.Post("/ui/retention/run", "csrf=" + w.Csrf(dpo), dpo);
  REQUIRE(ran.status == 200);
  CHECK(Has(ran.body, "Slettet ved kørslen: 0."));
  for (const ledger::Event& e : w.EventsSince(n)) CHECK(e.type != "subject.erased");
  CHECK_FALSE(w.ledger->keys().IsDestroyed(subject));
}

TEST_CASE("the DPO's retention run erases who is due, on screen, and no one a hold protects",
          "[web][dpo][retention]") {
  // The workspace's clock runs ahead: what falls due in 30 days is due.
  auto ahead = std::make_shared<std::atomic<ledger::Micros>>(0);
  WorkspaceOptions o;
  o.clock = [ahead] { return ledger::NowMicros() + ahead->load(); };
  WorkspaceWorld w(std::move(o));
  const std::string due = w.Report(testing::CaseWalk::Concern("b.threat"));
  testing::WalkJson other = testing::CaseWalk::Concern("b.threat");
  other["body"]["identity"]["cpr"] = "000101-4321";
  const std::string held = w.Report(other);
  RecordUnfounded(w, due);
  RecordUnfounded(w, held);
  const std::string dpo = w.SignIn(w.tokens.dpo);
  const std::string csrf = w.Csrf(dpo);
  REQUIRE(w.Post("/ui/cases/" + held + "/hold", "csrf=" + csrf + "&type=legal_hold.set&h.ground=court_case",
                 dpo).status == 303);
  ahead->store(60LL * 24 * 3600 * 1000000);
  const std::string dpo_later = w.SignIn(w.tokens.dpo);
  HttpResponse plan = w.Get("/ui/retention", dpo_later);
  REQUIRE(plan.status == 200);
  CHECK(Has(plan.body, SubjectOf(w, due)));
  CHECK(Has(plan.body, SubjectOf(w, held)));
  HttpResponse ran = w.Post("/ui/retention/run", "csrf=" + w.Csrf(dpo_later), dpo_later);
  REQUIRE(ran.status == 200);
  CHECK(Has(ran.body, "Slettet ved kørslen: 1. Afvist: 0."));
  CHECK(w.ledger->keys().IsDestroyed(SubjectOf(w, due)));
  CHECK_FALSE(w.ledger->keys().IsDestroyed(SubjectOf(w, held)));
}

}  // namespace
}  // namespace caseledger::web
