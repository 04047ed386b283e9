// The disclosure register's automatic findings (projections/
// disclosure_register.h): each is raised by a history that breaks its rule at
// the step it concerns, and not by a close variant that keeps it (or whose
// deadline has not passed). Histories are built by hand from clear headers,
// as migrated history may hold them: the register re-checks what the policy
// engine would have refused.
#include "projections/disclosure_register.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace caseledger::projections {
namespace {


constexpr Micros kHour = Micros{3'600'000'000};
constexpr Micros kDay = 24 * kHour;
constexpr Micros kT0 = Micros{1'700'000'000} * 1'000'000;  // any fixed instant

const char* const kCase = "c-test";
const char* const kSubject = "s-test";
const char* const kCw = "u-caseworker";
const char* const kCo1 = "u-coordinator1";
const char* const kCo2 = "u-coordinator2";
const char* const kLr = "u-reviewer";

// A case history under construction: one fact per call, seqs 1, 2, …
// (times as given).
struct History {
  std::vector<HistoryEntry> entries;
  std::uint64_t Add(Micros t, std::string type, std::string actor, std::string role, Json h) {
    HistoryEntry e;
    e.fact.seq = entries.size() + 1;
    e.fact.time = t;
    e.fact.type = std::move(type);
    e.fact.actor = std::move(actor);
    e.fact.role = std::move(role);
    e.fact.case_id = kCase;
    e.fact.subject = kSubject;
    e.fact.h = std::move(h);
    e.state_fact = IsStateFact(e.fact.type);
    entries.push_back(std::move(e));
    return entries.back().fact.seq;
  }
};

Json Grounds() { return Json::array({Json{{"code", "b.threat"}, {"observed_on", "2023-11-01"}}}); }

// What varies between the histories of the tests.
struct Shape {
  bool minor = false;
  std::string outcome = "founded";
  std::string recipient = "police", basis = "rpl-115-ssp", purpose = "prevention";
  std::string version = "2026-1";
  Json categories = Json::array({"identity", "concern"});
  std::optional<std::string> threshold, request_ref;
  bool include_115 = false, include_other = true;
  bool consent = false;  // a given consent, cited by the request
  bool restricted_during = false, restricted_after = false;
  enum class Decision { kApproved, kNone, kRejected } decision = Decision::kApproved;
  std::string approver = kCo2, approver_role = "coordinator";
  std::string requester = kCw, requester_role = "caseworker";
  Micros made_after_approval = 2 * kHour;
  std::optional<Json> corrected_categories;  // after the approval
  std::optional<Micros> review_after_made = 5 * kDay;
};

struct Built {
  History h;
  std::uint64_t request = 0, approval = 0, made = 0;
  Micros made_time = 0;
};

// Concern, assessment, two pieces of information (one under §115), maybe a
// consent, the request, its decision, the making and the review.
Built Build(const Shape& s) {
  Built b;
  History& h = b.h;
  h.Add(kT0, "concern.reported", kCw, "caseworker",
        Json{{"source", "school"}, {"subject_kind", "person"}, {"grounds", Grounds()},
             {"context", Json::array()}, {"minor", s.minor}, {"new_subject", true}});
  h.Add(kT0 + kDay, "assessment.recorded", kCo1, "coordinator",
        Json{{"outcome", s.outcome},
             {"grounds", s.outcome == "founded" ? Grounds() : Json::array()},
             {"panel", "infohus"},
             {"factors", Json::object()}});
  const std::uint64_t info115 =
      h.Add(kT0 + 2 * kDay, "information.received", kCw, "caseworker",
            Json{{"from", "police"}, {"basis", "rpl-115-ssp"}, {"categories", Json::array({"concern"})}});
  const std::uint64_t info_other =
      h.Add(kT0 + 2 * kDay, "information.received", kCw, "caseworker",
            Json{{"from", "school"}, {"basis", "dbl-8-2-3"}, {"categories", Json::array({"concern"})}});
  std::uint64_t consent = 0;
  if (s.consent) {
    consent = h.Add(kT0 + 3 * kDay, "consent.recorded", kCw, "caseworker",
                    Json{{"decision", "given"}, {"by", s.minor ? "guardian" : "subject"}});
  }
  std::uint64_t restriction = 0;
  if (s.restricted_during) {
    restriction = h.Add(kT0 + 4 * kDay, "processing.restricted", kCo1, "coordinator",
                        Json{{"ground", "objection"}});
  }
  Micros t = kT0 + 5 * kDay;
  Json rq{{"recipient", s.recipient}, {"basis", s.basis}, {"registry_version", s.version},
          {"purpose", s.purpose},     {"categories", s.categories}};
  Json includes = Json::array();
  if (s.include_115) includes.push_back(info115);
  if (s.include_other) includes.push_back(info_other);
  if (!includes.empty()) rq["includes"] = includes;
  if (s.threshold) rq["threshold"] = *s.threshold;
  if (s.request_ref) rq["request_ref"] = *s.request_ref;
  if (s.consent) rq["consent"] = consent;
  b.request = h.Add(t, "disclosure.requested", s.requester, s.requester_role, rq);
  t += kDay;
  if (s.decision != Shape::Decision::kNone) {
    b.approval = h.Add(t, s.decision == Shape::Decision::kApproved ? "disclosure.approved"
                                                                   : "disclosure.rejected",
                       s.approver, s.approver_role, Json{{"request", b.request}});
  }
  if (s.corrected_categories) {
    h.Add(t + kHour, "record.corrected", kCo1, "coordinator",
          Json{{"target", b.request},
               {"fields", Json::array({"h.categories"})},
               {"set", {{"categories", *s.corrected_categories}}}});
  }
  t += s.made_after_approval;
  b.made_time = t;
  b.made = h.Add(t, "disclosure.made", s.requester, s.requester_role,
                 Json{{"request", b.request}, {"channel", "letter"},
                      {"document_sha256", std::string(64, 'a')}});
  if (s.restricted_during) {
    h.Add(t + kHour, "processing.restriction_lifted", kCo1, "coordinator",
          Json{{"ground", "objection"}});
  }
  if (s.restricted_after) {
    h.Add(t + kHour, "processing.restricted", kCo1, "coordinator", Json{{"ground", "objection"}});
  }
  if (s.review_after_made) {
    h.Add(t + *s.review_after_made, "disclosure.reviewed", kLr, "legal_reviewer",
          Json{{"disclosure", b.request}, {"verdict", "lawful"}, {"findings", Json::array()}});
  }
  (void)restriction;
  return b;
}

const Micros kNow = kT0 + 400 * kDay;

std::vector<RegisterEntry> Register(const Built& b, Micros now = kNow) {
  return CaseRegister(b.h.entries, now);
}

std::vector<std::string> Codes(const Built& b, Micros now = kNow) {
  auto r = Register(b, now);
  REQUIRE(r.size() == 1);
  std::vector<std::string> out;
  for (const RegisterFinding& f : r[0].findings) out.push_back(f.code);
  return out;
}

using Codelist = std::vector<std::string>;

// The one finding of `b`, which must be `code`.
RegisterFinding Only(const Built& b, const std::string& code) {
  auto r = Register(b);
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].findings.size() == 1);
  CHECK(r[0].findings[0].code == code);
  return r[0].findings[0];
}

TEST_CASE("a lawful disclosure has no finding, and its entry shows what it drew on",
          "[projections][register]") {
  const Built b = Build(Shape{});
  auto r = Register(b);
  REQUIRE(r.size() == 1);
  const RegisterEntry& e = r[0];
  CHECK(e.findings.empty());
  CHECK(e.case_id == kCase);
  CHECK(e.disclosure.seq == b.request);
  CHECK(e.disclosure.status == "reviewed");
  CHECK_FALSE(e.legacy);
  REQUIRE(e.drew_on.size() == 1);
  CHECK(e.drew_on[0].type == "information.received");
  CHECK(e.drew_on[0].basis == "dbl-8-2-3");
  CHECK(e.time() == b.made_time);
  const Json j = RegisterEntryJson(e);
  CHECK(j["case"] == kCase);
  CHECK(j["request"] == b.request);
  CHECK(j["findings"].empty());
  CHECK(j["basis_citation"].get<std::string>().find("115") != std::string::npos);
  CHECK(j["timings"]["made_to_review_days"] == 5);
  CHECK(j["decisions"][0]["actor"] == kCo2);
}

TEST_CASE("basis_not_allowed: the basis does not allow the recipient, or is not in the version",
          "[projections][register]") {
  Shape s;
  s.basis = "fvl-28";  // not for the police
  const RegisterFinding f = Only(Build(s), "basis_not_allowed");
  CHECK(f.rule == "ROL-6");
  s.recipient = "social_services";  // fvl-28 allows it
  CHECK(Codes(Build(s)).empty());
  Shape v;
  v.version = "2019-1";  // no such registry version
  Only(Build(v), "basis_not_allowed");
}

TEST_CASE("pet_without_threshold: unsolicited disclosure to PET", "[projections][register]") {
  Shape s;
  s.recipient = "pet";
  s.basis = "dbl-8-2-2";
  s.purpose = "safety";
  Only(Build(s), "pet_without_threshold");
  s.threshold = "society_threatening";
  CHECK(Codes(Build(s)).empty());
  s.outcome = "more_information";  // threshold, but no founded assessment
  Only(Build(s), "pet_without_threshold");
  // pet-4 (on PET's request) needs neither.
  Shape p;
  p.recipient = "pet";
  p.basis = "pet-4";
  p.purpose = "pet_request";
  p.request_ref = "PET-2023-0001";
  p.outcome = "more_information";
  CHECK(Codes(Build(p)).empty());
}

TEST_CASE("onward_115: it includes information received under §115", "[projections][register]") {
  Shape s;
  s.include_115 = true;
  const RegisterFinding f = Only(Build(s), "onward_115");
  CHECK(f.rule == "ROL-7");
  CHECK(f.detail.find("rpl-115-ssp") != std::string::npos);
  s.include_115 = false;
  CHECK(Codes(Build(s)).empty());
}

TEST_CASE("art9_without_basis and art10_without_basis", "[projections][register]") {
  Shape s;
  s.basis = "dbl-8-2-3";
  s.categories = Json::array({"identity", "health"});
  CHECK(Only(Build(s), "art9_without_basis").rule == "ROL-8");
  s.basis = "rpl-115-ssp";  // covers Art. 9 data where necessary
  CHECK(Codes(Build(s)).empty());
  Shape c;
  c.recipient = "social_services";
  c.basis = "fvl-28";
  c.categories = Json::array({"identity", "criminal_offence"});
  Only(Build(c), "art10_without_basis");
  c.recipient = "police";
  c.basis = "dbl-8-2-3";  // covers criminal-offence data
  CHECK(Codes(Build(c)).empty());
}

TEST_CASE("pet4_without_request_ref", "[projections][register]") {
  Shape s;
  s.recipient = "pet";
  s.basis = "pet-4";
  s.purpose = "pet_request";
  CHECK(Only(Build(s), "pet4_without_request_ref").rule == "ROL-15");
  s.request_ref = "PET-2023-0002";
  CHECK(Codes(Build(s)).empty());
}

TEST_CASE("basis_condition: §115 for investigation, child welfare for an adult, consent not in force",
          "[projections][register]") {
  Shape s;
  s.purpose = "investigation";
  Only(Build(s), "basis_condition");
  s.purpose = "prevention";
  CHECK(Codes(Build(s)).empty());

  Shape w;
  w.recipient = "child_welfare";
  w.basis = "child-welfare-notify";
  w.purpose = "child_welfare";
  Only(Build(w), "basis_condition");
  w.minor = true;
  CHECK(Codes(Build(w)).empty());

  Shape k;
  k.recipient = "social_services";
  k.basis = "consent";
  Only(Build(k), "basis_condition");
  k.consent = true;
  CHECK(Codes(Build(k)).empty());
}

TEST_CASE("restricted_case and unfounded_case", "[projections][register]") {
  Shape s;
  s.restricted_during = true;
  const RegisterFinding f = Only(Build(s), "restricted_case");
  CHECK(f.rule == "ROL-13");
  CHECK(f.seq == Build(s).request);  // found at the first step concerned
  s.restricted_during = false;
  s.restricted_after = true;  // a restriction after the making is lawful
  CHECK(Codes(Build(s)).empty());

  Shape u;
  u.outcome = "unfounded";
  CHECK(Only(Build(u), "unfounded_case").rule == "ROL-14");
  u.outcome = "more_information";
  CHECK(Codes(Build(u)).empty());
}

TEST_CASE("missing_approval and self_approval", "[projections][register]") {
  Shape s;
  s.decision = Shape::Decision::kNone;
  Only(Build(s), "missing_approval");
  s.decision = Shape::Decision::kRejected;
  Only(Build(s), "missing_approval");
  s.decision = Shape::Decision::kApproved;
  s.approver_role = "caseworker";  // no coordinator
  s.approver = "u-othercaseworker";
  const RegisterFinding f = Only(Build(s), "missing_approval");
  CHECK(f.detail.find("caseworker") != std::string::npos);
  CHECK(f.seq == Build(s).made);

  Shape self;
  self.requester = kCo1;
  self.requester_role = "coordinator";
  self.approver = kCo1;
  const Built b = Build(self);
  const RegisterFinding g = Only(b, "self_approval");
  CHECK(g.seq == b.approval);
  self.approver = kCo2;
  CHECK(Codes(Build(self)).empty());
}

TEST_CASE("approval_expired: made more than 30 days after the approval", "[projections][register]") {
  Shape s;
  s.made_after_approval = 30 * kDay;
  CHECK(Codes(Build(s)).empty());
  s.made_after_approval = 30 * kDay + 1;
  CHECK(Only(Build(s), "approval_expired").rule == "ROL-5");
}

TEST_CASE("beyond_approval: a category added to the request after its approval",
          "[projections][register]") {
  Shape s;
  s.corrected_categories = Json::array({"identity", "concern", "contact"});
  const RegisterFinding f = Only(Build(s), "beyond_approval");
  CHECK(f.detail.find("contact") != std::string::npos);
  s.corrected_categories = Json::array({"identity"});  // less than approved
  CHECK(Codes(Build(s)).empty());
}

TEST_CASE("late_review: no legal review within 30 days of the making", "[projections][register]") {
  Shape s;
  s.review_after_made = 30 * kDay;
  CHECK(Codes(Build(s)).empty());
  s.review_after_made = 30 * kDay + 1;
  const Built late = Build(s);
  const RegisterFinding f = Only(late, "late_review");
  CHECK(f.rule == "FLAG-DISCLOSURE");
  CHECK(f.seq == late.made);
  s.review_after_made.reset();
  const Built none = Build(s);
  CHECK(Codes(none, none.made_time + 30 * kDay - 1).empty());
  CHECK(Codes(none, none.made_time + 30 * kDay) == Codelist{"late_review"});
}

TEST_CASE("several findings of one disclosure come in the order of the checks, once each",
          "[projections][register]") {
  Shape s;
  s.recipient = "pet";
  s.basis = "fvl-28";
  s.categories = Json::array({"identity", "health", "criminal_offence"});
  s.decision = Shape::Decision::kNone;
  s.review_after_made.reset();
  CHECK(Codes(Build(s)) == Codelist{"basis_not_allowed", "pet_without_threshold",
                                    "art9_without_basis", "art10_without_basis",
                                    "missing_approval", "late_review"});
  // Every code reported is one the register lists as checked.
  const auto checks = RegisterChecks();
  for (const std::string& c : Codes(Build(s)))
    CHECK(std::any_of(checks.begin(), checks.end(), [&](const auto& k) { return k.code == c; }));
}

TEST_CASE("the steps of one disclosure, for its evidence", "[projections][register]") {
  auto view = [](const Built& b) {
    CaseState st;
    for (const HistoryEntry& e : b.h.entries) st.Apply(e.fact);
    return st.Derive();
  };
  const Built b = Build(Shape{});
  const std::uint64_t review = b.h.entries.back().fact.seq;
  CHECK(DisclosureSteps(view(b), b.request) ==
        std::vector<std::uint64_t>{b.request, b.approval, b.made, review});
  Shape s;
  s.corrected_categories = Json::array({"identity"});
  const Built c = Build(s);
  const auto steps = DisclosureSteps(view(c), c.request);
  REQUIRE(steps.size() == 5);  // and the correction of the request
  CHECK(steps[2] == c.approval + 1);
  CHECK(DisclosureSteps(view(b), b.made).empty());  // not a request
}

TEST_CASE("the register document counts every check and applies the filters",
          "[projections][register]") {
  Shape bad;
  bad.basis = "fvl-28";
  std::vector<RegisterEntry> entries = Register(Build(bad));
  auto lawful = Register(Build(Shape{}));
  entries.push_back(lawful[0]);
  entries.back().case_id = "c-other";
  RegisterFilter all;
  const Json j = RegisterJson(entries, all, kNow);
  CHECK(j["count"] == 2);
  CHECK(j["with_findings"] == 1);
  REQUIRE(j["checks"].size() == RegisterChecks().size());
  for (const Json& c : j["checks"])
    CHECK(c["found"] == (c["code"] == "basis_not_allowed" ? 1 : 0));
  RegisterFilter f;
  f.finding = "basis_not_allowed";
  CHECK(RegisterJson(entries, f, kNow)["count"] == 1);
  RegisterFilter basis;
  basis.basis = "rpl-115-ssp";
  CHECK(RegisterJson(entries, basis, kNow)["disclosures"][0]["case"] == "c-other");
  RegisterFilter period;
  period.from = entries[0].time() + 1;
  CHECK(RegisterJson(entries, period, kNow)["count"] == 0);
  period.from = entries[0].time();
  period.to = entries[0].time() + 1;
  CHECK(RegisterJson(entries, period, kNow)["count"] == 2);
  RegisterFilter legacy;
  legacy.legacy = true;
  CHECK(RegisterJson(entries, legacy, kNow)["count"] == 0);
}

}  // namespace
}  // namespace caseledger::projections
