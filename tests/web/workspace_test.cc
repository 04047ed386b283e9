// The web workspace over the router (no sockets): sign-in and sessions, the
// CSRF check of every state-changing form, sign-out, the language switch,
// the role's pages, and that pages hold no personal data of a case.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "app/auth.h"
#include "app/domain_ledger.h"
#include "http/service.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "projections/vocabulary.h"
#include "tests/http/case_walk.h"
#include "tests/http/service_world.h"
#include "tests/web/workspace_world.h"
#include "tests/ledger/test_util.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {
namespace {

using http::HttpRequest;
using http::HttpResponse;

using World = WorkspaceWorld;

TEST_CASE("signing in with a token gives a session cookie, pages carry the workspace's headers",
          "[web][workspace]") {
  World w;
  HttpResponse r = w.Get("/ui");
  CHECK(r.status == 303);
  CHECK(HeaderOf(r, "Location") == "/ui/signin");
  r = w.Get("/ui/signin");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  CHECK(HeaderOf(r, "Content-Security-Policy") == std::string(kCsp));
  CHECK(HeaderOf(r, "X-Content-Type-Options") == "nosniff");
  CHECK(r.body.find("<html lang=\"da\">") != std::string::npos);
  CHECK(r.body.find("Log ind") != std::string::npos);
  CHECK(r.body.find("<script") == std::string::npos);
  CHECK(r.body.find("style=") == std::string::npos);
  CHECK(w.Get("/ui/signin?lang=en").body.find("<html lang=\"en\">") != std::string::npos);
  // The stylesheet every page links is served by the server itself.
  const std::size_t css = r.body.find("<link rel=\"stylesheet\" href=\"/ui/assets/workspace.css\">");
  CHECK(css != std::string::npos);
  const HttpResponse sheet = w.Get("/ui/assets/workspace.css");
  CHECK(sheet.status == 200);
  CHECK(sheet.content_type == "text/css; charset=utf-8");
  CHECK(sheet.body.find(".inline-form") != std::string::npos);

  // A wrong token: 401, the form again, no cookie.
  std::string wrong = w.tokens.cw;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  r = w.Post("/ui/signin", "token=" + wrong + "&lang=da");
  CHECK(r.status == 401);
  CHECK(HeaderOf(r, "Set-Cookie").empty());
  CHECK(r.body.find("Log ind mislykkedes") != std::string::npos);

  const std::string cookie = w.SignIn(w.tokens.cw);
  CHECK(cookie.size() == 64);
  r = w.Get("/ui/home", cookie);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("Logget ind som Sagsbehandler") != std::string::npos);
  CHECK(r.body.find("href=\"/ui/cases\"") != std::string::npos);
  CHECK(HeaderOf(w.Get("/ui", cookie), "Location") == "/ui/home");
  CHECK(HeaderOf(w.Get("/ui/signin", cookie), "Location") == "/ui/home");
  // Without a session, a page sends the browser to sign in.
  CHECK(HeaderOf(w.Get("/ui/home"), "Location") == "/ui/signin");
  CHECK(HeaderOf(w.Get("/ui/home", std::string(64, 'a')), "Location") == "/ui/signin");
}

TEST_CASE("a state-changing form without the CSRF token, with another user's session or after "
          "sign-out is refused",
          "[web][workspace][security]") {
  World w;
  const std::string a = w.SignIn(w.tokens.cw);
  const std::string b = w.SignIn(w.tokens.co);
  const std::string csrf_a = w.Csrf(a), csrf_b = w.Csrf(b);
  REQUIRE(csrf_a.size() == 64);
  REQUIRE(csrf_a != csrf_b);
  auto lang_of = [&](const std::string& cookie) {
    return w.Get("/ui/home", cookie).body.find("<html lang=\"en\">") != std::string::npos ? "en"
                                                                                         : "da";
  };
  // No token, an empty one, another session's token: 403, nothing changes.
  CHECK(w.Post("/ui/lang", "lang=en&back=/ui/home", a).status == 403);
  CHECK(w.Post("/ui/lang", "csrf=&lang=en&back=/ui/home", a).status == 403);
  HttpResponse r = w.Post("/ui/lang", "csrf=" + csrf_b + "&lang=en&back=/ui/home", a);
  CHECK(r.status == 403);
  CHECK(r.body.find("Formularen kunne ikke sendes") != std::string::npos);
  CHECK(lang_of(a) == std::string("da"));
  // The right token in another user's session is refused as well.
  CHECK(w.Post("/ui/lang", "csrf=" + csrf_a + "&lang=en&back=/ui/home", b).status == 403);
  CHECK(lang_of(b) == std::string("da"));
  // Not a form: 415.
  HttpRequest json;
  json.method = "POST";
  json.target = "/ui/lang";
  json.headers["content-type"] = "application/json";
  json.headers["cookie"] = std::string(kSessionCookie) + "=" + a;
  json.body = "{\"csrf\":\"" + csrf_a + "\",\"lang\":\"en\"}";
  CHECK(w.service->Handle(json).status == 415);
  // The right token in its own session: done, back where the form came from.
  r = w.Post("/ui/lang", "csrf=" + csrf_a + "&lang=en&back=/ui/cases", a);
  CHECK(r.status == 303);
  CHECK(HeaderOf(r, "Location") == "/ui/cases");
  CHECK(lang_of(a) == std::string("en"));
  // "back" never leaves the workspace.
  for (const char* away : {"https://example.invalid/", "//example.invalid/ui/", "/v1/audit",
                           "/ui/../v1/audit:x"}) {
    r = w.Post("/ui/lang", "csrf=" + csrf_a + "&lang=en&back=" + std::string(away), a);
    CHECK(HeaderOf(r, "Location") == "/ui/home");
  }
  // Sign-out needs the token too; afterwards the session is gone.
  CHECK(w.Post("/ui/signout", "", a).status == 403);
  CHECK(w.Get("/ui/home", a).status == 200);
  r = w.Post("/ui/signout", "csrf=" + csrf_a, a);
  CHECK(r.status == 303);
  CHECK(HeaderOf(r, "Location") == "/ui/signin?signed_out=1");
  CHECK(HeaderOf(r, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(HeaderOf(w.Get("/ui/home", a), "Location") == "/ui/signin");
  CHECK(w.Post("/ui/lang", "csrf=" + csrf_a + "&lang=da&back=/ui/home", a).status == 403);
  CHECK(w.Post("/ui/signout", "csrf=" + csrf_a, a).status == 403);
  // The other user's session is untouched.
  CHECK(w.Get("/ui/home", b).status == 200);
}

TEST_CASE("my cases lists what need to know allows, with labels and Copenhagen dates, and no "
          "personal data",
          "[web][workspace]") {
  World w;
  const testing::WalkJson concern = testing::CaseWalk::Concern("b.threat");
  const std::string case_id = w.Report(concern);
  HttpResponse r;

  const std::string cw = w.SignIn(w.tokens.cw);
  r = w.Get("/ui/cases", cw);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("title=\"Åbn sag " + case_id + "\"") != std::string::npos);
  CHECK(r.body.find("Modtaget") != std::string::npos);     // status label, not "received"
  CHECK(r.body.find(">received<") == std::string::npos);
  CHECK(r.body.find("Senest ") != std::string::npos);      // the 24-hour clock
  CHECK(r.body.find("Ikke tildelt") != std::string::npos);
  CHECK(r.body.find("aria-current=\"page\"") != std::string::npos);
  // Nothing of the concern's body: neither the name nor the CPR number.
  const std::string name = concern["body"]["identity"]["name"];
  const std::string cpr = concern["body"]["identity"]["cpr"];
  CHECK(r.body.find(name) == std::string::npos);
  CHECK(r.body.find(cpr) == std::string::npos);
  CHECK(r.body.find(cpr.substr(0, 6)) == std::string::npos);

  // Another caseworker does not see it; a coordinator does; an auditor has no such page.
  r = w.Get("/ui/cases", w.SignIn(w.tokens.cw2));
  REQUIRE(r.status == 200);
  CHECK(r.body.find(case_id) == std::string::npos);
  CHECK(r.body.find("Du har ingen sager.") != std::string::npos);
  CHECK(w.Get("/ui/cases", w.SignIn(w.tokens.co, "en")).body.find(case_id) != std::string::npos);
  r = w.Get("/ui/cases", w.SignIn(w.tokens.aud));
  CHECK(r.status == 403);
  CHECK(r.body.find(case_id) == std::string::npos);
}

// Every form control of a page has a <label for> (keyboard and screen-reader
// use need no script): the ids of inputs, selects and textareas that are not
// hidden, each with its label.
void RequireLabelled(const std::string& html) {
  std::size_t at = 0;
  int controls = 0;
  while ((at = html.find(" id=\"", at)) != std::string::npos) {
    const std::size_t tag = html.rfind('<', at);
    const std::string name = html.substr(tag + 1, html.find_first_of(" >", tag) - tag - 1);
    const std::size_t start = at + 5;
    const std::string id = html.substr(start, html.find('"', start) - start);
    at = start;
    if (name != "input" && name != "select" && name != "textarea") continue;
    ++controls;
    INFO(id);
    CHECK(html.find("for=\"" + id + "\"") != std::string::npos);
  }
  CHECK(controls > 0);
}

TEST_CASE("the concern form offers behaviour codes as grounds and protected characteristics only "
          "as context",
          "[web][workspace][concern]") {
  World w;
  const std::string cw = w.SignIn(w.tokens.cw);
  HttpResponse r = w.Get("/ui/concerns/new", cw);
  REQUIRE(r.status == 200);
  for (const projections::GroundCode& g : projections::GroundCodes()) {
    const std::string code(g.code);
    INFO(code);
    if (g.kind == projections::CodeKind::kBehaviour) {
      CHECK(r.body.find("name=\"ground." + code + "\"") != std::string::npos);
      CHECK(r.body.find("name=\"observed." + code + "\"") != std::string::npos);
    } else {
      CHECK(r.body.find("name=\"ground." + code + "\"") == std::string::npos);
      CHECK(r.body.find("name=\"context." + code + "\"") != std::string::npos);
    }
  }
  CHECK(r.body.find("Kan aldrig være grundlag for en bekymring") != std::string::npos);
  CHECK(r.body.find("Skole") != std::string::npos);  // sources with their labels
  CHECK(r.body.find(">school<") == std::string::npos);
  RequireLabelled(r.body);
  // Reporting is for caseworkers and coordinators.
  const std::string aud = w.SignIn(w.tokens.aud);
  CHECK(w.Get("/ui/concerns/new", aud).status == 403);
  CHECK(w.Post("/ui/concerns", "csrf=" + w.Csrf(aud) + "&source=school", aud).status == 403);
}

// A concern form's fields, urlencoded.
std::string ConcernForm(const std::string& csrf, const std::string& grounds) {
  return "csrf=" + csrf +
         "&source=school&subject_kind=person&name=Testperson+Formular&cpr=000101-4321"
         "&address=&narrative=synthetic+narrative+(test+data)" + grounds;
}

TEST_CASE("a concern reported through the form opens a case, a belief-only one is refused on "
          "screen with ROL-1 and only the refusal is stored",
          "[web][workspace][concern]") {
  World w;
  const std::string cw = w.SignIn(w.tokens.cw);
  const std::string csrf = w.Csrf(cw);
  const std::uint64_t before = w.ledger->writer().size();

  // Belief alone: no behaviour, religion noted as context.
  HttpResponse r = w.Post("/ui/concerns", ConcernForm(csrf, "&context.p.religion=on"), cw);
  CHECK(r.status == 422);
  CHECK(r.body.find("regel ROL-1") != std::string::npos);
  CHECK(r.body.find("Intet om personen er gemt") != std::string::npos);
  CHECK(r.body.find("Vælg den adfærd, der faktisk er observeret") != std::string::npos);
  REQUIRE(w.ledger->writer().size() == before + 1);
  {
    auto snap = w.ledger->store().Read().value();
    const auto e = ledger::DecodeEvent(ledger::ReadEventLine(snap, w.ledger->store(), before + 1).value()).value();
    CHECK(e.type == "policy.refused");
    CHECK(e.h["rule"] == "ROL-1");
    CHECK_FALSE(e.subject.has_value());
    CHECK_FALSE(e.body.has_value());
  }
  CHECK(projections::ListCaseIds(w.ledger->store(), w.ledger->dbs()).value().empty());

  // A behaviour ground without its date: the form says so; nothing is appended.
  r = w.Post("/ui/concerns", ConcernForm(csrf, "&ground.b.threat=on"), cw);
  CHECK(r.status == 400);
  CHECK(r.body.find("Angiv datoen") != std::string::npos);
  r = w.Post("/ui/concerns", ConcernForm(csrf, "&ground.b.threat=on&observed.b.threat=31-02-2026"), cw);
  CHECK(r.status == 400);
  CHECK(w.ledger->writer().size() == before + 1);
  // Without the CSRF token nothing is appended either.
  CHECK(w.Post("/ui/concerns", ConcernForm("", "&ground.b.threat=on&observed.b.threat=02-03-2026"), cw)
            .status == 403);
  CHECK(w.ledger->writer().size() == before + 1);

  // Observed behaviour with its date: a case, and the cases page says so.
  r = w.Post("/ui/concerns",
             ConcernForm(csrf, "&ground.b.threat=on&observed.b.threat=02-03-2026&context.p.religion=on"),
             cw);
  REQUIRE(r.status == 303);
  const std::string location = HeaderOf(r, "Location");
  REQUIRE(location.rfind("/ui/cases?reported=c-", 0) == 0);
  const std::string case_id = location.substr(std::string("/ui/cases?reported=").size());
  const auto snap = projections::ReadCase(w.ledger->store(), w.ledger->dbs(), case_id).value();
  const projections::CaseView v = snap.state.Derive();
  REQUIRE(v.grounds.size() == 1);
  CHECK(v.grounds[0].code == "b.threat");
  CHECK(v.grounds[0].observed_on == "2026-03-02");
  CHECK(v.context == std::vector<std::string>{"p.religion"});
  r = w.Get(location, cw);
  CHECK(r.body.find("Bekymringen er registreret som sag " + case_id) != std::string::npos);
  CHECK(r.body.find("Testperson Formular") == std::string::npos);
  CHECK(r.body.find("000101-4321") == std::string::npos);
}

TEST_CASE("the case page records the read first, shows each event verified, and the case as it "
          "stood on a date",
          "[web][workspace][case]") {
  World w;
  const testing::WalkJson concern = testing::CaseWalk::Concern("b.threat");
  const std::string case_id = w.Report(concern);
  HttpResponse r;
  const std::string cw = w.SignIn(w.tokens.cw);
  CHECK(w.Get("/ui/cases", cw).body.find("href=\"/ui/cases/" + case_id + "\"") != std::string::npos);

  const std::uint64_t before = w.ledger->writer().size();
  r = w.Get("/ui/cases/" + case_id, cw);
  REQUIRE(r.status == 200);
  // Exactly one access record, durable before the page was rendered.
  REQUIRE(w.ledger->writer().size() == before + 1);
  {
    auto snap = w.ledger->store().Read().value();
    const auto e = ledger::DecodeEvent(ledger::ReadEventLine(snap, w.ledger->store(), before + 1).value()).value();
    CHECK(e.type == "access.read");
    CHECK(e.h["purpose"] == "casework");
  }
  CHECK(r.body.find("Bekymring indberettet") != std::string::npos);
  CHECK(r.body.find("Har truet med vold mod personer eller ting") != std::string::npos);
  CHECK(r.body.find("Signatur og log verificeret") != std::string::npos);
  CHECK(r.body.find("IKKE verificeret") == std::string::npos);
  CHECK(r.body.find("Opslag i sagen") != std::string::npos);  // its own access record
  const std::string name = concern["body"]["identity"]["name"];
  const std::string cpr = concern["body"]["identity"]["cpr"];
  CHECK(r.body.find(name) == std::string::npos);
  CHECK(r.body.find(cpr) == std::string::npos);
  CHECK(r.body.find("synthetic narrative") == std::string::npos);
  RequireLabelled(r.body);

  // Time travel: before the case existed, today, and a date that is not one.
  r = w.Get("/ui/cases/" + case_id + "?as_of=01-01-2020", cw);
  CHECK(r.status == 200);
  CHECK(r.body.find("Sagen fandtes ikke endnu den 01-01-2020") != std::string::npos);
  CHECK(r.body.find("Bekymring indberettet") == std::string::npos);
  r = w.Get("/ui/cases/" + case_id + "?as_of=" + FormatDate(ledger::NowMicros()), cw);
  CHECK(r.body.find("Sagen vises, som den stod ved udgangen af") != std::string::npos);
  CHECK(r.body.find("Bekymring indberettet") != std::string::npos);
  CHECK(w.Get("/ui/cases/" + case_id + "?as_of=31-02-2026", cw).body.find("dd-mm-åååå") !=
        std::string::npos);

  // Need to know: another caseworker is refused, and nothing is recorded.
  const std::string cw2 = w.SignIn(w.tokens.cw2);
  const std::uint64_t size = w.ledger->writer().size();
  CHECK(w.Get("/ui/cases/" + case_id, cw2).status == 403);
  CHECK(w.Get("/ui/cases/c-aaaaaaaaaaaaaaaaaaaaaaaaaa", cw).status == 404);
  CHECK(w.Get("/ui/cases/" + case_id, w.SignIn(w.tokens.aud)).status == 403);
  CHECK(w.ledger->writer().size() == size);
}

TEST_CASE("the coordinator's triage lists new and unassigned cases, the most urgent first",
          "[web][workspace]") {
  World w;
  auto walk = w.Walk();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(w.Report(testing::CaseWalk::Concern("b.threat")));
  // The second is assigned and responded to: off the triage list.
  HttpResponse r = walk.Post(w.tokens.co, "/v1/cases/" + ids[1] + "/events",
                             testing::WalkJson{{"type", "case.assigned"},
                                               {"h", {{"assignees", {w.tokens.cw_id}}}}});
  REQUIRE(r.status == 201);
  r = walk.Post(w.tokens.cw, "/v1/cases/" + ids[1] + "/events",
                testing::WalkJson{{"type", "concern.responded"}, {"h", {{"channel", "phone"}}}});
  REQUIRE(r.status == 201);
  const std::string co = w.SignIn(w.tokens.co);
  r = w.Get("/ui/triage", co);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("/ui/cases/" + ids[0]) != std::string::npos);
  CHECK(r.body.find("/ui/cases/" + ids[1]) == std::string::npos);
  CHECK(r.body.find("/ui/cases/" + ids[2]) != std::string::npos);
  // Opened in order, so due in order: the first is listed first.
  CHECK(r.body.find("/ui/cases/" + ids[0]) < r.body.find("/ui/cases/" + ids[2]));
  CHECK(r.body.find("Senest ") != std::string::npos);
  CHECK(r.body.find("href=\"/ui/triage\" aria-current=\"page\"") != std::string::npos);
  // For coordinators only.
  CHECK(w.Get("/ui/triage", w.SignIn(w.tokens.cw)).status == 403);
  CHECK(w.Get("/ui/home", w.SignIn(w.tokens.cw)).body.find("/ui/triage") == std::string::npos);
}

TEST_CASE("a revoked user's workspace session ends at the next request", "[web][workspace][security]") {
  World w;
  const std::string cookie = w.SignIn(w.tokens.cw);
  REQUIRE(w.Get("/ui/home", cookie).status == 200);
  ledger::Command c;
  c.type = "user.revoked";
  c.actor = app::TokenUser(w.tokens.dpo).value();
  c.role = "dpo";
  c.h = Json{{"user", w.tokens.cw_id}};
  REQUIRE(w.ledger->writer().Submit(std::move(c)).get().ok());
  CHECK(HeaderOf(w.Get("/ui/home", cookie), "Location") == "/ui/signin");
  CHECK(w.Post("/ui/signin", "token=" + w.tokens.cw + "&lang=da").status == 401);
}

}  // namespace
}  // namespace caseledger::web
