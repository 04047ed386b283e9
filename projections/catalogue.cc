#include "projections/catalogue.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "base/ids.h"
#include "projections/legal_basis.h"
#include "projections/vocabulary.h"

namespace caseledger::projections {

Status RuleRefusal(std::string_view rule, std::string_view message) {
  return Status(StatusCode::kPolicyRefused, std::string(rule) + ": " + std::string(message))
      .WithReason(std::string(rule));
}

namespace {

// ---------------------------------------------------------------------------
// Schema description: one Field per JSON member, interpreted by CheckObject.
// The tables below are the schemas of docs/catalogue.md.

using Codes = std::span<const std::string_view>;
using Shape = bool (*)(std::string_view);

enum class Kind : std::uint8_t {
  kEnum,       // a string from `codes`
  kBool,       // a JSON boolean
  kSeq,        // a JSON integer 1 .. 2^53 - 1 (a seq of the log)
  kInt,        // a JSON integer lo .. hi
  kDate,       // "YYYY-MM-DD", a real calendar date
  kId,         // "<prefix>-…" (base/ids.h)
  kShaped,     // a string accepted by `shape` (a digest, a key, a field name)
  kMember,     // a string of `shape` that is a member of a closed list kept
               // elsewhere (vocabulary, registry): a well-shaped non-member is
               // refused by `rule` (a policy refusal, recorded), see below
  kTrue,       // the JSON literal true (a marker: the text is in the body)
  kText,       // a body string: personal data or free text, 1 B .. 64 KiB
  kObject,     // an object with the nested `fields`
  kTextMap,    // a body object: field name -> text
  kAnyObject,  // an object whose values are checked by the caller (`set`)
};

struct Field {
  std::string_view name;
  Kind kind = Kind::kBool;
  bool required = true;
  bool array = false;           // a JSON array of values of `kind`
  std::size_t min_items = 0;    // array: items; kObject: members present
  std::size_t max_items = 0;    // array only
  bool distinct = false;        // array: no value twice
  Codes codes;                  // kEnum
  std::string_view prefix;      // kId
  Shape shape = nullptr;        // kShaped
  std::string_view shape_text;  // kShaped: the shape, for the error
  bool (*member)(std::string_view) = nullptr;  // kMember
  std::string_view rule;                       // kMember: the rule id
  std::string_view rule_message;               // kMember: its refusal
  std::int64_t lo = 0;          // kInt
  std::int64_t hi = 0;
  std::span<const Field> fields;  // kObject
};

constexpr Field Make(std::string_view name, Kind kind) {
  Field f;
  f.name = name;
  f.kind = kind;
  return f;
}
constexpr Field Enum(std::string_view n, Codes codes) {
  Field f = Make(n, Kind::kEnum);
  f.codes = codes;
  return f;
}
constexpr Field Bool(std::string_view n) { return Make(n, Kind::kBool); }
constexpr Field Seq(std::string_view n) { return Make(n, Kind::kSeq); }
constexpr Field Date(std::string_view n) { return Make(n, Kind::kDate); }
constexpr Field Text(std::string_view n) { return Make(n, Kind::kText); }
constexpr Field TextMap(std::string_view n) { return Make(n, Kind::kTextMap); }
constexpr Field AnyObject(std::string_view n) {
  return Make(n, Kind::kAnyObject);
}
constexpr Field Int(std::string_view n, std::int64_t lo, std::int64_t hi) {
  Field f = Make(n, Kind::kInt);
  f.lo = lo;
  f.hi = hi;
  return f;
}
constexpr Field Id(std::string_view n, std::string_view prefix) {
  Field f = Make(n, Kind::kId);
  f.prefix = prefix;
  return f;
}
constexpr Field Shaped(std::string_view n, Shape shape, std::string_view text) {
  Field f = Make(n, Kind::kShaped);
  f.shape = shape;
  f.shape_text = text;
  return f;
}
constexpr Field Member(std::string_view n, Shape shape, std::string_view text,
                       bool (*member)(std::string_view), std::string_view rule,
                       std::string_view message) {
  Field f = Shaped(n, shape, text);
  f.kind = Kind::kMember;
  f.member = member;
  f.rule = rule;
  f.rule_message = message;
  return f;
}
constexpr Field True(std::string_view n) { return Make(n, Kind::kTrue); }
constexpr Field Object(std::string_view n, std::span<const Field> fields,
                       std::size_t min_members = 0) {
  Field f = Make(n, Kind::kObject);
  f.fields = fields;
  f.min_items = min_members;
  return f;
}
constexpr Field Opt(Field f) {
  f.required = false;
  return f;
}
constexpr Field List(Field f, std::size_t min, std::size_t max, bool distinct) {
  f.array = true;
  f.min_items = min;
  f.max_items = max;
  f.distinct = distinct;
  return f;
}

// --- Shapes (small hand-written matchers; no regex engine) -----------------

constexpr bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool AllOf(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

// ^[a-z_]+$, 1..64
bool IsSnake(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         AllOf(s, [](char c) { return IsLower(c) || c == '_'; });
}
// ^[bp]\.[a-z_]+$ (membership: the policy engine, ROL-1)
bool IsGroundShape(std::string_view s) {
  return s.size() > 2 && (s[0] == 'b' || s[0] == 'p') && s[1] == '.' &&
         IsSnake(s.substr(2));
}
// ^[a-z0-9-]{1,64}$ (membership: the registry, ROL-6)
bool IsBasisShape(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         AllOf(s, [](char c) { return IsLower(c) || IsDigit(c) || c == '-'; });
}
// ^[0-9a-z.-]{1,16}$
bool IsVersionShape(std::string_view s) {
  return !s.empty() && s.size() <= 16 && AllOf(s, [](char c) {
    return IsLower(c) || IsDigit(c) || c == '.' || c == '-';
  });
}
// 64 lower-case hex digits
bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 &&
         AllOf(s, [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}
// The base64 alphabet's value of `c`, or -1.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (IsDigit(c)) return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
// True iff `s` is the canonical standard base64, with padding, of exactly
// `bytes` bytes (one spelling per value: no stray bits before the padding).
bool IsCanonicalBase64Of(std::string_view s, std::size_t bytes) {
  const std::size_t pad = (3 - bytes % 3) % 3;
  if (s.size() != (bytes + 2) / 3 * 4) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i >= s.size() - pad) {
      if (s[i] != '=') return false;
    } else if (Base64Value(s[i]) < 0) {
      return false;
    }
  }
  if (pad == 0) return true;
  // The last character before the padding carries 2 (pad 1) or 4 (pad 2)
  // stray low bits, which must be zero.
  const int last = Base64Value(s[s.size() - pad - 1]);
  return last % (pad == 1 ? 4 : 16) == 0;
}
bool IsEd25519PublicKey(std::string_view s) { return IsCanonicalBase64Of(s, 32); }
bool IsEd25519Signature(std::string_view s) { return IsCanonicalBase64Of(s, 64); }
// ^[a-z_][a-z0-9_]{0,63}$
bool IsFieldName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && !IsDigit(s[0]) &&
         AllOf(s, [](char c) { return IsLower(c) || IsDigit(c) || c == '_'; });
}
// Defined with the catalogue below: closed lists drawn from it.
bool IsCatalogueType(std::string_view s);
bool IsKnownFieldRef(std::string_view s);

// Membership in the lists kept beside the catalogue (the grounds vocabulary,
// the legal-basis registry).
bool IsGroundCode(std::string_view s) { return FindGroundCode(s) != nullptr; }
bool IsContextCode(std::string_view s) { return IsProtectedCode(s); }
bool IsRegistryVersion(std::string_view s) {
  const auto v = RegistryVersions();
  return std::find(v.begin(), v.end(), s) != v.end();
}
bool IsRegistryBasis(std::string_view s) {
  for (std::string_view version : RegistryVersions())
    if (FindBasis(s, version) != nullptr) return true;
  return false;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int v[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (std::size_t i = 0; i < 3; ++i) {
    for (char c : s.substr(starts[i], lens[i])) {
      if (!IsDigit(c)) return false;
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  int year = v[0], month = v[1], day = v[2];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

// --- Closed code lists (DESIGN §6) ------------------------------------------

using SV = std::string_view;
constexpr SV kSources[] = {"school",           "youth_club", "social_services",
                           "psychiatry",       "housing",    "police",
                           "prison_probation", "relative",   "hotline",
                           "advice_phone",     "anonymous",  "other"};
constexpr SV kSubjectKinds[] = {"person", "association", "congregation",
                                "group",  "place",       "website"};
constexpr SV kRespondChannels[] = {"phone", "meeting", "home_visit", "letter"};
constexpr SV kFrom[] = {"police",     "pet",    "prison_probation",
                        "psychiatry", "school", "other"};
constexpr SV kCategories[] = {"identity",         "contact",          "concern",
                              "assessment",       "intervention",     "health",
                              "criminal_offence", "belief_or_opinion"};
constexpr SV kOutcomes[] = {"founded", "unfounded", "more_information"};
constexpr SV kPanels[] = {"unit", "infohus"};
constexpr SV kConsentDecisions[] = {"given", "declined", "withdrawn"};
constexpr SV kConsentBy[] = {"subject", "guardian"};
constexpr SV kInterventionKinds[] = {
    "mentor",        "relatives_coach",      "exit",   "social_psychiatric",
    "child_welfare", "employment_education", "family", "other"};
constexpr SV kProviders[] = {
    "municipality", "ngo",    "police", "prison_probation",
    "psychiatry",   "school", "other"};
constexpr SV kEndReasons[] = {"completed", "declined", "withdrawn", "moved",
                              "other"};
// "other" is not in DESIGN §6's list; §5.3 names it (docs/legal-basis.md).
constexpr SV kRecipients[] = {
    "police",          "pet",        "prison_probation", "other_municipality",
    "social_services", "psychiatry", "child_welfare",    "other"};
constexpr SV kPurposes[] = {"prevention", "safety", "child_welfare",
                            "pet_request", "investigation"};
constexpr SV kThresholds[] = {"society_threatening", "none"};
constexpr SV kMadeChannels[] = {"secure_mail", "letter", "meeting", "phone",
                                "system"};
constexpr SV kVerdicts[] = {"lawful", "deficient"};
constexpr SV kFindings[] = {"basis_not_allowed",
                            "missing_approval",
                            "self_approval",
                            "approval_expired",
                            "beyond_approval",
                            "onward_115",
                            "art9_without_basis",
                            "pet_without_threshold",
                            "pet4_without_request_ref",
                            "restricted_case",
                            "unfounded_case",
                            "late_review",
                            "art10_without_basis",
                            "basis_condition",
                            "other"};
constexpr SV kDeferralBases[] = {"pet_act_12", "dbl_22", "investigation",
                                 "other"};
constexpr SV kReviewDecisions[] = {"continue", "close"};
constexpr SV kRestrictionGrounds[] = {"accuracy_contested", "objection",
                                      "other"};
constexpr SV kHoldGrounds[] = {"complaint", "court_case", "ombudsman", "other"};
constexpr SV kCloseReasons[] = {"unfounded", "completed", "moved",
                                "no_longer_relevant", "referred"};
constexpr SV kRetractReasons[] = {"error", "duplicate", "wrong_case", "other"};
constexpr SV kErasureReasons[] = {"retention", "unfounded", "gdpr_art17"};
// advice.given (advice without registration, docs/catalogue.md): how the
// contact came, who asked, and how it ended.
constexpr SV kAdviceChannels[] = {"hotline", "advice_phone", "email", "meeting",
                                  "other"};
constexpr SV kAdviceCallers[] = {"professional", "relative", "other"};
constexpr SV kAdviceOutcomes[] = {"advice_only", "referred"};
// "lookup": a CPR lookup found the case's subject (POST /v1/subjects/lookup).
constexpr SV kAccessPurposes[] = {"casework", "review", "subject_access",
                                  "audit", "lookup"};
constexpr SV kRoles[] = {"caseworker", "coordinator", "legal_reviewer",
                         "auditor", "dpo"};
// Every rule id a refusal names (DESIGN §5.2, §5.3; ROLE: the role table).
constexpr SV kRuleIds[] = {"ROLE",   "ROL-1",  "ROL-2",  "ROL-3",  "ROL-4",
                           "ROL-5",  "ROL-6",  "ROL-7",  "ROL-8",  "ROL-9",
                           "ROL-10", "ROL-11", "ROL-12", "ROL-13", "ROL-14",
                           "ROL-15", "ROL-16"};

// --- Nested objects ---------------------------------------------------------

// The refusal texts of the closed lists kept beside the catalogue: quoted in
// docs/rules.md.
constexpr std::string_view kUnknownGround =
    "a ground cites a code that is not in the grounds vocabulary (version 1); "
    "unknown codes are refused, never dropped";
static_assert(kVocabularyVersion == "1", "kUnknownGround names the version");
constexpr std::string_view kNotContext =
    "context takes only protected p.* codes of the grounds vocabulary; "
    "observed behaviour belongs in grounds";
constexpr std::string_view kNotBehaviour =
    "advice records only the behaviour codes (b.*) of the grounds vocabulary "
    "that were discussed; protected characteristics are never recorded";
constexpr std::string_view kUnknownBasis =
    "the legal basis is not in the legal-basis registry";
constexpr std::string_view kUnknownVersion =
    "the registry version is not a version of the legal-basis registry";

constexpr Field kGroundFields[] = {
    Member("code", IsGroundShape, "b.<name> or p.<name>", IsGroundCode, "ROL-1",
           kUnknownGround),
    Date("observed_on"),
    Opt(Id("case", "c")),
};
constexpr Field kGrounds = List(Object("grounds", kGroundFields), 0, 32, false);

constexpr Field kScoreFields[] = {Int("risk", 0, kFactorMax),
                                  Int("resources", 0, kFactorMax)};
constexpr auto kFactorFields = [] {
  std::array<Field, kFactorDimensions.size()> a{};
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = Opt(Object(kFactorDimensions[i], kScoreFields));
  }
  return a;
}();

constexpr Field kIdentityFields[] = {
    Text("name"), Shaped("cpr", IsCpr, "DDMMYY-NNNN"), Opt(Text("address")),
    Opt(Date("birth_date"))};
constexpr Field kReporterFields[] = {
    Opt(Text("name")), Opt(Text("organisation")), Opt(Text("phone"))};

constexpr Field kBasis = Member("basis", IsBasisShape, "[a-z0-9-]{1,64}",
                                IsRegistryBasis, "ROL-6", kUnknownBasis);

// --- Header schemas ---------------------------------------------------------

constexpr Field kConcernH[] = {
    Enum("source", kSources),
    Enum("subject_kind", kSubjectKinds),
    kGrounds,
    Opt(List(Member("context", IsGroundShape, "b.<name> or p.<name>",
                    IsContextCode, "ROL-1", kNotContext),
             0, 32, true)),
    Bool("minor"),
    Bool("new_subject")};
constexpr Field kAssignedH[] = {List(Id("assignees", "u"), 1, 16, true)};
constexpr Field kRespondedH[] = {Enum("channel", kRespondChannels)};
constexpr Field kInfoH[] = {Enum("from", kFrom), kBasis,
                            List(Enum("categories", kCategories), 1, 8, true)};
constexpr Field kAssessmentH[] = {Enum("outcome", kOutcomes), kGrounds,
                                  Enum("panel", kPanels),
                                  Object("factors", kFactorFields)};
constexpr Field kConsentH[] = {Enum("decision", kConsentDecisions),
                               Enum("by", kConsentBy)};
constexpr Field kStartedH[] = {Enum("kind", kInterventionKinds),
                               Enum("provider", kProviders)};
constexpr Field kProgressH[] = {Seq("intervention"),
                                Object("factors", kFactorFields, 1)};
constexpr Field kEndedH[] = {Seq("intervention"), Enum("reason", kEndReasons)};
// Marks a step migrated from the case system caseledger replaces: only
// `caseledger import --legacy` writes it (projections/policy.h). The old
// system's reference is text, so it goes in the request's encrypted body
// (`body.legacy_ref`), never in clear (docs/catalogue.md, decision 14).
constexpr Field kLegacyRef = Opt(True("legacy_ref"));
constexpr Field kRequestedH[] = {
    Enum("recipient", kRecipients),
    kBasis,
    Member("registry_version", IsVersionShape, "[0-9a-z.-]{1,16}",
           IsRegistryVersion, "ROL-6", kUnknownVersion),
    Enum("purpose", kPurposes),
    List(Enum("categories", kCategories), 1, 8, true),
    Opt(Enum("threshold", kThresholds)),
    Opt(List(Seq("includes"), 0, 256, true)),
    // PET's reference is another authority's identifier: in the body
    // (`body.request_ref`); the header only says there is one (decision 14).
    Opt(True("request_ref")),
    Opt(Seq("consent")),
    kLegacyRef};
constexpr Field kRequestH[] = {Seq("request"), kLegacyRef};
constexpr Field kMadeH[] = {
    Seq("request"), Enum("channel", kMadeChannels),
    Shaped("document_sha256", IsSha256Hex, "64 lower-case hex digits"),
    kLegacyRef};
constexpr Field kReviewedH[] = {Seq("disclosure"), Enum("verdict", kVerdicts),
                                List(Enum("findings", kFindings), 0, 15, true)};
constexpr Field kDeferredH[] = {Enum("basis", kDeferralBases),
                                Date("review_on")};
constexpr Field kCaseReviewedH[] = {Enum("decision", kReviewDecisions)};
constexpr Field kRestrictionH[] = {Enum("ground", kRestrictionGrounds)};
constexpr Field kHoldH[] = {Enum("ground", kHoldGrounds)};
constexpr Field kNotifiedH[] = {
    Seq("about"), List(Enum("recipients", kRecipients), 1, 8, true)};
constexpr Field kClosedH[] = {Enum("reason", kCloseReasons)};
constexpr Field kCorrectedH[] = {
    Seq("target"),
    List(Shaped("fields", IsKnownFieldRef,
                "h.<name> or body.<name> of a field of the catalogue"),
         1, 64, true),
    Opt(AnyObject("set"))};
constexpr Field kRetractedH[] = {Seq("target"),
                                 Enum("reason", kRetractReasons)};
// No subject, no case, no body: nothing about a person (decision 42).
constexpr Field kAdviceH[] = {
    Enum("channel", kAdviceChannels), Enum("caller", kAdviceCallers),
    Opt(List(Member("behaviours", IsGroundShape, "b.<name>", IsBehaviourCode,
                    "ROL-1", kNotBehaviour),
             0, 32, true)),
    Enum("outcome", kAdviceOutcomes)};
constexpr Field kErasedH[] = {Enum("reason", kErasureReasons), Id("kid", "k")};
constexpr Field kAccessH[] = {Enum("purpose", kAccessPurposes)};
constexpr Field kRefusedH[] = {
    Shaped("attempted", IsCatalogueType, "an event type of the catalogue"),
    Enum("rule", kRuleIds)};
constexpr Field kPublicKey =
    Shaped("public_key", IsEd25519PublicKey, "base64 of a 32-byte Ed25519 key");
constexpr Field kTokenHash =
    Shaped("token_hash", IsTokenHash, "base64 of 32 bytes (44 characters)");
constexpr Field kUserRegisteredH[] = {Id("user", "u"), Enum("role", kRoles),
                                      Opt(kPublicKey), Opt(kTokenHash)};
constexpr Field kUserTokenH[] = {Id("user", "u"), kTokenHash};
constexpr Field kUserRoleH[] = {Id("user", "u"), Enum("role", kRoles)};
constexpr Field kUserH[] = {Id("user", "u")};
constexpr Field kRetentionH[] = {Int("unfounded_days", 1, 3650),
                                 Int("closed_years", 1, 50),
                                 Int("review_months", 1, 60)};
constexpr Field kKeyRotatedH[] = {
    kPublicKey,
    Shaped("old_sig", IsEd25519Signature, "base64 of a 64-byte signature"),
    Shaped("new_sig", IsEd25519Signature, "base64 of a 64-byte signature")};

// --- Body schemas -----------------------------------------------------------

constexpr Field kConcernB[] = {
    Text("narrative"), Opt(Object("identity", kIdentityFields)),
    Opt(Object("reporter", kReporterFields, 1)),
    Opt(List(Text("ground_descriptions"), 0, 32, false))};
constexpr Field kContentB[] = {Text("content")};
constexpr Field kReasoningB[] = {Text("reasoning")};
constexpr Field kPlanB[] = {Text("plan")};
constexpr Field kRequestedB[] = {Text("purpose_text"),    Opt(Text("necessity")),
                                 Opt(Text("balancing")),    Text("summary"),
                                 Opt(Text("request_ref")),  Opt(Text("legacy_ref"))};
constexpr Field kCorrectedB[] = {Text("reason"), Opt(TextMap("values"))};
constexpr Field kUserB[] = {Text("display_name")};
// Optional bodies: one optional field, and a body must have at least one.
constexpr Field kNoteB[] = {Opt(Text("note"))};
constexpr Field kReasonB[] = {Opt(Text("reason"))};
constexpr Field kNotesB[] = {Opt(Text("notes"))};
constexpr Field kOptReasoningB[] = {Opt(Text("reasoning"))};

// --- record.corrected: `set` holds exactly the listed "h.*" fields ----------

std::string Quote(std::string_view name);
std::string QuoteKnown(std::string_view name);

Status CheckCorrectionSet(const Json& h) {
  const Json* set = h.contains("set") ? &h.at("set") : nullptr;
  for (const Json& ref : h.at("fields")) {
    std::string_view r = ref.get_ref<const std::string&>();
    if (r.starts_with("h.") &&
        (set == nullptr || !set->contains(std::string(r.substr(2))))) {
      return InvalidArgument("h.set: no corrected value for " + Quote(r));
    }
  }
  if (set == nullptr) return Status::Ok();
  for (const auto& [key, value] : set->items()) {
    std::string ref = "h." + key;
    if (std::find(h.at("fields").begin(), h.at("fields").end(), ref) ==
        h.at("fields").end()) {
      return InvalidArgument("h.set: field " + QuoteKnown(key) +
                             " is not listed in h.fields");
    }
  }
  return Status::Ok();
}

// --- The catalogue ----------------------------------------------------------

constexpr std::uint32_t kCw = kCaseworker, kCo = kCoordinator,
                        kLr = kLegalReviewer, kAu = kAuditor, kDp = kDpo;
constexpr std::uint32_t kAll = kCw | kCo | kLr | kAu | kDp;
constexpr BodyRule kNo = BodyRule::kNone, kOpt = BodyRule::kOptional,
                   kReq = BodyRule::kRequired;
constexpr Scope kCase = Scope::kCase;

struct TypeDef {
  EventSpec spec;
  std::span<const Field> h;
  std::span<const Field> body;
  Status (*check)(const Json& h) = nullptr;  // cross-field header check
};

// DESIGN §6, in its order.
// clang-format off
constexpr TypeDef kTypes[] = {
    {{"concern.reported", Scope::kOpensCase, kCw | kCo, false, kReq}, kConcernH, kConcernB},
    {{"case.assigned", kCase, kCo, false, kNo}, kAssignedH, {}},
    {{"concern.responded", kCase, kCw, false, kOpt}, kRespondedH, kNoteB},
    {{"information.received", kCase, kCw | kCo, false, kReq}, kInfoH, kContentB},
    {{"assessment.recorded", kCase, kCo, false, kReq}, kAssessmentH, kReasoningB},
    {{"consent.recorded", kCase, kCw, false, kOpt}, kConsentH, kNoteB},
    {{"intervention.started", kCase, kCw | kCo, false, kReq}, kStartedH, kPlanB},
    {{"progress.assessed", kCase, kCw, false, kOpt}, kProgressH, kNoteB},
    {{"intervention.ended", kCase, kCw, false, kOpt}, kEndedH, kNoteB},
    {{"disclosure.requested", kCase, kCw | kCo, false, kReq}, kRequestedH, kRequestedB},
    {{"disclosure.approved", kCase, kCo, false, kOpt}, kRequestH, kReasonB},
    {{"disclosure.rejected", kCase, kCo, false, kOpt}, kRequestH, kReasonB},
    {{"disclosure.made", kCase, kCw | kCo, false, kNo}, kMadeH, {}},
    {{"disclosure.reviewed", kCase, kLr, false, kOpt}, kReviewedH, kNotesB},
    {{"subject.informed", kCase, kCw | kCo, false, kOpt}, {}, kNoteB},
    {{"subject.information_deferred", kCase, kCw | kCo, false, kOpt}, kDeferredH, kNoteB},
    {{"case.reviewed", kCase, kCo, false, kOpt}, kCaseReviewedH, kOptReasoningB},
    {{"processing.restricted", kCase, kCo | kDp, false, kOpt}, kRestrictionH, kNoteB},
    {{"processing.restriction_lifted", kCase, kCo | kDp, false, kOpt}, kRestrictionH, kNoteB},
    {{"legal_hold.set", kCase, kDp, false, kOpt}, kHoldH, kNoteB},
    {{"legal_hold.released", kCase, kDp, false, kOpt}, kHoldH, kNoteB},
    {{"recipients.notified", kCase, kCo | kDp, false, kNo}, kNotifiedH, {}},
    {{"case.closed", kCase, kCo, false, kOpt}, kClosedH, kNoteB},
    // "author or coordinator": the author check is the policy engine's.
    {{"record.corrected", kCase, kCw | kCo, false, kReq}, kCorrectedH, kCorrectedB, CheckCorrectionSet},
    {{"record.retracted", kCase, kCw | kCo, false, kOpt}, kRetractedH, kReasonB},
    {{"subject.erased", Scope::kSubject, kDp, false, kNo}, kErasedH, {}},
    {{"access.read", kCase, kAll, true, kNo}, kAccessH, {}},
    {{"access.exported", kCase, kAll, true, kNo}, kAccessH, {}},
    {{"policy.refused", Scope::kAny, kAll, true, kNo}, kRefusedH, {}},
    {{"advice.given", Scope::kGlobal, kCw | kCo, false, kNo}, kAdviceH, {}},
    {{"user.registered", Scope::kGlobal, kDp, false, kReq}, kUserRegisteredH, kUserB},
    {{"user.role_changed", Scope::kGlobal, kDp, false, kNo}, kUserRoleH, {}},
    {{"user.revoked", Scope::kGlobal, kDp, false, kNo}, kUserH, {}},
    {{"user.token_issued", Scope::kGlobal, kDp, false, kNo}, kUserTokenH, {}},
    {{"retention.policy_set", Scope::kGlobal, kDp, false, kNo}, kRetentionH, {}},
    {{"key.rotated", Scope::kGlobal, kDp, false, kNo}, kKeyRotatedH, {}},
};
// clang-format on

constexpr std::array<EventSpec, std::size(kTypes)> kSpecs = [] {
  std::array<EventSpec, std::size(kTypes)> a{};
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = kTypes[i].spec;
  return a;
}();

const TypeDef* FindDef(std::string_view type) {
  for (const TypeDef& d : kTypes) {
    if (d.spec.type == type) return &d;
  }
  return nullptr;
}

bool IsCatalogueType(std::string_view s) { return FindDef(s) != nullptr; }

bool Declares(std::span<const Field> fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const Field& f) { return f.name == name; });
}
// A top-level header (`h`) or body field name of some type of the catalogue.
bool IsCatalogueField(std::string_view name, bool header) {
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const TypeDef& d) {
    return Declares(header ? d.h : d.body, name);
  });
}
bool IsKnownFieldRef(std::string_view s) {
  if (s.starts_with("h.")) return IsCatalogueField(s.substr(2), true);
  if (s.starts_with("body.")) return IsCatalogueField(s.substr(5), false);
  return false;
}

// --- The validator ----------------------------------------------------------

constexpr std::size_t kMaxTextBytes = std::size_t{64} << 10;
constexpr std::size_t kQuoteMax = 40;

// A member name for an error message: at most 40 characters, anything but
// printable ASCII (and quotes, backslashes) shown as '?'.
std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name.substr(0, kQuoteMax)) {
    bool plain = c >= ' ' && c < 0x7f && c != '"' && c != '\\';
    out.push_back(plain ? c : '?');
  }
  if (name.size() > kQuoteMax) out += "...";
  return out + "\"";
}

// A member name that may be quoted: one the catalogue itself declares
// somewhere (in any type's header or body, or a nested object). Any other
// name was chosen by the caller and may carry personal data: never echoed.
bool IsDeclaredName(std::span<const Field> fields, std::string_view name) {
  for (const Field& f : fields) {
    if (f.name == name) return true;
    if (f.kind == Kind::kObject && IsDeclaredName(f.fields, name)) return true;
  }
  return false;
}
std::string QuoteKnown(std::string_view name) {
  const bool known = std::any_of(std::begin(kTypes), std::end(kTypes), [&](const TypeDef& d) {
    return IsDeclaredName(d.h, name) || IsDeclaredName(d.body, name);
  }) || std::find(kFactorDimensions.begin(), kFactorDimensions.end(), name) !=
                              kFactorDimensions.end();
  return known ? Quote(name) : "(a name no event type declares)";
}

Status Bad(const std::string& path, std::string_view what) {
  return InvalidArgument(path + ": " + std::string(what));
}

// The value of a JSON integer, if it is one within ±(2^53 - 1).
std::optional<std::int64_t> IntegerOf(const Json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(ledger::kMaxSafeInteger)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i > ledger::kMaxSafeInteger || i < -ledger::kMaxSafeInteger) {
      return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

Status CheckObject(std::span<const Field> fields, std::size_t min_members,
                   const Json& j, const std::string& path);

Status CheckValue(const Field& f, const Json& v, const std::string& path) {
  switch (f.kind) {
    case Kind::kBool:
      return v.is_boolean() ? Status::Ok() : Bad(path, "must be a boolean");
    case Kind::kSeq: {
      std::optional<std::int64_t> i = IntegerOf(v);
      if (!i || *i < 1) return Bad(path, "must be a seq (an integer >= 1)");
      return Status::Ok();
    }
    case Kind::kInt: {
      std::optional<std::int64_t> i = IntegerOf(v);
      if (!i || *i < f.lo || *i > f.hi) {
        return Bad(path, "must be an integer " + std::to_string(f.lo) + ".." +
                             std::to_string(f.hi));
      }
      return Status::Ok();
    }
    case Kind::kObject:
      return CheckObject(f.fields, f.min_items, v, path);
    case Kind::kAnyObject:
      return v.is_object() ? Status::Ok() : Bad(path, "must be an object");
    case Kind::kTrue:
      return v.is_boolean() && v.get<bool>() ? Status::Ok()
                                             : Bad(path, "must be true (or left out)");
    case Kind::kTextMap:
      if (!v.is_object()) return Bad(path, "must be an object");
      for (const auto& [key, text] : v.items()) {
        if (!IsFieldName(key)) return Bad(path, "a key is not a field name");
        Field t = Text(key);
        CL_RETURN_IF_ERROR(CheckValue(t, text, path + "." + key));
      }
      return Status::Ok();
    default:
      break;
  }
  // The remaining kinds are strings.
  if (!v.is_string()) return Bad(path, "must be a string");
  std::string_view s = v.get_ref<const std::string&>();
  switch (f.kind) {
    case Kind::kEnum:
      if (std::find(f.codes.begin(), f.codes.end(), s) == f.codes.end()) {
        return Bad(path, "unknown code");
      }
      return Status::Ok();
    case Kind::kDate:
      return IsDate(s) ? Status::Ok() : Bad(path, "not a date (YYYY-MM-DD)");
    case Kind::kId:
      return ValidateId(s, f.prefix, path);
    case Kind::kShaped:
      return f.shape(s) ? Status::Ok()
                        : Bad(path, "not " + std::string(f.shape_text));
    case Kind::kMember:
      if (!f.shape(s)) return Bad(path, "not " + std::string(f.shape_text));
      if (!f.member(s)) {
        return RuleRefusal(f.rule, f.rule_message);
      }
      return Status::Ok();
    case Kind::kText:
      if (s.empty()) return Bad(path, "must not be empty");
      if (s.size() > kMaxTextBytes) return Bad(path, "longer than 64 KiB");
      return Status::Ok();
    default:
      return Internal(path + ": schema kind not handled");
  }
}

Status CheckField(const Field& f, const Json& v, const std::string& path) {
  if (!f.array) return CheckValue(f, v, path);
  if (!v.is_array()) return Bad(path, "must be an array");
  if (v.size() < f.min_items) {
    return Bad(path,
               "needs at least " + std::to_string(f.min_items) + " item(s)");
  }
  if (v.size() > f.max_items) {
    return Bad(path, "has more than " + std::to_string(f.max_items) + " items");
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    CL_RETURN_IF_ERROR(CheckValue(f, v[i], item));
    if (f.distinct &&
        std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i),
                  v[i]) != v.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Bad(item, "repeats an earlier item");
    }
  }
  return Status::Ok();
}

Status CheckObject(std::span<const Field> fields, std::size_t min_members,
                   const Json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "must be an object");
  for (const auto& [key, value] : j.items()) {
    auto known = std::find_if(fields.begin(), fields.end(),
                              [&](const Field& f) { return f.name == key; });
    if (known == fields.end()) return Bad(path, "unknown field " + QuoteKnown(key));
  }
  for (const Field& f : fields) {
    auto it = j.find(f.name);
    if (it == j.end()) {
      if (f.required) return Bad(path, "missing field " + Quote(f.name));
      continue;
    }
    CL_RETURN_IF_ERROR(CheckField(f, *it, path + "." + std::string(f.name)));
  }
  if (j.size() < min_members) {
    return Bad(path,
               "needs at least " + std::to_string(min_members) + " field(s)");
  }
  return Status::Ok();
}

}  // namespace

std::uint32_t RoleBitOf(std::string_view role) {
  for (std::size_t i = 0; i < std::size(kRoles); ++i) {
    if (kRoles[i] == role) return std::uint32_t{1} << i;
  }
  return 0;
}
static_assert(kCaseworker == 1u << 0 && kCoordinator == 1u << 1 &&
                  kLegalReviewer == 1u << 2 && kAuditor == 1u << 3 &&
                  kDpo == 1u << 4,
              "RoleBitOf relies on kRoles being in RoleBit order");

// ^[0-9]{6}-?[0-9]{4}$
bool IsCpr(std::string_view s) {
  if (s.size() == 11 && s[6] == '-') {
    return AllOf(s.substr(0, 6), IsDigit) && AllOf(s.substr(7), IsDigit);
  }
  return s.size() == 10 && AllOf(s, IsDigit);
}

std::string CprIndexText(std::string_view s) {
  std::string out = "cpr/";
  for (char ch : s)
    if (ch != '-') out += ch;
  return out;
}

bool IsTokenHash(std::string_view s) {
  return IsCanonicalBase64Of(s, kTokenHashBytes);
}
static_assert(kTokenHashChars == (kTokenHashBytes + 2) / 3 * 4,
              "a token hash is the base64 of kTokenHashBytes");

std::span<const EventSpec> EventSpecs() { return kSpecs; }

const EventSpec* FindEventSpec(std::string_view type) {
  const TypeDef* d = FindDef(type);
  return d == nullptr ? nullptr : &kSpecs[static_cast<std::size_t>(d - kTypes)];
}

std::span<const std::string_view> HeaderCodes(std::string_view type, std::string_view field) {
  const TypeDef* d = FindDef(type);
  if (d == nullptr) return {};
  for (const Field& f : d->h)
    if (f.name == field && f.kind == Kind::kEnum) return f.codes;
  return {};
}

namespace {

FormField FormFieldOf(const Field& f, bool in_body) {
  FormField out;
  out.name = f.name;
  out.in_body = in_body;
  out.required = f.required;
  out.list = f.array;
  out.min_items = f.min_items;
  out.max_items = f.max_items;
  switch (f.kind) {
    case Kind::kEnum: out.kind = FormKind::kCode; out.codes = f.codes; break;
    case Kind::kBool: out.kind = FormKind::kFlag; break;
    case Kind::kSeq: out.kind = FormKind::kSeq; break;
    case Kind::kInt: out.kind = FormKind::kInt; out.lo = f.lo; out.hi = f.hi; break;
    case Kind::kDate: out.kind = FormKind::kDate; break;
    case Kind::kId: out.kind = f.prefix == "u" ? FormKind::kUser : FormKind::kOther; break;
    case Kind::kMember:
      out.kind = f.member == IsRegistryBasis     ? FormKind::kBasis
                 : f.member == IsRegistryVersion ? FormKind::kRegistryVersion
                 : f.member == IsBehaviourCode   ? FormKind::kBehaviours
                                                 : FormKind::kOther;
      break;
    case Kind::kTrue: out.kind = FormKind::kMarker; break;
    case Kind::kText: out.kind = FormKind::kText; break;
    case Kind::kShaped: out.kind = f.array ? FormKind::kOther : FormKind::kShaped; break;
    case Kind::kObject:
      if (f.array && f.fields.data() == kGroundFields) {
        out.kind = FormKind::kGrounds;
      } else if (!f.array && f.fields.data() == kFactorFields.data()) {
        out.kind = FormKind::kFactors;
        out.min_factors = f.min_items;
      }
      break;
    case Kind::kTextMap:
    case Kind::kAnyObject: break;
  }
  return out;
}

}  // namespace

std::vector<FormField> FormFields(std::string_view type) {
  std::vector<FormField> out;
  const TypeDef* d = FindDef(type);
  if (d == nullptr) return out;
  for (const Field& f : d->h)
    if (f.name != "legacy_ref") out.push_back(FormFieldOf(f, false));
  for (const Field& f : d->body)
    if (f.name != "legacy_ref") out.push_back(FormFieldOf(f, true));
  return out;
}

Status ValidateHeader(const EventSpec& spec, const Json& h) {
  const TypeDef* d = FindDef(spec.type);
  if (d == nullptr) return InvalidArgument("type: unknown event type");
  CL_RETURN_IF_ERROR(CheckObject(d->h, 0, h, "h"));
  if (d->check != nullptr) return d->check(h);
  return Status::Ok();
}

Status ValidateBody(const EventSpec& spec, const std::optional<Json>& body) {
  const TypeDef* d = FindDef(spec.type);
  if (d == nullptr) return InvalidArgument("type: unknown event type");
  switch (d->spec.body) {
    case BodyRule::kNone:
      if (body.has_value()) return Bad("body", "this event type has no body");
      return Status::Ok();
    case BodyRule::kRequired:
      if (!body.has_value()) {
        return Bad("body", "this event type requires a body");
      }
      return CheckObject(d->body, 1, *body, "body");
    case BodyRule::kOptional:
      if (!body.has_value()) return Status::Ok();
      return CheckObject(d->body, 1, *body, "body");
  }
  return Internal("body: rule not handled");
}

Status ValidateCorrection(const EventSpec& target, const Json& h) {
  const TypeDef* d = FindDef(target.type);
  if (d == nullptr) return InvalidArgument("type: unknown event type");
  const auto fields = h.find("fields");
  if (fields == h.end() || !fields->is_array()) return Bad("h.fields", "must be an array");
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const Json& ref = (*fields)[i];
    if (!ref.is_string()) return Bad("h.fields[" + std::to_string(i) + "]", "must be a string");
    std::string_view r = ref.get_ref<const std::string&>();
    const bool header = r.starts_with("h.");
    std::string_view name = r.substr(header ? 2 : r.starts_with("body.") ? 5 : 0);
    if (!Declares(header ? d->h : d->body, name) || (!header && !r.starts_with("body."))) {
      return Bad("h.fields[" + std::to_string(i) + "]",
                 std::string("names no ") + (header ? "header" : "body") + " field of " +
                     std::string(d->spec.type));
    }
  }
  const auto set = h.find("set");
  if (set == h.end()) return Status::Ok();
  if (!set->is_object()) return Bad("h.set", "must be an object");
  for (const auto& [key, value] : set->items()) {
    auto f = std::find_if(d->h.begin(), d->h.end(),
                          [&](const Field& x) { return x.name == key; });
    if (f == d->h.end()) {
      return Bad("h.set", "field " + QuoteKnown(key) + " is not in the header of " +
                              std::string(d->spec.type));
    }
    CL_RETURN_IF_ERROR(CheckField(*f, value, "h.set." + key));
  }
  return Status::Ok();
}

Result<Json> MergeCorrection(const EventSpec& target, const Json& target_h,
                             const Json& set) {
  const TypeDef* d = FindDef(target.type);
  if (d == nullptr) return InvalidArgument("type: unknown event type");
  if (!set.is_object()) return Bad("h.set", "must be an object");
  if (!target_h.is_object()) return Bad("h", "target header is not an object");
  Json merged = target_h;
  for (const auto& [key, value] : set.items()) {
    bool known = std::any_of(d->h.begin(), d->h.end(),
                             [&](const Field& f) { return f.name == key; });
    if (!known) {
      return Bad("h.set", "field " + QuoteKnown(key) + " is not in the header of " +
                              std::string(d->spec.type));
    }
    merged[key] = value;
  }
  CL_RETURN_IF_ERROR(ValidateHeader(d->spec, merged));
  return merged;
}

}  // namespace caseledger::projections
