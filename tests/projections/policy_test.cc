// The policy engine through the real write path: for every rule, commands it
// refuses and close variants it allows (DESIGN §5.2, §5.3). A refusal must
// leave exactly one policy.refused event and nothing else.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "ledger/verify.h"
#include "projections/disclosure_register.h"
#include "projections/policy.h"
#include "projections/rules_checked.h"
#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

// A small world of cases in the states the rules care about.
struct World {
  Domain d;
  std::string founded, unfounded, minor, restricted;
  std::uint64_t founded_concern = 0, founded_assessment = 0, consent = 0,
                info115 = 0, info_other = 0;

  World() {
    // A founded case with consent, assigned, with information received.
    auto c = Concern(d.cw, Json::array({Ground("b.threat")}));
    founded = *c.case_id;
    founded_concern = d.Must(c);
    d.Must(CaseEvent(d.co, founded, "case.assigned",
                     Json{{"assignees", Json::array({d.cw.id})}}));
    founded_assessment =
        d.Must(Assessment(d.co, founded, "founded", Json::array({Ground("b.threat")})));
    consent = d.Must(CaseEvent(d.cw, founded, "consent.recorded",
                               Json{{"decision", "given"}, {"by", "subject"}}));
    info115 = d.Must(CaseEvent(
        d.cw, founded, "information.received",
        Json{{"from", "police"}, {"basis", "rpl-115-ssp"}, {"categories", Json::array({"concern"})}},
        Json{{"content", "synthetic information"}}));
    info_other = d.Must(CaseEvent(
        d.cw, founded, "information.received",
        Json{{"from", "school"}, {"basis", "dbl-8-2-3"}, {"categories", Json::array({"concern"})}},
        Json{{"content", "synthetic information"}}));
    // An unfounded case.
    auto u = Concern(d.cw, Json::array({Ground("b.illegal_act")}));
    unfounded = *u.case_id;
    d.Must(u);
    d.Must(Assessment(d.co, unfounded, "unfounded", Json::array()));
    // A founded case about a minor.
    auto m = Concern(d.cw, Json::array({Ground("b.violence")}), /*minor=*/true);
    minor = *m.case_id;
    d.Must(m);
    d.Must(Assessment(d.co, minor, "founded", Json::array({Ground("b.violence")})));
    // A founded, restricted case.
    auto r = Concern(d.cw, Json::array({Ground("b.weapons")}));
    restricted = *r.case_id;
    d.Must(r);
    d.Must(Assessment(d.co, restricted, "founded", Json::array({Ground("b.weapons")})));
    d.Must(CaseEvent(d.co, restricted, "processing.restricted",
                     Json{{"ground", "objection"}}));
  }
};

Json Categories(std::initializer_list<const char*> c) {
  Json a = Json::array();
  for (const char* x : c) a.push_back(x);
  return a;
}

Command Request(const Actor& a, const std::string& case_id,
                const std::string& recipient, const std::string& basis,
                Json extra = Json::object(), Json body_extra = Json::object()) {
  Json h{{"recipient", recipient},
         {"basis", basis},
         {"registry_version", "2026-1"},
         {"purpose", "prevention"},
         {"categories", Categories({"identity", "concern"})}};
  for (auto it = extra.begin(); it != extra.end(); ++it) h[it.key()] = it.value();
  Json body{{"purpose_text", "synthetic purpose"}, {"summary", "synthetic summary"}};
  for (auto it = body_extra.begin(); it != body_extra.end(); ++it)
    body[it.key()] = it.value();
  return CaseEvent(a, case_id, "disclosure.requested", h, body);
}

Command Approve(const Actor& a, const std::string& case_id, std::uint64_t req,
                const char* type = "disclosure.approved") {
  return CaseEvent(a, case_id, type, Json{{"request", req}});
}

Command Made(const Actor& a, const std::string& case_id, std::uint64_t req) {
  return CaseEvent(a, case_id, "disclosure.made",
                   Json{{"request", req},
                        {"channel", "secure_mail"},
                        {"document_sha256", std::string(64, 'a')}});
}

struct Row {
  const char* rule;  // the rule the row is about
  const char* what;
  std::function<Command(World&)> make;
  bool refused;  // true: refused with `rule`; false: accepted
};

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      // ROL-1: no registration on belief or opinion alone.
      {"ROL-1", "concern citing only p.religion",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("p.religion")})); }, true},
      {"ROL-1", "concern citing only p.political_opinion",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("p.political_opinion")})); }, true},
      {"ROL-1", "concern citing only p.lawful_association",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("p.lawful_association")})); }, true},
      {"ROL-1", "concern citing religion opinion and association combined",
       [](World& w) {
         return Concern(w.d.cw, Json::array({Ground("p.religion"), Ground("p.political_opinion"),
                                             Ground("p.lawful_association")}));
       }, true},
      {"ROL-1", "the same three p codes with one behaviour ground",
       [](World& w) {
         return Concern(w.d.cw, Json::array({Ground("p.religion"), Ground("p.political_opinion"),
                                             Ground("p.lawful_association"), Ground("b.threat")}));
       }, false},
      {"ROL-1", "concern citing p.religion and one behaviour ground",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("p.religion"), Ground("b.threat")})); }, false},
      {"ROL-1", "concern citing no grounds",
       [](World& w) { return Concern(w.d.cw, Json::array()); }, true},
      {"ROL-1", "behaviour ground observed in the future",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat", "2999-01-01")})); }, true},
      {"ROL-1", "behaviour ground observed today or earlier",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat", "2001-01-01")})); }, false},
      {"ROL-1", "unknown behaviour code",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.suspicious_beard")})); }, true},
      {"ROL-1", "unknown protected code beside a behaviour ground",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat"), Ground("p.unknown")})); }, true},
      {"ROL-1", "behaviour code placed in context",
       [](World& w) {
         return Concern(w.d.cw, Json::array({Ground("b.threat")}), false, "person",
                        Json::array({"b.violence"}));
       }, true},
      {"ROL-1", "protected code placed in context",
       [](World& w) {
         return Concern(w.d.cw, Json::array({Ground("b.threat")}), false, "person",
                        Json::array({"p.religion"}));
       }, false},
      {"ROL-1", "founded assessment on p.political_opinion only",
       [](World& w) {
         auto c = Concern(w.d.cw, Json::array({Ground("b.threat")}));
         w.d.Must(c);
         return Assessment(w.d.co, *c.case_id, "founded", Json::array({Ground("p.political_opinion")}));
       }, true},
      {"ROL-1", "unfounded assessment without grounds",
       [](World& w) {
         auto c = Concern(w.d.cw, Json::array({Ground("b.threat")}));
         w.d.Must(c);
         return Assessment(w.d.co, *c.case_id, "unfounded", Json::array());
       }, false},
      {"ROL-1", "correction turning a concern's grounds into p.religion only",
       [](World& w) {
         return CaseEvent(w.d.cw, w.founded, "record.corrected",
                          Json{{"target", w.founded_concern},
                               {"fields", Json::array({"h.grounds"})},
                               {"set", {{"grounds", Json::array({Ground("p.religion")})}}}},
                          Json{{"reason", "synthetic reason"}});
       }, true},
      {"ROL-1", "correction of a concern's ground date",
       [](World& w) {
         return CaseEvent(w.d.cw, w.founded, "record.corrected",
                          Json{{"target", w.founded_concern},
                               {"fields", Json::array({"h.grounds"})},
                               {"set", {{"grounds", Json::array({Ground("b.threat", "2020-01-10")})}}}},
                          Json{{"reason", "synthetic reason"}});
       }, false},
      // ROL-2: natural persons only.
      {"ROL-2", "case opened on an association",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat")}), false, "association"); }, true},
      {"ROL-2", "case opened on a website",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat")}), false, "website"); }, true},
      {"ROL-2", "case opened on a person",
       [](World& w) { return Concern(w.d.cw, Json::array({Ground("b.threat")}), false, "person"); }, false},
      // ROL-4: only a coordinator assesses.
      {"ROL-4", "assessment by a caseworker",
       [](World& w) { return Assessment(w.d.cw, w.founded, "founded", Json::array({Ground("b.threat")})); }, true},
      {"ROL-4", "assessment by a coordinator",
       [](World& w) { return Assessment(w.d.co, w.founded, "founded", Json::array({Ground("b.threat")})); }, false},
      {"ROL-4", "closing as unfounded without an unfounded assessment",
       [](World& w) { return CaseEvent(w.d.co, w.founded, "case.closed", Json{{"reason", "unfounded"}}); }, true},
      {"ROL-4", "closing as unfounded after an unfounded assessment",
       [](World& w) { return CaseEvent(w.d.co, w.unfounded, "case.closed", Json{{"reason", "unfounded"}}); }, false},
      // ROL-5: four eyes.
      {"ROL-5", "self-approval of a disclosure",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.co, w.founded, "police", "rpl-115-ssp"));
         return Approve(w.d.co, w.founded, req);
       }, true},
      {"ROL-5", "approval by another coordinator",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.co, w.founded, "police", "rpl-115-ssp"));
         return Approve(w.d.co2, w.founded, req);
       }, false},
      {"ROL-5", "approval by a caseworker",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.co, w.founded, "police", "rpl-115-ssp"));
         return Approve(w.d.cw2, w.founded, req);
       }, true},
      {"ROL-5", "disclosure made without approval",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         return Made(w.d.cw, w.founded, req);
       }, true},
      {"ROL-5", "disclosure made after approval",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         w.d.Must(Approve(w.d.co, w.founded, req));
         return Made(w.d.cw, w.founded, req);
       }, false},
      {"ROL-5", "disclosure made after the approval was withdrawn",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         w.d.Must(Approve(w.d.co, w.founded, req));
         w.d.Must(Approve(w.d.co2, w.founded, req, "disclosure.rejected"));
         return Made(w.d.cw, w.founded, req);
       }, true},
      // ROL-6: registry, recipients, PET threshold.
      {"ROL-6", "basis not allowed for the recipient",
       [](World& w) {
         return Request(w.d.cw, w.founded, "police", "pet-4", Json{{"request_ref", true}},
                        Json{{"request_ref", "PET-1"}});
       }, true},
      {"ROL-6", "basis not in the registry",
       [](World& w) { return Request(w.d.cw, w.founded, "police", "rpl-999"); }, true},
      {"ROL-6", "request checked against an unknown registry version",
       [](World& w) { return Request(w.d.cw, w.founded, "police", "rpl-115-ssp", Json{{"registry_version", "1999-1"}}); }, true},
      {"ROL-6", "PET disclosure without a founded assessment",
       [](World& w) {
         auto c = Concern(w.d.cw, Json::array({Ground("b.threat")}));
         w.d.Must(c);
         return Request(w.d.co, *c.case_id, "pet", "dbl-8-2-2", Json{{"threshold", "society_threatening"}},
                        Json{{"balancing", "synthetic balancing"}});
       }, true},
      {"ROL-6", "PET disclosure on a founded case without the threshold",
       [](World& w) {
         return Request(w.d.co, w.founded, "pet", "dbl-8-2-2", Json::object(),
                        Json{{"balancing", "synthetic balancing"}});
       }, true},
      {"ROL-6", "PET disclosure on a founded case with the threshold",
       [](World& w) {
         return Request(w.d.co, w.founded, "pet", "dbl-8-2-2", Json{{"threshold", "society_threatening"}},
                        Json{{"balancing", "synthetic balancing"}});
       }, false},
      // ROL-7: no onward disclosure of §115 information.
      {"ROL-7", "disclosure including information received under rpl-115-ssp",
       [](World& w) {
         return Request(w.d.cw, w.founded, "social_services", "dbl-8-2-3",
                        Json{{"includes", Json::array({w.info115})}});
       }, true},
      {"ROL-7", "disclosure including information received under dbl-8-2-3",
       [](World& w) {
         return Request(w.d.cw, w.founded, "social_services", "dbl-8-2-3",
                        Json{{"includes", Json::array({w.info_other})}});
       }, false},
      // ROL-8: Art. 9 data.
      {"ROL-8", "health data under a basis without Art. 9 cover",
       [](World& w) {
         return Request(w.d.cw, w.founded, "social_services", "fvl-28",
                        Json{{"categories", Categories({"identity", "health"})}});
       }, true},
      {"ROL-8", "health data under a basis with Art. 9 cover",
       [](World& w) {
         return Request(w.d.cw, w.founded, "social_services", "rpl-115-ssp",
                        Json{{"categories", Categories({"identity", "health"})}});
       }, false},
      // ROL-9: voluntary interventions.
      {"ROL-9", "intervention without consent",
       [](World& w) {
         return CaseEvent(w.d.cw, w.minor, "intervention.started",
                          Json{{"kind", "mentor"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, true},
      {"ROL-9", "intervention with consent on a founded case",
       [](World& w) {
         return CaseEvent(w.d.cw, w.founded, "intervention.started",
                          Json{{"kind", "mentor"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, false},
      {"ROL-9", "intervention after consent was withdrawn",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.cw, w.founded, "consent.recorded",
                            Json{{"decision", "withdrawn"}, {"by", "subject"}}));
         return CaseEvent(w.d.cw, w.founded, "intervention.started",
                          Json{{"kind", "exit"}, {"provider", "ngo"}},
                          Json{{"plan", "synthetic plan"}});
       }, true},
      {"ROL-9", "intervention for an adult on a guardian's consent",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.cw, w.founded, "consent.recorded",
                            Json{{"decision", "given"}, {"by", "guardian"}}));
         return CaseEvent(w.d.cw, w.founded, "intervention.started",
                          Json{{"kind", "mentor"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, true},
      {"ROL-9", "intervention for a minor on a guardian's consent",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.cw, w.minor, "consent.recorded",
                            Json{{"decision", "given"}, {"by", "guardian"}}));
         return CaseEvent(w.d.cw, w.minor, "intervention.started",
                          Json{{"kind", "relatives_coach"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, false},
      {"ROL-9", "intervention on an unfounded case",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.cw, w.unfounded, "consent.recorded",
                            Json{{"decision", "given"}, {"by", "subject"}}));
         return CaseEvent(w.d.cw, w.unfounded, "intervention.started",
                          Json{{"kind", "mentor"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, true},
      // ROL-10: corrections point at an earlier event of the same case.
      {"ROL-10", "correction of an event of another case",
       [](World& w) {
         return CaseEvent(w.d.co, w.unfounded, "record.corrected",
                          Json{{"target", w.founded_assessment}, {"fields", Json::array({"body.reasoning"})}},
                          Json{{"reason", "synthetic reason"}});
       }, true},
      {"ROL-10", "correction by someone who is neither author nor coordinator",
       [](World& w) {
         return CaseEvent(w.d.cw2, w.founded, "record.corrected",
                          Json{{"target", w.founded_concern}, {"fields", Json::array({"body.narrative"})}},
                          Json{{"reason", "synthetic reason"}});
       }, true},
      {"ROL-10", "correction by the author",
       [](World& w) {
         return CaseEvent(w.d.cw, w.founded, "record.corrected",
                          Json{{"target", w.founded_concern}, {"fields", Json::array({"body.narrative"})}},
                          Json{{"reason", "synthetic reason"}});
       }, false},
      {"ROL-10", "retraction of the concern that opened the case",
       [](World& w) {
         return CaseEvent(w.d.co, w.founded, "record.retracted",
                          Json{{"target", w.founded_concern}, {"reason", "error"}});
       }, true},
      {"ROL-10", "retraction of an assessment by its author",
       [](World& w) {
         return CaseEvent(w.d.co, w.founded, "record.retracted",
                          Json{{"target", w.founded_assessment}, {"reason", "error"}});
       }, false},
      // ROL-11: closed cases and erased subjects.
      {"ROL-11", "new assessment on a closed case",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.co, w.unfounded, "case.closed", Json{{"reason", "unfounded"}}));
         return Assessment(w.d.co, w.unfounded, "founded", Json::array({Ground("b.threat")}));
       }, true},
      {"ROL-11", "review of a closed case",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.co, w.unfounded, "case.closed", Json{{"reason", "unfounded"}}));
         return CaseEvent(w.d.co, w.unfounded, "case.reviewed", Json{{"decision", "close"}});
       }, false},
      {"ROL-11", "any case event after the subject was erased",
       [](World& w) {
         Command e;
         e.type = "subject.erased";
         e.actor = w.d.dpo.id;
         e.role = "dpo";
         e.subject = w.d.EventAt(w.founded_concern).subject;
         e.h = Json{{"reason", "gdpr_art17"}, {"kid", w.d.KidOf(*e.subject)}};
         w.d.Must(e);
         return CaseEvent(w.d.cw, w.founded, "concern.responded", Json{{"channel", "phone"}});
       }, true},
      // ROL-13: restriction.
      {"ROL-13", "disclosure request on a restricted case",
       [](World& w) { return Request(w.d.cw, w.restricted, "police", "rpl-115-ssp"); }, true},
      {"ROL-13", "disclosure request after the restriction was lifted",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.co, w.restricted, "processing.restriction_lifted",
                            Json{{"ground", "objection"}}));
         return Request(w.d.cw, w.restricted, "police", "rpl-115-ssp");
       }, false},
      // ROL-14: unfounded cases.
      {"ROL-14", "disclosure of an unfounded case",
       [](World& w) { return Request(w.d.cw, w.unfounded, "police", "rpl-115-ssp"); }, true},
      {"ROL-14", "a ground citing an unfounded case",
       [](World& w) {
         Json g = Ground("b.threat");
         g["case"] = w.unfounded;
         return Concern(w.d.cw, Json::array({g}));
       }, true},
      {"ROL-14", "a ground citing a founded case",
       [](World& w) {
         Json g = Ground("b.threat");
         g["case"] = w.founded;
         return Concern(w.d.cw, Json::array({g}));
       }, false},
      // ROL-15: each basis's own conditions.
      {"ROL-15", "pet-4 without request_ref",
       [](World& w) { return Request(w.d.co, w.founded, "pet", "pet-4", Json{{"purpose", "pet_request"}}); }, true},
      {"ROL-15", "pet-4 with request_ref",
       [](World& w) {
         return Request(w.d.co, w.founded, "pet", "pet-4",
                        Json{{"purpose", "pet_request"}, {"request_ref", true}},
                        Json{{"request_ref", "PET-2026-0042"}});
       }, false},
      {"ROL-15", "dbl-8-2-2 without a balancing text",
       [](World& w) { return Request(w.d.cw, w.founded, "police", "dbl-8-2-2"); }, true},
      {"ROL-15", "consent basis without a consent",
       [](World& w) { return Request(w.d.cw, w.founded, "social_services", "consent"); }, true},
      {"ROL-15", "consent basis with the consent in force",
       [](World& w) { return Request(w.d.cw, w.founded, "social_services", "consent", Json{{"consent", w.consent}}); }, false},
      {"ROL-15", "child-welfare-notify for an adult",
       [](World& w) { return Request(w.d.cw, w.founded, "child_welfare", "child-welfare-notify"); }, true},
      {"ROL-15", "child-welfare-notify for a minor",
       [](World& w) { return Request(w.d.cw, w.minor, "child_welfare", "child-welfare-notify"); }, false},
      {"ROL-15", "exchange under 115 for investigation",
       [](World& w) { return Request(w.d.cw, w.founded, "police", "rpl-115-ssp", Json{{"purpose", "investigation"}}); }, true},
      // ROL-16: legal hold and no resurrection.
      {"ROL-16", "erasure under a legal hold",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.dpo, w.unfounded, "legal_hold.set", Json{{"ground", "complaint"}}));
         Command e;
         e.type = "subject.erased";
         e.actor = w.d.dpo.id;
         e.role = "dpo";
         e.subject = w.d.View(w.unfounded).subject;
         e.h = Json{{"reason", "unfounded"}, {"kid", w.d.KidOf(*e.subject)}};
         return e;
       }, true},
      {"ROL-16", "erasure after the legal hold was released",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.dpo, w.unfounded, "legal_hold.set", Json{{"ground", "complaint"}}));
         w.d.Must(CaseEvent(w.d.dpo, w.unfounded, "legal_hold.released", Json{{"ground", "complaint"}}));
         Command e;
         e.type = "subject.erased";
         e.actor = w.d.dpo.id;
         e.role = "dpo";
         e.subject = w.d.View(w.unfounded).subject;
         e.h = Json{{"reason", "unfounded"}, {"kid", w.d.KidOf(*e.subject)}};
         return e;
       }, false},
      {"ROL-16", "a new concern about an erased pseudonym",
       [](World& w) {
         Command e;
         e.type = "subject.erased";
         e.actor = w.d.dpo.id;
         e.role = "dpo";
         e.subject = w.d.View(w.unfounded).subject;
         e.h = Json{{"reason", "unfounded"}, {"kid", w.d.KidOf(*e.subject)}};
         w.d.Must(e);
         auto c = Concern(w.d.cw, Json::array({Ground("b.threat")}));
         c.subject = e.subject;
         c.h["new_subject"] = false;
         return c;
       }, true},
      // ROLE: who may record what (DESIGN §6).
      {"ROLE", "an auditor reporting a concern",
       [](World& w) { return Concern(w.d.aud, Json::array({Ground("b.threat")})); }, true},
      {"ROLE", "a legal reviewer starting an intervention",
       [](World& w) {
         return CaseEvent(w.d.lr, w.founded, "intervention.started",
                          Json{{"kind", "mentor"}, {"provider", "municipality"}},
                          Json{{"plan", "synthetic plan"}});
       }, true},
      {"ROLE", "a legal reviewer reviewing a disclosure",
       [](World& w) {
         auto req = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         return CaseEvent(w.d.lr, w.founded, "disclosure.reviewed",
                          Json{{"disclosure", req}, {"verdict", "lawful"}, {"findings", Json::array()}});
       }, false},
  };
  return rows;
}

std::string ReadDoc(const std::string& rel) {
  std::ifstream in(std::string(CASELEDGER_SOURCE_DIR) + "/" + rel);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("every rule refuses its commands and allows their close variants", "[projections][policy]") {
  // docs/rules.md quotes the exact error of every refusal in this table.
  const std::string rules_doc = ReadDoc("docs/rules.md");
  for (const Row& row : Rows()) {
    INFO(row.rule << ": " << row.what);
    World w;
    Command cmd = row.make(w);
    const std::uint64_t before = w.d.size();
    std::optional<projections::CaseState> case_before;
    if (cmd.case_id && cmd.type != "concern.reported") {
      auto s = projections::ReadCase(w.d.store(), w.d.dbs(), *cmd.case_id);
      if (s.ok()) case_before = s->state;
    }
    const std::string type = cmd.type;
    auto r = w.d.Submit(cmd);
    if (!row.refused) {
      CHECK(r.ok());
      if (!r.ok()) UNSCOPED_INFO(r.status().ToString());
      CHECK(w.d.size() == before + 1);
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kPolicyRefused);
    CHECK(projections::RuleOf(r.status()) == row.rule);
    {
      // The timeline's table of rules checked per type (projections/
      // rules_checked.h) names every rule that refuses a command of it.
      INFO("RulesCheckedOn(" << type << ") must name " << row.rule);
      const auto rules = projections::RulesCheckedOn(type);
      CHECK(std::find(rules.begin(), rules.end(), row.rule) != rules.end());
    }
    {
      INFO("docs/rules.md must quote: " << r.status().message());
      CHECK(rules_doc.find(r.status().message()) != std::string::npos);
    }
    // Exactly one policy.refused event, carrying no personal data.
    REQUIRE(w.d.size() == before + 1);
    ledger::Event e = w.d.EventAt(before + 1);
    CHECK(e.type == "policy.refused");
    CHECK(e.h == Json{{"attempted", type}, {"rule", row.rule}});
    CHECK_FALSE(e.body.has_value());
    CHECK_FALSE(e.subject.has_value());
    CHECK(e.actor == cmd.actor);
    // The case's state did not change.
    if (case_before) {
      auto after = projections::ReadCase(w.d.store(), w.d.dbs(), *cmd.case_id);
      REQUIRE(after.ok());
      CHECK(after->state == *case_before);
    }
  }
}

TEST_CASE("every rule of the engine has a table row", "[projections][policy]") {
  std::set<std::string> covered;
  for (const Row& row : Rows()) covered.insert(row.rule);
  // ROL-3 and ROL-12 govern reads (listings, statistics, access): tested
  // with the statistics and, later, the API.
  for (const char* rule : {"ROL-1", "ROL-2", "ROL-4", "ROL-5", "ROL-6", "ROL-7", "ROL-8",
                           "ROL-9", "ROL-10", "ROL-11", "ROL-13", "ROL-14", "ROL-15",
                           "ROL-16", "ROLE"}) {
    INFO(rule);
    CHECK(covered.count(rule) == 1);
  }
}

TEST_CASE("refusals leave only their record and the log still verifies", "[projections][policy]") {
  World w;
  const std::uint64_t before = w.d.size();
  auto refused = w.d.Submit(Concern(w.d.cw, Json::array({Ground("p.religion")})));
  REQUIRE(refused.status().code() == StatusCode::kPolicyRefused);
  // No data key was created for the refused person and no case exists.
  REQUIRE(w.d.size() == before + 1);
  w.d.Close();
  auto v = ledger::VerifyLedger(w.d.dir(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->events == before + 1);
}

TEST_CASE("malformed commands are refused without any record", "[projections][policy]") {
  World w;
  const std::uint64_t before = w.d.size();
  auto c = Concern(w.d.cw, Json::array({Ground("b.threat")}));
  c.h["unexpected"] = 1;
  auto r = w.d.Submit(c);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  auto unknown_case = CaseEvent(w.d.cw, NewId("c"), "concern.responded", Json{{"channel", "phone"}});
  CHECK(w.d.Submit(unknown_case).status().code() == StatusCode::kNotFound);
  auto server_only = CaseEvent(w.d.cw, w.founded, "access.read", Json{{"purpose", "casework"}});
  CHECK(w.d.Submit(server_only).status().code() == StatusCode::kPermissionDenied);
  CHECK(w.d.size() == before);
}

TEST_CASE("a caller's write is decided on need to know inside the writer", "[projections][policy]") {
  World w;
  const std::uint64_t before = w.d.size();
  auto responded = [&](const Actor& a, const std::string& case_id) {
    auto c = CaseEvent(a, case_id, "concern.responded", Json{{"channel", "phone"}});
    projections::SetOrigin(c, {.enforce_need_to_know = true});
    return w.d.Submit(c);
  };
  // The founded case is assigned to cw: cw and any coordinator may write; a
  // second caseworker, an auditor and (ROL-14) cw on the unfounded case may not.
  CHECK(responded(w.d.cw, w.founded).ok());
  auto assign = CaseEvent(w.d.co2, w.founded, "case.assigned",
                          Json{{"assignees", Json::array({w.d.cw.id})}});
  projections::SetOrigin(assign, {.enforce_need_to_know = true});
  CHECK(w.d.Submit(assign).ok());
  CHECK(responded(w.d.cw2, w.founded).status().code() == StatusCode::kPermissionDenied);
  CHECK(responded(w.d.aud, w.founded).status().code() == StatusCode::kPermissionDenied);
  CHECK(responded(w.d.cw, w.unfounded).status().code() == StatusCode::kPermissionDenied);
  CHECK(responded(w.d.cw2, NewId("c")).status().code() == StatusCode::kNotFound);
  // Nothing was appended for the refusals (no policy.refused record either).
  CHECK(w.d.size() == before + 2);  // the response and the assignment
  // Decided on the state the event is appended to: once cw2 is assigned, cw2
  // writes and cw no longer does.
  w.d.Must(CaseEvent(w.d.co, w.founded, "case.assigned",
                     Json{{"assignees", Json::array({w.d.cw2.id})}}));
  CHECK(responded(w.d.cw2, w.founded).ok());
  CHECK(responded(w.d.cw, w.founded).status().code() == StatusCode::kPermissionDenied);
  // Without the flag (imports, the demo) the same command is the engine's
  // rules only.
  CHECK(w.d.Submit(CaseEvent(w.d.cw, w.founded, "concern.responded",
                             Json{{"channel", "phone"}})).ok());
}

// --- Users: not policy refusals (docs/decisions.md #14) -----------------------

TEST_CASE("user events of registered, unknown or revoked users store nothing", "[projections][policy][users]") {
  Domain d;
  const std::string u1 = NewId("u"), u2 = NewId("u"), u3 = NewId("u");
  const std::string h1 = NewTokenHash(), h2 = NewTokenHash(), h3 = NewTokenHash();
  d.Must(RegisterUser(d.dpo, u1, "caseworker", h1));
  d.Must(RegisterUser(d.dpo, u2, "coordinator"));

  struct Case {
    const char* what;
    Command cmd;
    StatusCode code;  // kOk: accepted
    const char* message;
  };
  auto role = [&](const std::string& u, const char* r) {
    return UserCommand(d.dpo, "user.role_changed", Json{{"user", u}, {"role", r}});
  };
  auto revoke = [&](const std::string& u) {
    return UserCommand(d.dpo, "user.revoked", Json{{"user", u}});
  };
  const std::string unknown = NewId("u");
  std::vector<Case> cases;
  cases.push_back({"registering an id twice", RegisterUser(d.dpo, u1, "auditor"),
                   StatusCode::kAlreadyExists, "user: the user id is already registered"});
  cases.push_back({"registering with a token hash in use", RegisterUser(d.dpo, u3, "auditor", h1),
                   StatusCode::kAlreadyExists, "h.token_hash: the token hash is already in use"});
  cases.push_back({"registering a new id with a new token hash",
                   RegisterUser(d.dpo, u3, "auditor", h3), StatusCode::kOk, ""});
  cases.push_back({"a role change of an unknown user", role(unknown, "dpo"),
                   StatusCode::kNotFound, "user: no such user"});
  cases.push_back({"a token for an unknown user", IssueToken(d.dpo, unknown, NewTokenHash()),
                   StatusCode::kNotFound, "user: no such user"});
  cases.push_back({"revoking an unknown user", revoke(unknown), StatusCode::kNotFound,
                   "user: no such user"});
  cases.push_back({"a role change to the role the user has", role(u1, "caseworker"),
                   StatusCode::kFailedPrecondition, "the user already has that role"});
  cases.push_back({"a role change to another role", role(u1, "coordinator"), StatusCode::kOk, ""});
  cases.push_back({"a token whose hash another user's token has", IssueToken(d.dpo, u2, h1),
                   StatusCode::kAlreadyExists, "h.token_hash: the token hash is already in use"});
  cases.push_back({"a token reissued with the user's own current hash", IssueToken(d.dpo, u1, h1),
                   StatusCode::kAlreadyExists, "h.token_hash: the token hash is already in use"});
  cases.push_back({"a token with a new hash", IssueToken(d.dpo, u2, h2), StatusCode::kOk, ""});
  cases.push_back({"revoking a registered user", revoke(u2), StatusCode::kOk, ""});
  cases.push_back({"revoking a revoked user", revoke(u2), StatusCode::kFailedPrecondition,
                   "the user is revoked"});
  cases.push_back({"a role change of a revoked user", role(u2, "dpo"),
                   StatusCode::kFailedPrecondition, "the user is revoked"});
  cases.push_back({"a token for a revoked user", IssueToken(d.dpo, u2, NewTokenHash()),
                   StatusCode::kFailedPrecondition, "the user is revoked"});
  cases.push_back({"registering a revoked user's id again", RegisterUser(d.dpo, u2, "caseworker"),
                   StatusCode::kAlreadyExists, "user: the user id is already registered"});
  cases.push_back({"the revoked user's hash is free again", IssueToken(d.dpo, u3, h2),
                   StatusCode::kOk, ""});

  for (Case& c : cases) {
    INFO(c.what);
    const std::uint64_t before = d.size();
    auto r = d.Submit(c.cmd);
    if (c.code == StatusCode::kOk) {
      if (!r.ok()) UNSCOPED_INFO(r.status().ToString());
      CHECK(r.ok());
      CHECK(d.size() == before + 1);
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message().find(c.message) != std::string::npos);
    CHECK(projections::RuleOf(r.status()).empty());
    CHECK(d.size() == before);  // nothing stored, not even a refusal record
  }
  // Messages never echo ids or hashes.
  auto r = d.Submit(IssueToken(d.dpo, u1, h2));  // u3's token now
  REQUIRE(r.status().code() == StatusCode::kAlreadyExists);
  CHECK(r.status().message().find(h2) == std::string::npos);
  r = d.Submit(revoke(unknown));
  CHECK(r.status().message().find(unknown) == std::string::npos);
}

TEST_CASE("user events by another role than dpo are refused by rule ROLE", "[projections][policy][users]") {
  Domain d;
  const std::string u = NewId("u");
  d.Must(RegisterUser(d.dpo, u, "caseworker"));
  // The role is checked before the user's existence: a non-dpo learns
  // nothing about which ids are registered, and the attempt is recorded.
  const std::vector<Command> attempts = {
      RegisterUser(d.co, NewId("u"), "dpo"),
      RegisterUser(d.co, u, "dpo"),
      UserCommand(d.cw, "user.role_changed", Json{{"user", u}, {"role", "dpo"}}),
      UserCommand(d.cw, "user.revoked", Json{{"user", NewId("u")}}),
      IssueToken(d.aud, u, NewTokenHash())};
  for (const Command& c : attempts) {
    INFO(c.type << " by " << c.role);
    const std::uint64_t before = d.size();
    auto r = d.Submit(c);
    REQUIRE(r.status().code() == StatusCode::kPolicyRefused);
    CHECK(projections::RuleOf(r.status()) == "ROLE");
    REQUIRE(d.size() == before + 1);
    ledger::Event e = d.EventAt(before + 1);
    CHECK(e.type == "policy.refused");
    CHECK(e.h == Json{{"attempted", c.type}, {"rule", "ROLE"}});
    CHECK_FALSE(e.case_id.has_value());
    CHECK_FALSE(e.subject.has_value());
  }
  // A user event naming a case or a subject is malformed.
  Command with_case = UserCommand(d.dpo, "user.revoked", Json{{"user", u}});
  with_case.case_id = NewId("c");
  const std::uint64_t before = d.size();
  CHECK(d.Submit(with_case).status().code() == StatusCode::kInvalidArgument);
  CHECK(d.size() == before);
  // The user is untouched by all of it.
  auto state = projections::ReadUser(d.store(), d.dbs(), u);
  REQUIRE(state.ok());
  CHECK(state->role == "caseworker");
  CHECK_FALSE(state->is_revoked());
}

TEST_CASE("UserState round-trips and reads its stored form strictly", "[projections][users]") {
  projections::UserState u;
  u.user = NewId("u");
  u.role = "legal_reviewer";
  u.registered_seq = 3;
  u.registered = 1554714753123456;
  CHECK(projections::UserState::FromJson(u.ToJson()).value() == u);
  CHECK(ledger::CanonicalJson(u.ToJson()) ==
        R"({"registered":1554714753123456,"registered_seq":3,"role":"legal_reviewer","user":")" +
            u.user + R"(","v":1})");
  u.token_hash = NewTokenHash();
  u.token_seq = 9;
  CHECK(projections::UserState::FromJson(u.ToJson()).value() == u);
  projections::UserState revoked = u;
  revoked.token_hash.reset();
  revoked.token_seq = 0;
  revoked.revoked_seq = 12;
  revoked.revoked = 1554714800000000;
  CHECK(projections::UserState::FromJson(revoked.ToJson()).value() == revoked);
  // Parsed from text (integers unsigned, as stored) it is the same.
  auto parsed = ledger::ParseUntrustedJson(ledger::CanonicalJson(u.ToJson()),
                                          projections::StoredJsonLimits());
  REQUIRE(parsed.ok());
  CHECK(projections::UserState::FromJson(*parsed).value() == u);

  const Json good = u.ToJson();
  const std::vector<std::pair<const char*, Json>> bad = {
      {"unknown field", Json{{"name", "x"}}},
      {"version", Json{{"v", 2}}},
      {"no version", Json{{"v", nullptr}}},
      {"user id of another kind", Json{{"user", NewId("c")}}},
      {"unknown role", Json{{"role", "admin"}}},
      {"seq 0", Json{{"registered_seq", 0}}},
      {"seq as text", Json{{"registered_seq", "3"}}},
      {"time as text", Json{{"registered", "2019-04-08T09:12:33Z"}}},
      {"no registration time", Json{{"registered", nullptr}}},
      {"token without seq", Json{{"token_seq", nullptr}}},
      {"token seq without hash", Json{{"token_hash", nullptr}}},
      {"token hash malformed", Json{{"token_hash", "AAAA"}}},
      {"token before registration", Json{{"token_seq", 2}}},
      {"revocation without time", Json{{"revoked_seq", 12}}},
      {"revoked user with a token", Json{{"revoked_seq", 12}, {"revoked", 1}}},
  };
  for (const auto& [what, patch] : bad) {
    INFO(what);
    Json j = good;
    j.merge_patch(patch);
    auto r = projections::UserState::FromJson(j);
    CHECK(r.status().code() == StatusCode::kCorruption);
  }
  Json revoked_early = revoked.ToJson();
  revoked_early["revoked_seq"] = 3;  // not after the registration
  CHECK_FALSE(projections::UserState::FromJson(revoked_early).ok());
  CHECK_FALSE(projections::UserState::FromJson(Json::array()).ok());
}

}  // namespace
}  // namespace caseledger::testing

namespace caseledger::testing {
namespace {

// A disclosure step of history migrated from the old case system, as
// `caseledger import --legacy` submits it.
// The old system's reference is text: the request's encrypted body holds it,
// every migrated step's header only marks it.
Command Migrated(Command c, const char* ref = "OLD-2019-0001") {
  c.h["legacy_ref"] = true;
  if (c.type == "disclosure.requested") (*c.body)["legacy_ref"] = ref;
  projections::SetOrigin(c, {.legacy_import = true});
  c.time = ledger::NowMicros();
  return c;
}

TEST_CASE("migrated disclosure steps are kept as they happened and the register reports them",
          "[projections][policy][legacy]") {
  World w;
  Domain& d = w.d;
  const std::uint64_t before = d.size();

  // legacy_ref is for `import --legacy` only, and carries its own time.
  Command api = Request(d.co, w.founded, "police", "fvl-28");
  api.h["legacy_ref"] = true;
  (*api.body)["legacy_ref"] = "OLD-2019-0001";
  CHECK(d.Submit(api).status().code() == StatusCode::kInvalidArgument);
  Command untimed = Migrated(Request(d.co, w.founded, "police", "fvl-28"));
  untimed.time.reset();
  CHECK(d.Submit(untimed).status().code() == StatusCode::kInvalidArgument);
  // The flag alone changes nothing: without legacy_ref the rules refuse.
  Command flagged = Request(d.co, w.founded, "police", "fvl-28");
  projections::SetOrigin(flagged, {.legacy_import = true});
  CHECK(projections::RuleOf(d.Submit(flagged).status()) == "ROL-6");
  // Only disclosure steps take a legacy_ref (the catalogue's schema).
  CHECK(d.Submit(Migrated(CaseEvent(d.cw, w.founded, "concern.responded",
                                    Json{{"channel", "phone"}})))
            .status()
            .code() == StatusCode::kInvalidArgument);
  const std::uint64_t refusal_records = d.size() - before;
  CHECK(refusal_records == 1);  // the ROL-6 refusal of `flagged`

  // Accepted although each breaks a disclosure rule.
  const std::uint64_t basis = d.Must(Migrated(Request(d.co, w.founded, "police", "fvl-28")));
  d.Must(Migrated(Approve(d.co, w.founded, basis)));  // self-approval
  d.Must(Migrated(Made(d.co, w.founded, basis)));
  const std::uint64_t unapproved = d.Must(Migrated(Request(d.cw, w.founded, "police", "rpl-115-ssp")));
  d.Must(Migrated(Made(d.cw, w.founded, unapproved)));
  const std::uint64_t onward = d.Must(Migrated(Request(
      d.cw, w.founded, "police", "rpl-115-ssp", Json{{"includes", Json::array({w.info115})}})));
  const std::uint64_t on_restricted =
      d.Must(Migrated(Request(d.co, w.restricted, "police", "rpl-115-ssp")));
  d.Must(Migrated(Approve(d.cw2, w.restricted, on_restricted)));  // by a caseworker

  // What stays refused even for migrated history: the role table, the
  // structure of references, and a closed case.
  Command by_auditor = Migrated(Request(d.cw, w.founded, "police", "rpl-115-ssp"));
  by_auditor.actor = d.aud.id;
  by_auditor.role = "auditor";
  CHECK(projections::RuleOf(d.Submit(by_auditor).status()) == "ROLE");
  CHECK(d.Submit(Migrated(Request(d.cw, w.founded, "police", "rpl-115-ssp",
                                  Json{{"includes", Json::array({w.founded_concern + 100000})}})))
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(d.Submit(Migrated(Made(d.cw, w.founded, w.founded_concern))).status().code() ==
        StatusCode::kInvalidArgument);
  d.Must(CaseEvent(d.co, w.unfounded, "case.closed", Json{{"reason", "unfounded"}}));
  CHECK(projections::RuleOf(d.Submit(Migrated(Request(d.co, w.unfounded, "police", "rpl-115-ssp"))).status()) ==
        "ROL-11");

  // The register finds each, at the step concerned; the stored headers mark
  // the step as migrated, and no reference text is in clear.
  CHECK(d.EventAt(basis).h["legacy_ref"] == true);
  auto reg = projections::ReadRegister(d.store(), d.dbs(), ledger::NowMicros(),
                                       [](const projections::CaseView&) { return true; });
  REQUIRE(reg.ok());
  std::map<std::uint64_t, std::vector<std::string>> found;
  for (const auto& e : *reg) {
    CHECK(e.legacy);
    for (const auto& f : e.findings) found[e.disclosure.seq].push_back(f.code);
  }
  using Codes = std::vector<std::string>;
  CHECK(found[basis] == Codes{"basis_not_allowed", "self_approval"});
  CHECK(found[unapproved] == Codes{"missing_approval"});
  CHECK(found[onward] == Codes{"onward_115"});
  CHECK(found[on_restricted] == Codes{"restricted_case"});
  CHECK(found.size() == 4);
  d.Close();
  auto v = ledger::VerifyLedger(d.dir(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
}

}  // namespace
}  // namespace caseledger::testing

// --- Corrections are checked as the event they produce (issue 14) ---------
namespace caseledger::testing {
namespace {

// record.corrected by `a` of `target`, setting the header fields of `set`.
Command Correct(const Actor& a, const std::string& case_id, std::uint64_t target, Json set,
                Json values = Json::object()) {
  Json fields = Json::array();
  for (auto it = set.begin(); it != set.end(); ++it) fields.push_back("h." + it.key());
  for (auto it = values.begin(); it != values.end(); ++it) fields.push_back("body." + it.key());
  Json h{{"target", target}, {"fields", fields}};
  if (!set.empty()) h["set"] = set;
  Json body{{"reason", "synthetic correction"}};
  if (!values.empty()) body["values"] = values;
  return CaseEvent(a, case_id, "record.corrected", h, body);
}

struct CorrectionRow {
  const char* target_type;
  const char* rule;  // the rule refusing it; "400" for a malformed correction
  const char* what;
  std::function<Command(World&)> make;
  bool refused;
};

Json Grounds(const char* code, const char* on = "2020-01-15") {
  return Json::array({Ground(code, on)});
}

std::vector<CorrectionRow> CorrectionRows() {
  auto concern = [](const char* key, Json value) {
    return [key, value](World& w) {
      return Correct(w.d.co, w.founded, w.founded_concern, Json{{key, value}});
    };
  };
  auto info = [](Json value) {
    return [value](World& w) {
      return Correct(w.d.co, w.founded, w.info_other, Json{{"basis", value}});
    };
  };
  // A request by the caseworker on the founded case, then a correction.
  auto request = [](std::string recipient, std::string basis, Json set, Json values = Json::object(),
                    Json extra = Json::object()) {
    return [=](World& w) {
      auto r = w.d.Must(Request(w.d.cw, w.founded, recipient, basis, extra));
      return Correct(w.d.co, w.founded, r, set, values);
    };
  };
  std::vector<CorrectionRow> rows = {
      // concern.reported: ROL-1, ROL-2, ROL-14.
      {"concern.reported", "ROL-2", "subject turned into an association",
       concern("subject_kind", "association"), true},
      {"concern.reported", "ROL-2", "another source", concern("source", "police"), false},
      {"concern.reported", "ROL-1", "only a protected ground", concern("grounds", Grounds("p.religion")), true},
      {"concern.reported", "ROL-1", "a code outside the vocabulary",
       concern("grounds", Grounds("b.devout_believer")), true},
      {"concern.reported", "ROL-1", "conduct observed after the concern",
       concern("grounds", Grounds("b.threat", "2999-01-01")), true},
      {"concern.reported", "ROL-1", "another behaviour ground", concern("grounds", Grounds("b.violence")), false},
      {"concern.reported", "ROL-1", "behaviour as context", concern("context", Json::array({"b.threat"})), true},
      {"concern.reported", "ROL-1", "a protected code as context",
       concern("context", Json::array({"p.religion"})), false},
      {"concern.reported", "ROL-14", "a ground citing an unfounded case",
       [](World& w) {
         Json g = Grounds("b.threat");
         g[0]["case"] = w.unfounded;
         return Correct(w.d.co, w.founded, w.founded_concern, Json{{"grounds", g}});
       }, true},
      {"concern.reported", "ROL-14", "a ground citing a founded case",
       [](World& w) {
         Json g = Grounds("b.threat");
         g[0]["case"] = w.minor;
         return Correct(w.d.co, w.founded, w.founded_concern, Json{{"grounds", g}});
       }, false},
      {"concern.reported", "400", "new_subject is a fact of the log", concern("new_subject", false), true},
      // assessment.recorded: ROL-1, ROL-14, ROL-4.
      {"assessment.recorded", "ROL-1", "founded on no ground",
       [](World& w) { return Correct(w.d.co, w.founded, w.founded_assessment, Json{{"grounds", Json::array()}}); },
       true},
      {"assessment.recorded", "ROL-1", "founded on another behaviour",
       [](World& w) {
         return Correct(w.d.co, w.founded, w.founded_assessment, Json{{"grounds", Grounds("b.weapons")}});
       }, false},
      {"assessment.recorded", "ROL-14", "founded on an unfounded case",
       [](World& w) {
         Json g = Grounds("b.threat");
         g[0]["case"] = w.unfounded;
         return Correct(w.d.co, w.founded, w.founded_assessment, Json{{"grounds", g}});
       }, true},
      {"assessment.recorded", "ROL-4", "the assessment a case was closed unfounded on, made founded",
       [](World& w) {
         auto c = Concern(w.d.cw, Grounds("b.threat"));
         const std::string id = *c.case_id;
         w.d.Must(c);
         auto a = w.d.Must(Assessment(w.d.co, id, "unfounded", Json::array()));
         w.d.Must(CaseEvent(w.d.co, id, "case.closed", Json{{"reason", "unfounded"}}));
         return Correct(w.d.co, id, a, Json{{"outcome", "founded"}, {"grounds", Grounds("b.threat")}});
       }, true},
      {"assessment.recorded", "ROL-4", "the same assessment, another panel",
       [](World& w) {
         auto c = Concern(w.d.cw, Grounds("b.threat"));
         const std::string id = *c.case_id;
         w.d.Must(c);
         auto a = w.d.Must(Assessment(w.d.co, id, "unfounded", Json::array()));
         w.d.Must(CaseEvent(w.d.co, id, "case.closed", Json{{"reason", "unfounded"}}));
         return Correct(w.d.co, id, a, Json{{"panel", "unit"}});
       }, false},
      // case.closed: ROL-4.
      {"case.closed", "ROL-4", "closed as unfounded without such an assessment",
       [](World& w) {
         auto k = w.d.Must(CaseEvent(w.d.co, w.founded, "case.closed", Json{{"reason", "completed"}}));
         return Correct(w.d.co, w.founded, k, Json{{"reason", "unfounded"}});
       }, true},
      {"case.closed", "ROL-4", "another reason",
       [](World& w) {
         auto k = w.d.Must(CaseEvent(w.d.co, w.founded, "case.closed", Json{{"reason", "completed"}}));
         return Correct(w.d.co, w.founded, k, Json{{"reason", "no_longer_relevant"}});
       }, false},
      // information.received: ROL-6.
      {"information.received", "ROL-6", "a basis outside the registry", info("rpl-999"), true},
      {"information.received", "ROL-6", "a CPR number shaped as a basis", info("cpr-0001001234"), true},
      {"information.received", "ROL-6", "another basis of the registry", info("dbl-8-2-2"), false},
      // consent.recorded: ROL-9 (what the case becomes).
      {"consent.recorded", "ROL-9", "an adult's consent under an intervention made a guardian's",
       [](World& w) {
         w.d.Must(CaseEvent(w.d.cw, w.founded, "intervention.started",
                            Json{{"kind", "mentor"}, {"provider", "municipality"}},
                            Json{{"plan", "synthetic plan"}}));
         return Correct(w.d.co, w.founded, w.consent, Json{{"by", "guardian"}});
       }, true},
      {"consent.recorded", "ROL-9", "the same, with no intervention running",
       [](World& w) { return Correct(w.d.co, w.founded, w.consent, Json{{"by", "guardian"}}); }, false},
      // disclosure.requested: ROL-6, ROL-7, ROL-8, ROL-15.
      {"disclosure.requested", "ROL-6", "a recipient the basis does not allow",
       request("police", "rpl-115-ssp", Json{{"recipient", "pet"}}), true},
      {"disclosure.requested", "ROL-6", "a recipient the basis allows",
       request("police", "rpl-115-ssp", Json{{"recipient", "social_services"}}), false},
      {"disclosure.requested", "ROL-6", "a basis outside the registry",
       request("police", "rpl-115-ssp", Json{{"basis", "cpr-0001001234"}}), true},
      {"disclosure.requested", "ROL-7", "drawing on §115 information",
       request("police", "rpl-115-ssp", Json{{"includes", Json::array({1})}}), false},
      {"disclosure.requested", "ROL-8", "health data under a basis without Art. 9",
       request("other_municipality", "fvl-28", Json{{"categories", Json::array({"identity", "health"})}}), true},
      {"disclosure.requested", "ROL-8", "fewer categories",
       request("other_municipality", "fvl-28", Json{{"categories", Json::array({"identity"})}}), false},
      {"disclosure.requested", "ROL-15", "§115 for investigation",
       request("police", "rpl-115-ssp", Json{{"purpose", "investigation"}}), true},
      {"disclosure.requested", "ROL-15", "§115 for safety",
       request("police", "rpl-115-ssp", Json{{"purpose", "safety"}}), false},
      {"disclosure.requested", "ROL-15", "dbl-8-2-2 without a balancing text",
       request("police", "rpl-115-ssp", Json{{"basis", "dbl-8-2-2"}}), true},
      {"disclosure.requested", "ROL-15", "dbl-8-2-2 with a balancing text",
       request("police", "rpl-115-ssp", Json{{"basis", "dbl-8-2-2"}},
               Json{{"balancing", "synthetic balancing"}}), false},
      {"disclosure.requested", "ROL-15", "a consent-based request after the consent was withdrawn",
       [](World& w) {
         auto r = w.d.Must(Request(w.d.cw, w.founded, "other_municipality", "consent",
                                   Json{{"consent", w.consent}}));
         w.d.Must(CaseEvent(w.d.cw, w.founded, "consent.recorded",
                            Json{{"decision", "withdrawn"}, {"by", "subject"}}));
         // The withdrawal is the case's, not the correction's: it stands.
         return Correct(w.d.co, w.founded, r, Json{{"categories", Json::array({"identity"})}});
       }, false},
      // disclosure.approved, disclosure.made: ROL-5.
      {"disclosure.approved", "ROL-5", "an approval moved to its author's own request",
       [](World& w) {
         auto r1 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         auto r2 = w.d.Must(Request(w.d.co2, w.founded, "police", "rpl-115-ssp"));
         auto a = w.d.Must(Approve(w.d.co2, w.founded, r1));
         (void)r2;
         return Correct(w.d.co, w.founded, a, Json{{"request", r2}});
       }, true},
      {"disclosure.approved", "ROL-5", "an approval moved to another's request",
       [](World& w) {
         auto r1 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         auto r2 = w.d.Must(Request(w.d.co, w.founded, "police", "rpl-115-ssp"));
         auto a = w.d.Must(Approve(w.d.co2, w.founded, r1));
         return Correct(w.d.co, w.founded, a, Json{{"request", r2}});
       }, false},
      {"disclosure.made", "ROL-5", "a making moved to an unapproved request",
       [](World& w) {
         auto r1 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         auto r2 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         w.d.Must(Approve(w.d.co, w.founded, r1));
         auto m = w.d.Must(Made(w.d.cw, w.founded, r1));
         return Correct(w.d.co, w.founded, m, Json{{"request", r2}});
       }, true},
      {"disclosure.made", "ROL-5", "a making moved to an approved request",
       [](World& w) {
         auto r1 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         auto r2 = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
         w.d.Must(Approve(w.d.co, w.founded, r1));
         w.d.Must(Approve(w.d.co, w.founded, r2));
         auto m = w.d.Must(Made(w.d.cw, w.founded, r1));
         return Correct(w.d.co, w.founded, m, Json{{"request", r2}});
       }, false},
      // Types no rule reads the header of: the schema alone, never free text.
      {"concern.responded", "400", "a channel outside the list",
       [](World& w) {
         auto r = w.d.Must(CaseEvent(w.d.cw, w.founded, "concern.responded", Json{{"channel", "phone"}}));
         return Correct(w.d.co, w.founded, r, Json{{"channel", "devout_believer"}});
       }, true},
      {"concern.responded", "400", "a body field the type does not have",
       [](World& w) {
         return Correct(w.d.co, w.founded, w.founded_concern, Json::object(),
                        Json{{"cpr_0001001234", "synthetic"}});
       }, true},
      {"concern.responded", "400", "a body field the type has",
       [](World& w) {
         return Correct(w.d.co, w.founded, w.founded_concern, Json::object(),
                        Json{{"narrative", "synthetic corrected narrative"}});
       }, false},
  };
  // ROL-7 row above uses seq 1 only as a placeholder; point it at §115 info.
  for (CorrectionRow& r : rows) {
    if (std::string(r.rule) == "ROL-7") {
      r.make = [](World& w) {
        auto q = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
        return Correct(w.d.co, w.founded, q, Json{{"includes", Json::array({w.info115})}});
      };
      r.refused = true;
    }
  }
  rows.push_back({"disclosure.requested", "ROL-7", "drawing on other information",
                  [](World& w) {
                    auto q = w.d.Must(Request(w.d.cw, w.founded, "police", "rpl-115-ssp"));
                    return Correct(w.d.co, w.founded, q, Json{{"includes", Json::array({w.info_other})}});
                  },
                  false});
  return rows;
}

TEST_CASE("a correction is refused where the event it produces would be, and a close variant is not",
          "[projections][policy][corrections]") {
  std::set<std::pair<std::string, std::string>> covered;
  for (const CorrectionRow& row : CorrectionRows()) {
    INFO(row.target_type << " / " << row.rule << ": " << row.what);
    World w;
    Command cmd = row.make(w);
    const std::uint64_t before = w.d.size();
    const auto state_before = projections::ReadCase(w.d.store(), w.d.dbs(), *cmd.case_id)->state;
    auto r = w.d.Submit(cmd);
    if (!row.refused) {
      if (!r.ok()) UNSCOPED_INFO(r.status().ToString());
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    covered.insert({row.target_type, row.rule});
    if (std::string(row.rule) == "400") {
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(w.d.size() == before);  // nothing stored
    } else {
      CHECK(projections::RuleOf(r.status()) == row.rule);
      // RulesCheckedOn names it for corrections, and exactly one refusal
      // record is stored, carrying no personal data.
      const auto rules = projections::RulesCheckedOn("record.corrected");
      CHECK(std::find(rules.begin(), rules.end(), row.rule) != rules.end());
      REQUIRE(w.d.size() == before + 1);
      ledger::Event e = w.d.EventAt(before + 1);
      CHECK(e.type == "policy.refused");
      CHECK(e.h == Json{{"attempted", "record.corrected"}, {"rule", row.rule}});
    }
    CHECK(projections::ReadCase(w.d.store(), w.d.dbs(), *cmd.case_id)->state == state_before);
  }
  // Every rule the catalogue checks on a header is covered for its type.
  for (const auto& [type, rule] :
       std::vector<std::pair<std::string, std::string>>{{"concern.reported", "ROL-1"},
                                                        {"concern.reported", "ROL-2"},
                                                        {"concern.reported", "ROL-14"},
                                                        {"assessment.recorded", "ROL-1"},
                                                        {"assessment.recorded", "ROL-4"},
                                                        {"assessment.recorded", "ROL-14"},
                                                        {"information.received", "ROL-6"},
                                                        {"disclosure.requested", "ROL-6"},
                                                        {"disclosure.requested", "ROL-7"},
                                                        {"disclosure.requested", "ROL-8"},
                                                        {"disclosure.requested", "ROL-15"},
                                                        {"disclosure.approved", "ROL-5"},
                                                        {"disclosure.made", "ROL-5"},
                                                        {"case.closed", "ROL-4"},
                                                        {"consent.recorded", "ROL-9"}}) {
    INFO(type << " " << rule);
    CHECK(covered.count({type, rule}) == 1);
  }
}

}  // namespace
}  // namespace caseledger::testing

namespace caseledger::testing {
namespace {

TEST_CASE("a case is assigned only to registered, unrevoked caseworkers and coordinators",
          "[projections][policy][closed]") {
  World w;
  Domain& d = w.d;
  auto assign = [&](Json ids) {
    return d.Submit(CaseEvent(d.co, w.founded, "case.assigned", Json{{"assignees", ids}}));
  };
  const std::uint64_t before = d.size();
  // An id no one holds (a caller could spell words in its 26 characters).
  CHECK(assign(Json::array({NewId("u")})).status().code() == StatusCode::kNotFound);
  CHECK(assign(Json::array({d.cw.id, NewId("u")})).status().message() ==
        "h.assignees[1]: not a registered user");
  // Someone who may not work a case.
  CHECK(assign(Json::array({d.aud.id})).status().code() == StatusCode::kInvalidArgument);
  CHECK(assign(Json::array({d.lr.id})).status().code() == StatusCode::kInvalidArgument);
  // A revoked caseworker.
  d.Must(UserCommand(d.dpo, "user.revoked", Json{{"user", d.cw2.id}}));
  CHECK(assign(Json::array({d.cw2.id})).status().code() == StatusCode::kFailedPrecondition);
  CHECK(d.size() == before + 1);  // only the revocation: no refusal records
  // The same through a correction of an assignment.
  const std::uint64_t a = d.Must(CaseEvent(d.co, w.founded, "case.assigned",
                                           Json{{"assignees", Json::array({d.cw.id, d.co.id})}}));
  auto r = d.Submit(Correct(d.co, w.founded, a, Json{{"assignees", Json::array({NewId("u")})}}));
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(d.Submit(Correct(d.co, w.founded, a, Json{{"assignees", Json::array({d.co2.id})}})).ok());
}

}  // namespace
}  // namespace caseledger::testing

namespace caseledger::testing {
namespace {

TEST_CASE("subject.erased names the subject's own data key, never one the caller chose",
          "[projections][policy][closed]") {
  World w;
  Domain& d = w.d;
  Command e;
  e.type = "subject.erased";
  e.actor = d.dpo.id;
  e.role = "dpo";
  e.subject = d.View(w.unfounded).subject;
  const std::uint64_t before = d.size();
  e.h = Json{{"reason", "unfounded"}, {"kid", NewId("k")}};
  auto r = d.Submit(e);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message() == "h.kid: not the data key of this subject");
  CHECK(d.size() == before);
  e.h["kid"] = d.KidOf(*e.subject);
  CHECK(d.Submit(e).ok());
}

}  // namespace
}  // namespace caseledger::testing
