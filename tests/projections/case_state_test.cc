#include "projections/case_state.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <functional>
#include <map>
#include <limits>
#include <random>
#include <set>

namespace caseledger::projections {
namespace {

constexpr Micros kHour = Micros{3'600'000'000};
constexpr Micros kDay = 24 * kHour;

Micros T0() { return *ledger::ParseTime("2019-04-08T09:00:00Z"); }

// One fact of case c-1 about subject s-1, one hour after the previous seq.
Fact MakeFact(std::uint64_t seq, std::string type, Json h = Json::object(),
              std::string role = "caseworker") {
  Fact f;
  f.seq = seq;
  f.time = T0() + static_cast<Micros>(seq) * kHour;
  f.type = std::move(type);
  f.actor = "u-" + role;
  f.role = std::move(role);
  f.case_id = "c-1";
  f.subject = "s-1";
  f.h = std::move(h);
  return f;
}

Json ConcernHeader() {
  return Json{
      {"source", "school"},
      {"subject_kind", "person"},
      {"grounds", {{{"code", "b.threat"}, {"observed_on", "2019-03-02"}}}},
      {"context", {"p.religion"}},
      {"minor", true},
      {"new_subject", true}};
}

Json AssessmentHeader(const std::string& outcome) {
  return Json{{"outcome", outcome},
              {"panel", "infohus"},
              {"grounds",
               {{{"code", "b.violence"},
                 {"observed_on", "2019-03-01"},
                 {"case", "c-2"}}}},
              {"factors", {{"family", {{"risk", 2}, {"resources", 1}}}}}};
}

// A history of one case: each Add applies the next seq and returns it.
struct History {
  CaseState state;
  std::uint64_t seq = 0;

  History() { Add("concern.reported", ConcernHeader()); }
  std::uint64_t Add(std::string type, Json h = Json::object(),
                    std::string role = "caseworker") {
    state.Apply(
        MakeFact(++seq, std::move(type), std::move(h), std::move(role)));
    return seq;
  }
  CaseView View() const { return state.Derive(); }
  std::string Status() const { return View().status; }
};

// The stored form of one case as the projector keeps it: the head and one
// row per fact (key seq -> row), updated from TakeChangedRows after a batch.
struct Stored {
  std::string head;
  std::map<std::uint64_t, std::string> rows;
  void Take(CaseState& s) {
    head = s.HeadCanonical();
    for (auto& [seq, row] : s.TakeChangedRows()) rows[seq] = std::move(row);
  }
  std::vector<CaseState::StoredRow> ParsedRows() const {
    std::vector<CaseState::StoredRow> out;
    for (const auto& [seq, row] : rows) out.push_back({seq, Json::parse(row), row});
    return out;
  }
  Result<CaseState> Read() const {
    return CaseState::FromStored(Json::parse(head), ParsedRows());
  }
};

TEST_CASE("IsStateFact names the types of a case's state", "[projections]") {
  for (const char* t : {"concern.reported",
                        "case.assigned",
                        "concern.responded",
                        "information.received",
                        "assessment.recorded",
                        "consent.recorded",
                        "intervention.started",
                        "progress.assessed",
                        "intervention.ended",
                        "disclosure.requested",
                        "disclosure.approved",
                        "disclosure.rejected",
                        "disclosure.made",
                        "disclosure.reviewed",
                        "subject.informed",
                        "subject.information_deferred",
                        "case.reviewed",
                        "processing.restricted",
                        "processing.restriction_lifted",
                        "legal_hold.set",
                        "legal_hold.released",
                        "recipients.notified",
                        "case.closed",
                        "record.corrected",
                        "record.retracted",
                        "subject.erased"})
    CHECK(IsStateFact(t));
  for (const char* t :
       {"access.read", "access.exported", "policy.refused", "user.registered",
        "user.role_changed", "user.revoked", "retention.policy_set",
        "key.rotated", "case.opened", "", "concern.reported "})
    CHECK_FALSE(IsStateFact(t));
}

TEST_CASE("FactOf reads the clear envelope of an event", "[projections]") {
  ledger::Event e;
  e.seq = 7;
  e.time = "2019-04-08T09:12:33.123456Z";
  e.type = "case.assigned";
  e.actor = "u-x";
  e.role = "coordinator";
  e.case_id = "c-1";
  e.subject = "s-1";
  e.h = Json{{"assignees", {"u-a"}}};
  auto f = FactOf(e);
  REQUIRE(f.ok());
  CHECK(f->seq == 7);
  CHECK(f->time == *ledger::ParseTime("2019-04-08T09:12:33.123456Z"));
  CHECK(f->type == "case.assigned");
  CHECK(f->actor == "u-x");
  CHECK(f->role == "coordinator");
  CHECK(f->case_id == std::optional<std::string>("c-1"));
  CHECK(f->h == e.h);

  // A header kept only as canonical bytes.
  e.h = Json::object();
  e.h_canonical = R"({"assignees":["u-b"]})";
  f = FactOf(e);
  REQUIRE(f.ok());
  CHECK(f->h == Json{{"assignees", {"u-b"}}});

  e.h_canonical = "{not json";
  f = FactOf(e);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kInvalidArgument);

  e.h_canonical.clear();
  e.time = "2019-04-08 09:12:33Z";
  f = FactOf(e);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("The status moves through every status of the case",
          "[projections]") {
  History c;
  CaseView v = c.View();
  CHECK(v.status == "received");
  CHECK(v.case_id == "c-1");
  CHECK(v.subject == "s-1");
  CHECK(v.opened_seq == 1);
  CHECK(v.opened == T0() + kHour);
  CHECK(v.source == "school");
  CHECK(v.minor);
  REQUIRE(v.grounds.size() == 1);
  CHECK(v.grounds[0].code == "b.threat");
  CHECK(v.grounds[0].observed_on == "2019-03-02");
  CHECK_FALSE(v.grounds[0].case_ref);
  CHECK(v.context == std::vector<std::string>{"p.religion"});

  std::uint64_t responded = c.Add("concern.responded", {{"channel", "phone"}});
  CHECK(c.Status() == "under_assessment");
  CHECK(c.View().first_response == MakeFact(responded, "").time);
  c.Add("concern.responded", {{"channel", "meeting"}});
  CHECK(c.View().first_response == MakeFact(responded, "").time);

  c.Add("assessment.recorded", AssessmentHeader("more_information"),
        "coordinator");
  CHECK(c.Status() == "under_assessment");
  CHECK(c.View().Outcome() == "more_information");
  std::uint64_t founded =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  CHECK(c.Status() == "founded");
  CHECK(c.View().Founded());
  REQUIRE(c.View().assessments.size() == 2);
  const Assessment a = c.View().assessments[1];
  CHECK(a.seq == founded);
  CHECK(a.actor == "u-coordinator");
  CHECK(a.panel == "infohus");
  REQUIRE(a.grounds.size() == 1);
  CHECK(a.grounds[0].case_ref == std::optional<std::string>("c-2"));
  CHECK(a.factors.at("family").risk == 2);
  CHECK(a.factors.at("family").resources == 1);

  c.Add("consent.recorded", {{"decision", "given"}, {"by", "subject"}});
  std::uint64_t started =
      c.Add("intervention.started", {{"kind", "mentor"}, {"provider", "unit"}});
  CHECK(c.Status() == "intervention");
  c.Add("intervention.ended",
        {{"intervention", started}, {"reason", "completed"}});
  CHECK(c.Status() == "founded");
  std::uint64_t closed =
      c.Add("case.closed", {{"reason", "completed"}}, "coordinator");
  v = c.View();
  CHECK(v.status == "closed");
  CHECK(v.closed_seq == closed);
  CHECK(v.closed == MakeFact(closed, "").time);
  CHECK(v.close_reason == "completed");
  std::uint64_t erased =
      c.Add("subject.erased", {{"reason", "retention"}}, "dpo");
  v = c.View();
  CHECK(v.status == "erased");
  CHECK(v.erased == MakeFact(erased, "").time);
  CHECK(v.last_seq == erased);
  CHECK(v.last_activity == MakeFact(erased, "").time);
  CHECK(c.state.last_seq() == erased);
}

TEST_CASE("An unfounded assessment and early casework set their statuses",
          "[projections]") {
  History unfounded;
  unfounded.Add("assessment.recorded", AssessmentHeader("unfounded"),
                "coordinator");
  CHECK(unfounded.Status() == "unfounded");
  CHECK_FALSE(unfounded.View().Founded());

  History assigned;
  assigned.Add("case.assigned", {{"assignees", Json::array()}}, "coordinator");
  CHECK(assigned.Status() == "under_assessment");

  History informed;
  informed.Add("information.received", {{"from", "police"},
                                        {"basis", "rpl-115-ssp"},
                                        {"categories", {"concern"}}});
  CaseView v = informed.View();
  CHECK(v.status == "under_assessment");
  REQUIRE(v.information.size() == 1);
  CHECK(v.information[0].from == "police");
  CHECK(v.information[0].basis == "rpl-115-ssp");
  CHECK(v.information[0].categories == std::vector<std::string>{"concern"});
}

TEST_CASE("The latest case.assigned replaces the assignees", "[projections]") {
  History c;
  c.Add("case.assigned", {{"assignees", {"u-a", "u-b"}}}, "coordinator");
  CHECK(c.View().assignees == std::vector<std::string>{"u-a", "u-b"});
  c.Add("case.assigned", {{"assignees", {"u-c"}}}, "coordinator");
  CHECK(c.View().assignees == std::vector<std::string>{"u-c"});
}

TEST_CASE("Consent is active while the latest decision is given",
          "[projections]") {
  History c;
  CHECK_FALSE(c.View().consent_active);
  c.Add("consent.recorded", {{"decision", "declined"}, {"by", "subject"}});
  CHECK_FALSE(c.View().consent_active);
  c.Add("consent.recorded", {{"decision", "given"}, {"by", "guardian"}});
  CHECK(c.View().consent_active);
  c.Add("consent.recorded", {{"decision", "withdrawn"}, {"by", "guardian"}});
  CaseView v = c.View();
  CHECK_FALSE(v.consent_active);
  REQUIRE(v.consents.size() == 3);
  CHECK(v.consents[1].decision == "given");
  CHECK(v.consents[1].by == "guardian");
}

TEST_CASE("An intervention collects its progress and ends", "[projections]") {
  History c;
  std::uint64_t a =
      c.Add("intervention.started", {{"kind", "mentor"}, {"provider", "p-1"}});
  std::uint64_t b = c.Add("intervention.started",
                          {{"kind", "relatives_coach"}, {"provider", "p-2"}});
  std::uint64_t p =
      c.Add("progress.assessed",
            {{"intervention", a},
             {"factors", {{"family", {{"risk", 1}, {"resources", 3}}}}}});
  c.Add("progress.assessed",
        {{"intervention", 999}, {"factors", Json::object()}});
  std::uint64_t end = c.Add("intervention.ended",
                            {{"intervention", a}, {"reason", "completed"}});
  c.Add("intervention.ended", {{"intervention", a}, {"reason", "other"}});
  CaseView v = c.View();
  REQUIRE(v.interventions.size() == 2);
  const Intervention& i = v.interventions[0];
  CHECK(i.seq == a);
  CHECK(i.kind == "mentor");
  CHECK(i.provider == "p-1");
  REQUIRE(i.progress.size() == 1);
  CHECK(i.progress[0].seq == p);
  CHECK(i.progress[0].factors.at("family").resources == 3);
  CHECK_FALSE(i.active());
  CHECK(i.ended_seq == end);
  CHECK(i.ended_time == MakeFact(end, "").time);
  CHECK(i.end_reason == "completed");
  CHECK(v.interventions[1].seq == b);
  CHECK(v.interventions[1].active());
  CHECK(v.status == "intervention");
  c.Add("intervention.ended", {{"intervention", b}, {"reason", "moved"}});
  CHECK(c.Status() == "received");
}

TEST_CASE("A withdrawal of consent ends the active interventions",
          "[projections]") {
  History c;
  c.Add("consent.recorded", {{"decision", "given"}, {"by", "subject"}});
  std::uint64_t a =
      c.Add("intervention.started", {{"kind", "mentor"}, {"provider", "p-1"}});
  std::uint64_t b =
      c.Add("intervention.started", {{"kind", "exit"}, {"provider", "p-2"}});
  c.Add("intervention.ended", {{"intervention", a}, {"reason", "completed"}});
  CHECK(c.Status() == "intervention");
  std::uint64_t w =
      c.Add("consent.recorded", {{"decision", "withdrawn"}, {"by", "subject"}});
  CaseView v = c.View();
  REQUIRE(v.interventions.size() == 2);
  CHECK(v.interventions[0].end_reason == "completed");  // ended before
  CHECK(v.interventions[1].seq == b);
  CHECK_FALSE(v.interventions[1].active());
  CHECK(v.interventions[1].ended_seq == w);
  CHECK(v.interventions[1].end_reason == "withdrawn");
  CHECK(v.status != "intervention");
}

TEST_CASE("Art. 19: a correction, restriction or erasure after a disclosure lists the recipients to notify",
          "[projections][art19]") {
  History c;
  auto request = [&](const std::string& recipient) {
    return c.Add("disclosure.requested", {{"recipient", recipient},
                                          {"basis", "rpl-115-ssp"},
                                          {"registry_version", "2024-1"},
                                          {"purpose", "prevention"},
                                          {"categories", {"identity"}},
                                          {"threshold", "concern"},
                                          {"includes", {1}}});
  };
  // Before anything is disclosed: a restriction owes no notification.
  c.Add("processing.restricted", {{"ground", "objection"}}, "coordinator");
  c.Add("processing.restriction_lifted", {{"ground", "objection"}}, "coordinator");
  CHECK(c.View().notifications.empty());
  // Requested only (not made) does not count either.
  const std::uint64_t to_pet = request("pet");
  c.Add("disclosure.approved", {{"request", to_pet}}, "coordinator");
  const std::uint64_t to_police = request("police");
  c.Add("disclosure.approved", {{"request", to_police}}, "coordinator");
  c.Add("disclosure.made", {{"request", to_police}, {"channel", "secure_mail"}, {"document_sha256", "ab"}});
  const std::uint64_t corr = c.Add("record.corrected", {{"target", 1}, {"fields", {"body.narrative"}}});
  auto v = c.View();
  REQUIRE(v.notifications.size() == 1);
  CHECK(v.notifications[0].seq == corr);
  CHECK(v.notifications[0].type == "record.corrected");
  CHECK(v.notifications[0].recipients == std::vector<std::string>{"police"});
  CHECK(v.notifications[0].Pending() == std::vector<std::string>{"police"});
  CHECK(v.ToJson()["notifications"][0]["pending"] == Json::array({"police"}));
  // Then PET receives it too; the restriction after that owes both.
  c.Add("disclosure.made", {{"request", to_pet}, {"channel", "secure_mail"}, {"document_sha256", "cd"}});
  const std::uint64_t restr = c.Add("processing.restricted", {{"ground", "accuracy_contested"}}, "coordinator");
  c.Add("recipients.notified", {{"about", corr}, {"recipients", {"police"}}}, "coordinator");
  v = c.View();
  REQUIRE(v.notifications.size() == 2);
  CHECK(v.notifications[0].Pending().empty());
  CHECK(v.notifications[1].seq == restr);
  CHECK(v.notifications[1].Pending() == std::vector<std::string>({"pet", "police"}));
  // The erasure is a duty of its own; a notification about it clears it.
  const std::uint64_t erased = c.Add("subject.erased", {{"reason", "gdpr_art17"}}, "dpo");
  c.Add("recipients.notified", {{"about", erased}, {"recipients", {"pet", "police"}}}, "dpo");
  v = c.View();
  REQUIRE(v.notifications.size() == 3);
  CHECK(v.notifications[2].type == "subject.erased");
  CHECK(v.notifications[2].Pending().empty());
  CHECK(v.notifications[1].Pending() == std::vector<std::string>({"pet", "police"}));
}

TEST_CASE("A disclosure moves from requested to reviewed", "[projections]") {
  History c;
  std::uint64_t d =
      c.Add("disclosure.requested", {{"recipient", "police"},
                                     {"basis", "rpl-115-ssp"},
                                     {"registry_version", "2024-1"},
                                     {"purpose", "prevention"},
                                     {"categories", {"identity", "concern"}},
                                     {"threshold", "concern"},
                                     {"includes", {1}},
                                     {"consent", 1}});
  auto status = [&] { return c.View().disclosures.at(0).status; };
  CHECK(status() == "requested");
  c.Add("disclosure.rejected", {{"request", d}}, "coordinator");
  CHECK(status() == "rejected");
  std::uint64_t approved =
      c.Add("disclosure.approved", {{"request", d}}, "coordinator");
  CHECK(status() == "approved");
  std::uint64_t made = c.Add(
      "disclosure.made",
      {{"request", d}, {"channel", "secure_mail"}, {"document_sha256", "ab"}});
  CHECK(status() == "made");
  c.Add(
      "disclosure.reviewed",
      {{"disclosure", d}, {"verdict", "deficient"}, {"findings", {"no_basis"}}},
      "legal_reviewer");
  CHECK(status() == "reviewed");
  c.Add("disclosure.approved", {{"request", 999}}, "coordinator");  // dangling

  CaseView v = c.View();
  REQUIRE(v.disclosures.size() == 1);
  const Disclosure& x = v.disclosures[0];
  CHECK(x.requester == "u-caseworker");
  CHECK(x.requester_role == "caseworker");
  CHECK(x.recipient == "police");
  CHECK(x.basis == "rpl-115-ssp");
  CHECK(x.registry_version == "2024-1");
  CHECK(x.purpose == "prevention");
  CHECK(x.threshold == "concern");
  CHECK(x.categories == std::vector<std::string>{"identity", "concern"});
  CHECK(x.includes == std::vector<std::uint64_t>{1});
  CHECK(x.consent == std::optional<std::uint64_t>(1));
  CHECK_FALSE(x.request_ref);
  REQUIRE(x.decisions.size() == 2);
  CHECK_FALSE(x.decisions[0].approved);
  CHECK(x.decisions[1].approved);
  CHECK(x.decisions[1].seq == approved);
  CHECK(x.decisions[1].role == "coordinator");
  REQUIRE(x.made.size() == 1);
  CHECK(x.made[0].seq == made);
  CHECK(x.made[0].channel == "secure_mail");
  CHECK(x.made[0].document_sha256 == "ab");
  REQUIRE(x.reviews.size() == 1);
  CHECK(x.reviews[0].verdict == "deficient");
  CHECK(x.reviews[0].findings == std::vector<std::string>{"no_basis"});
}

TEST_CASE("Restriction legal hold and informing switch on and off",
          "[projections]") {
  History c;
  CaseView v = c.View();
  CHECK_FALSE(v.restricted);
  CHECK_FALSE(v.legal_hold);
  CHECK_FALSE(v.informed);
  c.Add("processing.restricted", {{"ground", "objection"}}, "dpo");
  c.Add("legal_hold.set", {{"ground", "complaint"}}, "dpo");
  v = c.View();
  CHECK(v.restricted);
  CHECK(v.legal_hold);
  c.Add("processing.restriction_lifted", {{"ground", "objection"}}, "dpo");
  CHECK_FALSE(c.View().restricted);
  CHECK(c.View().legal_hold);
  c.Add("legal_hold.released", {{"ground", "complaint"}}, "dpo");
  c.Add("processing.restricted", {{"ground", "other"}}, "dpo");
  v = c.View();
  CHECK(v.restricted);
  CHECK_FALSE(v.legal_hold);
  c.Add("subject.information_deferred", {{"basis", "x"}});
  CHECK(c.View().informed);
}

TEST_CASE("A correction replaces header fields and keeps the original",
          "[projections]") {
  History c;
  std::uint64_t a =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  std::uint64_t fix = c.Add("record.corrected",
                            {{"target", a},
                             {"fields", {"h.panel", "body.reasoning"}},
                             {"set", {{"panel", "unit"}}}},
                            "coordinator");
  const KeptFact* effective = c.state.Find(a);
  REQUIRE(effective != nullptr);
  CHECK(effective->Header()["panel"] == "unit");
  CHECK(effective->Header()["outcome"] == "founded");
  // The correction is a fact of its own; the original is kept.
  REQUIRE(c.state.Find(fix) != nullptr);
  Json originals = c.state.ToJson()["originals"];
  REQUIRE(originals.size() == 1);
  CHECK(originals[0]["seq"] == a);
  CHECK(originals[0]["h"]["panel"] == "infohus");

  // A second correction changes the effective fact, not the original.
  c.Add("record.corrected",
        {{"target", a},
         {"fields", {"h.outcome"}},
         {"set", {{"outcome", "unfounded"}}}},
        "coordinator");
  CHECK(c.state.Find(a)->Header()["outcome"] == "unfounded");
  CHECK(c.state.Find(a)->Header()["panel"] == "unit");
  originals = c.state.ToJson()["originals"];
  REQUIRE(originals.size() == 1);
  CHECK(originals[0]["h"]["outcome"] == "founded");

  CaseView v = c.View();
  CHECK(v.status == "unfounded");
  CHECK(v.assessments.at(0).panel == "unit");
  REQUIRE(v.corrections.size() == 2);
  CHECK(v.corrections[0].seq == fix);
  CHECK(v.corrections[0].target == a);
  CHECK(v.corrections[0].actor == "u-coordinator");
  CHECK(v.corrections[0].fields ==
        std::vector<std::string>{"h.panel", "body.reasoning"});
  CHECK_FALSE(v.corrections[0].retraction);
}

TEST_CASE("A retraction removes an assessment and the status falls back",
          "[projections]") {
  History c;
  c.Add("concern.responded", {{"channel", "phone"}});
  c.Add("assessment.recorded", AssessmentHeader("unfounded"), "coordinator");
  std::uint64_t a =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  CHECK(c.Status() == "founded");
  CHECK(c.View().inform_due.has_value());
  std::uint64_t r =
      c.Add("record.retracted", {{"target", a}, {"reason", "wrong_case"}},
            "coordinator");
  CHECK(c.state.IsRetracted(a));
  CaseView v = c.View();
  CHECK(v.status == "unfounded");
  REQUIRE(v.assessments.size() == 1);
  CHECK_FALSE(v.inform_due);
  REQUIRE(v.corrections.size() == 1);
  CHECK(v.corrections[0].seq == r);
  CHECK(v.corrections[0].target == a);
  CHECK(v.corrections[0].retraction);
  // The retracted fact is kept.
  REQUIRE(c.state.Find(a) != nullptr);
  CHECK(c.state.Find(a)->Header()["outcome"] == "founded");

  // Retracting it again changes nothing; retracting the other falls back
  // to the casework status.
  c.Add("record.retracted", {{"target", a}, {"reason", "again"}},
        "coordinator");
  CHECK(c.state.ToJson()["retracted"] == Json::array({a}));
  c.Add("record.retracted", {{"target", a - 1}, {"reason", "x"}},
        "coordinator");
  CHECK(c.Status() == "under_assessment");
  CHECK(c.state.ToJson()["retracted"] == Json::array({a - 1, a}));
}

TEST_CASE("A retracted concern keeps only the opening", "[projections]") {
  History c;
  c.Add("record.retracted", {{"target", 1}, {"reason", "wrong_subject"}});
  CaseView v = c.View();
  CHECK(v.opened_seq == 1);
  CHECK(v.opened == T0() + kHour);
  CHECK(v.source.empty());
  CHECK(v.grounds.empty());
  CHECK(v.context.empty());
  CHECK(v.status == "received");
  CHECK(v.response_due == T0() + kHour + kDay);
}

TEST_CASE("A retracted correction no longer applies", "[projections]") {
  History c;
  std::uint64_t a =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  std::uint64_t fix1 = c.Add(
      "record.corrected",
      {{"target", a}, {"fields", {"h.panel"}}, {"set", {{"panel", "unit"}}}});
  c.Add("record.corrected", {{"target", a},
                             {"fields", {"h.outcome"}},
                             {"set", {{"outcome", "unfounded"}}}});
  CHECK(c.Status() == "unfounded");
  std::uint64_t r =
      c.Add("record.retracted", {{"target", fix1}, {"reason", "x"}});
  CHECK(c.state.Find(a)->Header()["panel"] == "infohus");
  CHECK(c.state.Find(a)->Header()["outcome"] == "unfounded");
  // A retraction of a retraction is dangling.
  c.Add("record.retracted", {{"target", r}, {"reason", "x"}});
  CHECK_FALSE(c.state.IsRetracted(r));
  CHECK(c.View().corrections.size() == 4);
}

TEST_CASE("Dangling targets are kept and change nothing", "[projections]") {
  History c;
  std::uint64_t a =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  c.state.Apply(MakeFact(++c.seq, "access.read", {{"purpose", "casework"}}));
  std::uint64_t not_state = c.seq;
  CaseView before = c.View();
  Json before_facts = c.state.ToJson()["facts"];
  std::vector<Json> odd = {
      {{"target", 999}, {"fields", {"h.panel"}}, {"set", {{"panel", "unit"}}}},
      {{"target", not_state}, {"set", {{"purpose", "audit"}}}},
      {{"target", c.seq + 5}, {"set", {{"panel", "unit"}}}},  // a later seq
      {{"target", "2"}, {"set", {{"panel", "unit"}}}},
      {{"target", -1}, {"set", {{"panel", "unit"}}}},
      {{"fields", {"h.panel"}}},
      {{"target", a}, {"set", "not an object"}},
      {{"target", a}, {"set", {{"panel", "unit"}}}, {"fields", 5}},
  };
  for (const Json& h : odd) c.Add("record.corrected", h);
  c.Add("record.retracted", {{"target", 999}});
  c.Add("record.retracted", {{"target", not_state}});
  c.Add("record.retracted", Json::object());
  CaseView after = c.View();
  CHECK(after.status == before.status);
  CHECK(after.assessments.size() == 1);
  CHECK(c.state.ToJson()["retracted"] == Json::array());
  // Only the last valid correction changed the assessment's panel.
  CHECK(after.assessments[0].panel == "unit");
  CHECK(after.corrections.size() == odd.size() + 3);
  CHECK(after.corrections[6].fields.empty());
  // Nothing else moved: every fact before them is as it was, apart from a.
  Json facts = c.state.ToJson()["facts"];
  for (std::size_t i = 0; i < before_facts.size(); ++i)
    if (before_facts[i]["seq"] != a) CHECK(facts[i] == before_facts[i]);
}

TEST_CASE("Deadlines follow the opening the founded assessment and reviews",
          "[projections]") {
  History c;
  const Micros opened = T0() + kHour;
  CaseView v = c.View();
  CHECK(v.response_due == opened + kDay);
  CHECK(v.assessment_due == opened + 30 * kDay);
  CHECK_FALSE(v.inform_due);
  CHECK(v.review_due == opened + 365 * kDay);
  CHECK_FALSE(v.last_review);
  std::uint64_t founded =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  std::uint64_t review = c.Add("case.reviewed", {{"decision", "continue"}});
  std::uint64_t review2 = c.Add("case.reviewed", {{"decision", "continue"}});
  v = c.View();
  CHECK(v.inform_due == MakeFact(founded, "").time + 30 * kDay);
  CHECK(v.last_review == MakeFact(review2, "").time);
  CHECK(v.review_due == MakeFact(review2, "").time + 365 * kDay);
  CHECK(review < review2);
  // Deadlines never overflow, whatever the stored times.
  CaseState far;
  Fact f = MakeFact(1, "concern.reported", ConcernHeader());
  f.time = std::numeric_limits<Micros>::max() - 5;
  far.Apply(f);
  CHECK(far.Derive().review_due == std::numeric_limits<Micros>::max());
}

TEST_CASE("Non-state facts are ignored", "[projections]") {
  History c;
  c.Add("case.assigned", {{"assignees", {"u-a"}}});
  const CaseState before = c.state;
  for (const char* t :
       {"access.read", "access.exported", "policy.refused", "user.registered",
        "retention.policy_set", "key.rotated", "no.such_type"})
    c.Add(t, {{"assignees", {"u-z"}}, {"purpose", "casework"}});
  CHECK(c.state == before);
  CHECK(c.state.last_seq() == 2);
  CHECK(c.state.Find(3) == nullptr);
  CHECK(c.View().assignees == std::vector<std::string>{"u-a"});
}

TEST_CASE("Odd header content never breaks Apply or Derive", "[projections]") {
  CaseState s;
  Fact f = MakeFact(1, "concern.reported", Json::array({1, 2}));
  s.Apply(f);
  const std::vector<Json> odd = {
      nullptr,
      Json::array(),
      {{"assignees", "u-a"}},
      {{"assignees", {1, nullptr, "u-a"}}},
      {{"intervention", "x"}, {"request", -5}, {"disclosure", 1.5}},
      {{"grounds", {1, "x", {{"code", 5}}}}, {"factors", {{"family", 3}}}},
      {{"factors", {{"family", {{"risk", "high"}, {"resources", 1e300}}}}}},
      {{"factors", {{"family", {{"risk", 99999999999}}}}}},
      {{"outcome", 5}, {"decision", true}, {"minor", "yes"}},
      {{"includes", {1, -1, "2"}}, {"consent", "1"}, {"request_ref", 5}},
  };
  std::uint64_t seq = 1;
  for (const Json& h : odd)
    for (const char* t :
         {"case.assigned", "assessment.recorded", "consent.recorded",
          "intervention.started", "progress.assessed", "intervention.ended",
          "disclosure.requested", "disclosure.approved", "disclosure.made",
          "disclosure.reviewed", "information.received", "case.closed",
          "record.corrected", "record.retracted", "concern.reported"})
      s.Apply(MakeFact(++seq, t, h));
  CaseView v = s.Derive();
  CHECK(v.status == "closed");
  CHECK(ledger::CheckCanonicalValue(v.ToJson()).ok());
  auto back = CaseState::FromJson(s.ToJson());
  REQUIRE(back.ok());
  CHECK(*back == s);
  CaseState copy = s;
  Stored stored;
  stored.Take(copy);
  auto read = stored.Read();
  REQUIRE(read.ok());
  // Stored and read back gives the same head (a float in a header, which no
  // stored event can hold, is stored as null, so the facts may differ).
  CHECK(read->HeadCanonical() == stored.head);
}

// A state with every family of fact, a correction, a retraction, a fact
// without a case (subject.erased) and one of another subject.
CaseState RichState() {
  History c;
  c.Add("case.assigned", {{"assignees", {"u-a"}}}, "coordinator");
  c.Add("concern.responded", {{"channel", "phone"}});
  std::uint64_t a =
      c.Add("assessment.recorded", AssessmentHeader("founded"), "coordinator");
  c.Add("record.corrected",
        {{"target", a}, {"fields", {"h.panel"}}, {"set", {{"panel", "unit"}}}});
  c.Add("consent.recorded", {{"decision", "given"}, {"by", "subject"}});
  std::uint64_t i =
      c.Add("intervention.started", {{"kind", "mentor"}, {"provider", "p"}});
  c.Add("progress.assessed",
        {{"intervention", i},
         {"factors", {{"family", {{"risk", 0}, {"resources", 3}}}}}});
  std::uint64_t d = c.Add("disclosure.requested",
                          {{"recipient", "pet"}, {"request_ref", true}});
  std::uint64_t x =
      c.Add("disclosure.approved", {{"request", d}}, "coordinator");
  c.Add("record.retracted", {{"target", x}, {"reason", "self_approval"}});
  c.Add("legal_hold.set", {{"ground", "complaint"}}, "dpo");
  Fact other = MakeFact(++c.seq, "recipients.notified", {{"about", 5}});
  other.subject = "s-2";
  c.state.Apply(other);
  Fact erased =
      MakeFact(++c.seq, "subject.erased", {{"reason", "gdpr_art17"}}, "dpo");
  erased.case_id.reset();
  c.state.Apply(erased);
  return c.state;
}

TEST_CASE("The view JSON is canonical-ready and omits absent fields",
          "[projections]") {
  History c;
  Json j = c.View().ToJson();
  CHECK(ledger::CheckCanonicalValue(j).ok());
  CHECK(j["status"] == "received");
  CHECK(j["opened"] == "2019-04-08T10:00:00.000000Z");
  CHECK(j["response_due"] == "2019-04-09T10:00:00.000000Z");
  for (const char* absent : {"first_response", "last_review", "closed_seq",
                             "closed", "erased", "inform_due"})
    CHECK_FALSE(j.contains(absent));
  CaseView rich = RichState().Derive();
  j = rich.ToJson();
  CHECK(ledger::CheckCanonicalValue(j).ok());
  CHECK(j["erased"].is_string());
  CHECK(j["assessments"][0]["factors"]["family"]["risk"] == 2);
  CHECK(j["disclosures"][0]["request_ref"] == true);
  CHECK(j["disclosures"][0]["status"] == "requested");
  CHECK(j["interventions"][0]["active"] == true);
  CHECK(j["corrections"].size() == 2);
  CHECK(j["legal_hold"] == true);
  // Deterministic: the same view gives the same canonical bytes.
  CHECK(ledger::CanonicalJson(j) == ledger::CanonicalJson(rich.ToJson()));
}

TEST_CASE("The persistent form round-trips a rich state", "[projections]") {
  const CaseState s = RichState();
  Json j = s.ToJson();
  CHECK(ledger::CheckCanonicalValue(j).ok());
  CHECK(j["v"] == 1);
  CHECK(j["case"] == "c-1");
  CHECK(j["subject"] == "s-1");
  CHECK(j["last_seq"] == s.last_seq());
  CHECK_FALSE(j["facts"][0].contains("case"));
  CHECK_FALSE(j["facts"][0].contains("subject"));
  const Json& notified = j["facts"][j["facts"].size() - 2];
  CHECK(notified["subject"] == "s-2");
  CHECK(j["facts"].back()["case"].is_null());
  CHECK(j["originals"].size() == 1);
  CHECK(j["retracted"].size() == 1);
  auto back = CaseState::FromJson(j);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(back->Derive().ToJson() == s.Derive().ToJson());
  // Through the canonical bytes, as stored.
  auto parsed = ledger::ParseUntrustedJson(ledger::CanonicalJson(j));
  REQUIRE(parsed.ok());
  back = CaseState::FromJson(*parsed);
  REQUIRE(back.ok());
  CHECK(*back == s);
  // The empty state too.
  back = CaseState::FromJson(CaseState().ToJson());
  REQUIRE(back.ok());
  CHECK(*back == CaseState());
}

TEST_CASE("FromJson refuses what ToJson could not have written",
          "[projections]") {
  const Json good = RichState().ToJson();
  REQUIRE(CaseState::FromJson(good).ok());
  std::vector<std::pair<std::string, std::function<void(Json&)>>> breaks = {
      {"not an object", [](Json& j) { j = Json::array(); }},
      {"version 2", [](Json& j) { j["v"] = 2; }},
      {"version as text", [](Json& j) { j["v"] = "1"; }},
      {"no facts", [](Json& j) { j.erase("facts"); }},
      {"unknown field", [](Json& j) { j["x"] = 1; }},
      {"case not a string", [](Json& j) { j["case"] = 5; }},
      {"negative last_seq", [](Json& j) { j["last_seq"] = -1; }},
      {"wrong last_seq", [](Json& j) { j["last_seq"] = 99; }},
      {"facts not an array", [](Json& j) { j["facts"] = Json::object(); }},
      {"fact seq as text", [](Json& j) { j["facts"][0]["seq"] = "1"; }},
      {"fact time as text",
       [](Json& j) { j["facts"][0]["time"] = "2019-04-08T10:00:00Z"; }},
      {"fact time out of range",
       [](Json& j) { j["facts"][0]["time"] = std::int64_t{1} << 62; }},
      {"fact without h", [](Json& j) { j["facts"][0].erase("h"); }},
      {"fact h not an object", [](Json& j) { j["facts"][0]["h"] = 1; }},
      {"fact unknown field", [](Json& j) { j["facts"][0]["body"] = "x"; }},
      {"fact of a non-state type",
       [](Json& j) { j["facts"][1]["type"] = "access.read"; }},
      {"fact repeating the case",
       [](Json& j) { j["facts"][0]["case"] = "c-1"; }},
      {"fact case a number", [](Json& j) { j["facts"][0]["case"] = 3; }},
      {"duplicate seq",
       [](Json& j) { j["facts"][2]["seq"] = j["facts"][1]["seq"]; }},
      {"unsorted seqs",
       [](Json& j) { std::swap(j["facts"][1], j["facts"][2]); }},
      {"facts emptied",
       [](Json& j) {
         j["facts"] = Json::array();
         j["last_seq"] = 0;
       }},
      {"original without correction",
       [](Json& j) { j["originals"].push_back(j["facts"][1]); }},
      {"original of another type",
       [](Json& j) { j["originals"][0]["type"] = "case.closed"; }},
      {"originals dropped", [](Json& j) { j["originals"] = Json::array(); }},
      {"retracted not an array", [](Json& j) { j["retracted"] = 1; }},
      {"retracted unknown seq", [](Json& j) { j["retracted"].push_back(999); }},
      {"retracted duplicate",
       [](Json& j) { j["retracted"].push_back(j["retracted"][0]); }},
      {"retracted unsorted", [](Json& j) { j["retracted"].push_back(5); }},
      {"retracted without retraction",
       [](Json& j) { j["retracted"].insert(j["retracted"].begin(), 5); }},
      {"retracted a non-seq", [](Json& j) { j["retracted"].push_back("5"); }},
      {"header not the corrected one",
       [](Json& j) { j["facts"][3]["h"]["panel"] = "infohus"; }},
      {"case of the first fact differs",
       [](Json& j) { j["facts"][0]["case"] = "c-9"; }},
  };
  for (const auto& [name, breaker] : breaks) {
    Json j = good;
    breaker(j);
    auto r = CaseState::FromJson(j);
    INFO(name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("FromStored refuses what the projector could not have written",
          "[projections]") {
  CaseState rich = RichState();
  Stored good;
  good.Take(rich);
  REQUIRE(good.Read().ok());
  REQUIRE(good.rows.size() >= 4);
  const std::uint64_t first = good.rows.begin()->first;
  using Rows = std::vector<CaseState::StoredRow>;
  std::vector<std::pair<std::string, std::function<void(Json&, Rows&)>>> breaks = {
      {"version 1", [](Json& h, Rows&) { h["v"] = 1; }},
      {"unknown head field", [](Json& h, Rows&) { h["x"] = 1; }},
      {"no digest", [](Json& h, Rows&) { h.erase("digest"); }},
      {"digest of other facts",
       [](Json& h, Rows&) { h["digest"] = std::string(64, '0'); }},
      {"digest in capitals",
       [](Json& h, Rows&) {
         std::string d = h["digest"];
         for (char& c : d) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
         h["digest"] = d;
       }},
      {"digest short", [](Json& h, Rows&) { h["digest"] = "00"; }},
      {"count too high", [](Json& h, Rows&) { h["facts"] = h["facts"].get<std::uint64_t>() + 1; }},
      {"a row missing", [](Json&, Rows& r) { r.erase(r.begin() + 1); }},
      {"the last row missing", [](Json&, Rows& r) { r.pop_back(); }},
      {"a row under another key", [&](Json&, Rows& r) { r[1].seq = first + 1000; }},
      {"rows out of order", [](Json&, Rows& r) { std::swap(r[1], r[2]); }},
      {"a row's header changed", [](Json&, Rows& r) { r[0].fact["h"]["source"] = "other"; }},
      // A corrected fact's row is not in the digest (its original is): the
      // replay's corrected fact must equal it.
      {"a corrected row's header changed",
       [](Json& h, Rows& r) {
         REQUIRE_FALSE(h["originals"].empty());
         const std::uint64_t seq = h["originals"][0]["seq"].get<std::uint64_t>();
         auto row = std::find_if(r.begin(), r.end(), [&](const auto& x) { return x.seq == seq; });
         REQUIRE(row != r.end());
         row->fact["h"]["x_changed"] = "other";
       }},
      {"a corrected row's time changed",
       [](Json& h, Rows& r) {
         const std::uint64_t seq = h["originals"][0]["seq"].get<std::uint64_t>();
         for (auto& x : r)
           if (x.seq == seq) x.fact["time"] = x.fact["time"].get<std::int64_t>() + 1;
       }},
      {"a row's time changed", [](Json&, Rows& r) { r[1].fact["time"] = 5; }},
      {"a row of a non-state type",
       [](Json&, Rows& r) { r[1].fact["type"] = "access.read"; }},
      {"an extra row",
       [&](Json& h, Rows& r) {
         Json extra = r.back().fact;
         extra["seq"] = r.back().seq + 1;
         r.push_back({r.back().seq + 1, extra, {}});
         h["facts"] = r.size();
       }},
      {"retracted dropped", [](Json& h, Rows&) { h["retracted"] = Json::array(); }},
      {"originals dropped", [](Json& h, Rows&) { h["originals"] = Json::array(); }},
      {"last_seq wrong", [](Json& h, Rows&) { h["last_seq"] = 1; }},
  };
  for (const auto& [name, breaker] : breaks) {
    Json head = Json::parse(good.head);
    Rows rows = good.ParsedRows();
    breaker(head, rows);
    // Stored as the projector stores rows: their canonical bytes.
    std::vector<std::string> bytes;
    bytes.reserve(rows.size());
    for (auto& row : rows) row.bytes = bytes.emplace_back(ledger::CanonicalJson(row.fact));
    auto r = CaseState::FromStored(head, rows);
    INFO(name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
  }
  // The same fact in other bytes (not as the projector writes it).
  auto rows = good.ParsedRows();
  const std::string spaced = rows[0].fact.dump(1);
  rows[0].bytes = spaced;
  auto r = CaseState::FromStored(Json::parse(good.head), rows);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
}

TEST_CASE("A fact's header read back from its stored row is the header folded",
          "[projections]") {
  // Headers and envelopes holding the keys that delimit a row's header
  // ("h", "role") in strings and nested objects: what is read back from the
  // rows is each fact's header exactly, kept as its canonical text.
  History c;
  const Json tricky_assignment{
      {"assignees", {",\"h\":{", "u-b"}},
      {"note", {{"a", 1}, {"role", ",\"role\":\"x"}}},
      {"zz", {{"h", {{"role", "r"}}}, {"role", {1, 2}}}}};
  const std::uint64_t a = c.Add("case.assigned", tricky_assignment);
  Fact odd = MakeFact(++c.seq, "information.received",
                      Json{{"from", "police"}, {"basis", "sel-115"}, {"role", "}"}});
  odd.actor = "u-x,\"h\":{\"role\":";
  odd.role = "caseworker,\"role\":";
  c.state.Apply(odd);
  const std::uint64_t b = odd.seq;
  Stored stored;
  stored.Take(c.state);
  auto back = stored.Read();
  REQUIRE(back.ok());
  CHECK(*back == c.state);
  REQUIRE(back->Find(a) != nullptr);
  CHECK(back->Find(a)->Header() == tricky_assignment);
  CHECK(back->Find(a)->h == ledger::CanonicalJson(tricky_assignment));
  REQUIRE(back->Find(b) != nullptr);
  CHECK(back->Find(b)->Header() == odd.h);
  CHECK(back->Find(b)->actor == odd.actor);
  CHECK(back->Derive().ToJson() == c.state.Derive().ToJson());
  // A later fact folded into the state read back writes the rows the
  // original state writes.
  CaseState original = c.state;
  CaseState read = *back;
  const Fact next = MakeFact(++c.seq, "case.reviewed");
  original.Apply(next);
  read.Apply(next);
  CHECK(read.TakeChangedRows() == original.TakeChangedRows());
  CHECK(read.HeadCanonical() == original.HeadCanonical());
}

TEST_CASE("A fact folded in changes only its own row and the head", "[projections]") {
  CaseState s = RichState();
  Stored stored;
  stored.Take(s);
  const auto before = stored.rows;
  s.Apply(MakeFact(s.last_seq() + 1, "concern.responded", {{"channel", "phone"}}));
  auto changed = s.TakeChangedRows();
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].first == s.last_seq());
  CHECK(s.TakeChangedRows().empty());
  // A correction changes its own row and its target's.
  const std::uint64_t target = before.begin()->first;
  s.Apply(MakeFact(s.last_seq() + 1, "record.corrected",
                   {{"target", target}, {"fields", {"h.source"}}, {"set", {{"source", "police"}}}}));
  changed = s.TakeChangedRows();
  REQUIRE(changed.size() == 2);
  CHECK(changed[0].first == target);
  CHECK(changed[0].second != before.at(target));
  CHECK(changed[1].first == s.last_seq());
}

// ---- Random histories: incremental, replayed and persisted states agree.

class RandomHistory {
 public:
  explicit RandomHistory(std::uint32_t seed) : rng_(seed) {}

  std::vector<Fact> Make() {
    std::vector<Fact> out;
    out.push_back(MakeFact(++seq_, "concern.reported", ConcernHeader()));
    Remember(out.back());
    const int n = Pick(30, 60);
    while (static_cast<int>(out.size()) < n) {
      out.push_back(Next());
      Remember(out.back());
    }
    return out;
  }

 private:
  int Pick(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Pick(0, static_cast<int>(v.size()) - 1))];
  }
  // A seq of an earlier fact of `type` (sometimes any seq, or a dangling one).
  std::uint64_t Ref(const std::string& type) {
    int r = Pick(0, 9);
    if (r == 0) return seq_ + 7;
    if (r == 1)
      return static_cast<std::uint64_t>(Pick(1, static_cast<int>(seq_)));
    auto it = by_type_.find(type);
    if (it == by_type_.end()) return 999;
    return OneOf(it->second);
  }
  void Remember(const Fact& f) { by_type_[f.type].push_back(f.seq); }

  Fact Next() {
    static const std::vector<std::string> kTypes = {
        "case.assigned",         "concern.responded",
        "information.received",  "assessment.recorded",
        "assessment.recorded",   "consent.recorded",
        "intervention.started",  "progress.assessed",
        "intervention.ended",    "disclosure.requested",
        "disclosure.approved",   "disclosure.rejected",
        "disclosure.made",       "disclosure.reviewed",
        "subject.informed",      "case.reviewed",
        "processing.restricted", "processing.restriction_lifted",
        "legal_hold.set",        "legal_hold.released",
        "case.closed",           "record.corrected",
        "record.corrected",      "record.retracted",
        "record.retracted",      "access.read",
        "policy.refused",        "subject.erased"};
    static const std::vector<std::string> kOutcomes = {"founded", "unfounded",
                                                       "more_information"};
    static const std::vector<std::string> kDecisions = {"given", "declined",
                                                        "withdrawn"};
    const std::string& type = OneOf(kTypes);
    Json h = Json::object();
    if (type == "case.assigned") {
      h["assignees"] = Json::array({"u-" + std::to_string(Pick(1, 5))});
    } else if (type == "assessment.recorded") {
      h = AssessmentHeader(OneOf(kOutcomes));
    } else if (type == "consent.recorded") {
      h = {{"decision", OneOf(kDecisions)}, {"by", "subject"}};
    } else if (type == "progress.assessed" || type == "intervention.ended") {
      h = {{"intervention", Ref("intervention.started")}, {"reason", "moved"}};
    } else if (type == "disclosure.approved" || type == "disclosure.rejected" ||
               type == "disclosure.made") {
      h = {{"request", Ref("disclosure.requested")}};
    } else if (type == "disclosure.reviewed") {
      h = {{"disclosure", Ref("disclosure.requested")}, {"verdict", "lawful"}};
    } else if (type == "record.corrected") {
      h = {{"target", Ref(OneOf(kTypes))}, {"fields", {"h.outcome"}}};
      if (Pick(0, 3) > 0)
        h["set"] = {{"outcome", OneOf(kOutcomes)},
                    {"decision", OneOf(kDecisions)}};
    } else if (type == "record.retracted") {
      h = {{"target", Ref(OneOf(kTypes))}, {"reason", "error"}};
    }
    Fact f = MakeFact(++seq_, type, h);
    f.time += Pick(0, 1000);
    return f;
  }

  std::mt19937 rng_;
  std::uint64_t seq_ = 0;
  std::map<std::string, std::vector<std::uint64_t>> by_type_;
};

TEST_CASE("Incremental replayed and persisted states derive the same view",
          "[projections]") {
  int corrected = 0, retracted = 0;
  std::set<std::string> statuses;
  for (std::uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    std::vector<Fact> facts = RandomHistory(seed).Make();
    std::mt19937 rng(seed * 7919u);
    // Incremental: derived after each fact, and now and then persisted and
    // read back, as the projector does between batches.
    // `batched` is its stored form, updated at random batch ends; now and
    // then the state is read back from it, as after an eviction.
    CaseState incremental;
    Stored batched;
    for (const Fact& f : facts) {
      // A copy shares the fold and its view until one of them folds a fact:
      // the copy's view stays what it was.
      const CaseState copy = incremental;
      const Json copy_view = copy.View().ToJson();
      incremental.Apply(f);
      CHECK(copy.View().ToJson() == copy_view);
      CHECK(incremental.Derive().ToJson() == incremental.View().ToJson());
      if (rng() % 5 == 0) {
        auto back = CaseState::FromJson(incremental.ToJson());
        REQUIRE(back.ok());
        CHECK(*back == incremental);
      }
      if (rng() % 3 == 0) batched.Take(incremental);
      if (rng() % 7 == 0) {
        batched.Take(incremental);
        auto back = batched.Read();
        REQUIRE(back.ok());
        REQUIRE(*back == incremental);
        incremental = *back;
      }
    }
    batched.Take(incremental);
    CaseState replayed;
    for (const Fact& f : facts) replayed.Apply(f);
    // Folded with each header's canonical text given, as a replay of the
    // log gives it: the same state, rows and digest as written here.
    CaseState from_text;
    Stored from_text_rows;
    for (const Fact& f : facts) {
      Fact copy = f;
      std::string text = f.h.is_object() ? ledger::CanonicalJson(f.h) : std::string();
      from_text.Apply(std::move(copy), std::move(text));
    }
    CHECK(from_text == replayed);
    CHECK(from_text.HeadCanonical() == replayed.HeadCanonical());
    auto persisted = CaseState::FromJson(replayed.ToJson());
    REQUIRE(persisted.ok());
    // The stored rows, written without a DOM, are canonical JSON, and rows
    // written batch by batch equal the rows of one batch (what `rebuild
    // --compare` compares).
    CaseState whole = replayed;
    Stored at_once;
    at_once.Take(whole);
    CHECK(at_once.head == ledger::CanonicalJson(Json::parse(at_once.head)));
    for (const auto& [seq, row] : at_once.rows)
      CHECK(row == ledger::CanonicalJson(Json::parse(row)));
    CHECK(at_once.rows.size() == replayed.facts().size());
    CHECK(batched.head == at_once.head);
    CHECK(batched.rows == at_once.rows);
    from_text_rows.Take(from_text);
    CHECK(from_text_rows.rows == at_once.rows);
    auto read = batched.Read();
    REQUIRE(read.ok());
    CHECK(*read == replayed);
    const Json view = replayed.Derive().ToJson();
    CHECK(incremental.Derive().ToJson() == view);
    CHECK(persisted->Derive().ToJson() == view);
    CHECK(incremental == replayed);
    CHECK(*persisted == replayed);
    corrected += replayed.ToJson()["originals"].empty() ? 0 : 1;
    retracted += replayed.ToJson()["retracted"].empty() ? 0 : 1;
    statuses.insert(replayed.Derive().status);
  }
  // The histories reach what they are meant to test.
  CHECK(corrected > 100);
  CHECK(retracted > 100);
  CHECK(statuses.size() >= 5);
}

}  // namespace
}  // namespace caseledger::projections
