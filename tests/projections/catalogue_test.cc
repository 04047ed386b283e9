#include "projections/catalogue.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/ids.h"
#include "projections/legal_basis.h"
#include "projections/policy.h"
#include "projections/vocabulary.h"

namespace caseledger::projections {
namespace {

std::string IdOf(std::string_view prefix, std::uint8_t fill) {
  std::array<std::uint8_t, kIdRandomBytes> random{};
  random.fill(fill);
  return FormatId(prefix, random);
}

const EventSpec& Spec(std::string_view type) {
  const EventSpec* s = FindEventSpec(type);
  REQUIRE(s != nullptr);
  return *s;
}

// ---------------------------------------------------------------------------
// Vocabulary

TEST_CASE("Vocabulary lists the b and p codes of DESIGN 5.1 in order",
          "[projections]") {
  const std::vector<std::string_view> behaviour = {"b.violence",
                                                   "b.threat",
                                                   "b.legitimises_violence",
                                                   "b.illegal_act",
                                                   "b.hate_crime",
                                                   "b.weapons",
                                                   "b.recruitment",
                                                   "b.conflict_zone_travel",
                                                   "b.incitement_content",
                                                   "b.violent_group_activity",
                                                   "b.returnee"};
  const std::vector<std::string_view> protected_codes = {
      "p.religion",           "p.religious_practice", "p.political_opinion",
      "p.lawful_association", "p.ethnicity",          "p.appearance",
      "p.lawful_protest",     "p.online_opinion",     "p.health",
      "p.sexual_orientation"};
  auto codes = GroundCodes();
  REQUIRE(codes.size() == behaviour.size() + protected_codes.size());
  for (std::size_t i = 0; i < behaviour.size(); ++i) {
    CHECK(codes[i].code == behaviour[i]);
    CHECK(codes[i].kind == CodeKind::kBehaviour);
    CHECK(IsBehaviourCode(behaviour[i]));
    CHECK_FALSE(IsProtectedCode(behaviour[i]));
    CHECK_FALSE(codes[i].meaning.empty());
  }
  for (std::size_t i = 0; i < protected_codes.size(); ++i) {
    const GroundCode& g = codes[behaviour.size() + i];
    CHECK(g.code == protected_codes[i]);
    CHECK(g.kind == CodeKind::kProtected);
    CHECK(IsProtectedCode(protected_codes[i]));
    CHECK_FALSE(IsBehaviourCode(protected_codes[i]));
  }
  const GroundCode* threat = FindGroundCode("b.threat");
  REQUIRE(threat != nullptr);
  CHECK(threat->meaning == "threatened violence against persons or property");
}

TEST_CASE("Vocabulary refuses unknown and misspelled codes", "[projections]") {
  for (std::string_view bad :
       {"", "b.", "p.", "b.unknown", "B.threat", "b.threat ", "threat",
        "x.threat", "p.religion.x", "b.Threat"}) {
    CAPTURE(bad);
    CHECK(FindGroundCode(bad) == nullptr);
    CHECK_FALSE(IsBehaviourCode(bad));
    CHECK_FALSE(IsProtectedCode(bad));
  }
}

TEST_CASE("Vocabulary has nine distinct assessment dimensions",
          "[projections]") {
  std::set<std::string_view> dims(kFactorDimensions.begin(),
                                  kFactorDimensions.end());
  CHECK(dims.size() == 9);
  CHECK(dims.count("violence_willingness") == 1);
  CHECK(kFactorMax == 3);
  CHECK(kVocabularyVersion == "1");
}

// ---------------------------------------------------------------------------
// Legal-basis registry

const std::vector<std::string_view> kAllRecipients = {
    "police",          "pet",        "prison_probation", "other_municipality",
    "social_services", "psychiatry", "child_welfare",    "other"};

std::set<std::string_view> AllowedOf(const LegalBasis& b) {
  std::set<std::string_view> out;
  for (std::string_view r : kAllRecipients) {
    if (AllowsRecipient(b, r)) out.insert(r);
  }
  return out;
}

TEST_CASE("Registry 2026-1 has the nine rows of DESIGN 5.3", "[projections]") {
  REQUIRE_FALSE(RegistryVersions().empty());
  CHECK(RegistryVersions().back() == kRegistryVersion);
  CHECK(kRegistryVersion == "2026-1");
  auto rows = Registry();
  const std::vector<std::string_view> codes = {
      "rpl-115-ssp", "rpl-115-psp", "rpl-115-ksp", "pet-4",
      "dbl-8-2-2",   "dbl-8-2-3",   "consent",     "child-welfare-notify",
      "fvl-28"};
  REQUIRE(rows.size() == codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    CAPTURE(codes[i]);
    CHECK(rows[i].code == codes[i]);
    CHECK(FindBasis(codes[i]) == &rows[i]);
    CHECK_FALSE(rows[i].citation.empty());
    CHECK_FALSE(rows[i].must_document.empty());
    CHECK_FALSE(rows[i].citizen_informed.empty());
    CHECK_FALSE(rows[i].citation_confirmed);
    // Art. 9 cover implies Art. 10 cover in this version.
    if (rows[i].covers_art9) CHECK(rows[i].covers_art10);
    // Onward disclosure is forbidden exactly for the §115 rows.
    CHECK(rows[i].onward_forbidden == codes[i].starts_with("rpl-115-"));
  }
}

TEST_CASE("Registry rows allow exactly their recipients", "[projections]") {
  using Set = std::set<std::string_view>;
  const std::map<std::string_view, Set> expected = {
      {"rpl-115-ssp", {"police", "social_services", "child_welfare"}},
      {"rpl-115-psp", {"police", "social_services", "psychiatry"}},
      {"rpl-115-ksp", {"prison_probation", "social_services", "police"}},
      {"pet-4", {"pet"}},
      {"dbl-8-2-2", {"police", "pet", "other"}},
      {"dbl-8-2-3",
       {"police", "social_services", "other_municipality", "psychiatry"}},
      {"consent", Set(kAllRecipients.begin(), kAllRecipients.end())},
      {"child-welfare-notify", {"child_welfare"}},
      {"fvl-28", {"other_municipality", "social_services", "other"}},
  };
  for (const auto& [code, allowed] : expected) {
    CAPTURE(code);
    const LegalBasis* b = FindBasis(code);
    REQUIRE(b != nullptr);
    CHECK(AllowedOf(*b) == allowed);
    CHECK_FALSE(AllowsRecipient(*b, ""));
  }
  CHECK(FindBasis("consent")->any_recipient);
  CHECK_FALSE(FindBasis("pet-4")->any_recipient);
}

TEST_CASE("Registry Art 9 and Art 10 cover follow DESIGN 5.3",
          "[projections]") {
  const std::set<std::string_view> art9 = {
      "rpl-115-ssp", "rpl-115-psp", "rpl-115-ksp",
      "pet-4",       "consent",     "child-welfare-notify"};
  for (const LegalBasis& b : Registry()) {
    CAPTURE(b.code);
    CHECK(b.covers_art9 == (art9.count(b.code) == 1));
    CHECK(b.covers_art10 == (b.code != "fvl-28"));
  }
}

TEST_CASE("Registry refuses unknown codes and versions", "[projections]") {
  CHECK(FindBasis("rpl-115") == nullptr);
  CHECK(FindBasis("") == nullptr);
  CHECK(FindBasis("PET-4") == nullptr);
  CHECK(FindBasis("pet-4", "1999-1") == nullptr);
  CHECK(Registry("1999-1").empty());
  CHECK(Registry("2026-1").size() == 9);
}

// ---------------------------------------------------------------------------
// Catalogue: one valid command per type

struct Example {
  Json h;
  std::optional<Json> body;
};

const std::string kUser = IdOf("u", 0x11);
const std::string kUser2 = IdOf("u", 0x22);
const std::string kCaseId = IdOf("c", 0x33);
const std::string kKid = IdOf("k", 0x44);
// Base64 of the bytes 0x00 .. 0x1f: the shape of a token hash (BLAKE2b-256).
const std::string kTokenHash = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

std::map<std::string, Example> Examples() {
  std::map<std::string, Example> ex;
  ex["concern.reported"] = {
      {{"source", "school"},
       {"subject_kind", "person"},
       {"grounds",
        Json::array({{{"code", "b.threat"}, {"observed_on", "2019-03-02"}},
                     {{"code", "b.weapons"},
                      {"observed_on", "2019-03-01"},
                      {"case", kCaseId}}})},
       {"context", Json::array({"p.religion"})},
       {"minor", false},
       {"new_subject", true}},
      Json{{"narrative", "synthetic narrative"},
           {"identity",
            {{"name", "Test Person"},
             {"cpr", "010203-1234"},
             {"address", "Street 1"},
             {"birth_date", "2003-02-01"}}},
           {"reporter", {{"organisation", "School"}}},
           {"ground_descriptions", Json::array({"threatened a teacher"})}}};
  ex["case.assigned"] = {{{"assignees", Json::array({kUser, kUser2})}},
                         std::nullopt};
  ex["concern.responded"] = {{{"channel", "phone"}}, Json{{"note", "called"}}};
  ex["information.received"] = {
      {{"from", "police"},
       {"basis", "rpl-115-ssp"},
       {"categories", Json::array({"concern", "criminal_offence"})}},
      Json{{"content", "information"}}};
  ex["assessment.recorded"] = {
      {{"outcome", "founded"},
       {"grounds",
        Json::array({{{"code", "b.threat"}, {"observed_on", "2019-03-02"}}})},
       {"panel", "infohus"},
       {"factors",
        {{"family", {{"risk", 1}, {"resources", 3}}},
         {"education_work", {{"risk", 0}, {"resources", 0}}}}}},
      Json{{"reasoning", "why"}}};
  ex["consent.recorded"] = {{{"decision", "given"}, {"by", "guardian"}},
                            std::nullopt};
  ex["intervention.started"] = {{{"kind", "mentor"}, {"provider", "ngo"}},
                                Json{{"plan", "weekly meetings"}}};
  ex["progress.assessed"] = {
      {{"intervention", 7},
       {"factors", {{"personality", {{"risk", 2}, {"resources", 1}}}}}},
      std::nullopt};
  ex["intervention.ended"] = {{{"intervention", 7}, {"reason", "completed"}},
                              Json{{"note", "done"}}};
  ex["disclosure.requested"] = {
      {{"recipient", "pet"},
       {"basis", "pet-4"},
       {"registry_version", "2026-1"},
       {"purpose", "pet_request"},
       {"categories", Json::array({"identity", "concern"})},
       {"threshold", "society_threatening"},
       {"includes", Json::array({3, 4})},
       {"request_ref", true},
       {"consent", 5}},
      Json{{"purpose_text", "p"},
           {"necessity", "n"},
           {"balancing", "b"},
           {"summary", "s"},
           {"request_ref", "PET/2019/0042"}}};
  ex["disclosure.approved"] = {{{"request", 9}}, Json{{"reason", "ok"}}};
  ex["disclosure.rejected"] = {{{"request", 9}}, std::nullopt};
  ex["disclosure.made"] = {{{"request", 9},
                            {"channel", "secure_mail"},
                            {"document_sha256", std::string(64, 'a')}},
                           std::nullopt};
  ex["disclosure.reviewed"] = {
      {{"disclosure", 9},
       {"verdict", "deficient"},
       {"findings", Json::array({"late_review", "other"})}},
      Json{{"notes", "n"}}};
  ex["subject.informed"] = {Json::object(), std::nullopt};
  ex["subject.information_deferred"] = {
      {{"basis", "pet_act_12"}, {"review_on", "2020-02-29"}}, std::nullopt};
  ex["case.reviewed"] = {{{"decision", "continue"}},
                         Json{{"reasoning", "still relevant"}}};
  ex["processing.restricted"] = {{{"ground", "objection"}}, std::nullopt};
  ex["processing.restriction_lifted"] = {{{"ground", "other"}},
                                         Json{{"note", "n"}}};
  ex["legal_hold.set"] = {{{"ground", "court_case"}}, std::nullopt};
  ex["legal_hold.released"] = {{{"ground", "ombudsman"}}, std::nullopt};
  ex["recipients.notified"] = {
      {{"about", 12}, {"recipients", Json::array({"police", "other"})}},
      std::nullopt};
  ex["case.closed"] = {{{"reason", "no_longer_relevant"}}, std::nullopt};
  ex["record.corrected"] = {
      {{"target", 1},
       {"fields", Json::array({"h.source", "body.narrative"})},
       {"set", {{"source", "police"}}}},
      Json{{"reason", "wrong source"}, {"values", {{"narrative", "fixed"}}}}};
  ex["record.retracted"] = {{{"target", 2}, {"reason", "duplicate"}},
                            Json{{"reason", "entered twice"}}};
  ex["subject.erased"] = {{{"reason", "gdpr_art17"}, {"kid", kKid}},
                          std::nullopt};
  ex["access.read"] = {{{"purpose", "casework"}}, std::nullopt};
  ex["access.exported"] = {{{"purpose", "subject_access"}}, std::nullopt};
  ex["policy.refused"] = {
      {{"attempted", "concern.reported"}, {"rule", "ROL-1"}}, std::nullopt};
  ex["user.registered"] = {{{"user", kUser},
                            {"role", "legal_reviewer"},
                            {"public_key", std::string(43, 'A') + "="},
                            {"token_hash", kTokenHash}},
                           Json{{"display_name", "Test User"}}};
  ex["user.role_changed"] = {{{"user", kUser}, {"role", "dpo"}}, std::nullopt};
  ex["user.revoked"] = {{{"user", kUser}}, std::nullopt};
  ex["user.token_issued"] = {{{"user", kUser}, {"token_hash", kTokenHash}},
                             std::nullopt};
  ex["retention.policy_set"] = {
      {{"unfounded_days", 30}, {"closed_years", 5}, {"review_months", 12}},
      std::nullopt};
  ex["advice.given"] = {{{"channel", "hotline"},
                         {"caller", "relative"},
                         {"behaviours", {"b.threat"}},
                         {"outcome", "advice_only"}},
                        std::nullopt};
  ex["key.rotated"] = {
      {{"public_key", std::string(42, 'B') + "A="},
       {"old_sig", std::string(85, 'C') + "A=="},
       {"new_sig", std::string(85, 'D') + "A=="}},
      std::nullopt};
  return ex;
}

// Header fields that are optional (in every type that has them, but for the
// exceptions below).
const std::set<std::string> kOptionalHeaderFields = {
    "context", "threshold",  "includes",  "request_ref",
    "consent", "set",        "public_key", "token_hash", "behaviours"};
// Fields of that list that are required in one type.
const std::set<std::pair<std::string, std::string>> kRequiredIn = {
    {"user.token_issued", "token_hash"}, {"key.rotated", "public_key"}};

TEST_CASE("Catalogue lists every type of DESIGN 6 once", "[projections]") {
  auto specs = EventSpecs();
  CHECK(specs.size() == 36);
  std::set<std::string_view> types;
  for (const EventSpec& s : specs) {
    CHECK(types.insert(s.type).second);
    CHECK(FindEventSpec(s.type) == &s);
    CHECK(s.roles != 0);
  }
  CHECK(specs.front().type == "concern.reported");
  CHECK(specs.back().type == "key.rotated");
  CHECK(FindEventSpec("concern.deleted") == nullptr);
  CHECK(FindEventSpec("") == nullptr);
  CHECK(FindEventSpec("Concern.Reported") == nullptr);
  // Every type has a valid example below (a new type needs one).
  auto ex = Examples();
  CHECK(ex.size() == specs.size());
  for (const EventSpec& s : specs) CHECK(ex.count(std::string(s.type)) == 1);
}

TEST_CASE("Catalogue scopes server-only types and body rules",
          "[projections]") {
  std::set<std::string_view> server_only;
  for (const EventSpec& s : EventSpecs()) {
    if (s.server_only) server_only.insert(s.type);
    if (s.type == "concern.reported") {
      CHECK(s.scope == Scope::kOpensCase);
    } else if (s.type == "subject.erased") {
      CHECK(s.scope == Scope::kSubject);
    } else if (s.type == "policy.refused") {
      CHECK(s.scope == Scope::kAny);
    } else if (s.type.starts_with("user.") || s.type == "retention.policy_set" ||
               s.type == "key.rotated" || s.type == "advice.given") {
      CHECK(s.scope == Scope::kGlobal);
    } else {
      CAPTURE(s.type);
      CHECK(s.scope == Scope::kCase);
    }
  }
  CHECK(server_only == std::set<std::string_view>{
                           "access.read", "access.exported", "policy.refused"});
  const std::set<std::string_view> required = {
      "concern.reported",     "information.received", "assessment.recorded",
      "intervention.started", "disclosure.requested", "record.corrected",
      "user.registered"};
  const std::set<std::string_view> none = {
      "case.assigned",        "disclosure.made",   "recipients.notified",
      "subject.erased",       "access.read",       "access.exported",
      "policy.refused",       "user.role_changed", "user.revoked",
      "user.token_issued",    "retention.policy_set", "key.rotated",
      "advice.given"};
  for (const EventSpec& s : EventSpecs()) {
    CAPTURE(s.type);
    BodyRule want = required.count(s.type) ? BodyRule::kRequired
                    : none.count(s.type)   ? BodyRule::kNone
                                           : BodyRule::kOptional;
    CHECK(s.body == want);
  }
}

TEST_CASE("Catalogue roles follow the who column", "[projections]") {
  CHECK(RoleBitOf("caseworker") == kCaseworker);
  CHECK(RoleBitOf("coordinator") == kCoordinator);
  CHECK(RoleBitOf("legal_reviewer") == kLegalReviewer);
  CHECK(RoleBitOf("auditor") == kAuditor);
  CHECK(RoleBitOf("dpo") == kDpo);
  CHECK(RoleBitOf("Caseworker") == 0);
  CHECK(RoleBitOf("admin") == 0);
  CHECK(RoleBitOf("") == 0);
  CHECK(Spec("concern.reported").roles == (kCaseworker | kCoordinator));
  CHECK(Spec("case.assigned").roles == kCoordinator);
  CHECK(Spec("assessment.recorded").roles == kCoordinator);
  CHECK(Spec("consent.recorded").roles == kCaseworker);
  CHECK(Spec("disclosure.approved").roles == kCoordinator);
  CHECK(Spec("disclosure.reviewed").roles == kLegalReviewer);
  CHECK(Spec("processing.restricted").roles == (kCoordinator | kDpo));
  CHECK(Spec("legal_hold.set").roles == kDpo);
  CHECK(Spec("record.corrected").roles == (kCaseworker | kCoordinator));
  CHECK(Spec("subject.erased").roles == kDpo);
  CHECK(Spec("key.rotated").roles == kDpo);
  for (const char* t : {"user.registered", "user.role_changed", "user.revoked",
                        "user.token_issued"})
    CHECK(Spec(t).roles == kDpo);
  // Auditors never record anything themselves; the server records their reads.
  for (const EventSpec& s : EventSpecs()) {
    CAPTURE(s.type);
    if (!s.server_only) CHECK((s.roles & kAuditor) == 0);
  }
}

TEST_CASE("Catalogue accepts a valid header and body for every type",
          "[projections]") {
  for (const auto& [type, e] : Examples()) {
    CAPTURE(type);
    const EventSpec& s = Spec(type);
    Status h = ValidateHeader(s, e.h);
    CAPTURE(h.ToString());
    CHECK(h.ok());
    Status b = ValidateBody(s, e.body);
    CAPTURE(b.ToString());
    CHECK(b.ok());
    if (s.body == BodyRule::kOptional)
      CHECK(ValidateBody(s, std::nullopt).ok());
  }
}

TEST_CASE("Catalogue refuses unknown and missing header fields for every type",
          "[projections]") {
  for (const auto& [type, e] : Examples()) {
    CAPTURE(type);
    const EventSpec& s = Spec(type);
    Json extra = e.h;
    extra["foo"] = 1;
    Status st = ValidateHeader(s, extra);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(st.message() == "h: unknown field (a name no event type declares)");
    for (const auto& [key, value] : e.h.items()) {
      CAPTURE(key);
      Json missing = e.h;
      missing.erase(key);
      Status m = ValidateHeader(s, missing);
      if (kOptionalHeaderFields.count(key) == 1 && key != "set" &&
          kRequiredIn.count({type, key}) == 0) {
        CHECK(m.ok());
      } else {
        CHECK(m.code() == StatusCode::kInvalidArgument);
        CHECK(m.message().find(key) != std::string::npos);
      }
    }
    CHECK_FALSE(ValidateHeader(s, Json::array()).ok());
    CHECK_FALSE(ValidateHeader(s, Json()).ok());
    CHECK_FALSE(ValidateHeader(s, Json("h")).ok());
  }
}

TEST_CASE("Catalogue enforces each type's body rule", "[projections]") {
  for (const auto& [type, e] : Examples()) {
    CAPTURE(type);
    const EventSpec& s = Spec(type);
    Json unknown = Json{{"zzz", "text"}};
    switch (s.body) {
      case BodyRule::kNone: {
        Status st = ValidateBody(s, Json{{"note", "x"}});
        CHECK(st.message() == "body: this event type has no body");
        CHECK_FALSE(ValidateBody(s, Json::object()).ok());
        break;
      }
      case BodyRule::kRequired:
        CHECK(ValidateBody(s, std::nullopt).message().find("requires a body") !=
              std::string::npos);
        CHECK_FALSE(ValidateBody(s, Json::object()).ok());
        CHECK(
            ValidateBody(s, unknown).message().find("unknown field (a name no event type declares)") !=
            std::string::npos);
        break;
      case BodyRule::kOptional:
        CHECK(ValidateBody(s, std::nullopt).ok());
        CHECK(ValidateBody(s, Json::object()).message().find("at least 1") !=
              std::string::npos);
        CHECK(
            ValidateBody(s, unknown).message().find("unknown field (a name no event type declares)") !=
            std::string::npos);
        CHECK_FALSE(ValidateBody(s, Json("just text")).ok());
        break;
    }
  }
  // The single optional field of each optional-body type.
  const std::map<std::string_view, std::string_view> field = {
      {"concern.responded", "note"},     {"disclosure.approved", "reason"},
      {"disclosure.rejected", "reason"}, {"disclosure.reviewed", "notes"},
      {"case.reviewed", "reasoning"},    {"record.retracted", "reason"},
      {"case.closed", "note"},           {"legal_hold.set", "note"}};
  for (const auto& [type, name] : field) {
    CAPTURE(type);
    CHECK(ValidateBody(Spec(type), Json{{std::string(name), "text"}}).ok());
    CHECK_FALSE(ValidateBody(Spec(type), Json{{std::string(name), 5}}).ok());
  }
}

// ---------------------------------------------------------------------------
// Table-driven header refusals: each row merge-patches a valid example
// (RFC 7386: null removes a member) and names the expected message part.

struct Refusal {
  const char* type;
  Json patch;
  std::string expect;  // substring of the message
};

std::vector<Refusal> HeaderRefusals() {
  const std::string u = kUser;
  return {
      // Wrong JSON types.
      {"concern.reported", {{"minor", "true"}}, "h.minor: must be a boolean"},
      {"concern.reported",
       {{"new_subject", 1}},
       "h.new_subject: must be a boolean"},
      {"concern.reported", {{"source", 3}}, "h.source: must be a string"},
      {"concern.reported",
       {{"grounds", "b.threat"}},
       "h.grounds: must be an array"},
      {"concern.reported",
       {{"grounds", Json::array({"b.threat"})}},
       "h.grounds[0]: must be an object"},
      {"progress.assessed",
       {{"intervention", "7"}},
       "h.intervention: must be a seq"},
      {"progress.assessed",
       {{"intervention", true}},
       "h.intervention: must be a seq"},
      {"progress.assessed",
       {{"intervention", 7.0}},
       "h.intervention: must be a seq"},
      {"progress.assessed",
       {{"intervention", 0}},
       "h.intervention: must be a seq"},
      {"progress.assessed",
       {{"intervention", -3}},
       "h.intervention: must be a seq"},
      {"progress.assessed",
       {{"intervention", std::int64_t{1} << 53}},
       "h.intervention: must be a seq"},
      {"disclosure.requested",
       {{"includes", Json::array({3, "4"})}},
       "h.includes[1]: must be a seq"},
      {"disclosure.requested",
       {{"includes", Json::array({3, 3})}},
       "h.includes[1]: repeats an earlier item"},
      {"disclosure.requested", {{"consent", 0}}, "h.consent: must be a seq"},
      // Unknown codes (closed lists).
      {"concern.reported", {{"source", "newspaper"}}, "h.source: unknown code"},
      {"concern.reported",
       {{"subject_kind", "Person"}},
       "h.subject_kind: unknown code"},
      {"information.received", {{"from", "press"}}, "h.from: unknown code"},
      {"information.received",
       {{"categories", Json::array({"dna"})}},
       "h.categories[0]: unknown code"},
      {"information.received",
       {{"categories", Json::array()}},
       "h.categories: needs at least 1"},
      {"information.received", {{"basis", "RPL 115"}}, "h.basis: not"},
      {"assessment.recorded",
       {{"outcome", "maybe"}},
       "h.outcome: unknown code"},
      {"assessment.recorded", {{"panel", "court"}}, "h.panel: unknown code"},
      {"consent.recorded", {{"by", "mother"}}, "h.by: unknown code"},
      {"intervention.started",
       {{"provider", "church"}},
       "h.provider: unknown code"},
      {"intervention.ended", {{"reason", "fired"}}, "h.reason: unknown code"},
      {"disclosure.requested",
       {{"recipient", "press"}},
       "h.recipient: unknown code"},
      {"disclosure.requested",
       {{"purpose", "mapping"}},
       "h.purpose: unknown code"},
      {"disclosure.requested",
       {{"threshold", "high"}},
       "h.threshold: unknown code"},
      {"disclosure.requested",
       {{"categories", Json::array({"health", "health"})}},
       "h.categories[1]: repeats"},
      {"disclosure.requested",
       {{"registry_version", "2026_1"}},
       "h.registry_version: not"},
      {"disclosure.requested", {{"request_ref", "a b"}}, "h.request_ref: must be true"},
      {"disclosure.requested", {{"request_ref", false}}, "h.request_ref: must be true"},
      {"disclosure.requested",
       {{"request_ref", "PET-2026-0001"}},
       "h.request_ref: must be true"},
      {"disclosure.made", {{"channel", "fax"}}, "h.channel: unknown code"},
      {"disclosure.made",
       {{"document_sha256", std::string(64, 'A')}},
       "h.document_sha256: not"},
      {"disclosure.made",
       {{"document_sha256", std::string(63, 'a')}},
       "h.document_sha256: not"},
      {"disclosure.reviewed", {{"verdict", "ok"}}, "h.verdict: unknown code"},
      {"disclosure.reviewed",
       {{"findings", Json::array({"bad"})}},
       "h.findings[0]: unknown code"},
      {"subject.information_deferred",
       {{"basis", "dbl-22"}},
       "h.basis: unknown code"},
      {"case.reviewed", {{"decision", "pause"}}, "h.decision: unknown code"},
      {"processing.restricted",
       {{"ground", "complaint"}},
       "h.ground: unknown code"},
      {"legal_hold.set", {{"ground", "objection"}}, "h.ground: unknown code"},
      {"recipients.notified",
       {{"recipients", Json::array()}},
       "h.recipients: needs at least 1"},
      {"recipients.notified",
       {{"recipients", Json::array({"press"})}},
       "h.recipients[0]: unknown code"},
      {"case.closed", {{"reason", "bored"}}, "h.reason: unknown code"},
      {"record.retracted", {{"reason", "whim"}}, "h.reason: unknown code"},
      {"subject.erased", {{"reason", "asked"}}, "h.reason: unknown code"},
      {"access.read", {{"purpose", "curiosity"}}, "h.purpose: unknown code"},
      {"user.registered", {{"role", "admin"}}, "h.role: unknown code"},
      // Dates.
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.threat"}, {"observed_on", "2019-02-30"}}})}},
       "h.grounds[0].observed_on: not a date (YYYY-MM-DD)"},
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.threat"}, {"observed_on", "2019-2-03"}}})}},
       "h.grounds[0].observed_on: not a date"},
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.threat"}, {"observed_on", "2100-02-29"}}})}},
       "h.grounds[0].observed_on: not a date"},
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.threat"}, {"observed_on", "0000-01-01"}}})}},
       "h.grounds[0].observed_on: not a date"},
      {"subject.information_deferred",
       {{"review_on", "2024-04-31"}},
       "h.review_on: not a date"},
      {"subject.information_deferred",
       {{"review_on", "2024-13-01"}},
       "h.review_on: not a date"},
      {"subject.information_deferred",
       {{"review_on", "2024-01-01T00:00:00Z"}},
       "h.review_on: not a date"},
      // Grounds entries.
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "x.threat"}, {"observed_on", "2019-03-02"}}})}},
       "h.grounds[0].code: not"},
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.Threat"}, {"observed_on", "2019-03-02"}}})}},
       "h.grounds[0].code: not"},
      {"concern.reported",
       {{"grounds", Json::array({{{"code", "b.threat"}}})}},
       "h.grounds[0]: missing field \"observed_on\""},
      {"concern.reported",
       {{"grounds", Json::array({{{"code", "b.threat"},
                                  {"observed_on", "2019-03-02"},
                                  {"note", "x"}}})}},
       "h.grounds[0]: unknown field \"note\""},
      {"concern.reported",
       {{"grounds", Json::array({{{"code", "b.threat"},
                                  {"observed_on", "2019-03-02"},
                                  {"case", u}}})}},
       "h.grounds[0].case is not a valid id"},
      {"concern.reported",
       {{"context", Json::array({"religion"})}},
       "h.context[0]: not"},
      {"concern.reported",
       {{"context", Json::array({"p.health", "p.health"})}},
       "h.context[1]: repeats"},
      // Factors.
      {"assessment.recorded",
       {{"factors", {{"family", {{"risk", 4}}}}}},
       "h.factors.family.risk: must be an integer 0..3"},
      {"assessment.recorded",
       {{"factors", {{"family", {{"resources", -1}}}}}},
       "h.factors.family.resources: must be an integer 0..3"},
      {"assessment.recorded",
       {{"factors", {{"family", {{"risk", "1"}}}}}},
       "h.factors.family.risk: must be an integer"},
      {"assessment.recorded",
       {{"factors", {{"family", {{"resources", nullptr}}}}}},
       "h.factors.family: missing field \"resources\""},
      {"assessment.recorded",
       {{"factors", {{"astrology", {{"risk", 1}, {"resources", 1}}}}}},
       "h.factors: unknown field (a name no event type declares)"},
      {"assessment.recorded",
       {{"factors", Json::array()}},
       "h.factors: must be an object"},
      {"progress.assessed",
       {{"factors", {{"personality", nullptr}}}},
       "h.factors: needs at least 1"},
      // Ids.
      {"case.assigned",
       {{"assignees", Json::array()}},
       "h.assignees: needs at least 1"},
      {"case.assigned",
       {{"assignees", Json::array({u, u})}},
       "h.assignees[1]: repeats an earlier item"},
      {"case.assigned",
       {{"assignees", Json::array({kCaseId})}},
       "h.assignees[0] is not a valid id"},
      {"case.assigned",
       {{"assignees", Json::array({"u-abc"})}},
       "h.assignees[0] is not a valid id"},
      {"case.assigned",
       {{"assignees", Json::array({7})}},
       "h.assignees[0]: must be a string"},
      {"subject.erased", {{"kid", kUser}}, "h.kid is not a valid id"},
      {"user.revoked",
       {{"user", "u-" + std::string(26, 'A')}},
       "h.user is not a valid id"},
      // Other shapes and ranges.
      {"policy.refused", {{"rule", "ROL-100"}}, "h.rule: unknown code"},
      {"policy.refused", {{"rule", "ROL-17"}}, "h.rule: unknown code"},
      {"policy.refused", {{"rule", "rol-1"}}, "h.rule: unknown code"},
      {"policy.refused", {{"attempted", "no_such.type"}}, "h.attempted: not"},
      {"policy.refused", {{"attempted", "concern"}}, "h.attempted: not"},
      {"user.registered",
       {{"public_key", "not base64!"}},
       "h.public_key: not base64"},
      {"user.registered", {{"public_key", "AAA"}}, "h.public_key: not base64"},
      // Token hashes: base64 of exactly 32 bytes, one spelling.
      {"user.registered",
       {{"token_hash", std::string(43, 'A')}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.registered",
       {{"token_hash", 12}},
       "h.token_hash: must be a string"},
      {"user.token_issued",
       {{"token_hash", std::string(43, 'A') + "A"}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", std::string(42, 'A') + "=="}},  // 31 bytes
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", std::string(44, 'A') + "===="}},  // 33 bytes
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", std::string(42, 'A') + "B="}},  // stray low bits
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", std::string(42, '-') + "A="}},  // URL-safe alphabet
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", std::string(42, '_') + "A="}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", " " + kTokenHash.substr(1)}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", kTokenHash.substr(0, 43) + "\n"}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", ""}},
       "h.token_hash: not base64 of 32 bytes"},
      {"user.token_issued",
       {{"token_hash", nullptr}},
       "h: missing field \"token_hash\""},
      {"user.token_issued", {{"user", nullptr}}, "h: missing field \"user\""},
      {"user.token_issued", {{"user", kCaseId}}, "h.user is not a valid id"},
      {"user.token_issued", {{"role", "dpo"}}, "h: unknown field \"role\""},
      {"retention.policy_set",
       {{"unfounded_days", 0}},
       "h.unfounded_days: must be an integer 1..3650"},
      {"retention.policy_set",
       {{"unfounded_days", 3651}},
       "h.unfounded_days: must be"},
      {"retention.policy_set",
       {{"closed_years", 51}},
       "h.closed_years: must be"},
      {"retention.policy_set",
       {{"review_months", "12"}},
       "h.review_months: must be"},
      {"key.rotated", {{"public_key", "name+zz+AAAA"}}, "h.public_key: not"},
      {"key.rotated", {{"public_key", std::string(43, 'B') + "="}}, "h.public_key: not"},
      {"key.rotated", {{"new_sig", std::string(88, 'A')}}, "h.new_sig: not"},
      {"key.rotated", {{"old_sig", "x"}}, "h.old_sig: not base64"},
      {"subject.informed", {{"note", "x"}}, "h: unknown field \"note\""},
      // record.corrected.
      {"record.corrected",
       {{"fields", Json::array()}},
       "h.fields: needs at least 1"},
      {"record.corrected",
       {{"fields", Json::array({"source"})}},
       "h.fields[0]: not"},
      {"record.corrected",
       {{"fields", Json::array({"h.Source"})}},
       "h.fields[0]: not"},
      {"record.corrected",
       {{"fields", Json::array({"body.narrative"})}},
       "h.set: field \"source\" is not listed in h.fields"},
      {"record.corrected",
       {{"set", nullptr}},
       "h.set: no corrected value for \"h.source\""},
      {"record.corrected", {{"set", "police"}}, "h.set: must be an object"},
      {"record.corrected", {{"target", -1}}, "h.target: must be a seq"},
  };
}

TEST_CASE("Catalogue refuses malformed headers naming the path",
          "[projections]") {
  auto ex = Examples();
  for (const Refusal& r : HeaderRefusals()) {
    Json h = ex.at(r.type).h;
    h.merge_patch(r.patch);
    CAPTURE(r.type, h.dump(), r.expect);
    Status st = ValidateHeader(Spec(r.type), h);
    CAPTURE(st.ToString());
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(st.message().find(r.expect) != std::string::npos);
  }
}

TEST_CASE("Catalogue accepts edge values that are valid", "[projections]") {
  auto ex = Examples();
  const std::vector<std::pair<const char*, Json>> ok = {
      {"concern.reported", {{"subject_kind", "association"}}},  // ROL-2 refuses
      {"concern.reported", {{"grounds", Json::array()}}},       // ROL-1 refuses
      {"concern.reported", {{"context", Json::array()}}},
      {"concern.reported",
       {{"grounds", Json::array({{{"code", "p.religion"},
                                  {"observed_on", "2000-02-29"}}})}}},
      {"assessment.recorded", {{"factors", Json::object()}}},
      {"assessment.recorded", {{"outcome", "unfounded"}}},
      {"disclosure.requested", {{"recipient", "other"}}},
      {"disclosure.requested", {{"basis", "fvl-28"}}},  // (ROL-6 refuses the recipient)
      {"disclosure.requested",
       {{"threshold", "none"}, {"includes", Json::array()}}},
      {"disclosure.requested", {{"consent", 9007199254740991}}},
      {"disclosure.reviewed", {{"findings", Json::array()}}},
      {"policy.refused", {{"rule", "ROLE"}, {"attempted", "key.rotated"}}},
      {"policy.refused", {{"rule", "ROL-16"}}},
      {"retention.policy_set",
       {{"unfounded_days", 3650}, {"closed_years", 50}, {"review_months", 1}}},
      {"record.corrected",
       {{"fields", Json::array({"body.narrative"})}, {"set", nullptr}}},
      {"user.registered", {{"token_hash", nullptr}, {"public_key", nullptr}}},
      {"user.registered",
       {{"token_hash", std::string(43, 'A') + "="}}},  // 32 zero bytes
      {"user.token_issued",
       {{"token_hash", std::string(42, '/') + "w="}}},
      {"user.token_issued",
       {{"token_hash", std::string(42, '+') + "8="}}},
      {"case.assigned",
       {{"assignees",
         [] {
           Json a = Json::array();
           for (std::uint8_t i = 0; i < 16; ++i) a.push_back(IdOf("u", i));
           return a;
         }()}}},
  };
  for (const auto& [type, patch] : ok) {
    Json h = ex.at(type).h;
    h.merge_patch(patch);
    CAPTURE(type, h.dump());
    Status st = ValidateHeader(Spec(type), h);
    CAPTURE(st.ToString());
    CHECK(st.ok());
  }
  // Seventeen assignees are too many.
  Json a = Json::array();
  for (std::uint8_t i = 0; i < 17; ++i) a.push_back(IdOf("u", i));
  CHECK(ValidateHeader(Spec("case.assigned"), Json{{"assignees", a}})
            .message()
            .find("more than 16") != std::string::npos);
  // Integers parsed from text (unsigned in nlohmann) are seqs too.
  Json parsed =
      Json::parse(R"({"request":9,"channel":"letter","document_sha256":")" +
                  std::string(64, '0') + "\"}");
  CHECK(ValidateHeader(Spec("disclosure.made"), parsed).ok());
  CHECK_FALSE(
      ValidateHeader(
          Spec("disclosure.made"),
          Json::parse(
              R"({"request":9.0,"channel":"letter","document_sha256":")" +
              std::string(64, '0') + "\"}"))
          .ok());
}

TEST_CASE("IsTokenHash accepts exactly the canonical base64 of 32 bytes",
          "[projections]") {
  CHECK(kTokenHashChars == 44);
  CHECK(IsTokenHash(kTokenHash));
  // The last data character carries 4 bits and 2 zero padding bits.
  int accepted = 0;
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (char c : alphabet) {
    if (IsTokenHash(std::string(42, 'A') + c + "=")) ++accepted;
  }
  CHECK(accepted == 16);
  CHECK(IsTokenHash(std::string(42, 'z') + "E="));
  CHECK_FALSE(IsTokenHash(std::string(42, 'z') + "F="));
  CHECK_FALSE(IsTokenHash(kTokenHash.substr(0, 43)));
  CHECK_FALSE(IsTokenHash(kTokenHash + "="));
  CHECK_FALSE(IsTokenHash(kTokenHash.substr(0, 42) + "==" ));
  CHECK_FALSE(IsTokenHash(""));
  std::string with_nul = kTokenHash;
  with_nul[5] = '\0';
  CHECK_FALSE(IsTokenHash(with_nul));
}

TEST_CASE("Catalogue errors never echo values nor names the caller chose",
          "[projections]") {
  auto ex = Examples();
  Json h = ex.at("concern.reported").h;
  h["source"] = "SECRET-VALUE";
  Status st = ValidateHeader(Spec("concern.reported"), h);
  CHECK(st.message() == "h.source: unknown code");
  h = ex.at("concern.reported").h;
  h["grounds"][0]["observed_on"] = "SECRET";
  CHECK(ValidateHeader(Spec("concern.reported"), h).message().find("SECRET") ==
        std::string::npos);
  h = ex.at("concern.reported").h;
  std::string long_name(100, 'a');
  h[long_name] = 1;
  st = ValidateHeader(Spec("concern.reported"), h);
  CHECK(st.message().find("aaaa") == std::string::npos);
  // A name the caller chose may itself be personal data: never echoed.
  h = ex.at("concern.reported").h;
  h["cpr_0001001234"] = 1;
  st = ValidateHeader(Spec("concern.reported"), h);
  CHECK(st.message() == "h: unknown field (a name no event type declares)");
  // A name some type declares is quoted (it helps, and is no one's data).
  h = ex.at("concern.reported").h;
  h["recipient"] = "police";
  st = ValidateHeader(Spec("concern.reported"), h);
  CHECK(st.message() == "h: unknown field \"recipient\"");
  Json body = *ex.at("concern.reported").body;
  body["identity"]["cpr"] = "0102031234567";
  st = ValidateBody(Spec("concern.reported"), body);
  CHECK(st.message().find("body.identity.cpr") != std::string::npos);
  CHECK(st.message().find("0102031234567") == std::string::npos);
}

// ---------------------------------------------------------------------------
// Bodies

TEST_CASE("Catalogue refuses malformed bodies naming the path",
          "[projections]") {
  auto ex = Examples();
  const std::vector<Refusal> rows = {
      {"concern.reported",
       {{"narrative", nullptr}},
       "body: missing field \"narrative\""},
      {"concern.reported",
       {{"narrative", ""}},
       "body.narrative: must not be empty"},
      {"concern.reported",
       {{"narrative", 5}},
       "body.narrative: must be a string"},
      {"concern.reported",
       {{"narrative", std::string((64 << 10) + 1, 'x')}},
       "body.narrative: longer than 64 KiB"},
      {"concern.reported",
       {{"cpr", "010203-1234"}},
       "body: unknown field \"cpr\""},
      {"concern.reported",
       {{"identity", {{"cpr", nullptr}}}},
       "body.identity: missing field \"cpr\""},
      {"concern.reported",
       {{"identity", {{"cpr", "01020-31234"}}}},
       "body.identity.cpr: not"},
      {"concern.reported",
       {{"identity", {{"cpr", "0102031234x"}}}},
       "body.identity.cpr: not"},
      {"concern.reported",
       {{"identity", {{"birth_date", "2003-02-30"}}}},
       "body.identity.birth_date: not a date"},
      {"concern.reported",
       {{"identity", {{"email", "x"}}}},
       "body.identity: unknown field (a name no event type declares)"},
      {"concern.reported",
       {{"identity", "Test Person"}},
       "body.identity: must be an object"},
      {"concern.reported",
       {{"reporter", {{"organisation", nullptr}}}},
       "body.reporter: needs at least 1"},
      {"concern.reported",
       {{"ground_descriptions", Json::array({1})}},
       "body.ground_descriptions[0]: must be a string"},
      {"disclosure.requested",
       {{"summary", nullptr}},
       "body: missing field \"summary\""},
      {"disclosure.requested",
       {{"balancing", Json::array({"x"})}},
       "body.balancing: must be a string"},
      {"record.corrected",
       {{"values", {{"narrative", 1}}}},
       "body.values.narrative: must be a string"},
      {"record.corrected",
       {{"values", {{"Bad Key", "x"}}}},
       "body.values: a key is not a field name"},
      {"record.corrected", {{"values", "x"}}, "body.values: must be an object"},
      {"user.registered",
       {{"display_name", nullptr}, {"name", "x"}},
       "body: unknown field \"name\""},
      {"intervention.ended",
       {{"note", nullptr}, {"reason", "x"}},
       "body: unknown field \"reason\""},
  };
  for (const Refusal& r : rows) {
    Json body = ex.at(r.type).body.value_or(Json::object());
    body.merge_patch(r.patch);
    CAPTURE(r.type, r.expect);
    Status st = ValidateBody(Spec(r.type), body);
    CAPTURE(st.ToString());
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(st.message().find(r.expect) != std::string::npos);
  }
  // The CPR number may be written with or without the hyphen.
  Json body = *ex.at("concern.reported").body;
  body["identity"]["cpr"] = "0102031234";
  CHECK(ValidateBody(Spec("concern.reported"), body).ok());
  // Identity is optional (a known subject), the narrative alone is enough.
  CHECK(ValidateBody(Spec("concern.reported"), Json{{"narrative", "n"}}).ok());
  CHECK(ValidateBody(Spec("record.corrected"), Json{{"reason", "r"}}).ok());
  CHECK(ValidateBody(Spec("concern.reported"),
                     Json{{"narrative", std::string(64 << 10, 'x')}})
            .ok());
}

// ---------------------------------------------------------------------------
// MergeCorrection

TEST_CASE("MergeCorrection applies set and validates the result",
          "[projections]") {
  auto ex = Examples();
  const EventSpec& concern = Spec("concern.reported");
  const Json& original = ex.at("concern.reported").h;

  Result<Json> merged =
      MergeCorrection(concern, original, Json{{"source", "police"}});
  REQUIRE(merged.ok());
  CHECK(merged->at("source") == "police");
  CHECK(merged->at("grounds") == original.at("grounds"));
  CHECK(original.at("source") == "school");  // the target is not modified

  Json grounds =
      Json::array({{{"code", "b.violence"}, {"observed_on", "2019-01-05"}}});
  merged = MergeCorrection(concern, original,
                           Json{{"grounds", grounds}, {"minor", true}});
  REQUIRE(merged.ok());
  CHECK(merged->at("grounds") == grounds);
  CHECK(merged->at("minor") == true);

  // An optional field the target did not have may be added.
  merged = MergeCorrection(Spec("disclosure.requested"),
                           Json{{"recipient", "police"},
                                {"basis", "dbl-8-2-2"},
                                {"registry_version", "2026-1"},
                                {"purpose", "prevention"},
                                {"categories", Json::array({"concern"})}},
                           Json{{"threshold", "none"}});
  REQUIRE(merged.ok());
  CHECK(merged->at("threshold") == "none");

  CHECK(MergeCorrection(concern, original, Json::object()).ok());
}

TEST_CASE("MergeCorrection refuses fields and values outside the schema",
          "[projections]") {
  auto ex = Examples();
  struct Row {
    const char* target;
    Json set;
    std::string expect;
  };
  const std::vector<Row> rows = {
      {"concern.reported",
       {{"foo", 1}},
       "h.set: field (a name no event type declares) is not in the header of concern.reported"},
      {"concern.reported", {{"source", "newspaper"}}, "h.source: unknown code"},
      {"concern.reported", {{"minor", "yes"}}, "h.minor: must be a boolean"},
      {"concern.reported",
       {{"grounds",
         Json::array({{{"code", "b.threat"}, {"observed_on", "2019-02-30"}}})}},
       "h.grounds[0].observed_on: not a date"},
      {"concern.reported", Json::array(), "h.set: must be an object"},
      {"subject.informed",
       {{"basis", "other"}},
       "h.set: field \"basis\" is not in the header of subject.informed"},
      {"case.closed", {{"reason", nullptr}}, "h.reason: must be a string"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.target, r.expect);
    Result<Json> m = MergeCorrection(Spec(r.target), ex.at(r.target).h, r.set);
    REQUIRE_FALSE(m.ok());
    CAPTURE(m.status().ToString());
    CHECK(m.status().code() == StatusCode::kInvalidArgument);
    CHECK(m.status().message().find(r.expect) != std::string::npos);
  }
  CHECK_FALSE(MergeCorrection(Spec("concern.reported"), Json::array(),
                              Json{{"source", "police"}})
                  .ok());
}

}  // namespace
}  // namespace caseledger::projections

// --- Closed headers (issue 14): no header field admits a string the caller
// chose. A property walk over every string in every type's example header.
namespace caseledger::projections {
namespace {

// The value classes a clear-header string may belong to without being a code
// of a closed list: an id, a date, a SHA-256 digest, the base64 of a key or
// signature of fixed size (docs/catalogue.md, "Closed headers").
bool IsClosedClass(const std::string& s) {
  for (const char* p : {"u", "c", "s", "k"})
    if (ValidateId(s, p, "x").ok()) return true;
  auto all = [&](std::size_t from, std::size_t to, auto pred) {
    for (std::size_t i = from; i < to; ++i)
      if (!pred(s[i])) return false;
    return true;
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && all(0, 4, digit) && all(5, 7, digit) &&
      all(8, 10, digit))
    return true;
  if (s.size() == 64 && all(0, 64, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return true;
  return (s.size() == 44 && s[43] == '=') || (s.size() == 88 && s.ends_with("=="));
}

// Strings a caller might slip into a field whose valid value is `v`: free
// text, (synthetic) CPR numbers, opinion labels, and look-alikes of `v`'s own
// shape (same prefix, other name) that no closed list holds.
std::vector<std::string> Attacks(const std::string& v) {
  std::vector<std::string> out = {"Fixture Person", "0001001234", "000100-1234",
                                  "devout_believer_attends_prayer", "x", "a b",
                                  "cpr_0001001234", v + "_x", v + "x", "x" + v, v + "-0001001234"};
  for (char sep : {'.', '-', '/', '+'}) {
    const auto at = v.rfind(sep);
    if (at == std::string::npos) continue;
    for (const char* tail : {"devout_believer", "cpr_0001001234", "0001001234", "17", "zz"})
      out.push_back(v.substr(0, at + 1) + tail);
  }
  if (v.size() > 2) out.push_back(v.substr(0, v.size() - 1));
  return out;
}

// Every path to a string in `j` (array items and object members).
void StringPaths(const Json& j, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
  if (j.is_string()) {
    out.push_back(at);
  } else if (j.is_object()) {
    for (const auto& [k, x] : j.items()) StringPaths(x, at / k, out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) StringPaths(j[i], at / i, out);
  }
}

// What the schema admits as a stored header: ValidateHeader, and for a
// correction the values it sets, merged into the target (a concern).
bool Admits(const std::string& type, const Json& h, const Json& concern_h) {
  if (!ValidateHeader(Spec(type), h).ok()) return false;
  if (type == "record.corrected" && h.contains("set"))
    return MergeCorrection(Spec("concern.reported"), concern_h, h["set"]).ok();
  return true;
}

TEST_CASE("no header field of any type admits a string the caller chose",
          "[projections][closed]") {
  const auto ex = Examples();
  const Json concern_h = ex.at("concern.reported").h;
  std::size_t fields = 0, tried = 0;
  for (const EventSpec& spec : EventSpecs()) {
    const std::string type(spec.type);
    const Json& h = ex.at(type).h;
    REQUIRE(Admits(type, h, concern_h));  // the example itself is lawful
    std::vector<Json::json_pointer> paths;
    StringPaths(h, Json::json_pointer(), paths);
    for (const auto& p : paths) {
      ++fields;
      const std::string valid = h.at(p).get<std::string>();
      for (const std::string& s : Attacks(valid)) {
        if (s == valid) continue;
        Json bad = h;
        bad[p] = s;
        ++tried;
        const bool admitted = Admits(type, bad, concern_h);
        INFO(type << " " << p.to_string() << " admits a caller's string of " << s.size()
                  << " characters");
        CHECK((!admitted || IsClosedClass(s)));
      }
    }
  }
  CHECK(fields >= 40);  // the walk reached the string fields of the catalogue
  CHECK(tried > 500);
}

TEST_CASE("a correction names only fields of its target's schema", "[projections][closed]") {
  const auto ex = Examples();
  Json h = ex.at("record.corrected").h;
  REQUIRE(ValidateCorrection(Spec("concern.reported"), h).ok());
  for (const char* ref : {"body.cpr_0001001234", "body.devout_believer", "h.cpr_0001001234"}) {
    h["fields"] = Json::array({ref});
    h.erase("set");
    CHECK_FALSE(ValidateHeader(Spec("record.corrected"), h).ok());
  }
  // A field of the catalogue, but not of the target's type.
  h["fields"] = Json::array({"body.summary"});
  CHECK(ValidateHeader(Spec("record.corrected"), h).ok());
  CHECK(ValidateCorrection(Spec("concern.reported"), h).message() ==
        "h.fields[0]: names no body field of concern.reported");
  CHECK(ValidateCorrection(Spec("disclosure.requested"), h).ok());
  // A set value must have the shape of the target's field.
  h["fields"] = Json::array({"h.subject_kind"});
  h["set"] = {{"subject_kind", "devout_believer"}};
  CHECK(ValidateCorrection(Spec("concern.reported"), h).message() ==
        "h.set.subject_kind: unknown code");
}

TEST_CASE("advice without registration holds no person: behaviour codes only, no body",
          "[projections][advice]") {
  const EventSpec& s = Spec("advice.given");
  CHECK(s.scope == Scope::kGlobal);
  CHECK(s.body == BodyRule::kNone);
  CHECK(s.roles == (kCaseworker | kCoordinator));
  const Json ok = Examples().at("advice.given").h;
  CHECK(ValidateHeader(s, ok).ok());
  Json h = ok;
  h.erase("behaviours");
  CHECK(ValidateHeader(s, h).ok());  // nothing discussed that a code names
  // A protected characteristic is refused as a rule of law (recorded).
  h = ok;
  h["behaviours"] = {"b.threat", "p.religion"};
  Status st = ValidateHeader(s, h);
  CHECK(st.code() == StatusCode::kPolicyRefused);
  CHECK(RuleOf(st) == "ROL-1");
  // No place for a name, a CPR number or free text.
  h = ok;
  h["note"] = "Fixture Person";
  CHECK(ValidateHeader(s, h).code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(ValidateBody(s, Json{{"note", "x"}}).ok());
  // The form offers exactly the schema's fields.
  std::vector<std::string> names;
  for (const FormField& f : FormFields("advice.given")) names.emplace_back(f.name);
  CHECK(names == std::vector<std::string>{"channel", "caller", "behaviours", "outcome"});
  CHECK(FormFields("advice.given")[2].kind == FormKind::kBehaviours);
}

}  // namespace
}  // namespace caseledger::projections
