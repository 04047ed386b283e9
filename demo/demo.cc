// `caseledger demo` and PlanDemo (demo/demo.h): a synthetic, deterministic
// multi-year case history written through the normal write path (Writer with
// the policy engine and the projections plugged in).
//
// How a plan is made: the staff and the concerns' times are drawn first; then
// each case is planned on its own timeline (concern → assignment → response →
// information → assessment → closure, or for founded cases informing, consent,
// interventions with 6-monthly progress, reviews, disclosures, corrections,
// restrictions, legal holds → closure), with seq references between its
// events kept symbolic; then the advice without registration since the
// go-live (its own random stream, so the cases stay as they were); finally everything after `end` is dropped (the
// follow-up that has not happened yet), the rest is sorted by time, and the
// references are resolved to the seqs the events will get.
//
// The realism comes from DESIGN §1 (sources, founded share rising from ~10 %
// to ~25 %, a reaction within 24 hours, voluntary interventions measured
// after 6 months, information to police and PET only on a founded,
// society-threatening concern). The defects a reviewer must find are planted
// on purpose and listed (PlantedDefect); the wishes below make sure every kind
// occurs at least once in a plan of a realistic size.
#include "demo/demo.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>

#include "base/ids.h"
#include "ledger/ledger.h"
#include "projections/legal_basis.h"
#include "projections/policy.h"
#include "projections/vocabulary.h"

namespace caseledger::demo {

std::string_view FlagOf(DefectKind kind) {
  switch (kind) {
    case DefectKind::kLateResponse:
      return "FLAG-24H";
    case DefectKind::kNoAssessment:
      return "FLAG-ASSESS";
    case DefectKind::kLateInformation:
      return "FLAG-INFORM";
    case DefectKind::kNoReview:
      return "FLAG-REVIEW";
    case DefectKind::kDisclosureUnreviewed:
      return "FLAG-DISCLOSURE";
    case DefectKind::kDisclosureDeficient:
      return "FLAG-DISCLOSURE";
    case DefectKind::kRecipientsNotNotified:
      return "FLAG-ART19";
  }
  return "";
}

std::string_view NameOf(DefectKind kind) {
  switch (kind) {
    case DefectKind::kLateResponse:
      return "late_response";
    case DefectKind::kNoAssessment:
      return "no_assessment";
    case DefectKind::kLateInformation:
      return "late_information";
    case DefectKind::kNoReview:
      return "no_review_12_months";
    case DefectKind::kDisclosureUnreviewed:
      return "disclosure_unreviewed";
    case DefectKind::kDisclosureDeficient:
      return "disclosure_deficient";
    case DefectKind::kRecipientsNotNotified:
      return "recipients_not_notified";
  }
  return "";
}

namespace {

using ledger::Command;
using ledger::Micros;

constexpr Micros kSecond = 1000000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kYear = 365 * kDay;
// Mixed into the seed of the advice contacts' own random stream.
constexpr std::uint64_t kAdviceSeed = 0xad51ce0000000042;

std::string Date(Micros t) { return ledger::FormatTime(t).substr(0, 10); }

// The synthetic CPR number of demo person `number`: day "00" (no real date),
// and one number per person (the identity index refuses a second subject for
// one number), "000000-0001" for the first.
std::string SyntheticCpr(std::uint64_t number) {
  char cpr[16];
  std::snprintf(cpr, sizeof cpr, "00%04u-%04u",
                static_cast<unsigned>(number / 10000 % 10000),
                static_cast<unsigned>(number % 10000));
  return cpr;
}

// Random numbers that are the same on every platform: mt19937_64's output is
// fixed by the standard, the distributions (which are not) are ours.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Bits() { return engine_(); }
  // Uniform in [0, n); n > 0.
  std::uint64_t Uniform(std::uint64_t n) {
    assert(n > 0);
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = kMax - kMax % n;
    std::uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
  }
  std::size_t Index(std::size_t n) {
    return static_cast<std::size_t>(Uniform(n));
  }
  int Int(int lo, int hi) {  // [lo, hi]
    return lo +
           static_cast<int>(Uniform(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  Micros Between(Micros lo, Micros hi) {  // [lo, hi]; lo if hi <= lo
    if (hi <= lo) return lo;
    return lo + static_cast<Micros>(
                    Uniform(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // An item of `items` (an array, span or vector of structs with a positive
  // `weight`) chosen by its weight; refers into `items`.
  template <typename Range>
  const auto& Weighted(const Range& items) {
    int total = 0;
    for (const auto& x : items) total += x.weight;
    int r = static_cast<int>(Uniform(static_cast<std::uint64_t>(total)));
    for (const auto& x : items) {
      if (r < x.weight) return x;
      r -= x.weight;
    }
    return *std::prev(std::end(items));
  }

 private:
  std::mt19937_64 engine_;
};

// --- Tables
// -------------------------------------------------------------------

struct Choice {
  std::string_view value;
  int weight;
};

// Who reports concerns (DESIGN §1), with the share of minors among the
// persons each source reports and the reporter as named in the body.
struct Source {
  std::string_view code;
  int weight;
  double minor_share;
  std::string_view
      organisation;  // "" for a relative (named) or anonymous (none)
};
constexpr Source kSources[] = {
    {"school", 22, 0.85, "Synthetic School (demo data)"},
    {"youth_club", 8, 0.70, "Synthetic Youth Club (demo data)"},
    {"social_services", 13, 0.35, "Synthetic Social Services Unit (demo data)"},
    {"psychiatry", 6, 0.10, "Synthetic Psychiatric Centre (demo data)"},
    {"housing", 5, 0.15, "Synthetic Housing Social Work (demo data)"},
    {"police", 12, 0.25, "Synthetic Police District, SSP (demo data)"},
    {"prison_probation", 4, 0.02,
     "Synthetic Prison and Probation Office (demo data)"},
    {"relative", 12, 0.40, ""},
    {"hotline", 8, 0.25, "Synthetic National Hotline (demo data)"},
    {"advice_phone", 5, 0.30, "Synthetic Advice Phone (demo data)"},
    {"anonymous", 3, 0.20, ""},
    {"other", 2, 0.20, "Synthetic Other Authority (demo data)"},
};

// Behaviour grounds (DESIGN §5.1); `serious`: conduct that can reach the
// society-threatening threshold for PET.
struct GroundDef {
  std::string_view code;
  int weight;
  bool serious;
};
constexpr GroundDef kGrounds[] = {
    {"b.threat", 20, false},
    {"b.legitimises_violence", 18, false},
    {"b.violence", 12, true},
    {"b.incitement_content", 12, false},
    {"b.illegal_act", 10, false},
    {"b.hate_crime", 8, false},
    {"b.violent_group_activity", 8, true},
    {"b.recruitment", 5, true},
    {"b.weapons", 3, true},
    {"b.conflict_zone_travel", 3, true},
    {"b.returnee", 1, true},
};

// Protected codes: context only, and the grounds of the refused attempts.
constexpr std::string_view kContextCodes[] = {
    "p.religion", "p.online_opinion", "p.political_opinion", "p.lawful_protest",
    "p.ethnicity"};
constexpr std::string_view kBeliefCodes[] = {
    "p.religion", "p.political_opinion", "p.lawful_association"};

struct KindDef {
  std::string_view kind;
  int weight;
  bool minors_only;
  std::array<std::string_view, 2> providers;
};
constexpr KindDef kKinds[] = {
    {"mentor", 30, false, {"municipality", "ngo"}},
    {"relatives_coach", 14, false, {"municipality", "ngo"}},
    {"exit", 8, false, {"municipality", "prison_probation"}},
    {"social_psychiatric", 9, false, {"psychiatry", "municipality"}},
    {"child_welfare", 10, true, {"municipality", "municipality"}},
    {"employment_education", 16, false, {"municipality", "school"}},
    {"family", 8, false, {"municipality", "ngo"}},
    {"other", 5, false, {"other", "police"}},
};

constexpr Choice kChannels[] = {
    {"phone", 50}, {"meeting", 30}, {"home_visit", 12}, {"letter", 8}};
constexpr Choice kMadeChannels[] = {
    {"secure_mail", 70}, {"letter", 8}, {"meeting", 12}, {"system", 10}};

// Founded share by year of the concern (DESIGN §1: about 10 % in 2016, 25 %
// in 2018).
double FoundedShare(std::int64_t year) {
  return year <= 0 ? 0.10 : year == 1 ? 0.175 : 0.25;
}

// Nine dimensions, each {risk, resources} 0..3 (DESIGN §5.3, end).
using Scores =
    std::array<std::pair<int, int>, projections::kFactorDimensions.size()>;

Json FactorsJson(const Scores& s) {
  Json j = Json::object();
  for (std::size_t i = 0; i < s.size(); ++i)
    j[std::string(projections::kFactorDimensions[i])] =
        Json{{"risk", s[i].first}, {"resources", s[i].second}};
  return j;
}

// --- The plan under construction
// ----------------------------------------------

struct User {
  std::string id;
  std::string role;
};

// A reference from a header field to the seq of another planned event
// ("includes" appends to an array).
struct Ref {
  std::string field;
  std::uint64_t target = 0;  // Planned::id
};

struct Planned {
  Micros time = 0;
  std::uint64_t id = 0;  // creation order; index into Planner::planned_
  Command cmd;
  std::vector<Ref> refs;
  // Kept only if this other (later) event is kept: a correction whose
  // notification to the recipients has not happened yet is not planned yet.
  std::optional<std::uint64_t> needs;
  std::string refused_rule;  // non-empty: the policy engine must refuse it
  bool kept = false;
};

struct DefectDraft {
  std::string case_id;
  DefectKind kind;
  Micros due = 0;
  std::uint64_t about = 0;              // Planned::id
  std::vector<std::uint64_t> needs;     // planted only if all are kept
  std::optional<std::uint64_t> unless;  // not planted if this is kept
};

// The rule each migrated disclosure breaks, in the order they are planted.
constexpr std::string_view kLegacyCodes[] = {
    "basis_not_allowed",   "missing_approval",     "self_approval",
    "approval_expired",    "beyond_approval",      "onward_115",
    "art9_without_basis",  "art10_without_basis",  "pet_without_threshold",
    "pet4_without_request_ref", "basis_condition", "restricted_case"};
constexpr std::size_t kLegacyScenarios = std::size(kLegacyCodes);

struct FindingDraft {
  std::string case_id;
  std::uint64_t request = 0;  // Planned::id
  std::string code;
  Micros due = 0;  // planted only if due by the plan's end
  std::vector<std::uint64_t> needs;  // and all of these are kept
};

// A case as far as planned.
struct Case {
  std::uint64_t number = 0;
  std::string id, subject;
  const Source* source = nullptr;
  bool minor = false;
  Micros opened = 0;
  Json grounds = Json::array();  // of the concern
  bool serious = false;
  const User* coordinator = nullptr;     // the lead coordinator
  std::vector<const User*> caseworkers;  // assignees
  std::uint64_t concern = 0;
  const User* concern_author = nullptr;
  struct Info {
    std::uint64_t id;
    Micros time;
    bool onward_forbidden;  // received under §115 (ROL-7)
  };
  std::vector<Info> infos;
  struct Made {
    Micros time;
    std::string recipient;
  };
  std::vector<Made> made;  // disclosures made
  // The latest request, decision or making of a disclosure: the case closes,
  // and a restriction starts, only after it.
  Micros last_disclosure = 0;
  std::vector<std::uint64_t> started;  // intervention.started ids
};

// What a later concern about the same person may refer to.
struct PastCase {
  std::string case_id, subject;
  Micros opened = 0;
  bool minor = false;
  std::optional<Micros> founded;
  std::string ground_code, observed_on;
};

// The course of a case assessed founded, as drawn at the assessment, and
// what its planning has recorded so far (Planner::PlanFounded and its parts).
struct FoundedCourse {
  std::uint64_t assessment = 0;  // the founded assessment.recorded
  Micros assessed = 0;           // its time
  std::string consent_by;        // "subject", or "guardian" of a minor
  Micros consent_at = 0;
  bool consent_given = false;
  bool no_review = false;      // planted: an open case nobody reviews
  bool withdrawal = false;     // consent withdrawn when the intervention ends
  bool moved = false;          // the person moves to another municipality
  bool pet = false;            // a disclosure to PET (society-threatening)
  Micros informed = 0;         // the case stays open at least until then
  std::uint64_t consent = 0;   // the consent.recorded (given or declined)
  Micros active_until = 0;     // the end of the case's active work
  bool all_completed = false;  // consent given, every intervention completed
};

// A recipient of a disclosure and the legal basis to disclose to it on,
// weighted for the choice among the options.
struct DisclosureOption {
  std::string_view recipient, basis;
  int weight;
};

// The recipients and bases a disclosure of `c` may go to: PET (`pet`), the
// new municipality of a person who moved (`force_recipient`
// "other_municipality"), else the partners the case makes plausible, and
// the subject's consent as a basis if there is a usable one (`consent`).
std::vector<DisclosureOption> DisclosureOptions(
    const Case& c, bool pet, bool consent, std::string_view force_recipient) {
  std::vector<DisclosureOption> options;
  const std::string_view source = c.source->code;
  if (pet) {
    options = {{"pet", "dbl-8-2-2", 11}, {"pet", "pet-4", 9}};
  } else if (force_recipient == "other_municipality") {
    options = {{"other_municipality", "fvl-28", 3},
               {"other_municipality", "dbl-8-2-3", 1}};
  } else {
    const std::string_view police115 = c.minor                  ? "rpl-115-ssp"
                                       : source == "psychiatry" ? "rpl-115-psp"
                                       : source == "prison_probation"
                                           ? "rpl-115-ksp"
                                           : "rpl-115-psp";
    options = {{"police", police115, 4},
               {"police", "dbl-8-2-3", 2},
               {"police", "dbl-8-2-2", 1},
               {"social_services", "rpl-115-psp", 2},
               {"social_services", "dbl-8-2-3", 1},
               {"social_services", "fvl-28", 1},
               {"psychiatry", "rpl-115-psp", 1},
               {"other_municipality", "dbl-8-2-3", 1}};
    if (c.minor) {
      options.push_back({"child_welfare", "child-welfare-notify", 4});
      options.push_back({"child_welfare", "rpl-115-ssp", 1});
    }
    if (source == "prison_probation" || source == "police" || c.serious)
      options.push_back({"prison_probation", "rpl-115-ksp", 3});
    if (consent) options.push_back({"social_services", "consent", 2});
  }
  return options;
}

// Quality: most disclosures are lawful and complete; a few carry what the
// legal review must find.
enum class DisclosureQuality {
  kLawful,
  kUnreviewed,  // never reviewed
  kThin,        // found deficient: the necessity statement is too thin
  kLate,        // found deficient: reviewed more than 30 days after
};

// The body of the request of a disclosure to `o` of `quality`, holding
// PET's reference `pet_ref` if there is one.
Json DisclosureBody(const DisclosureOption& o,
                    const std::optional<std::string>& pet_ref,
                    DisclosureQuality quality) {
  Json body{{"purpose_text",
             "Synthetic purpose: crime prevention in the case "
             "(demo data; no real person)."},
            {"summary", "Synthetic summary of what is sent (demo data)."}};
  if (o.basis == "dbl-8-2-2")
    body["balancing"] =
        "Synthetic balancing: the interest in preventing "
        "serious harm clearly outweighs the subject's interest.";
  if (pet_ref) body["request_ref"] = *pet_ref;
  if (quality == DisclosureQuality::kThin)
    body["necessity"] = "Necessary.";
  else if (o.basis != "pet-4")
    body["necessity"] =
        "Synthetic necessity statement: why the recipient "
        "needs exactly these categories for its task.";
  return body;
}

// The request of a disclosure of the migrated history, as its scenario
// shapes it (Planner::LegacyScenario).
struct LegacyRequest {
  // Lawful but for the planted defect: §115 SSP to the police, for crime
  // prevention, identity and concern.
  std::string recipient = "police", basis = "rpl-115-ssp",
              purpose = "prevention";
  Json categories = Json::array({"identity", "concern"});
  Json body{
      {"purpose_text",
       "Synthetic purpose (migrated demo record; no real person)."},
      {"summary", "Synthetic summary of what was sent (migrated demo record)."},
      {"necessity", "Synthetic necessity statement (migrated demo record)."}};
  std::vector<Ref> refs;
  // restricted_case: the processing.restricted the disclosure breaks.
  std::optional<std::uint64_t> restriction;
};

class Planner {
 public:
  Planner(std::uint64_t seed, Micros start, Micros end)
      : rng_(seed), advice_rng_(seed ^ kAdviceSeed), start_(start), end_(end) {}

  DemoPlan Plan(std::uint64_t cases, std::uint64_t first_seq);

 private:
  std::string Id(std::string_view prefix) {
    std::array<std::uint8_t, kIdRandomBytes> b{};
    for (std::size_t i = 0; i < b.size(); i += 8) {
      std::uint64_t x = rng_.Bits();
      for (std::size_t k = 0; k < 8 && i + k < b.size(); ++k)
        b[i + k] = static_cast<std::uint8_t>(x >> (8 * k));
    }
    return FormatId(prefix, b);
  }
  const User& AnyOf(const std::vector<User>& v) {
    return v[rng_.Index(v.size())];
  }
  const User& OtherCoordinator(const User& not_this) {
    for (;;) {
      const User& u = AnyOf(coordinators_);
      if (u.id != not_this.id) return u;
    }
  }
  const User& MainCaseworker(const Case& c) { return *c.caseworkers.front(); }
  const User& SomeCaseworker(const Case& c) {
    return *c.caseworkers[rng_.Index(c.caseworkers.size())];
  }

  std::uint64_t Add(Micros t, const Case* c, std::string_view type,
                    const User& u, Json h,
                    std::optional<Json> body = std::nullopt,
                    std::vector<Ref> refs = {});
  void Defect(const Case& c, DefectKind kind, Micros due, std::uint64_t about,
              std::vector<std::uint64_t> needs,
              std::optional<std::uint64_t> unless = std::nullopt) {
    needs.push_back(about);
    defects_.push_back({c.id, kind, due, about, std::move(needs), unless});
  }

  // Wishes: `n` features of a kind to plant at times drawn from [lo, hi];
  // Want(kind, t) consumes one whose time has come (the caller has checked
  // that the case can carry it).
  // Activations fall in the first half of the window, so that cases that can
  // carry the feature still follow.
  void Wish(std::string_view kind, std::size_t n, Micros lo, Micros hi) {
    lo = std::max(lo, start_);
    if (hi < lo) return;
    auto& v = wishes_[std::string(kind)];
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(rng_.Between(lo, lo + (hi - lo) / 2));
    std::sort(v.begin(), v.end());
  }
  bool Want(std::string_view kind, Micros t) {
    auto it = wishes_.find(std::string(kind));
    if (it == wishes_.end() || it->second.empty() || it->second.front() > t)
      return false;
    it->second.erase(it->second.begin());
    return true;
  }

  // Picks with a bias towards values not used yet, so that a plan of a
  // realistic size has every source and every intervention kind.
  template <typename T>
  const T& Covering(std::span<const T> items, std::set<std::string_view>& used,
                    bool (*eligible)(const T&, bool), bool arg) {
    std::vector<const T*> unused;
    for (const T& x : items)
      if (eligible(x, arg) && !used.contains(KeyOf(x))) unused.push_back(&x);
    const T* pick = nullptr;
    if (!unused.empty() && rng_.Chance(0.3)) {
      pick = unused[rng_.Index(unused.size())];
    } else {
      do pick = &rng_.Weighted(items);
      while (!eligible(*pick, arg));
    }
    used.insert(KeyOf(*pick));
    return *pick;
  }
  static std::string_view KeyOf(const Source& s) { return s.code; }
  static std::string_view KeyOf(const KindDef& k) { return k.kind; }

  Scores BaselineFactors();
  Scores Evolve(const Scores& s);
  Json SomeFactors();

  // A case opened by a concern at `t0`, and its follow-up.
  void PlanCase(std::uint64_t number, Micros t0);
  // The parts of PlanCase, in the order it calls them. Those given a
  // `cursor` plan after it and return the time of their last event (the
  // `cursor` if they plan none).
  std::optional<PastCase> DrawPriorCase(Micros t0);
  void PlanConcern(Case& c, const std::optional<PastCase>& prior,
                   std::set<std::string_view>& codes);
  Json DrawConcernGrounds(Case& c, const std::optional<PastCase>& prior,
                          std::set<std::string_view>& codes);
  Micros PlanAssignment(Case& c);
  Micros PlanFirstResponse(const Case& c, Micros assigned);
  Micros PlanRetractedConsent(const Case& c, Micros cursor);
  Micros PlanPartnerInformation(Case& c, Micros cursor);
  bool DrawFounded(Micros t0);
  void AssessUnfounded(Case& c, const User& assessor, Micros assessed);
  void AssessFounded(Case& c, const User& assessor, Micros assessed,
                     const std::set<std::string_view>& codes);
  void PlanUnfounded(Case& c, Micros assessed);
  void LegalHold(Case& c, Micros set);
  // The follow-up of a case assessed founded (event `founded` at `f`, with
  // the baseline `factors`).
  void PlanFounded(Case& c, std::uint64_t founded, Micros f,
                   const Scores& factors);
  // The parts of PlanFounded, in the order it calls them (`cursor` as
  // above).
  FoundedCourse DrawFoundedCourse(const Case& c, std::uint64_t founded,
                                  Micros f);
  Micros PlanInforming(const Case& c, const FoundedCourse& course);
  void PlanInformationUpdate(Case& c, Micros f);
  void PlanConsentAndInterventions(Case& c, FoundedCourse& course,
                                   const Scores& factors);
  void PlanIntervention(Case& c, FoundedCourse& course, const Scores& factors,
                        Micros s);
  void PlanFoundedDisclosures(Case& c, const FoundedCourse& course);
  std::optional<Micros> PlanReviews(const Case& c, const FoundedCourse& course);
  void PlanClosing(const Case& c, const FoundedCourse& course, Micros closing);
  Micros PlanRestriction(Case& c, std::uint64_t founded, Micros cursor);
  Micros PlanLaterCorrection(Case& c, std::uint64_t founded, Micros cursor);
  // Plans one disclosure requested at `q`: a decision within 8 days, then
  // (if approved) the making within 5 more and the legal review; updates
  // c.made and c.last_disclosure.
  void PlanDisclosure(Case& c, Micros q, bool pet,
                      std::optional<std::uint64_t> consent,
                      std::string_view force_recipient = "");
  // The parts of PlanDisclosure, in the order it calls them.
  DisclosureOption ChooseDisclosureOption(
      const std::vector<DisclosureOption>& options);
  Json DrawDisclosedCategories(const Case& c, Micros q,
                               const DisclosureOption& o,
                               const projections::LegalBasis& basis);
  Json DisclosureRequestHeader(const Case& c, Micros q,
                               const DisclosureOption& o,
                               const Json& categories,
                               std::optional<std::uint64_t> consent,
                               std::vector<Ref>& refs,
                               std::optional<std::string>& pet_ref);
  DisclosureQuality DrawDisclosureQuality(Micros q);
  void PlanDisclosureReview(const Case& c, std::uint64_t request, Micros made,
                            std::uint64_t made_id, DisclosureQuality quality);
  // A correction of the case at `t`; the recipients of earlier disclosures
  // are notified, except in `kPlant` mode (planted FLAG-ART19) and, at
  // random, in `kRandom` mode. Returns the time of its last event.
  enum class NotifyMode { kRandom, kNotify, kPlant };
  Micros PlanCorrection(Case& c, Micros t, std::uint64_t assessment,
                        const User& assessor, NotifyMode mode, bool header);
  // The notification of the recipients of every disclosure made before `t`
  // about event `about`; nullopt if there were none.
  std::optional<std::uint64_t> Notify(Case& c, Micros t, std::uint64_t about);
  void PlanRefusedAttempt(std::uint64_t number, Micros t);
  // A disclosure of the migrated history (`legacy_ref`, accepted although it
  // breaks a disclosure rule) planted for the register, requested at `q`:
  // the next of the scenarios, or `unfounded_case` on an unfounded case.
  // A legal reviewer finds it deficient. Updates c.made, c.last_disclosure.
  void PlanLegacyDisclosure(Case& c, Micros q, bool unfounded);
  // Part of PlanLegacyDisclosure: the request as scenario `code` has it.
  LegacyRequest LegacyScenario(Case& c, Micros q, std::string_view code);
  void Finding(const Case& c, std::uint64_t request, std::string_view code,
               Micros due, std::vector<std::uint64_t> needs) {
    findings_.push_back({c.id, request, std::string(code), due, std::move(needs)});
  }
  // Migrated history: before the go-live of the ledger.
  bool Legacy(Micros t) const {
    return t < start_ + static_cast<Micros>(kDemoLegacyYears) * kYear;
  }

  void PlanAdvice(std::uint64_t cases);
  DemoPlan Finish(std::uint64_t first_seq);

  Rng rng_;
  // Advice contacts draw from their own stream, so adding them left every
  // case of a plan as it was.
  Rng advice_rng_;
  Micros start_, end_;
  std::vector<User> caseworkers_, coordinators_, legal_reviewers_;
  User dpo_, auditor_;
  std::vector<Planned> planned_;
  std::vector<DefectDraft> defects_;
  std::vector<FindingDraft> findings_;
  std::uint64_t legacy_count_ = 0;
  std::map<std::string, std::vector<Micros>> wishes_;
  std::map<std::int64_t, double> founded_quota_;  // by year of the concern
  std::vector<PastCase> past_;
  std::set<std::string_view> sources_used_, kinds_used_, recipients_used_;
  std::uint64_t deficient_count_ = 0;
  std::uint64_t pet_refs_ = 0;
};

std::uint64_t Planner::Add(Micros t, const Case* c, std::string_view type,
                           const User& u, Json h, std::optional<Json> body,
                           std::vector<Ref> refs) {
  Planned p;
  p.time = t;
  p.id = planned_.size();
  p.cmd.type = std::string(type);
  p.cmd.actor = u.id;
  p.cmd.role = u.role;
  if (c != nullptr) {
    p.cmd.case_id = c->id;
    p.cmd.subject = c->subject;
  }
  p.cmd.h = std::move(h);
  p.cmd.body = std::move(body);
  p.refs = std::move(refs);
  planned_.push_back(std::move(p));
  return planned_.back().id;
}

Scores Planner::BaselineFactors() {
  static constexpr Choice kRisk[] = {{"0", 2}, {"1", 4}, {"2", 4}, {"3", 2}};
  static constexpr Choice kResources[] = {
      {"0", 2}, {"1", 4}, {"2", 3}, {"3", 1}};
  Scores s{};
  for (auto& [risk, resources] : s) {
    risk = rng_.Weighted(kRisk).value[0] - '0';
    resources = rng_.Weighted(kResources).value[0] - '0';
  }
  return s;
}

// Six months on: mostly progression (at least one dimension better, none
// worse), sometimes standstill, sometimes a setback.
Scores Planner::Evolve(const Scores& s) {
  Scores next = s;
  const double r = rng_.Unit();
  if (r < 0.72) {
    for (int k = rng_.Int(1, 3); k > 0; --k) {
      auto& [risk, resources] = next[rng_.Index(next.size())];
      if (risk > 0 &&
          (resources == projections::kFactorMax || rng_.Chance(0.6)))
        --risk;
      else if (resources < projections::kFactorMax)
        ++resources;
    }
  } else if (r >= 0.88) {
    auto& [risk, resources] = next[rng_.Index(next.size())];
    if (risk < projections::kFactorMax)
      ++risk;
    else if (resources > 0)
      --resources;
  }
  return next;
}

// An unfounded assessment scores a few dimensions, or none.
Json Planner::SomeFactors() {
  Json j = Json::object();
  if (rng_.Chance(0.5)) return j;
  for (int k = 0; k < 3; ++k) {
    j[std::string(projections::kFactorDimensions[rng_.Index(
        projections::kFactorDimensions.size())])] =
        Json{{"risk", rng_.Int(0, 1)}, {"resources", rng_.Int(1, 3)}};
  }
  return j;
}

void Planner::PlanCase(std::uint64_t number, Micros t0) {
  Case c;
  c.number = number;
  c.id = Id("c");
  c.opened = t0;
  c.source = &Covering<Source>(
      kSources, sources_used_, [](const Source&, bool) { return true; }, false);
  const std::optional<PastCase> prior = DrawPriorCase(t0);
  c.subject = prior ? prior->subject : Id("s");
  c.minor = prior ? prior->minor : rng_.Chance(c.source->minor_share);
  std::set<std::string_view> codes;  // of the concern's grounds
  PlanConcern(c, prior, codes);
  const Micros assigned = PlanAssignment(c);
  Micros cursor = PlanFirstResponse(c, assigned);
  cursor = PlanRetractedConsent(c, cursor);
  cursor = PlanPartnerInformation(c, cursor);

  // Planted: an open case never assessed (FLAG-ASSESS). Recent, so that it
  // is not also due for review.
  if (t0 >= end_ - 330 * kDay && t0 <= end_ - 35 * kDay &&
      Want("no_assessment", t0)) {
    Defect(c, DefectKind::kNoAssessment, t0 + 30 * kDay, c.concern, {});
    past_.push_back({c.id, c.subject, t0, c.minor, std::nullopt,
                     c.grounds[0]["code"].get<std::string>(),
                     c.grounds[0]["observed_on"].get<std::string>()});
    return;
  }

  // The coordinator's assessment, within 30 days; sometimes more information
  // is asked for first.
  const bool founded = DrawFounded(t0);
  const User& assessor =
      rng_.Chance(0.7) ? *c.coordinator : AnyOf(coordinators_);
  Micros assessed =
      std::min(cursor + rng_.Between(kDay, 8 * kDay), t0 + 29 * kDay);
  if (rng_.Chance(0.07)) {
    Add(assessed, &c, "assessment.recorded", assessor,
        Json{{"outcome", "more_information"},
             {"grounds", Json::array()},
             {"panel", "infohus"},
             {"factors", Json::object()}},
        Json{{"reasoning",
              "Synthetic reasoning: more information is needed "
              "before the concern can be assessed."}});
    assessed += rng_.Between(12 * kDay, 40 * kDay);
  }
  if (founded)
    AssessFounded(c, assessor, assessed, codes);
  else
    AssessUnfounded(c, assessor, assessed);
}

// Now and then a new concern is about a person known from an earlier case,
// opened between 2 years and 30 days before `t0`: returns that case, else
// nullopt.
std::optional<PastCase> Planner::DrawPriorCase(Micros t0) {
  std::optional<PastCase> prior;
  if (rng_.Chance(0.03)) {
    std::vector<const PastCase*> candidates;
    for (const PastCase& p : past_)
      if (p.opened >= t0 - 2 * kYear && p.opened <= t0 - 30 * kDay)
        candidates.push_back(&p);
    if (!candidates.empty()) prior = *candidates[rng_.Index(candidates.size())];
  }
  return prior;
}

// The concern.reported that opens `c` (about the person of `prior`, if
// any): grounds, context, narrative, identity (of a new person) and
// reporter; it picks the lead coordinator and the author and sets
// c.concern. Adds the codes of its grounds to `codes`.
void Planner::PlanConcern(Case& c, const std::optional<PastCase>& prior,
                          std::set<std::string_view>& codes) {
  char num[32];
  std::snprintf(num, sizeof num, "%04llu",
                static_cast<unsigned long long>(c.number));
  const std::string cpr = SyntheticCpr(c.number);
  const Json descriptions = DrawConcernGrounds(c, prior, codes);
  Json h{{"source", c.source->code},
         {"subject_kind", "person"},
         {"grounds", c.grounds},
         {"minor", c.minor},
         {"new_subject", !prior}};
  if (rng_.Chance(0.1))
    h["context"] =
        Json::array({kContextCodes[rng_.Index(std::size(kContextCodes))]});
  Json body{{"narrative",
             "Synthetic narrative (demo data; no real person or event): the "
             "reporter describes observed conduct of Testperson " +
                 std::string(num) + " in general terms."},
            {"ground_descriptions", descriptions}};
  if (!prior) {
    body["identity"] =
        Json{{"name", "Testperson " + std::string(num)},
             {"cpr", cpr},
             {"address", "Syntetisk Vej " + std::to_string(c.number % 200 + 1) +
                             ", 9999 Demoby"}};
  }
  if (!c.source->organisation.empty()) {
    body["reporter"] = Json{{"organisation", c.source->organisation}};
  } else if (c.source->code == "relative") {
    char rel[48];
    std::snprintf(rel, sizeof rel, "Testperson %04llu (relative)",
                  static_cast<unsigned long long>(c.number + 5000));
    body["reporter"] = Json{{"name", rel}};
  }
  c.coordinator = &AnyOf(coordinators_);
  c.concern_author = rng_.Chance(0.85) ? &AnyOf(caseworkers_) : c.coordinator;
  c.concern = Add(c.opened, &c, "concern.reported", *c.concern_author,
                  std::move(h), std::move(body));
}

// Grounds: observed conduct, one or two codes (into c.grounds, c.serious and
// `codes`), and on a new concern about a person of an earlier founded case
// (`prior`) the conduct recorded there. Returns their descriptions (for the
// body).
Json Planner::DrawConcernGrounds(Case& c, const std::optional<PastCase>& prior,
                                 std::set<std::string_view>& codes) {
  Json descriptions = Json::array();
  for (int n = rng_.Chance(0.3) ? 2 : 1; n > 0; --n) {
    const GroundDef& g = rng_.Weighted(kGrounds);
    if (!codes.insert(g.code).second) continue;
    c.serious = c.serious || g.serious;
    c.grounds.push_back(
        Json{{"code", g.code},
             {"observed_on", Date(c.opened - rng_.Between(0, 30 * kDay))}});
    descriptions.push_back("Synthetic description of the observed conduct (" +
                           std::string(g.code) + "); no real event.");
  }
  if (prior && prior->founded && *prior->founded < c.opened &&
      !codes.contains(prior->ground_code)) {
    // Conduct recorded in the person's earlier, founded case.
    c.grounds.push_back(Json{{"code", prior->ground_code},
                             {"observed_on", prior->observed_on},
                             {"case", prior->case_id}});
    descriptions.push_back(
        "Synthetic reference to conduct recorded in an earlier founded case.");
  }
  return descriptions;
}

// Assignment by the lead coordinator, within hours, to one caseworker (often
// the author of the concern), sometimes two. Returns its time.
Micros Planner::PlanAssignment(Case& c) {
  const Micros assigned = c.opened + rng_.Between(20 * kMinute, 3 * kHour);
  c.caseworkers.push_back(c.concern_author->role == "caseworker" &&
                                  rng_.Chance(0.6)
                              ? c.concern_author
                              : &AnyOf(caseworkers_));
  if (rng_.Chance(0.2)) {
    const User* second = &AnyOf(caseworkers_);
    if (second != c.caseworkers.front()) c.caseworkers.push_back(second);
  }
  Json assignees = Json::array();
  for (const User* u : c.caseworkers) assignees.push_back(u->id);
  Add(assigned, &c, "case.assigned", *c.coordinator,
      Json{{"assignees", assignees}});
  return assigned;
}

// The first reaction after the assignment at `assigned`: the goal is within
// 24 hours (FLAG-24H). Returns its time.
Micros Planner::PlanFirstResponse(const Case& c, Micros assigned) {
  const Micros t0 = c.opened;
  const bool late = !rng_.Chance(0.9);
  const Micros responded =
      late ? t0 + rng_.Between(26 * kHour, 96 * kHour)
           : rng_.Between(assigned + 15 * kMinute, t0 + 22 * kHour);
  Json note{{"note", "Synthetic note of the first contact with the reporter."}};
  Add(responded, &c, "concern.responded", MainCaseworker(c),
      Json{{"channel", rng_.Weighted(kChannels).value}},
      rng_.Chance(0.7) ? std::optional<Json>(note) : std::nullopt);
  if (late) Defect(c, DefectKind::kLateResponse, t0 + kDay, c.concern, {});
  return responded;
}

// A consent recorded on the wrong case, retracted.
Micros Planner::PlanRetractedConsent(const Case& c, Micros cursor) {
  if (rng_.Chance(0.004) || Want("retraction", c.opened)) {
    const Micros t = cursor + rng_.Between(2 * kHour, 2 * kDay);
    const std::uint64_t wrong = Add(
        t, &c, "consent.recorded", MainCaseworker(c),
        Json{{"decision", "given"}, {"by", "subject"}},
        Json{{"note", "Synthetic consent note (recorded on the wrong case)."}});
    cursor = t + rng_.Between(kHour, 2 * kDay);
    Add(cursor, &c, "record.retracted", MainCaseworker(c),
        Json{{"reason", "wrong_case"}},
        Json{{"reason",
              "Synthetic reason: the consent belongs to another case."}},
        {{"target", wrong}});
  }
  return cursor;
}

// Information from partners; some under §115 (never disclosed onward).
Micros Planner::PlanPartnerInformation(Case& c, Micros cursor) {
  const int infos = rng_.Chance(0.3) ? rng_.Int(1, 2) : 0;
  for (int i = 0; i < infos; ++i) {
    struct InfoDef {
      std::string_view from, basis;
      std::array<std::string_view, 2> categories;
      int weight;
    };
    static constexpr InfoDef kInfos[] = {
        {"police", "rpl-115-ssp", {"concern", "criminal_offence"}, 5},
        {"police", "rpl-115-psp", {"concern", "criminal_offence"}, 2},
        {"psychiatry", "rpl-115-psp", {"concern", "health"}, 3},
        {"prison_probation", "rpl-115-ksp", {"concern", "criminal_offence"}, 2},
        {"school", "dbl-8-2-3", {"concern", "contact"}, 5},
        {"police", "dbl-8-2-3", {"concern", "criminal_offence"}, 2},
        {"other", "fvl-28", {"concern", "contact"}, 2},
    };
    const InfoDef& d = rng_.Weighted(kInfos);
    const Micros t = cursor + rng_.Between(4 * kHour, 6 * kDay);
    const std::uint64_t id = Add(
        t, &c, "information.received",
        rng_.Chance(0.8) ? MainCaseworker(c) : *c.coordinator,
        Json{{"from", d.from},
             {"basis", d.basis},
             {"categories", Json::array({d.categories[0], d.categories[1]})}},
        Json{{"content",
              "Synthetic information from a partner authority "
              "(demo data; no real person)."}});
    c.infos.push_back({id, t, d.basis.starts_with("rpl-115-")});
    cursor = t;
  }
  return cursor;
}

// Whether the concern of a case opened at `t0` is assessed founded: the
// founded share of its year (FoundedShare) accumulates in a quota that
// starts at random, and a case is founded each time the quota reaches 1.
bool Planner::DrawFounded(Micros t0) {
  const std::int64_t year = (t0 - start_) / kYear;
  auto quota = founded_quota_.try_emplace(year, rng_.Unit()).first;
  quota->second += FoundedShare(year);
  const bool founded = quota->second >= 1.0;
  if (founded) quota->second -= 1.0;
  return founded;
}

// The unfounded assessment of `c` by `assessor` at `assessed`, and its
// follow-up (PlanUnfounded).
void Planner::AssessUnfounded(Case& c, const User& assessor, Micros assessed) {
  Add(assessed, &c, "assessment.recorded", assessor,
      Json{{"outcome", "unfounded"},
           {"grounds", Json::array()},
           {"panel", rng_.Chance(0.8) ? "infohus" : "unit"},
           {"factors", SomeFactors()}},
      Json{{"reasoning",
            "Synthetic reasoning: the described conduct does "
            "not indicate radicalisation (demo data)."}});
  past_.push_back({c.id, c.subject, c.opened, c.minor, std::nullopt,
                   c.grounds[0]["code"].get<std::string>(),
                   c.grounds[0]["observed_on"].get<std::string>()});
  PlanUnfounded(c, assessed);
}

// The founded assessment of `c` by `assessor` at `assessed`, and its
// follow-up (PlanFounded). Founded: on observed conduct (b.*), the
// concern's and sometimes more (a code not among the concern's `codes`).
void Planner::AssessFounded(Case& c, const User& assessor, Micros assessed,
                            const std::set<std::string_view>& codes) {
  const Micros t0 = c.opened;
  Json grounds = Json::array();
  for (const Json& g : c.grounds)
    grounds.push_back(
        Json{{"code", g["code"]}, {"observed_on", g["observed_on"]}});
  if (rng_.Chance(0.2) && assessed - t0 > kDay) {
    const GroundDef& g = rng_.Weighted(kGrounds);
    if (!codes.contains(g.code)) {
      c.serious = c.serious || g.serious;
      grounds.push_back(
          Json{{"code", g.code},
               {"observed_on", Date(rng_.Between(t0, assessed - kDay))}});
    }
  }
  Scores factors = BaselineFactors();
  const std::uint64_t a =
      Add(assessed, &c, "assessment.recorded", assessor,
          Json{{"outcome", "founded"},
               {"grounds", grounds},
               {"panel", rng_.Chance(0.8) ? "infohus" : "unit"},
               {"factors", FactorsJson(factors)}},
          Json{{"reasoning",
                "Synthetic reasoning: the observed conduct is a "
                "founded concern of radicalisation (demo data)."}});
  past_.push_back({c.id, c.subject, t0, c.minor, assessed,
                   grounds[0]["code"].get<std::string>(),
                   grounds[0]["observed_on"].get<std::string>()});
  PlanFounded(c, a, assessed, factors);
}

// A complaint about the case: a legal hold set at `set` and released
// later (DESIGN §6, ROL-16).
void Planner::LegalHold(Case& c, Micros set) {
  static constexpr Choice kHold[] = {
      {"complaint", 6}, {"ombudsman", 3}, {"court_case", 1}};
  const std::string_view ground = rng_.Weighted(kHold).value;
  Add(set, &c, "legal_hold.set", dpo_, Json{{"ground", ground}},
      Json{{"note", "Synthetic note: a complaint is pending (demo data)."}});
  Add(set + rng_.Between(30 * kDay, 200 * kDay), &c, "legal_hold.released",
      dpo_, Json{{"ground", ground}},
      Json{{"note", "Synthetic note: the complaint is decided (demo data)."}});
}

void Planner::PlanUnfounded(Case& c, Micros assessed) {
  if (Legacy(assessed + kDay) && Want("legacy_unfounded", assessed))
    PlanLegacyDisclosure(c, assessed + kHour, true);
  const Micros closed = assessed + rng_.Between(kDay, 10 * kDay);
  Add(closed, &c, "case.closed", *c.coordinator, Json{{"reason", "unfounded"}},
      Json{{"note", "Synthetic closing note: unfounded (demo data)."}});
  Micros cursor = closed;
  // (Not on a case with a disclosure: the recipients would be owed notice.)
  if (c.made.empty() && rng_.Chance(0.02)) {
    const Micros t = cursor + rng_.Between(kDay, 20 * kDay);
    Add(t, &c, "record.corrected", *c.coordinator,
        Json{{"target", 0}, {"fields", Json::array({"body.narrative"})}},
        Json{{"reason",
              "Synthetic reason: the narrative named the wrong school."},
             {"values",
              {{"narrative", "Synthetic corrected narrative (demo data)."}}}},
        {{"target", c.concern}});
    cursor = t;
  }
  // A complaint about having been registered at all.
  if (rng_.Chance(0.01) || Want("hold", cursor)) {
    LegalHold(c, cursor + rng_.Between(5 * kDay, 25 * kDay));
  }
}

void Planner::PlanFounded(Case& c, std::uint64_t founded, Micros f,
                          const Scores& factors) {
  FoundedCourse course = DrawFoundedCourse(c, founded, f);
  course.informed = PlanInforming(c, course);
  PlanInformationUpdate(c, f);
  PlanConsentAndInterventions(c, course, factors);
  course.active_until = std::max(course.active_until, course.informed + kDay);
  if (!course.no_review) PlanFoundedDisclosures(c, course);
  const std::optional<Micros> closing = PlanReviews(c, course);
  if (!closing) return;  // the planted unreviewed case: nothing more happens
  PlanClosing(c, course, *closing);
  Micros cursor = std::max(f + 5 * kDay, c.last_disclosure + kDay);
  cursor = PlanRestriction(c, founded, cursor);
  cursor = PlanLaterCorrection(c, founded, cursor);
  // A complaint about the case.
  if (rng_.Chance(0.01) || Want("hold", cursor)) {
    LegalHold(c, cursor + rng_.Between(10 * kDay, 120 * kDay));
  }
}

// The course of case `c`, assessed founded (event `founded` at `f`): the
// consent asked for, and the turns (planted or at random) the case takes.
FoundedCourse Planner::DrawFoundedCourse(const Case& c, std::uint64_t founded,
                                         Micros f) {
  FoundedCourse course;
  course.assessment = founded;
  course.assessed = f;
  course.consent_by = c.minor ? "guardian" : "subject";
  course.consent_at = f + rng_.Between(4 * kDay, 20 * kDay);
  course.consent_given = rng_.Chance(0.85);
  // Planted: an open case nobody reviews (FLAG-REVIEW).
  course.no_review = course.consent_given && c.opened <= end_ - 720 * kDay &&
                     Want("no_review", c.opened);
  course.withdrawal =
      course.consent_given && !course.no_review && rng_.Chance(0.1);
  course.moved = course.consent_given && !course.no_review &&
                 !course.withdrawal && rng_.Chance(0.07);
  course.pet = c.serious && !course.no_review &&
               (rng_.Chance(0.12) || Want("pet", course.assessed));
  return course;
}

// Informing the subject, or deferring it (FLAG-INFORM after 30 days).
// Returns the time until which the case stays open at least.
Micros Planner::PlanInforming(const Case& c, const FoundedCourse& course) {
  const User& cw = MainCaseworker(c);
  const Micros f = course.assessed;
  Micros informed = f;
  if (f + 30 * kDay <= end_ - 5 * kDay && !course.no_review &&
      (rng_.Chance(0.03) || Want("late_inform", f))) {
    if (rng_.Chance(0.7)) {
      informed = f + rng_.Between(35 * kDay, 90 * kDay);
      Add(informed, &c, "subject.informed", cw, Json::object(),
          Json{{"note", "Synthetic note: informed late."}});
    }
    Defect(c, DefectKind::kLateInformation, f + 30 * kDay, course.assessment,
           {});
  } else if (course.pet || rng_.Chance(0.12)) {
    static constexpr Choice kDeferral[] = {
        {"dbl_22", 3}, {"investigation", 2}, {"other", 1}};
    const std::string_view basis =
        course.pet ? "pet_act_12" : rng_.Weighted(kDeferral).value;
    const Micros t = f + rng_.Between(2 * kDay, 20 * kDay);
    Add(t, &c, "subject.information_deferred",
        rng_.Chance(0.5) ? cw : *c.coordinator,
        Json{{"basis", basis},
             {"review_on", Date(t + rng_.Between(90 * kDay, 180 * kDay))}},
        Json{{"note", "Synthetic note: informing the subject is deferred."}});
  } else {
    Add(f + rng_.Between(3 * kDay, 25 * kDay), &c, "subject.informed",
        rng_.Chance(0.8) ? cw : *c.coordinator, Json::object(),
        Json{{"note", "Synthetic note: the subject was informed by letter."}});
  }
  return informed;
}

// Occasional new information while the case runs (founded at `f`).
void Planner::PlanInformationUpdate(Case& c, Micros f) {
  if (rng_.Chance(0.2)) {
    const Micros t = f + rng_.Between(5 * kDay, 60 * kDay);
    const bool ssp = rng_.Chance(0.5);
    const std::uint64_t id =
        Add(t, &c, "information.received", MainCaseworker(c),
            Json{{"from", ssp ? "police" : "school"},
                 {"basis", ssp ? "rpl-115-ssp" : "dbl-8-2-3"},
                 {"categories", Json::array({"concern"})}},
            Json{{"content", "Synthetic information update (demo data)."}});
    c.infos.push_back({id, t, ssp});
  }
}

// Consent: interventions are voluntary (ROL-9). Given, it is followed by one
// or two interventions; the active work ends with them, or some months
// after a declined offer. Sets course.consent, course.active_until and
// course.all_completed.
void Planner::PlanConsentAndInterventions(Case& c, FoundedCourse& course,
                                          const Scores& factors) {
  course.consent =
      Add(course.consent_at, &c, "consent.recorded", MainCaseworker(c),
          Json{{"decision", course.consent_given ? "given" : "declined"},
               {"by", course.consent_by}},
          Json{{"note", course.consent_given
                            ? "Synthetic note: consent given."
                            : "Synthetic note: the offer was declined."}});
  course.active_until = course.consent_at;
  course.all_completed = course.consent_given;
  if (course.consent_given) {
    const int n = (course.withdrawal || course.moved || course.no_review ||
                   !rng_.Chance(0.25))
                      ? 1
                      : 2;
    Micros s = course.consent_at + rng_.Between(kDay, 14 * kDay);
    for (int k = 0; k < n; ++k) {
      if (k > 0) s += rng_.Between(10 * kDay, 90 * kDay);
      PlanIntervention(c, course, factors, s);
    }
  } else {
    course.active_until =
        course.consent_at + rng_.Between(60 * kDay, 240 * kDay);
  }
}

// One intervention started at `s`, its progress from the baseline `factors`
// and its end (and then a withdrawal of consent, if the course has one).
// Updates course.active_until and course.all_completed.
void Planner::PlanIntervention(Case& c, FoundedCourse& course,
                               const Scores& factors, Micros s) {
  const User& cw = MainCaseworker(c);
  const KindDef& kind = Covering<KindDef>(
      kKinds, kinds_used_,
      [](const KindDef& d, bool minor) { return minor || !d.minors_only; },
      c.minor);
  const std::string_view provider = kind.providers[rng_.Index(2)];
  const std::uint64_t started = Add(
      s, &c, "intervention.started", rng_.Chance(0.8) ? cw : *c.coordinator,
      Json{{"kind", kind.kind}, {"provider", provider}},
      Json{{"plan", "Synthetic intervention plan (" + std::string(kind.kind) +
                        "), goals agreed with the subject (demo data)."}});
  c.started.push_back(started);
  const Micros e = course.no_review ? end_ + rng_.Between(30 * kDay, 200 * kDay)
                                    : s + rng_.Between(150 * kDay, 720 * kDay);
  // Progress on the nine dimensions every 6 months (DESIGN §1).
  Scores cur = factors;
  for (Micros p = s + rng_.Between(170 * kDay, 190 * kDay); p < e - 10 * kDay;
       p += rng_.Between(165 * kDay, 195 * kDay)) {
    cur = Evolve(cur);
    Add(p, &c, "progress.assessed", cw,
        Json{{"intervention", 0}, {"factors", FactorsJson(cur)}},
        rng_.Chance(0.5)
            ? std::optional<Json>(
                  Json{{"note", "Synthetic progress note (demo data)."}})
            : std::nullopt,
        {{"intervention", started}});
  }
  std::string reason = course.withdrawal   ? "withdrawn"
                       : course.moved      ? "moved"
                       : rng_.Chance(0.85) ? "completed"
                                           : "declined";
  if (reason != "completed") course.all_completed = false;
  Add(e, &c, "intervention.ended", cw,
      Json{{"intervention", 0}, {"reason", reason}},
      Json{
          {"note", "Synthetic note: the intervention ended (" + reason + ")."}},
      {{"intervention", started}});
  course.active_until = std::max(course.active_until, e);
  if (course.withdrawal) {
    // The withdrawal of consent follows the end of the intervention
    // (recorded first, while it is still active).
    course.active_until = e + rng_.Between(kHour, 5 * kHour);
    Add(course.active_until, &c, "consent.recorded", cw,
        Json{{"decision", "withdrawn"}, {"by", course.consent_by}},
        Json{{"note", "Synthetic note: consent withdrawn."}});
  }
}

// Disclosures while the case is active: never of an unfounded case
// (ROL-14); to PET only when society-threatening (ROL-6).
void Planner::PlanFoundedDisclosures(Case& c, const FoundedCourse& course) {
  const std::optional<std::uint64_t> usable_consent =
      course.consent_given && !course.withdrawal
          ? std::optional<std::uint64_t>(course.consent)
          : std::nullopt;
  int n = course.pet ? 1 : 0;
  if (rng_.Chance(0.3)) ++n;
  if (n > 0 && rng_.Chance(0.2)) ++n;
  const Micros lo = course.assessed + 3 * kDay,
               hi = course.active_until - 40 * kDay;
  std::vector<Micros> qs;
  for (int i = 0; i < n && hi > lo; ++i) qs.push_back(rng_.Between(lo, hi));
  std::sort(qs.begin(), qs.end());
  // In the migrated history, now and then some that break a rule.
  for (int k = 0; k < 3 && hi > lo; ++k) {
    const Micros q = std::max(rng_.Between(lo, lo + (hi - lo) / 4),
                              c.last_disclosure + kDay);
    if (q > hi || !Legacy(q + 60 * kDay) || !Want("legacy", q)) break;
    PlanLegacyDisclosure(c, q, false);
  }
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const Micros q = std::max(qs[i], c.last_disclosure + kDay);
    if (q > hi) break;
    PlanDisclosure(c, q, course.pet && i == 0,
                   q > course.consent_at ? usable_consent : std::nullopt);
  }
  if (course.moved) {
    // The person moved: the new municipality is told (fvl-28), the case
    // is closed as moved.
    PlanDisclosure(c, course.active_until + rng_.Between(kDay, 5 * kDay), false,
                   std::nullopt, "other_municipality");
  }
}

// Reviews: at least every 12 months while open (FLAG-REVIEW); the last one
// decides to close. Returns the time of that closing review; nullopt for
// the planted unreviewed case (reviewed once, then never again).
std::optional<Micros> Planner::PlanReviews(const Case& c,
                                           const FoundedCourse& course) {
  std::optional<Micros> closing;
  if (!course.no_review) {
    closing = std::max(course.active_until, c.last_disclosure) +
              rng_.Between(3 * kDay, 30 * kDay);
  }
  Micros r = c.opened;
  for (;;) {
    const Micros next = r + rng_.Between(200 * kDay, 330 * kDay);
    if (closing && next >= *closing - 14 * kDay) break;
    Add(next, &c, "case.reviewed", *c.coordinator,
        Json{{"decision", "continue"}},
        rng_.Chance(0.5)
            ? std::optional<Json>(Json{
                  {"reasoning", "Synthetic reasoning: the work continues."}})
            : std::nullopt);
    r = next;
    if (course.no_review) {
      Defect(c, DefectKind::kNoReview, r + 365 * kDay, c.concern, {});
      break;
    }
  }
  return closing;
}

// The review at `closing` that decides to close the case, and the closing
// with the reason the course gives.
void Planner::PlanClosing(const Case& c, const FoundedCourse& course,
                          Micros closing) {
  Add(closing, &c, "case.reviewed", *c.coordinator, Json{{"decision", "close"}},
      Json{{"reasoning", "Synthetic reasoning: the case can be closed."}});
  const std::string reason = course.moved           ? "moved"
                             : course.all_completed ? "completed"
                             : c.minor && rng_.Chance(0.4)
                                 ? "referred"
                                 : "no_longer_relevant";
  Add(closing + rng_.Between(2 * kHour, 3 * kDay), &c, "case.closed",
      *c.coordinator, Json{{"reason", reason}},
      Json{{"note", "Synthetic closing note (demo data)."}});
}

// A restriction of processing while the accuracy is contested, lifted
// again (a closed case takes it: ROL-11); recipients of earlier
// disclosures are notified (GDPR Art. 19). A contested record is often
// corrected meanwhile (`founded`: the founded assessment).
Micros Planner::PlanRestriction(Case& c, std::uint64_t founded, Micros cursor) {
  if (rng_.Chance(0.02) || Want("restriction", cursor)) {
    const bool contested = rng_.Chance(0.6);
    const std::string_view ground =
        contested ? "accuracy_contested" : "objection";
    const Micros t = cursor + rng_.Between(5 * kDay, 60 * kDay);
    const User& who = rng_.Chance(0.7) ? *c.coordinator : dpo_;
    const std::uint64_t restricted =
        Add(t, &c, "processing.restricted", who, Json{{"ground", ground}},
            Json{{"note", "Synthetic note: the subject contests the record."}});
    cursor = t;
    if (auto n = Notify(c, t + rng_.Between(kHour, 6 * kHour), restricted))
      cursor = planned_[*n].time;
    if (contested && rng_.Chance(0.6)) {
      const Micros t2 = cursor + rng_.Between(2 * kDay, 8 * kDay);
      cursor =
          PlanCorrection(c, t2, founded, *c.coordinator, NotifyMode::kRandom,
                         Want("header_correction", t2));
    }
    cursor += rng_.Between(10 * kDay, 60 * kDay);
    Add(cursor, &c, "processing.restriction_lifted", who,
        Json{{"ground", ground}},
        Json{{"note", "Synthetic note: the restriction is lifted."}});
  }
  return cursor;
}

// Corrections of the closed case (`founded`: the founded assessment): more
// often wanted on cases whose disclosures make them matter (FLAG-ART19).
Micros Planner::PlanLaterCorrection(Case& c, std::uint64_t founded,
                                    Micros cursor) {
  const bool disclosed = !c.made.empty();
  const bool plant = disclosed && Want("art19", cursor);
  const bool notify = disclosed && !plant && Want("notify", cursor);
  const bool header = Want("header_correction", cursor);
  if (plant || notify || header || rng_.Chance(disclosed ? 0.12 : 0.05)) {
    cursor = PlanCorrection(c, cursor + rng_.Between(kDay, 40 * kDay), founded,
                            *c.coordinator,
                            plant    ? NotifyMode::kPlant
                            : notify ? NotifyMode::kNotify
                                     : NotifyMode::kRandom,
                            header);
  }
  return cursor;
}

std::optional<std::uint64_t> Planner::Notify(Case& c, Micros t,
                                             std::uint64_t about) {
  std::set<std::string> recipients;
  for (const Case::Made& m : c.made)
    if (m.time < planned_[about].time) recipients.insert(m.recipient);
  if (recipients.empty()) return std::nullopt;
  Json list = Json::array();
  for (const std::string& r : recipients) list.push_back(r);
  const std::uint64_t n = Add(t, &c, "recipients.notified", *c.coordinator,
                              Json{{"about", 0}, {"recipients", list}},
                              std::nullopt, {{"about", about}});
  // Not yet notified by the end of the plan: the correction is not either.
  planned_[about].needs = n;
  return n;
}

Micros Planner::PlanCorrection(Case& c, Micros t, std::uint64_t assessment,
                               const User& assessor, NotifyMode mode,
                               bool header) {
  std::uint64_t id = 0;
  if (header || rng_.Chance(0.3)) {
    // The date of an observed ground was entered wrongly (ROL-1 still holds:
    // the engine re-checks the corrected header).
    Json grounds = c.grounds;
    grounds[0]["observed_on"] = Date(c.opened - rng_.Between(kDay, 10 * kDay));
    id = Add(t, &c, "record.corrected", assessor,
             Json{{"target", 0},
                  {"fields", Json::array({"h.grounds"})},
                  {"set", {{"grounds", grounds}}}},
             Json{{"reason",
                   "Synthetic reason: the date of the observed "
                   "conduct was entered wrongly."}},
             {{"target", c.concern}});
  } else if (rng_.Chance(0.5)) {
    id = Add(
        t, &c, "record.corrected", assessor,
        Json{{"target", 0}, {"fields", Json::array({"body.reasoning"})}},
        Json{{"reason",
              "Synthetic reason: the reasoning cited the wrong meeting."},
             {"values",
              {{"reasoning", "Synthetic corrected reasoning (demo data)."}}}},
        {{"target", assessment}});
  } else {
    id = Add(
        t, &c, "record.corrected", assessor,
        Json{{"target", 0}, {"fields", Json::array({"body.narrative"})}},
        Json{{"reason",
              "Synthetic reason: the narrative named the wrong school."},
             {"values",
              {{"narrative", "Synthetic corrected narrative (demo data)."}}}},
        {{"target", c.concern}});
  }
  const bool disclosed =
      std::any_of(c.made.begin(), c.made.end(),
                  [&](const Case::Made& m) { return m.time < t; });
  if (disclosed && (mode == NotifyMode::kPlant ||
                    (mode == NotifyMode::kRandom && rng_.Chance(0.3)))) {
    // Planted: the recipients are never told of the correction.
    Defect(c, DefectKind::kRecipientsNotNotified, t, id, {});
    return t;
  }
  if (auto n = Notify(c, t + rng_.Between(kHour, 6 * kHour), id))
    return planned_[*n].time;
  return t;
}

void Planner::PlanDisclosure(Case& c, Micros q, bool pet,
                             std::optional<std::uint64_t> consent,
                             std::string_view force_recipient) {
  const DisclosureOption o = ChooseDisclosureOption(
      DisclosureOptions(c, pet, consent.has_value(), force_recipient));
  const projections::LegalBasis* basis = projections::FindBasis(o.basis);
  assert(basis != nullptr);
  const Json categories = DrawDisclosedCategories(c, q, o, *basis);
  std::vector<Ref> refs;
  std::optional<std::string> pet_ref;
  Json h = DisclosureRequestHeader(c, q, o, categories, consent, refs, pet_ref);
  const DisclosureQuality quality = DrawDisclosureQuality(q);
  Json body = DisclosureBody(o, pet_ref, quality);

  const User& requester = rng_.Chance(0.7) ? MainCaseworker(c) : *c.coordinator;
  const std::uint64_t request =
      Add(q, &c, "disclosure.requested", requester, std::move(h),
          std::move(body), std::move(refs));
  const User& approver = requester.role == "coordinator"
                             ? OtherCoordinator(requester)
                             : AnyOf(coordinators_);
  const Micros decided = q + rng_.Between(kDay, 8 * kDay);
  c.last_disclosure = std::max(c.last_disclosure, decided);
  if (quality == DisclosureQuality::kLawful && rng_.Chance(0.05)) {
    Add(decided, &c, "disclosure.rejected", approver, Json{{"request", 0}},
        Json{{"reason", "Synthetic reason: the necessity is not shown."}},
        {{"request", request}});
    return;
  }
  Add(decided, &c, "disclosure.approved", approver, Json{{"request", 0}},
      rng_.Chance(0.5)
          ? std::optional<Json>(Json{{"reason", "Synthetic: approved."}})
          : std::nullopt,
      {{"request", request}});
  const Micros made = decided + rng_.Between(2 * kHour, 5 * kDay);
  std::string sha;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) sha.push_back(kHex[rng_.Uniform(16)]);
  const std::uint64_t made_id =
      Add(made, &c, "disclosure.made", requester,
          Json{{"request", 0},
               {"channel", rng_.Weighted(kMadeChannels).value},
               {"document_sha256", sha}},
          std::nullopt, {{"request", request}});
  c.made.push_back({made, std::string(o.recipient)});
  c.last_disclosure = std::max(c.last_disclosure, made);
  PlanDisclosureReview(c, request, made, made_id, quality);
}

// One of `options` by weight, biased towards recipients not used yet, as
// sources and kinds are.
DisclosureOption Planner::ChooseDisclosureOption(
    const std::vector<DisclosureOption>& options) {
  std::vector<const DisclosureOption*> unused;
  for (const DisclosureOption& x : options)
    if (!recipients_used_.contains(x.recipient)) unused.push_back(&x);
  const DisclosureOption& o = !unused.empty() && rng_.Chance(0.3)
                                  ? *unused[rng_.Index(unused.size())]
                                  : rng_.Weighted(options);
  recipients_used_.insert(o.recipient);
  return o;
}

// What a disclosure of `c` to `o` requested at `q` sends: never more than
// the `basis` covers (ROL-8).
Json Planner::DrawDisclosedCategories(const Case& c, Micros q,
                                      const DisclosureOption& o,
                                      const projections::LegalBasis& basis) {
  Json categories = Json::array({"identity", "concern"});
  if (rng_.Chance(0.6) || o.recipient == "pet")
    categories.push_back("assessment");
  if (rng_.Chance(0.3)) categories.push_back("contact");
  if (!c.started.empty() && planned_[c.started.front()].time < q &&
      rng_.Chance(0.4))
    categories.push_back("intervention");
  if (basis.covers_art10 && rng_.Chance(o.recipient == "pet" ? 0.6 : 0.3))
    categories.push_back("criminal_offence");
  if (basis.covers_art9 && rng_.Chance(0.15)) categories.push_back("health");
  return categories;
}

// The header of the request of a disclosure of `c` to `o` at `q` sending
// `categories`. Appends the events it refers to (`consent`, information
// included) to `refs`; sets `pet_ref` to PET's reference on a PET request.
Json Planner::DisclosureRequestHeader(const Case& c, Micros q,
                                      const DisclosureOption& o,
                                      const Json& categories,
                                      std::optional<std::uint64_t> consent,
                                      std::vector<Ref>& refs,
                                      std::optional<std::string>& pet_ref) {
  const std::string_view purpose = o.basis == "pet-4"       ? "pet_request"
                                   : o.basis == "dbl-8-2-2" ? "safety"
                                   : o.basis == "child-welfare-notify"
                                       ? "child_welfare"
                                       : "prevention";
  Json h{{"recipient", o.recipient},
         {"basis", o.basis},
         {"registry_version", projections::kRegistryVersion},
         {"purpose", purpose},
         {"categories", categories}};
  if (o.recipient == "pet") h["threshold"] = "society_threatening";
  // PET's reference: the header marks it, the body holds it (text).
  if (o.basis == "pet-4") {
    char ref[40];
    std::snprintf(ref, sizeof ref, "PET-%s-%04llu",
                  Date(q).substr(0, 4).c_str(),
                  static_cast<unsigned long long>(++pet_refs_));
    h["request_ref"] = true;
    pet_ref = ref;
  }
  if (o.basis == "consent") {
    h["consent"] = 0;
    refs.push_back({"consent", *consent});
  }
  // It may draw on information received, never on §115 information (ROL-7).
  for (const Case::Info& i : c.infos) {
    if (i.time < q && !i.onward_forbidden && rng_.Chance(0.5)) {
      if (!h.contains("includes")) h["includes"] = Json::array();
      refs.push_back({"includes", i.id});
    }
  }
  return h;
}

// The quality of a disclosure requested at `q`: a few are left unreviewed
// or found deficient (in turn too thin, or reviewed late), when the flag is
// due by the plan's end.
DisclosureQuality Planner::DrawDisclosureQuality(Micros q) {
  const Micros made_by = q + 14 * kDay;  // at the latest
  DisclosureQuality quality = DisclosureQuality::kLawful;
  if (made_by + 30 * kDay <= end_ &&
      (rng_.Chance(0.03) || Want("unreviewed", q))) {
    quality = DisclosureQuality::kUnreviewed;
  } else if (made_by + 75 * kDay <= end_ &&
             (rng_.Chance(0.04) || Want("deficient", q))) {
    quality = (deficient_count_++ % 2 == 0) ? DisclosureQuality::kThin
                                            : DisclosureQuality::kLate;
  }
  return quality;
}

// The legal review of the disclosure requested by `request` and made at
// `made` (event `made_id`), as its `quality` has it; an unreviewed or
// deficient one is a planted defect, an unreviewed or late one a finding.
void Planner::PlanDisclosureReview(const Case& c, std::uint64_t request,
                                   Micros made, std::uint64_t made_id,
                                   DisclosureQuality quality) {
  const User& reviewer = AnyOf(legal_reviewers_);
  switch (quality) {
    case DisclosureQuality::kLawful:
      Add(made + rng_.Between(kDay, 20 * kDay), &c, "disclosure.reviewed",
          reviewer,
          Json{{"disclosure", 0},
               {"verdict", "lawful"},
               {"findings", Json::array()}},
          rng_.Chance(0.5)
              ? std::optional<Json>(Json{{"notes", "Synthetic: in order."}})
              : std::nullopt,
          {{"disclosure", request}});
      break;
    case DisclosureQuality::kUnreviewed:
      Defect(c, DefectKind::kDisclosureUnreviewed, made + 30 * kDay, request,
             {made_id});
      Finding(c, request, "late_review", made + 30 * kDay, {made_id});
      break;
    case DisclosureQuality::kThin: {
      const std::uint64_t review = Add(
          made + rng_.Between(kDay, 20 * kDay), &c, "disclosure.reviewed",
          reviewer,
          Json{{"disclosure", 0},
               {"verdict", "deficient"},
               {"findings", Json::array({"other"})}},
          Json{{"notes", "Synthetic: the necessity statement is too thin."}},
          {{"disclosure", request}});
      Defect(c, DefectKind::kDisclosureDeficient, planned_[review].time,
             request, {review});
      break;
    }
    case DisclosureQuality::kLate: {
      const std::uint64_t review =
          Add(made + rng_.Between(35 * kDay, 70 * kDay), &c,
              "disclosure.reviewed", reviewer,
              Json{{"disclosure", 0},
                   {"verdict", "deficient"},
                   {"findings", Json::array({"late_review"})}},
              Json{{"notes", "Synthetic: reviewed after more than 30 days."}},
              {{"disclosure", request}});
      Defect(c, DefectKind::kDisclosureDeficient, planned_[review].time,
             request, {review});
      // Until the late review it was an unreviewed disclosure.
      Defect(c, DefectKind::kDisclosureUnreviewed, made + 30 * kDay, request,
             {made_id}, review);
      Finding(c, request, "late_review", made + 30 * kDay, {made_id});
      break;
    }
  }
}

void Planner::PlanLegacyDisclosure(Case& c, Micros q, bool unfounded) {
  const std::string_view code =
      unfounded ? "unfounded_case"
                : kLegacyCodes[legacy_count_++ % kLegacyScenarios];
  char ref[40];
  std::snprintf(
      ref, sizeof ref, "OLD-%s-%04llu", Date(q).substr(0, 4).c_str(),
      static_cast<unsigned long long>(legacy_count_ + 1000 * unfounded));
  LegacyRequest r = LegacyScenario(c, q, code);
  Micros t = q;
  Json h{{"recipient", r.recipient},
         {"basis", r.basis},
         {"registry_version", projections::kRegistryVersion},
         {"purpose", r.purpose},
         {"categories", r.categories},
         {"legacy_ref", true}};
  // The old system's reference is text: in the encrypted body only.
  r.body["legacy_ref"] = std::string(ref);
  if (!r.refs.empty()) h["includes"] = Json::array();
  const User& requester = *c.coordinator;
  const auto legacy = [&](std::uint64_t id) {
    projections::SetOrigin(planned_[id].cmd, {.legacy_import = true});
    return id;
  };
  const std::uint64_t request = legacy(Add(
      t, &c, "disclosure.requested", requester, h, r.body, std::move(r.refs)));
  const Json step{{"request", 0}, {"legacy_ref", true}};
  if (code != "missing_approval") {
    t += rng_.Between(kHour, 3 * kHour);
    const User& approver =
        code == "self_approval" ? requester : OtherCoordinator(requester);
    legacy(Add(t, &c, "disclosure.approved", approver, step, std::nullopt,
               {{"request", request}}));
  }
  if (code == "beyond_approval") {
    // The request grew after its approval, and was sent as it stood.
    t += rng_.Between(kHour, 3 * kHour);
    Json more = r.categories;
    more.push_back("contact");
    const std::uint64_t k =
        Add(t, &c, "record.corrected", requester,
            Json{{"target", 0},
                 {"fields", Json::array({"h.categories"})},
                 {"set", {{"categories", more}}}},
            Json{{"reason",
                  "Synthetic reason: the contact details were added (demo "
                  "data)."}},
            {{"target", request}});
    if (auto n = Notify(c, t + 10 * kMinute, k)) t = planned_[*n].time;
  }
  t += code == "approval_expired" ? rng_.Between(35 * kDay, 45 * kDay)
                                  : rng_.Between(kHour, 3 * kHour);
  Json made_h = step;
  made_h["channel"] = "letter";
  made_h["document_sha256"] =
      std::string(64, 'a' + static_cast<char>(legacy_count_ % 6));
  const std::uint64_t made_id =
      legacy(Add(t, &c, "disclosure.made", requester, made_h, std::nullopt,
                 {{"request", request}}));
  c.made.push_back({t, r.recipient});
  if (r.restriction) {
    t += kHour;
    Add(t, &c, "processing.restriction_lifted", *c.coordinator,
        Json{{"ground", "objection"}},
        Json{
            {"note", "Synthetic note: the objection is decided (demo data)."}});
  }
  c.last_disclosure = std::max(c.last_disclosure, t);
  // Found deficient in a legal review of the migrated records.
  const std::uint64_t review =
      Add(t + rng_.Between(kDay, 20 * kDay), &c, "disclosure.reviewed",
          AnyOf(legal_reviewers_),
          Json{{"disclosure", 0},
               {"verdict", "deficient"},
               {"findings", Json::array({code})}},
          Json{{"notes",
                "Synthetic: found in the review of the migrated records."}},
          {{"disclosure", request}});
  Defect(c, DefectKind::kDisclosureDeficient, planned_[review].time, request,
         {review});
  Finding(c, request, code, q, {made_id});
}

// The request of a migrated disclosure at `q` that breaks the rule `code`:
// lawful but for that defect. Plans the events before it that the defect
// needs (information received under §115, a restriction of processing).
LegacyRequest Planner::LegacyScenario(Case& c, Micros q,
                                      std::string_view code) {
  LegacyRequest r;
  if (code == "basis_not_allowed") {
    r.basis = "fvl-28";  // not for the police
  } else if (code == "onward_115") {
    const auto info =
        Add(q - 2 * kHour, &c, "information.received", MainCaseworker(c),
            Json{{"from", "police"},
                 {"basis", "rpl-115-ssp"},
                 {"categories", Json::array({"concern"})}},
            Json{{"content", "Synthetic information (migrated demo record)."}});
    c.infos.push_back({info, q - 2 * kHour, true});
    r.refs.push_back({"includes", info});
  } else if (code == "art9_without_basis") {
    r.basis = "dbl-8-2-3";
    r.categories.push_back("health");
  } else if (code == "art10_without_basis") {
    r.recipient = "social_services";
    r.basis = "fvl-28";
    r.categories.push_back("criminal_offence");
  } else if (code == "pet_without_threshold") {
    r.recipient = "pet";
    r.basis = "dbl-8-2-2";
    r.purpose = "safety";
    r.body["balancing"] = "Synthetic balancing (migrated demo record).";
  } else if (code == "pet4_without_request_ref") {
    r.recipient = "pet";
    r.basis = "pet-4";
    r.purpose = "pet_request";
  } else if (code == "basis_condition") {
    r.purpose = "investigation";  // never under §115
  } else if (code == "restricted_case") {
    r.restriction = Add(
        q - kHour, &c, "processing.restricted", *c.coordinator,
        Json{{"ground", "objection"}},
        Json{{"note", "Synthetic note: the subject objected (demo data)."}});
    // Art. 19: the recipients of earlier disclosures are told.
    Notify(c, q - 30 * kMinute, *r.restriction);
  }
  return r;
}

// An attempt to register a concern on belief or opinion alone: the policy
// engine refuses it (ROL-1) and records only the refusal.
void Planner::PlanRefusedAttempt(std::uint64_t number, Micros t) {
  Case c;
  c.id = Id("c");
  c.subject = Id("s");
  Json grounds = Json::array();
  const std::size_t first = rng_.Index(std::size(kBeliefCodes));
  grounds.push_back(
      Json{{"code", kBeliefCodes[first]},
           {"observed_on", Date(t - rng_.Between(0, 20 * kDay))}});
  if (rng_.Chance(0.3)) {
    grounds.push_back(
        Json{{"code", kBeliefCodes[(first + 1) % std::size(kBeliefCodes)]},
             {"observed_on", Date(t - rng_.Between(0, 20 * kDay))}});
  }
  char num[32];
  std::snprintf(num, sizeof num, "%04llu",
                static_cast<unsigned long long>(number));
  const std::string cpr = SyntheticCpr(number);
  const std::uint64_t id =
      Add(t, &c, "concern.reported", AnyOf(caseworkers_),
          Json{{"source", rng_.Weighted(kSources).code},
               {"subject_kind", "person"},
               {"grounds", grounds},
               {"minor", false},
               {"new_subject", true}},
          Json{{"narrative",
                "Synthetic narrative (demo data): the reporter cites "
                "only the person's faith, opinions or associations."},
               {"identity",
                {{"name", "Testperson " + std::string(num)},
                 {"cpr", cpr},
                 {"address", "Syntetisk Vej 1, 9999 Demoby"}}}});
  planned_[id].refused_rule = "ROL-1";
}

DemoPlan Planner::Plan(std::uint64_t cases, std::uint64_t first_seq) {
  // The staff, registered by the DPO, and the retention policy (§7.3).
  auto make = [&](std::vector<User>& v, int n, const char* role) {
    for (int i = 0; i < n; ++i) v.push_back({Id("u"), role});
  };
  make(caseworkers_, 6, "caseworker");
  make(coordinators_, 3, "coordinator");
  make(legal_reviewers_, 2, "legal_reviewer");
  dpo_ = {Id("u"), "dpo"};
  auditor_ = {Id("u"), "auditor"};
  std::vector<const User*> staff = {&dpo_, &auditor_};
  for (auto* v : {&caseworkers_, &coordinators_, &legal_reviewers_})
    for (const User& u : *v) staff.push_back(&u);
  std::map<std::string, int> per_role;
  for (const User* u : staff) {
    Add(start_, nullptr, "user.registered", dpo_,
        Json{{"user", u->id}, {"role", u->role}},
        Json{{"display_name", "Synthetic " + u->role + " " +
                                  std::to_string(++per_role[u->role])}});
  }
  Add(start_, nullptr, "retention.policy_set", dpo_,
      Json{{"unfounded_days", 30}, {"closed_years", 5}, {"review_months", 12}});

  // Features every plan of a realistic size shows at least once.
  if (cases >= 20) {
    const std::size_t n = static_cast<std::size_t>(cases);
    Wish("no_assessment", std::max<std::size_t>(2, n / 250), end_ - 300 * kDay,
         end_ - 60 * kDay);
    Wish("no_review", std::max<std::size_t>(1, n / 400), start_,
         end_ - 730 * kDay);
    Wish("late_inform", std::max<std::size_t>(1, n / 300), start_,
         end_ - 90 * kDay);
    Wish("unreviewed", std::max<std::size_t>(1, n / 400), start_,
         end_ - 120 * kDay);
    Wish("deficient", std::max<std::size_t>(2, n / 300), start_,
         end_ - 150 * kDay);
    Wish("art19", std::max<std::size_t>(1, n / 500), start_, end_ - 150 * kDay);
    Wish("notify", std::max<std::size_t>(2, n / 400), start_,
         end_ - 150 * kDay);
    Wish("restriction", std::max<std::size_t>(1, n / 400), start_,
         end_ - 200 * kDay);
    Wish("hold", std::max<std::size_t>(1, n / 500), start_, end_ - 200 * kDay);
    Wish("retraction", 2, start_, end_ - 60 * kDay);
    Wish("pet", std::max<std::size_t>(1, n / 300), start_, end_ - 200 * kDay);
    Wish("header_correction", std::max<std::size_t>(2, n / 300), start_,
         end_ - 100 * kDay);
    // The migrated history: one of each legacy scenario, and one more for
    // every 300 cases.
    const Micros legacy_end =
        start_ + static_cast<Micros>(kDemoLegacyYears) * kYear;
    Wish("legacy", kLegacyScenarios + n / 300, start_, legacy_end);
    Wish("legacy_unfounded", 1 + n / 600, start_, legacy_end);
  }

  // Concerns over the whole period, and a few refused attempts among them.
  const Micros lo = std::min(start_ + kHour, end_);
  std::vector<Micros> times(static_cast<std::size_t>(cases));
  for (Micros& t : times) t = rng_.Between(lo, end_);
  std::sort(times.begin(), times.end());
  const std::uint64_t refused =
      cases == 0 ? 0 : std::max<std::uint64_t>(3, cases / 120);
  std::vector<Micros> attempts(static_cast<std::size_t>(refused));
  for (Micros& t : attempts) t = rng_.Between(lo, end_);
  std::sort(attempts.begin(), attempts.end());
  std::size_t next_attempt = 0;
  // A person's number (name, CPR number) is unique across runs into one data
  // dir: every number of an earlier run plans at least one event before
  // first_seq.
  std::uint64_t number = first_seq - 1;
  for (Micros t : times) {
    while (next_attempt < attempts.size() && attempts[next_attempt] <= t)
      PlanRefusedAttempt(++number, attempts[next_attempt++]);
    PlanCase(++number, t);
  }
  while (next_attempt < attempts.size())
    PlanRefusedAttempt(++number, attempts[next_attempt++]);
  PlanAdvice(cases);
  return Finish(first_seq);
}

// Advice without registration (decision 42, docs/catalogue.md): since the
// go-live (after the migrated years), about 3 contacts for every 10
// concerns, most ending with advice only; no person, no case, no body.
void Planner::PlanAdvice(std::uint64_t cases) {
  const Micros go_live =
      start_ + static_cast<Micros>(kDemoLegacyYears) * kYear;
  if (go_live >= end_ || end_ <= start_) return;
  const auto n = static_cast<std::uint64_t>(
      static_cast<double>(cases) * 0.3 * static_cast<double>(end_ - go_live) /
      static_cast<double>(end_ - start_));
  static constexpr Choice kChannel[] = {{"hotline", 35}, {"advice_phone", 40},
                                        {"email", 10},   {"meeting", 10},
                                        {"other", 5}};
  static constexpr Choice kCaller[] = {
      {"professional", 60}, {"relative", 30}, {"other", 10}};
  std::vector<Micros> times(static_cast<std::size_t>(n));
  for (Micros& t : times) t = advice_rng_.Between(go_live, end_);
  std::sort(times.begin(), times.end());
  for (Micros t : times) {
    Json h{{"channel", advice_rng_.Weighted(kChannel).value},
           {"caller", advice_rng_.Weighted(kCaller).value}};
    if (advice_rng_.Chance(0.7)) {
      const std::string_view first = advice_rng_.Weighted(kGrounds).code;
      const std::string_view second = advice_rng_.Weighted(kGrounds).code;
      Json codes = Json::array({first});
      if (advice_rng_.Chance(0.3) && first != second) codes.push_back(second);
      h["behaviours"] = std::move(codes);
    }
    h["outcome"] = advice_rng_.Chance(0.15) ? "referred" : "advice_only";
    const User& u = advice_rng_.Chance(0.8)
                        ? caseworkers_[advice_rng_.Index(caseworkers_.size())]
                        : coordinators_[advice_rng_.Index(coordinators_.size())];
    Add(t, nullptr, "advice.given", u, std::move(h));
  }
}

DemoPlan Planner::Finish(std::uint64_t first_seq) {
  // What has happened by `end`.
  for (Planned& p : planned_) p.kept = p.time <= end_;
  for (Planned& p : planned_)
    if (p.kept && p.needs && !planned_[*p.needs].kept) p.kept = false;
  std::vector<Planned*> order;
  for (Planned& p : planned_)
    if (p.kept) order.push_back(&p);
  std::sort(order.begin(), order.end(), [](const Planned* a, const Planned* b) {
    return a->time != b->time ? a->time < b->time : a->id < b->id;
  });
  std::vector<std::uint64_t> seq_of(planned_.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i)
    seq_of[order[i]->id] = first_seq + i;

  DemoPlan plan;
  plan.first_seq = first_seq;
  plan.commands.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    Planned& p = *order[i];
    for (const Ref& r : p.refs) {
      assert(planned_[r.target].kept && planned_[r.target].time <= p.time);
      if (r.field == "includes")
        p.cmd.h["includes"].push_back(seq_of[r.target]);
      else
        p.cmd.h[r.field] = seq_of[r.target];
    }
    p.cmd.time = p.time;
    if (!p.refused_rule.empty()) {
      plan.refusals.push_back({i, p.refused_rule});
    } else if (p.cmd.type == "concern.reported") {
      ++plan.cases;
    }
    plan.commands.push_back(std::move(p.cmd));
  }
  plan.expected_refusals = plan.refusals.size();
  for (const FindingDraft& d : findings_) {
    if (d.due > end_) continue;
    if (!planned_[d.request].kept ||
        !std::all_of(d.needs.begin(), d.needs.end(),
                     [&](std::uint64_t id) { return planned_[id].kept; }))
      continue;
    plan.findings.push_back({d.case_id, seq_of[d.request], d.code});
  }
  for (const DefectDraft& d : defects_) {
    if (d.due > end_) continue;
    if (!std::all_of(d.needs.begin(), d.needs.end(),
                     [&](std::uint64_t id) { return planned_[id].kept; }))
      continue;
    if (d.unless && planned_[*d.unless].kept) continue;
    plan.defects.push_back({d.case_id, d.kind, d.due, seq_of[d.about]});
  }
  return plan;
}

}  // namespace

DemoPlan PlanDemo(std::uint64_t cases, std::uint64_t seed, Micros start,
                  Micros end, std::uint64_t first_seq) {
  assert(start <= end);
  return Planner(seed, start, end).Plan(cases, first_seq);
}

}  // namespace caseledger::demo
