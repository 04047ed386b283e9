// Progress per assessment dimension on the case page and advice without
// registration on the statistics page (docs/web.md, "A case" and
// "Statistics"): the step chart of web/chart.h (coordinates that follow the
// values, every text escaped), the case page's chart and table per dimension
// with each record's date — of the case as it stood under time travel — and
// the statistics' advice per year by outcome with small cells as "<5".
// The history is written with past times (as an import of past history
// would), so that days can lie between its events. All data is synthetic.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "app/auth.h"
#include "app/concern.h"
#include "app/domain_ledger.h"
#include "http/service.h"
#include "ledger/ledger.h"
#include "tests/http/case_walk.h"
#include "tests/ledger/test_util.h"
#include "tests/web/workspace_world.h"
#include "web/chart.h"
#include "web/progress_chart.h"

namespace caseledger::web {
namespace {

using http::HttpResponse;

ledger::Micros At(const std::string& utc) { return ledger::ParseTime(utc).value(); }

// A data dir whose users were registered on 06-01-2025, the workspace on the
// API's router, and a way to append commands at a past time.
struct PastWorld {
  testing::TempDir dir;
  std::unique_ptr<app::DomainLedger> ledger;
  std::unique_ptr<app::TokenHasher> hasher;
  std::unique_ptr<http::Service> service;
  std::unique_ptr<Workspace> workspace;
  std::string dpo = testing::NewId("u"), cw = testing::NewId("u"), co = testing::NewId("u"),
              aud = testing::NewId("u");
  std::string cw_token, co_token, aud_token;

  PastWorld() {
    REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/progress").ok());
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    ledger = app::OpenDomainLedger(dir.path(), std::move(lo)).value();
    auto master = ledger::LoadMasterKey(dir.path()).value();
    hasher = std::make_unique<app::TokenHasher>(app::TokenPepper(master));
    const ledger::Micros t = At("2025-01-06T09:00:00Z");
    Register(dpo, "dpo", t);
    cw_token = Register(cw, "caseworker", t);
    co_token = Register(co, "coordinator", t);
    aud_token = Register(aud, "auditor", t);
    service = http::Service::Create(*ledger, app::TokenPepper(master)).value();
    workspace = Workspace::Create(*ledger, service->authenticator()).value();
    workspace->AddRoutes(service->mutable_router());
  }
  std::string Register(const std::string& id, const std::string& role, ledger::Micros t) {
    app::IssuedToken token = app::NewToken(id, *hasher);
    ledger::Command c;
    c.type = "user.registered";
    c.actor = dpo;
    c.role = "dpo";
    c.h = Json{{"user", id}, {"role", role}, {"token_hash", token.hash}};
    c.body = Json{{"display_name", "Synthetic " + role}};
    Append(std::move(c), t);
    return token.token;
  }
  // Appends `c` at `t` (past, after every earlier event); returns its seq.
  std::uint64_t Append(ledger::Command c, ledger::Micros t) {
    c.time = t;
    const std::string type = c.type;
    auto r = ledger->writer().Submit(std::move(c)).get();
    INFO(type << ": " << (r.ok() ? "" : r.status().message()));
    REQUIRE(r.ok());
    return r->seq;
  }
  std::uint64_t CaseEvent(const std::string& case_id, const std::string& subject,
                          const std::string& actor, const std::string& role, const std::string& type,
                          Json h, std::optional<Json> body, const std::string& utc) {
    ledger::Command c;
    c.type = type;
    c.actor = actor;
    c.role = role;
    c.case_id = case_id;
    c.subject = subject;
    c.h = std::move(h);
    c.body = std::move(body);
    return Append(std::move(c), At(utc));
  }
  void Advice(const std::string& outcome, const std::string& utc) {
    ledger::Command c;
    c.type = "advice.given";
    c.actor = cw;
    c.role = "caseworker";
    c.h = Json{{"channel", "advice_phone"}, {"caller", "professional"}, {"outcome", outcome}};
    Append(std::move(c), At(utc));
  }
  http::HttpResponse Get(const std::string& target, const std::string& cookie) {
    http::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers["cookie"] = std::string(kSessionCookie) + "=" + cookie;
    r.remote = "127.0.0.1";
    return service->Handle(r);
  }
  std::string SignIn(const std::string& token, const std::string& lang = "da") {
    http::HttpRequest r;
    r.method = "POST";
    r.target = "/ui/signin";
    r.body = "token=" + token + "&lang=" + lang;
    r.headers["content-type"] = "application/x-www-form-urlencoded";
    r.remote = "127.0.0.1";
    http::HttpResponse a = service->Handle(r);
    REQUIRE(a.status == 303);
    const std::string set = HeaderOf(a, "Set-Cookie");
    const std::string prefix = std::string(kSessionCookie) + "=";
    REQUIRE(set.rfind(prefix, 0) == 0);
    return set.substr(prefix.size(), set.find(';') - prefix.size());
  }
};

// The part of `html` from `from` to the next `to` ("" if `from` is absent).
std::string Between(const std::string& html, const std::string& from, const std::string& to) {
  const std::size_t a = html.find(from);
  if (a == std::string::npos) return "";
  const std::size_t b = html.find(to, a);
  return html.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST_CASE("a step chart puts each point where its value and time say, and escapes every text",
          "[web][progress][chart]") {
  StepChart c;
  c.id = "chart-\"x\"";
  c.title = "Risk <b> & resources";
  c.desc = "</desc><script>alert(1)</script>";
  c.max = 3;
  for (int v = 0; v <= 3; ++v) c.y_ticks.push_back({v, std::to_string(v)});
  c.x_min = 0;
  c.x_max = 100;
  c.x_ticks = {{0, "01-01-2025"}, {1, "02-01-2025"}, {100, "<i>"}};
  c.series = {{"Risk <script>", {{0, 0}, {50, 3}, {100, 1}}}, {"Resources", {{50, 2}}}};
  const std::string svg = StepChartSvg(c);
  // Plot: x 40..304 for 0..100, y 108 (0) to 12 (3): steps across, then up
  // or down to the next value.
  CHECK(Has(svg, "d=\"M40 108 H172 V12 H304 V76\""));
  // A series of one point is its marker only: no line for it.
  CHECK(Has(svg, "<rect x=\"168\" y=\"40\""));  // value 2 at x 50 (centre 172, 44)
  CHECK(svg.find("<path") == svg.rfind("<path"));
  // A larger value is drawn higher.
  c.series[0].points[1].value = 2;
  CHECK(Has(StepChartSvg(c), "d=\"M40 108 H172 V44 H304 V76\""));
  // Escaped, with no script and no style attribute.
  CHECK(Has(svg, "Risk &lt;b&gt; &amp; resources"));
  CHECK(Has(svg, "&lt;/desc&gt;&lt;script&gt;"));
  CHECK(Has(svg, "Risk &lt;script&gt;"));
  CHECK(Has(svg, "&lt;i&gt;"));
  CHECK(Has(svg, "id=\"chart-&quot;x&quot;-title\""));
  CHECK_FALSE(Has(svg, "<script"));
  CHECK_FALSE(Has(svg, "style="));
  CHECK(Has(svg, "role=\"img\""));
  // The second date would overlap the first: left out (the table has it).
  CHECK(Has(svg, ">01-01-2025</text>"));
  CHECK_FALSE(Has(svg, ">02-01-2025</text>"));
  // One point in time: in the middle.
  c.x_max = c.x_min;
  c.series = {{"Risk", {{0, 3}}}};
  CHECK(Has(StepChartSvg(c), "<circle cx=\"172\" cy=\"12\""));
}

TEST_CASE("the case page charts risk and resources per dimension with each record's date, as the "
          "case stood",
          "[web][progress]") {
  PastWorld w;
  app::Principal reporter{w.cw, "caseworker"};
  testing::WalkJson concern = testing::CaseWalk::Concern("b.threat");
  concern["h"]["grounds"][0]["observed_on"] = "2025-01-05";
  ledger::Command cmd =
      app::ConcernCommand(reporter, std::nullopt, concern["h"], concern["body"]).value();
  const std::string case_id = *cmd.case_id, subject = *cmd.subject;
  w.Append(std::move(cmd), At("2025-01-07T10:00:00Z"));
  auto event = [&](const std::string& actor, const std::string& role, const std::string& type, Json h,
                   std::optional<Json> body, const std::string& utc) {
    return w.CaseEvent(case_id, subject, actor, role, type, std::move(h), std::move(body), utc);
  };
  event(w.co, "coordinator", "case.assigned", Json{{"assignees", {w.cw}}}, std::nullopt,
        "2025-01-07T12:00:00Z");
  event(w.cw, "caseworker", "concern.responded", Json{{"channel", "phone"}}, std::nullopt,
        "2025-01-07T13:00:00Z");
  event(w.co, "coordinator", "assessment.recorded",
        Json{{"outcome", "founded"},
             {"panel", "infohus"},
             {"grounds", {{{"code", "b.threat"}, {"observed_on", "2025-01-05"}}}},
             {"factors", {{"family", {{"risk", 2}, {"resources", 1}}},
                          {"personality", {{"risk", 1}, {"resources", 1}}}}}},
        Json{{"reasoning", "Synthetic reasoning (test data)."}}, "2025-01-20T10:00:00Z");
  event(w.cw, "caseworker", "consent.recorded", Json{{"decision", "given"}, {"by", "subject"}},
        Json{{"note", "Synthetic note."}}, "2025-02-01T10:00:00Z");
  const std::uint64_t started =
      event(w.cw, "caseworker", "intervention.started", Json{{"kind", "mentor"}, {"provider", "municipality"}},
            Json{{"plan", "Synthetic plan (test data)."}}, "2025-02-03T10:00:00Z");
  event(w.cw, "caseworker", "progress.assessed",
        Json{{"intervention", started}, {"factors", {{"family", {{"risk", 1}, {"resources", 2}}}}}},
        std::nullopt, "2025-08-04T10:00:00Z");
  event(w.cw, "caseworker", "progress.assessed",
        Json{{"intervention", started},
             {"factors", {{"family", {{"risk", 0}, {"resources", 3}}},
                          {"personality", {{"risk", 1}, {"resources", 2}}}}}},
        std::nullopt, "2025-09-10T10:00:00Z");

  const std::string cw = w.SignIn(w.cw_token);
  const std::string base = "/ui/cases/" + case_id;
  HttpResponse r = w.Get(base, cw);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "<section id=\"progress\"><h2>Udvikling på de ni dimensioner</h2>"));
  // Every dimension has its heading; one never scored says so.
  for (const char* label : {"Familie", "Personlighed", "Voldsparathed", "Uddannelse og beskæftigelse"})
    CHECK(Has(r.body, std::string("<h3>") + label + "</h3>"));
  CHECK(Has(Between(r.body, "<h3>Voldsparathed</h3>", "</div>"), "Ikke vurderet."));
  // Family: a chart, and a table with every record, its date and its scores.
  const std::string family = Between(r.body, "<h3>Familie</h3>", "</table>");
  CHECK(Has(family, "<svg class=\"chart chart-step\""));
  CHECK(Has(family, "<title id=\"chart-progress-family-title\">Familie: risiko og ressourcer over tid</title>"));
  CHECK(Has(family, "<th scope=\"row\">20-01-2025</th><td>Vurdering</td><td>2</td><td>1</td>"));
  CHECK(Has(family, "<th scope=\"row\">04-08-2025</th><td>Opfølgning: Mentor</td><td>1</td><td>2</td>"));
  CHECK(Has(family, "<th scope=\"row\">10-09-2025</th><td>Opfølgning: Mentor</td><td>0</td><td>3</td>"));
  // Risk falls from 2 to 1 to 0 over the three records: the line steps down
  // (y of 2, 1, 0 on the 0–3 scale: 44, 76, 108).
  CHECK(Has(family, "d=\"M40 44 H"));
  CHECK(Has(family, " V76 H"));
  CHECK(Has(family, " V108\""));
  // Personality was not scored on 04-08-2025.
  const std::string personality = Between(r.body, "<h3>Personlighed</h3>", "</table>");
  CHECK(Has(personality, ">20-01-2025<"));
  CHECK_FALSE(Has(personality, ">04-08-2025<"));
  CHECK(Has(personality, "<th scope=\"row\">10-09-2025</th><td>Opfølgning: Mentor</td><td>1</td><td>2</td>"));

  // As it stood on 01-08-2025: the assessment, not the later progress.
  r = w.Get(base + "?as_of=01-08-2025", cw);
  REQUIRE(r.status == 200);
  const std::string then = Between(r.body, "<h3>Familie</h3>", "</table>");
  CHECK(Has(then, ">20-01-2025<"));
  CHECK_FALSE(Has(then, ">04-08-2025<"));
  CHECK_FALSE(Has(r.body, "10-09-2025"));
  CHECK(Has(Between(r.body, "<h3>Familie</h3>", "</table>"), "<circle"));
  // Before the assessment nothing was recorded: no section at all.
  r = w.Get(base + "?as_of=15-01-2025", cw);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "Bekymring indberettet"));  // the case existed
  CHECK_FALSE(Has(r.body, "id=\"progress\""));
  CHECK_FALSE(Has(r.body, "Udvikling på de ni dimensioner"));

  // In English, with the catalogue's labels.
  r = w.Get(base, w.SignIn(w.cw_token, "en"));
  CHECK(Has(r.body, "Progress on the nine dimensions"));
  CHECK(Has(r.body, "<h3>Family</h3>"));
  CHECK(Has(r.body, "<td>Follow-up: Mentor</td>"));
  CHECK_FALSE(Has(r.body, "[["));
}

TEST_CASE("a case with no scores recorded has no progress section", "[web][progress]") {
  WorkspaceWorld w;
  const std::string case_id = w.Report(testing::CaseWalk::Concern("b.threat"));
  HttpResponse r = w.Get("/ui/cases/" + case_id, w.SignIn(w.tokens.cw));
  REQUIRE(r.status == 200);
  CHECK_FALSE(Has(r.body, "id=\"progress\""));
  CHECK(ProgressSection(Lang::kDa, projections::CaseView{}).empty());
}

TEST_CASE("the statistics page shows advice per year by outcome, small cells as <5",
          "[web][progress][stats]") {
  PastWorld w;
  // 2025: 7 advice only, 2 referred — the 2 is hidden, and the 7 with it
  // (else 9 − 7 would give it away); 2026: 6 and 5, all shown.
  for (int i = 0; i < 7; ++i) w.Advice("advice_only", "2025-03-0" + std::to_string(i + 1) + "T10:00:00Z");
  for (int i = 0; i < 2; ++i) w.Advice("referred", "2025-04-0" + std::to_string(i + 1) + "T10:00:00Z");
  for (int i = 0; i < 6; ++i) w.Advice("advice_only", "2026-02-0" + std::to_string(i + 1) + "T10:00:00Z");
  for (int i = 0; i < 5; ++i) w.Advice("referred", "2026-03-0" + std::to_string(i + 1) + "T10:00:00Z");

  HttpResponse r = w.Get("/ui/statistics", w.SignIn(w.co_token));
  REQUIRE(r.status == 200);
  const std::string advice = Between(r.body, "<section id=\"advice\">", "</section>");
  REQUIRE_FALSE(advice.empty());
  CHECK(Has(advice, "<h2>Rådgivning uden registrering pr. år</h2>"));
  CHECK(Has(advice, "<th scope=\"row\">2025</th><td>&lt;5</td><td>&lt;5</td><td>9</td></tr>"));
  CHECK(Has(advice, "<th scope=\"row\">2026</th><td>6</td><td>5</td><td>11</td></tr>"));
  // The chart: a bar for each published cell, none for a hidden one.
  CHECK(Has(advice, "<svg class=\"chart\""));
  CHECK(Has(advice, ">2026: Kun rådgivning</text>"));
  CHECK(Has(advice, ">2025: Henvist</text>"));
  const std::string bars = Between(advice, "<svg", "</svg>");
  std::size_t n = 0;
  for (std::size_t at = 0; (at = bars.find("class=\"chart-bar\"", at)) != std::string::npos; ++at) ++n;
  CHECK(n == 2);
  // Never a count of its own: 9 − "<5" is not worked out anywhere.
  CHECK_FALSE(Has(advice, ">7<"));
  CHECK_FALSE(Has(advice, ">2<"));
  // In English.
  r = w.Get("/ui/statistics", w.SignIn(w.aud_token, "en"));
  CHECK(Has(r.body, "Advice without registration per year"));
  CHECK(Has(r.body, ">2026: Referred</text>"));
}

}  // namespace
}  // namespace caseledger::web
