// Recording on a case through the workspace's forms (docs/web.md, "Recording
// on a case"): each form is derived from the catalogue and labelled in both
// languages; a case walked from assignment to closure by the roles that may
// record each step; four eyes on disclosures (the requester is offered no
// approval, and a forced one is refused by the server with ROL-5); a form
// error names its field and stores nothing.
#include <catch2/catch.hpp>

#include <algorithm>

#include <string>

#include "ledger/event.h"
#include "projections/catalogue.h"
#include "projections/legal_basis.h"
#include "projections/projector.h"
#include "projections/stats.h"
#include "projections/vocabulary.h"
#include "tests/web/workspace_world.h"
#include "web/event_form.h"
#include "web/i18n.h"

namespace caseledger::web {
namespace {

using http::HttpResponse;
using projections::FormKind;

projections::CaseView ViewOf(WorkspaceWorld& w, const std::string& case_id) {
  return projections::ReadCase(w.ledger->store(), w.ledger->dbs(), case_id).value().state.Derive();
}

// The types of the events appended after the first `n`.
std::vector<std::string> TypesSince(WorkspaceWorld& w, std::uint64_t n) {
  auto snap = w.ledger->store().Read().value();
  std::vector<std::string> out;
  for (std::uint64_t seq = n + 1; seq <= w.ledger->writer().size(); ++seq)
    out.push_back(
        ledger::DecodeEvent(ledger::ReadEventLine(snap, w.ledger->store(), seq).value()).value().type);
  return out;
}
using Types = std::vector<std::string>;

TEST_CASE("every field of every case event form has a label, and every code its label, in both "
          "languages",
          "[web][record][i18n]") {
  const Catalogue& t = Catalogue::Builtin();
  int forms = 0;
  for (const projections::EventSpec& spec : projections::EventSpecs()) {
    if (spec.server_only || (spec.scope != projections::Scope::kCase && spec.type != "advice.given"))
      continue;
    ++forms;
    for (const projections::FormField& f : projections::FormFields(spec.type)) {
      if (f.kind == FormKind::kOther || f.kind == FormKind::kMarker ||
          f.kind == FormKind::kRegistryVersion)
        continue;
      INFO(spec.type << " " << f.name);
      CHECK(t.Has("field." + std::string(f.name)));
      if (f.kind == FormKind::kBehaviours)
        for (const projections::GroundCode& g : projections::GroundCodes())
          CHECK(t.Has("ground." + std::string(g.code)));
      for (std::string_view code : f.codes) {
        INFO(code);
        CHECK(t.Has("code." + std::string(f.name) + "." + std::string(code)));
      }
    }
  }
  CHECK(forms > 20);
  // Every basis of every registry version, with what it requires.
  for (std::string_view version : projections::RegistryVersions())
    for (const projections::LegalBasis& b : projections::Registry(version)) {
      INFO(b.code);
      CHECK(t.Has("basis." + std::string(b.code)));
      CHECK(t.Has("basis." + std::string(b.code) + ".must_document"));
    }
  // Every rule a refusal can name is explained, with its remedy.
  const auto rules = projections::HeaderCodes("policy.refused", "rule");
  CHECK(rules.size() >= 17);
  for (std::string_view rule : rules) {
    INFO(rule);
    CHECK(t.Has("refusal." + std::string(rule)));
    CHECK(t.Has("refusal." + std::string(rule) + ".remedy"));
  }
}

TEST_CASE("a form turns into the header and body the catalogue takes, and names the field it "
          "cannot take",
          "[web][record]") {
  http::QueryParams form{{"h.outcome", "founded"},
                         {"h.panel", "infohus"},
                         {"h.grounds.b.threat", "on"},
                         {"h.grounds.b.threat.observed", "15-01-2026"},
                         {"h.factors.family.risk", "2"},
                         {"h.factors.family.resources", "3"},
                         {"h.factors.personality.risk", ""},
                         {"h.factors.personality.resources", ""},
                         {"body.reasoning", "synthetic reasoning"}};
  ParsedEvent p = ParseEventForm("assessment.recorded", form);
  REQUIRE(p.ok());
  CHECK(p.h == Json::parse(R"({"outcome":"founded","panel":"infohus",
      "grounds":[{"code":"b.threat","observed_on":"2026-01-15"}],
      "factors":{"family":{"risk":2,"resources":3}}})"));
  REQUIRE(p.body.has_value());
  CHECK(*p.body == Json{{"reasoning", "synthetic reasoning"}});
  CHECK(projections::ValidateHeader(*projections::FindEventSpec("assessment.recorded"), p.h).ok());

  auto bad = form;
  bad["h.grounds.b.threat.observed"] = "31-02-2026";
  p = ParseEventForm("assessment.recorded", bad);
  CHECK(p.bad_field == "grounds");
  CHECK(p.problem_key == "form.bad_date");
  bad = form;
  bad["h.factors.personality.risk"] = "1";
  CHECK(ParseEventForm("assessment.recorded", bad).problem_key == "form.factor_pair");
  bad = form;
  bad["h.outcome"] = "maybe";
  CHECK(ParseEventForm("assessment.recorded", bad).problem_key == "form.bad_value");
  bad = form;
  bad.erase("body.reasoning");
  CHECK(ParseEventForm("assessment.recorded", bad).bad_field == "reasoning");
  // A list of codes: the chosen ones; none chosen where one is needed.
  p = ParseEventForm("disclosure.requested",
                     {{"h.recipient", "pet"}, {"h.basis", "pet-4"}, {"h.purpose", "pet_request"},
                      {"h.categories.concern", "on"}, {"h.categories.identity", "on"},
                      {"h.threshold", "society_threatening"}, {"body.purpose_text", "x"},
                      {"body.summary", "y"}, {"body.request_ref", "PET-REF-1"}});
  REQUIRE(p.ok());
  CHECK(p.h["categories"] == Json::array({"concern", "identity"}));
  CHECK(p.h["registry_version"] == std::string(projections::kRegistryVersion));
  CHECK(p.h["request_ref"] == true);  // the marker follows its body text
  CHECK((*p.body)["request_ref"] == "PET-REF-1");
  CHECK(projections::ValidateHeader(*projections::FindEventSpec("disclosure.requested"), p.h).ok());
  CHECK(ParseEventForm("disclosure.requested", {{"h.recipient", "pet"}}).problem_key != "");
  // An optional body left empty is no body.
  p = ParseEventForm("concern.responded", {{"h.channel", "phone"}, {"body.note", ""}});
  REQUIRE(p.ok());
  CHECK_FALSE(p.body.has_value());
}

TEST_CASE("a case walked through the forms from assignment to closure, with four eyes on its "
          "disclosure and the legal reviewer's verdict",
          "[web][record][walk]") {
  WorkspaceWorld w;
  const std::string case_id = w.Report(testing::CaseWalk::Concern("b.threat"));
  const std::string cw = w.SignIn(w.tokens.cw), co = w.SignIn(w.tokens.co),
                    co2 = w.SignIn(w.tokens.co2), lr = w.SignIn(w.tokens.lr),
                    aud = w.SignIn(w.tokens.aud);
  const std::string base = "/ui/cases/" + case_id;
  auto record = [&](const std::string& cookie, const std::string& type, const std::string& fields) {
    return w.Post(base + "/record/" + type, "csrf=" + w.Csrf(cookie) + fields, cookie);
  };
  auto recorded = [&](const HttpResponse& r, const std::string& type) {
    INFO(r.body);
    REQUIRE(r.status == 303);
    CHECK(HeaderOf(r, "Location") == base + "?recorded=" + type);
  };

  // Each role is offered what it may record.
  std::string page = w.Get(base, co).body;
  CHECK(Has(page, base + "/record/case.assigned\""));
  CHECK(Has(page, base + "/record/assessment.recorded\""));
  CHECK_FALSE(Has(page, base + "/record/concern.responded\""));
  CHECK_FALSE(Has(page, "/record/disclosure.approved\""));  // nothing to approve
  page = w.Get(base, cw).body;
  CHECK(Has(page, base + "/record/concern.responded\""));
  CHECK_FALSE(Has(page, base + "/record/case.assigned\""));
  CHECK(w.Get(base + "/record/case.assigned", cw).status == 403);
  CHECK(w.Get(base + "/record/access.read", co).status == 404);
  CHECK(w.Get(base + "/record/no.such", co).status == 404);
  CHECK(w.Get(base, aud).status == 403);

  // Assignment: staff offered by name.
  page = w.Get(base + "/record/case.assigned", co).body;
  CHECK(Has(page, "Synthetic caseworker (Sagsbehandler)"));
  const std::uint64_t before_csrf = w.ledger->writer().size();
  CHECK(w.Post(base + "/record/case.assigned", "h.assignees." + w.tokens.cw_id + "=on", co).status == 403);
  CHECK(w.ledger->writer().size() == before_csrf);
  recorded(record(co, "case.assigned", "&h.assignees." + w.tokens.cw_id + "=on"), "case.assigned");
  CHECK(ViewOf(w, case_id).assignees == std::vector<std::string>{w.tokens.cw_id});
  CHECK(Has(w.Get(base + "?recorded=case.assigned", co).body, "Registreret: Sag tildelt"));

  recorded(record(cw, "concern.responded", "&h.channel=home_visit&body.note="), "concern.responded");
  CHECK(ViewOf(w, case_id).first_response.has_value());

  // An assessment with a date that does not exist: the field is named,
  // nothing is stored.
  const std::uint64_t before = w.ledger->writer().size();
  HttpResponse r = record(co, "assessment.recorded",
                          "&h.outcome=founded&h.panel=infohus&h.grounds.b.threat=on"
                          "&h.grounds.b.threat.observed=31-02-2026&body.reasoning=synthetic");
  CHECK(r.status == 400);
  CHECK(Has(r.body, "Grundlag (observeret adfærd)"));
  // Nothing but the access record of the form shown again.
  CHECK(TypesSince(w, before) == Types{"access.read"});
  recorded(record(co, "assessment.recorded",
                  "&h.outcome=founded&h.panel=infohus&h.grounds.b.threat=on"
                  "&h.grounds.b.threat.observed=15-01-2026&h.factors.violence_willingness.risk=2"
                  "&h.factors.violence_willingness.resources=1&body.reasoning=synthetic"),
           "assessment.recorded");
  projections::CaseView v = ViewOf(w, case_id);
  CHECK(v.Founded());
  REQUIRE(v.assessments.size() == 1);
  CHECK(v.assessments[0].panel == "infohus");
  CHECK(v.assessments[0].factors.at("violence_willingness").risk == 2);

  // The disclosure request: the basis with its conditions beside it.
  page = w.Get(base + "/record/disclosure.requested", co).body;
  CHECK(Has(page, "Databeskyttelsesloven § 8, stk. 2, nr. 3"));
  CHECK(Has(page, "Modtagere: Politiet, Socialforvaltningen, En anden kommune, Psykiatrien"));
  CHECK(Has(page, "Skal dokumenteres: hvorfor videregivelsen er nødvendig"));
  recorded(record(co, "disclosure.requested",
                  "&h.recipient=police&h.basis=dbl-8-2-3&h.purpose=prevention&h.categories.concern=on"
                  "&body.purpose_text=synthetic&body.necessity=synthetic&body.summary=synthetic"),
           "disclosure.requested");
  v = ViewOf(w, case_id);
  REQUIRE(v.disclosures.size() == 1);
  const std::string request = std::to_string(v.disclosures[0].seq);

  // Four eyes: the requester is offered no approval, and a forced one is
  // refused by the server (ROL-5) with only the refusal stored.
  CHECK_FALSE(Has(w.Get(base, co).body, "/record/disclosure.approved\""));
  CHECK(w.Get(base + "/record/disclosure.approved", co).status == 403);
  const std::uint64_t before_forced = w.ledger->writer().size();
  r = record(co, "disclosure.approved", "&h.request=" + request);
  CHECK(r.status == 422);
  CHECK(Has(r.body, "regel ROL-5"));
  CHECK(Has(r.body, "Bed en anden koordinator om at godkende"));
  // The refusal record, then the access record of the form shown again.
  CHECK(TypesSince(w, before_forced) == Types{"policy.refused", "access.read"});
  CHECK(ViewOf(w, case_id).disclosures[0].status == "requested");
  CHECK(Has(w.Get(base, co2).body, base + "/record/disclosure.approved\""));
  recorded(record(co2, "disclosure.approved", "&h.request=" + request), "disclosure.approved");
  recorded(record(cw, "disclosure.made",
                  "&h.request=" + request + "&h.channel=secure_mail&h.document_sha256=" +
                      std::string(64, 'a')),
           "disclosure.made");
  CHECK(ViewOf(w, case_id).disclosures[0].status == "made");

  // The disclosure register: the legal reviewer lists the cases with a
  // disclosure awaiting review (as GET /v1/disclosures), with a link to the
  // case; never a body.
  page = w.Get("/ui/disclosures", lr).body;
  CHECK(Has(page, "<a href=\"" + base + "\">"));
  CHECK(Has(page, "Udleveret"));
  CHECK(Has(page, "1 videregivelser, heraf 0 med fund."));
  CHECK_FALSE(Has(page, "synthetic"));
  CHECK(Has(w.Get("/ui/disclosures?status=requested", lr).body, "0 videregivelser"));

  // The legal reviewer reads the case for review and records the verdict.
  page = w.Get(base, lr).body;
  REQUIRE(Has(page, base + "/record/disclosure.reviewed\""));
  recorded(record(lr, "disclosure.reviewed",
                  "&h.disclosure=" + request + "&h.verdict=lawful&body.notes=synthetic"),
           "disclosure.reviewed");
  v = ViewOf(w, case_id);
  REQUIRE(v.disclosures[0].reviews.size() == 1);
  CHECK(v.disclosures[0].reviews[0].verdict == "lawful");

  // Reviewed, it leaves the reviewer's list; the coordinator filters it,
  // the auditor sees it without a link to the case; a caseworker has no
  // register.
  CHECK(Has(w.Get("/ui/disclosures", lr).body, "0 videregivelser"));
  CHECK(Has(w.Get("/ui/disclosures?status=reviewed&recipient=police&from=01-01-2026", co).body,
            "1 videregivelser"));
  CHECK(Has(w.Get("/ui/disclosures?to=01-01-2020", co).body, "0 videregivelser"));
  CHECK(Has(w.Get("/ui/disclosures?finding=self_approval", co).body, "0 videregivelser"));
  page = w.Get("/ui/disclosures", aud).body;
  CHECK(Has(page, "1 videregivelser"));
  CHECK(Has(page, "Juridisk kontrolleret"));
  CHECK_FALSE(Has(page, "<a href=\"" + base + "\">"));
  CHECK(w.Get("/ui/disclosures", cw).status == 403);

  recorded(record(co, "case.closed", "&h.reason=completed"), "case.closed");
  CHECK(ViewOf(w, case_id).status == "closed");
  // A closed case takes no more casework: refused on screen with its rule.
  const std::uint64_t before_closed = w.ledger->writer().size();
  r = record(cw, "concern.responded", "&h.channel=phone");
  CHECK(r.status == 422);
  CHECK(TypesSince(w, before_closed) == Types{"policy.refused", "access.read"});
  CHECK(Has(r.body, "regel ROL-11"));
  CHECK(Has(r.body, "Er der en ny bekymring"));

  // In English too.
  const std::string cw_en = w.SignIn(w.tokens.cw, "en");
  page = w.Get(base + "/record/record.retracted", cw_en).body;
  CHECK(Has(w.Get(base, cw_en).body, "Record on this case"));
}

TEST_CASE("a retraction is offered for what its author (or a coordinator) may still retract, and "
          "recorded through its form",
          "[web][record][retraction]") {
  WorkspaceWorld w;
  const std::string case_id = w.Report(testing::CaseWalk::Concern("b.threat"));
  const std::string cw = w.SignIn(w.tokens.cw), co = w.SignIn(w.tokens.co);
  const std::string base = "/ui/cases/" + case_id;
  auto post = [&](const std::string& cookie, const std::string& type, const std::string& fields) {
    return w.Post(base + "/record/" + type, "csrf=" + w.Csrf(cookie) + fields, cookie);
  };
  REQUIRE(post(co, "case.assigned", "&h.assignees." + w.tokens.cw_id + "=on").status == 303);
  // The caseworker's only events are the concern (never retracted: ROL-10)
  // and nothing else yet: no retraction is offered.
  CHECK_FALSE(Has(w.Get(base, cw).body, base + "/record/record.retracted\""));
  CHECK(w.Get(base + "/record/record.retracted", cw).status == 403);
  REQUIRE(post(cw, "concern.responded", "&h.channel=phone").status == 303);
  const std::uint64_t response = w.ledger->writer().size();
  REQUIRE(Has(w.Get(base, cw).body, base + "/record/record.retracted\""));
  std::string form = w.Get(base + "/record/record.retracted", cw).body;
  CHECK(Has(form, "value=\"" + std::to_string(response) + "\""));
  CHECK(Has(form, "#" + std::to_string(response)));
  CHECK_FALSE(Has(form, "Bekymring indberettet"));  // the concern is never offered
  CHECK_FALSE(Has(form, "Sag tildelt"));            // the coordinator's, not the caseworker's
  // The coordinator may retract anyone's (ROL-10): the assignment is offered.
  CHECK(Has(w.Get(base + "/record/record.retracted", co).body, "Sag tildelt"));

  const std::uint64_t n = w.ledger->writer().size();
  HttpResponse r = post(cw, "record.retracted", "&h.target=" + std::to_string(response) + "&h.reason=error");
  INFO(r.body);
  REQUIRE(r.status == 303);
  const Types types = TypesSince(w, n);
  CHECK(std::find(types.begin(), types.end(), "record.retracted") != types.end());
  auto state = projections::ReadCase(w.ledger->store(), w.ledger->dbs(), case_id).value().state;
  CHECK(state.IsRetracted(response));
  // Retracted once: offered no more, and nothing else is left to the caseworker.
  CHECK_FALSE(Has(w.Get(base, cw).body, base + "/record/record.retracted\""));
  // Forced anyway: the writer refuses it with its rule, on screen.
  r = post(cw, "record.retracted", "&h.target=" + std::to_string(response) + "&h.reason=error");
  CHECK(r.status == 422);
  CHECK(Has(r.body, "ROL-10"));
}

TEST_CASE("advice without registration is recorded with no person, no case and no body, and "
          "counted per year",
          "[web][advice]") {
  WorkspaceWorld w;
  const std::string cw = w.SignIn(w.tokens.cw), aud = w.SignIn(w.tokens.aud);
  HttpResponse r = w.Get("/ui/advice/new", cw);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "name=\"h.behaviours.b.threat\""));
  CHECK_FALSE(Has(r.body, "h.behaviours.p."));  // never a protected characteristic
  CHECK_FALSE(Has(r.body, "<textarea"));         // no free text: no personal data
  CHECK(w.Get("/ui/advice/new", aud).status == 403);

  const std::uint64_t before = w.ledger->writer().size();
  const std::string csrf = w.Csrf(cw);
  const std::string advice = "csrf=" + csrf + "&h.channel=hotline&h.caller=relative&h.behaviours.b.threat=on";
  // A protected characteristic forced into the form is not sent.
  r = w.Post("/ui/advice", advice + "&h.behaviours.p.religion=on&h.outcome=advice_only", cw);
  CHECK(r.status == 400);
  CHECK(w.ledger->writer().size() == before);
  CHECK(w.Post("/ui/advice", advice.substr(advice.find('&') + 1) + "&h.outcome=advice_only", cw).status == 403);
  CHECK(w.ledger->writer().size() == before);

  for (int i = 0; i < 6; ++i) {
    r = w.Post("/ui/advice", advice + "&h.outcome=advice_only", cw);
    REQUIRE(r.status == 303);
    CHECK(HeaderOf(r, "Location") == "/ui/advice/new?recorded=advice_only");
  }
  r = w.Post("/ui/advice", advice + "&h.outcome=referred", cw);
  REQUIRE(r.status == 303);
  r = w.Get(HeaderOf(r, "Location"), cw);
  CHECK(Has(r.body, "Ingen person er registreret"));
  CHECK(Has(r.body, "href=\"/ui/concerns/new\""));  // referred: a concern the ordinary way

  REQUIRE(w.ledger->writer().size() == before + 7);
  {
    auto snap = w.ledger->store().Read().value();
    const auto e = ledger::DecodeEvent(ledger::ReadEventLine(snap, w.ledger->store(), before + 1).value()).value();
    CHECK(e.type == "advice.given");
    CHECK_FALSE(e.subject.has_value());
    CHECK_FALSE(e.case_id.has_value());
    CHECK_FALSE(e.body.has_value());
    CHECK(e.h == Json::parse(R"({"channel":"hotline","caller":"relative","behaviours":["b.threat"],"outcome":"advice_only"})"));
  }
  // Counted per year, small cells suppressed (ROL-3): one referred contact
  // is never shown, nor the cell it could be computed back from.
  auto advice_of_year = [&] {
    const auto stats = projections::ReadStats(w.ledger->store(), w.ledger->dbs(), std::nullopt).value();
    REQUIRE(stats.size() == 1);
    return stats[0].ToJson()["advice"];
  };
  Json a = advice_of_year();
  CHECK(a["total"] == 7);
  CHECK(a["by_outcome"]["referred"].is_null());
  CHECK(a["by_outcome"]["advice_only"].is_null());
  for (int i = 0; i < 4; ++i) REQUIRE(w.Post("/ui/advice", advice + "&h.outcome=referred", cw).status == 303);
  a = advice_of_year();
  CHECK(a["total"] == 11);
  CHECK(a["by_outcome"]["advice_only"] == 6);
  CHECK(a["by_outcome"]["referred"] == 5);
  // No case was opened.
  CHECK(projections::ListCaseIds(w.ledger->store(), w.ledger->dbs()).value().empty());
}

}  // namespace
}  // namespace caseledger::web
