#include "projections/case_state.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>

#include "ledger/event_scan.h"

// Persistent form: docs/formats/projections.md, "Case state".

namespace caseledger::projections {
namespace {

constexpr std::string_view kConcernReported = "concern.reported";
constexpr std::string_view kCorrected = "record.corrected";
constexpr std::string_view kRetracted = "record.retracted";

constexpr Micros kDay = Micros{86'400'000'000};

bool IsRecordType(std::string_view type) {
  return type == kCorrected || type == kRetracted;
}

// a + b, clamped to the range of Micros (stored times are not trusted to be
// small enough to add deadlines to).
Micros AddSaturating(Micros a, Micros b) {
  Micros out = 0;
  if (__builtin_add_overflow(a, b, &out))
    return b > 0 ? std::numeric_limits<Micros>::max()
                 : std::numeric_limits<Micros>::min();
  return out;
}

// ---- Defensive header access: a missing field, or one of the wrong JSON
// type, reads as absent.

const Json* Field(const Json& h, const char* key) {
  if (!h.is_object()) return nullptr;
  auto it = h.find(key);
  return it == h.end() ? nullptr : &*it;
}

std::optional<std::uint64_t> AsSeq(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

std::optional<std::int64_t> AsInt64(const Json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

std::optional<std::string> GetOptString(const Json& h, const char* key) {
  const Json* v = Field(h, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::string GetString(const Json& h, const char* key) {
  return GetOptString(h, key).value_or("");
}

std::optional<std::uint64_t> GetSeq(const Json& h, const char* key) {
  const Json* v = Field(h, key);
  return v == nullptr ? std::nullopt : AsSeq(*v);
}

bool GetBool(const Json& h, const char* key) {
  const Json* v = Field(h, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

int GetScore(const Json& h, const char* key) {
  const Json* v = Field(h, key);
  auto n = v == nullptr ? std::nullopt : AsInt64(*v);
  if (!n || *n < std::numeric_limits<int>::min() ||
      *n > std::numeric_limits<int>::max())
    return 0;
  return static_cast<int>(*n);
}

std::vector<std::string> GetStrings(const Json& h, const char* key) {
  std::vector<std::string> out;
  const Json* v = Field(h, key);
  if (v == nullptr || !v->is_array()) return out;
  for (const Json& e : *v)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::vector<std::uint64_t> GetSeqs(const Json& h, const char* key) {
  std::vector<std::uint64_t> out;
  const Json* v = Field(h, key);
  if (v == nullptr || !v->is_array()) return out;
  for (const Json& e : *v)
    if (auto s = AsSeq(e)) out.push_back(*s);
  return out;
}

std::vector<Ground> GetGrounds(const Json& h) {
  std::vector<Ground> out;
  const Json* v = Field(h, "grounds");
  if (v == nullptr || !v->is_array()) return out;
  for (const Json& g : *v) {
    if (!g.is_object()) continue;
    out.push_back(Ground{GetString(g, "code"), GetString(g, "observed_on"),
                         GetOptString(g, "case")});
  }
  return out;
}

Factors GetFactors(const Json& h) {
  Factors out;
  const Json* v = Field(h, "factors");
  if (v == nullptr || !v->is_object()) return out;
  for (const auto& [dimension, scores] : v->items())
    if (scores.is_object())
      out[dimension] =
          Factor{GetScore(scores, "risk"), GetScore(scores, "resources")};
  return out;
}

// ---- Derive: one handler per fact family, folding into a CaseView.

}  // namespace

// The running fold of a case and its view (CaseState::fold_, View()).
struct CaseFold {
  CaseView v;
  bool opened = false;
  bool assigned = false;  // any case.assigned, even with no assignees
  bool responded = false;
  std::map<std::uint64_t, std::size_t> intervention_at;  // seq -> index
  std::map<std::uint64_t, std::size_t> disclosure_at;    // seq -> index
  std::set<std::string> disclosed_to;  // recipients of every disclosure made so far

  Intervention* InterventionOf(const Fact& f) {
    auto seq = GetSeq(f.h, "intervention");
    auto it = seq ? intervention_at.find(*seq) : intervention_at.end();
    return it == intervention_at.end() ? nullptr : &v.interventions[it->second];
  }
  Disclosure* DisclosureOf(const Fact& f, const char* key) {
    auto seq = GetSeq(f.h, key);
    auto it = seq ? disclosure_at.find(*seq) : disclosure_at.end();
    return it == disclosure_at.end() ? nullptr : &v.disclosures[it->second];
  }
};

namespace {

using Fold = CaseFold;

// The opening of the case stays a fact of the log even when the concern is
// retracted; its content does not.
void OnOpened(const Fact& f, Fold& fold) {
  if (fold.opened) return;
  fold.opened = true;
  fold.v.opened_seq = f.seq;
  fold.v.opened = f.time;
  fold.v.opened_actor = f.actor;
}

void OnConcern(const Fact& f, Fold& fold) {
  if (fold.opened) return;  // only the first concern opens the case
  OnOpened(f, fold);
  fold.v.source = GetString(f.h, "source");
  fold.v.minor = GetBool(f.h, "minor");
  fold.v.grounds = GetGrounds(f.h);
  fold.v.context = GetStrings(f.h, "context");
}

void OnAssigned(const Fact& f, Fold& fold) {
  fold.assigned = true;
  fold.v.assignees = GetStrings(f.h, "assignees");
}

void OnResponded(const Fact& f, Fold& fold) {
  fold.responded = true;
  if (!fold.v.first_response) fold.v.first_response = f.time;
}

void OnInformation(const Fact& f, Fold& fold) {
  fold.v.information.push_back(
      InformationEntry{f.seq, f.time, GetString(f.h, "from"),
                       GetString(f.h, "basis"), GetStrings(f.h, "categories")});
}

void OnAssessment(const Fact& f, Fold& fold) {
  fold.v.assessments.push_back(
      Assessment{f.seq, f.time, f.actor, GetString(f.h, "outcome"),
                 GetString(f.h, "panel"), GetGrounds(f.h), GetFactors(f.h)});
}

void OnConsent(const Fact& f, Fold& fold) {
  fold.v.consents.push_back(ConsentEntry{
      f.seq, f.time, GetString(f.h, "decision"), GetString(f.h, "by")});
  fold.v.consent_active = fold.v.consents.back().decision == "given";
  // ROL-9: interventions are voluntary; a withdrawal ends the active ones.
  if (fold.v.consents.back().decision == "withdrawn") {
    for (Intervention& i : fold.v.interventions) {
      if (!i.active()) continue;
      i.ended_seq = f.seq;
      i.ended_time = f.time;
      i.end_reason = "withdrawn";
    }
  }
}

void OnInterventionStarted(const Fact& f, Fold& fold) {
  Intervention i;
  i.seq = f.seq;
  i.time = f.time;
  i.kind = GetString(f.h, "kind");
  i.provider = GetString(f.h, "provider");
  fold.intervention_at[f.seq] = fold.v.interventions.size();
  fold.v.interventions.push_back(std::move(i));
}

void OnProgress(const Fact& f, Fold& fold) {
  if (Intervention* i = fold.InterventionOf(f))
    i->progress.push_back(ProgressEntry{f.seq, f.time, GetFactors(f.h)});
}

void OnInterventionEnded(const Fact& f, Fold& fold) {
  Intervention* i = fold.InterventionOf(f);
  if (i == nullptr || !i->active()) return;  // the first end counts
  i->ended_seq = f.seq;
  i->ended_time = f.time;
  i->end_reason = GetString(f.h, "reason");
}

void OnDisclosureRequested(const Fact& f, Fold& fold) {
  Disclosure d = RequestTerms(f.h);
  d.seq = f.seq;
  d.time = f.time;
  d.requester = f.actor;
  d.requester_role = f.role;
  d.status = "requested";
  fold.disclosure_at[f.seq] = fold.v.disclosures.size();
  fold.v.disclosures.push_back(std::move(d));
}

// The furthest status a disclosure reached.
void UpdateDisclosureStatus(Disclosure& d) {
  if (!d.reviews.empty())
    d.status = "reviewed";
  else if (!d.made.empty())
    d.status = "made";
  else if (!d.decisions.empty())
    d.status = d.decisions.back().approved ? "approved" : "rejected";
  else
    d.status = "requested";
}

void OnDisclosureDecision(const Fact& f, Fold& fold) {
  Disclosure* d = fold.DisclosureOf(f, "request");
  if (d == nullptr) return;
  d->decisions.push_back(DisclosureDecision{f.seq, f.time, f.actor, f.role,
                                            f.type == "disclosure.approved"});
  UpdateDisclosureStatus(*d);
}

void OnDisclosureMade(const Fact& f, Fold& fold) {
  Disclosure* d = fold.DisclosureOf(f, "request");
  if (d == nullptr) return;
  d->made.push_back(DisclosureMade{f.seq, f.time, f.actor,
                                   GetString(f.h, "channel"),
                                   GetString(f.h, "document_sha256")});
  UpdateDisclosureStatus(*d);
  fold.disclosed_to.insert(d->recipient);
}

// An Art. 19 duty for `f`, if anything was disclosed before it.
void AddNotificationDuty(const Fact& f, Fold& fold) {
  if (fold.disclosed_to.empty()) return;
  fold.v.notifications.push_back(NotificationDuty{
      f.seq, f.time, f.type, {fold.disclosed_to.begin(), fold.disclosed_to.end()}, {}});
}

void OnDisclosureReviewed(const Fact& f, Fold& fold) {
  Disclosure* d = fold.DisclosureOf(f, "disclosure");
  if (d == nullptr) return;
  d->reviews.push_back(DisclosureReview{f.seq, f.time, f.actor,
                                        GetString(f.h, "verdict"),
                                        GetStrings(f.h, "findings")});
  UpdateDisclosureStatus(*d);
}

void OnInformed(const Fact& f, Fold& fold) {
  fold.v.informed = true;
  if (!fold.v.informed_at) fold.v.informed_at = f.time;
}

void OnReviewed(const Fact& f, Fold& fold) { fold.v.last_review = f.time; }

void OnRestriction(const Fact& f, Fold& fold) {
  fold.v.restricted = f.type == "processing.restricted";
  if (fold.v.restricted) AddNotificationDuty(f, fold);
}

void OnLegalHold(const Fact& f, Fold& fold) {
  fold.v.legal_hold = f.type == "legal_hold.set";
}

void OnNotified(const Fact& f, Fold& fold) {
  const auto about = GetSeq(f.h, "about");
  for (NotificationDuty& d : fold.v.notifications) {
    if (!about || d.seq != *about) continue;
    std::set<std::string> done(d.notified.begin(), d.notified.end());
    for (const std::string& r : GetStrings(f.h, "recipients")) done.insert(r);
    d.notified.assign(done.begin(), done.end());
  }
}

void OnClosed(const Fact& f, Fold& fold) {
  fold.v.closed_seq = f.seq;
  fold.v.closed = f.time;
  fold.v.close_reason = GetString(f.h, "reason");
}

void OnErased(const Fact& f, Fold& fold) {
  if (fold.v.erased) return;  // erasure is final
  fold.v.erased = f.time;
  AddNotificationDuty(f, fold);
}

void OnRecord(const Fact& f, Fold& fold) {
  fold.v.corrections.push_back(
      Correction{f.seq, f.time, f.actor, GetSeq(f.h, "target").value_or(0),
                 GetStrings(f.h, "fields"), f.type == kRetracted});
  AddNotificationDuty(f, fold);
}

using Handler = void (*)(const Fact&, Fold&);
struct StateType {
  std::string_view type;
  Handler handler;
};

// Every type that belongs to a case's state, with its handler.
constexpr std::array<StateType, 26> kStateTypes = {{
    {kConcernReported, OnConcern},
    {"case.assigned", OnAssigned},
    {"concern.responded", OnResponded},
    {"information.received", OnInformation},
    {"assessment.recorded", OnAssessment},
    {"consent.recorded", OnConsent},
    {"intervention.started", OnInterventionStarted},
    {"progress.assessed", OnProgress},
    {"intervention.ended", OnInterventionEnded},
    {"disclosure.requested", OnDisclosureRequested},
    {"disclosure.approved", OnDisclosureDecision},
    {"disclosure.rejected", OnDisclosureDecision},
    {"disclosure.made", OnDisclosureMade},
    {"disclosure.reviewed", OnDisclosureReviewed},
    {"subject.informed", OnInformed},
    {"subject.information_deferred", OnInformed},
    {"case.reviewed", OnReviewed},
    {"processing.restricted", OnRestriction},
    {"processing.restriction_lifted", OnRestriction},
    {"legal_hold.set", OnLegalHold},
    {"legal_hold.released", OnLegalHold},
    {"recipients.notified", OnNotified},
    {"case.closed", OnClosed},
    {kCorrected, OnRecord},
    {kRetracted, OnRecord},
    {"subject.erased", OnErased},
}};

Handler HandlerOf(std::string_view type) {
  for (const StateType& t : kStateTypes)
    if (t.type == type) return t.handler;
  return nullptr;
}

// DESIGN §8: received → under_assessment → founded / unfounded →
// intervention → closed; erased. A literal: Finish assigns it after every
// fact folded, without an allocation.
std::string_view StatusOf(const Fold& fold) {
  const CaseView& v = fold.v;
  if (v.erased) return "erased";
  if (v.closed) return "closed";
  if (std::any_of(v.interventions.begin(), v.interventions.end(),
                  [](const Intervention& i) { return i.active(); }))
    return "intervention";
  if (!v.assessments.empty()) {
    const std::string& outcome = v.Outcome();
    if (outcome == "founded") return "founded";
    if (outcome == "unfounded") return "unfounded";
    return "under_assessment";  // more_information
  }
  if (fold.responded || fold.assigned || !v.information.empty())
    return "under_assessment";
  return "received";
}

void SetDeadlines(CaseView& v) {
  v.response_due = AddSaturating(v.opened, kDay);
  v.assessment_due = AddSaturating(v.opened, 30 * kDay);
  auto founded =
      std::find_if(v.assessments.begin(), v.assessments.end(),
                   [](const Assessment& a) { return a.outcome == "founded"; });
  if (founded != v.assessments.end())
    v.inform_due = AddSaturating(founded->time, 30 * kDay);
  v.review_due = AddSaturating(v.last_review.value_or(v.opened), 365 * kDay);
}

// The parts of the view that follow from the rest of the fold and from the
// latest fact: kept current after every fact folded, so that View() is the
// fold's own view, never a copy.
void Finish(Fold& fold, const std::map<std::uint64_t, KeptFact>& facts) {
  if (!facts.empty()) {
    fold.v.last_seq = facts.rbegin()->first;
    fold.v.last_activity = facts.rbegin()->second.time;
  }
  fold.v.status.assign(StatusOf(fold));
  SetDeadlines(fold.v);
}

// ---- View JSON (times as canonical text).

// One object per entry: {"seq", "time"} plus what `more` adds.
template <typename T, typename F>
Json Entries(const std::vector<T>& entries, F more) {
  Json out = Json::array();
  for (const T& e : entries) {
    Json j{{"seq", e.seq}, {"time", ledger::FormatTime(e.time)}};
    more(e, j);
    out.push_back(std::move(j));
  }
  return out;
}

Json GroundsJson(const std::vector<Ground>& grounds) {
  Json out = Json::array();
  for (const Ground& g : grounds) {
    Json j{{"code", g.code}, {"observed_on", g.observed_on}};
    if (g.case_ref) j["case"] = *g.case_ref;
    out.push_back(std::move(j));
  }
  return out;
}

Json FactorsJson(const Factors& factors) {
  Json out = Json::object();
  for (const auto& [dimension, f] : factors)
    out[dimension] = Json{{"risk", f.risk}, {"resources", f.resources}};
  return out;
}

void InterventionJson(const Intervention& i, Json& j) {
  j["kind"] = i.kind;
  j["provider"] = i.provider;
  j["active"] = i.active();
  j["end_reason"] = i.end_reason;
  j["progress"] = Entries(i.progress, [](const ProgressEntry& p, Json& o) {
    o["factors"] = FactorsJson(p.factors);
  });
  if (i.ended_seq) j["ended_seq"] = *i.ended_seq;
  if (i.ended_time) j["ended_time"] = ledger::FormatTime(*i.ended_time);
}

void DisclosureJson(const Disclosure& d, Json& j) {
  j["requester"] = d.requester;
  j["requester_role"] = d.requester_role;
  j["recipient"] = d.recipient;
  j["basis"] = d.basis;
  j["registry_version"] = d.registry_version;
  j["purpose"] = d.purpose;
  j["threshold"] = d.threshold;
  j["categories"] = d.categories;
  j["includes"] = d.includes;
  if (d.request_ref) j["request_ref"] = true;
  if (d.consent) j["consent"] = *d.consent;
  j["decisions"] =
      Entries(d.decisions, [](const DisclosureDecision& x, Json& o) {
        o["actor"] = x.actor;
        o["role"] = x.role;
        o["approved"] = x.approved;
      });
  j["made"] = Entries(d.made, [](const DisclosureMade& x, Json& o) {
    o["actor"] = x.actor;
    o["channel"] = x.channel;
    o["document_sha256"] = x.document_sha256;
  });
  j["reviews"] = Entries(d.reviews, [](const DisclosureReview& x, Json& o) {
    o["actor"] = x.actor;
    o["verdict"] = x.verdict;
    o["findings"] = x.findings;
  });
  j["status"] = d.status;
}

// ---- Persistent form (strict reading: Corruption for anything ToJson could
// not have written).

Json FactJson(const KeptFact& f, const std::string& case_id,
              const std::string& subject) {
  Json j{{"seq", f.seq},     {"time", f.time}, {"type", f.type},
         {"actor", f.actor}, {"role", f.role}, {"h", f.Header()}};
  // Only where the fact differs from the state (null = none).
  if (f.case_id != case_id)
    j["case"] = f.case_id ? Json(*f.case_id) : Json(nullptr);
  if (f.subject != subject)
    j["subject"] = f.subject ? Json(*f.subject) : Json(nullptr);
  return j;
}

Status CheckKeys(const Json& j, std::initializer_list<const char*> required,
                 std::initializer_list<const char*> optional,
                 const std::string& what) {
  if (!j.is_object()) return Corruption(what + " is not an object");
  std::size_t known = 0;
  for (const char* k : required) {
    if (!j.contains(k))
      return Corruption(what + " has no \"" + std::string(k) + "\"");
    ++known;
  }
  for (const char* k : optional) known += j.contains(k) ? 1u : 0u;
  if (known != j.size()) return Corruption(what + " has an unknown field");
  return Status::Ok();
}

// Reads the fact's "case"/"subject" override `v` (null: absent, the
// state's value).
Result<std::optional<std::string>> ReadOwner(const Json* v, const char* key,
                                             const std::string& state_value,
                                             const std::string& what) {
  if (v == nullptr) return std::optional<std::string>(state_value);
  std::optional<std::string> out;
  if (v->is_string())
    out = v->get<std::string>();
  else if (!v->is_null())
    return Corruption(what + "." + key + " is neither a string nor null");
  if (out == state_value)
    return Corruption(what + "." + key + " repeats the state's value");
  return out;
}

// ReadFact's checks and fields; the header is copied from a const `j` and
// moved out of any other (FromStored reads a row's parse once). One pass
// over the members finds every field (a look-up per field was a tenth of
// reading a case back); the checks and their messages are CheckKeys's, in
// its order.
template <typename J>
Result<Fact> ReadFactFrom(J& j, const std::string& case_id, const std::string& subject,
                          const std::string& what) {
  if (!j.is_object()) return Corruption(what + " is not an object");
  // The six required fields, then the two optional ones.
  static constexpr std::array<std::string_view, 8> kFields = {
      "seq", "time", "type", "actor", "role", "h", "case", "subject"};
  std::array<J*, kFields.size()> field{};
  bool unknown = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto k = std::find(kFields.begin(), kFields.end(), std::string_view(it.key()));
    if (k == kFields.end()) {
      unknown = true;
    } else {
      field[static_cast<std::size_t>(k - kFields.begin())] = &*it;
    }
  }
  for (std::size_t k = 0; k < 6; ++k)
    if (field[k] == nullptr)
      return Corruption(what + " has no \"" + std::string(kFields[k]) + "\"");
  if (unknown) return Corruption(what + " has an unknown field");
  J& seq_v = *field[0];
  J& time_v = *field[1];
  J& type_v = *field[2];
  J& actor_v = *field[3];
  J& role_v = *field[4];
  J& h_v = *field[5];
  Fact f;
  auto seq = AsSeq(seq_v);
  auto time = AsInt64(time_v);
  if (!seq) return Corruption(what + ".seq is not a seq");
  // Stored canonically: an integer within ±(2^53 - 1) (1684-07-28 to
  // 2255-06-05).
  if (!time || *time < -ledger::kMaxSafeInteger ||
      *time > ledger::kMaxSafeInteger)
    return Corruption(what + ".time is not a time in microseconds");
  for (std::size_t k = 2; k < 5; ++k)
    if (!field[k]->is_string())
      return Corruption(what + "." + std::string(kFields[k]) + " is not a string");
  if (!h_v.is_object()) return Corruption(what + ".h is not an object");
  f.seq = *seq;
  f.time = *time;
  f.type = type_v.template get<std::string>();
  f.actor = actor_v.template get<std::string>();
  f.role = role_v.template get<std::string>();
  if constexpr (std::is_const_v<J>) {
    f.h = h_v;
  } else {
    f.h = std::move(h_v);
  }
  if (!IsStateFact(f.type))
    return Corruption(what + ".type is not a state type");
  CL_ASSIGN_OR_RETURN(f.case_id, ReadOwner(field[6], "case", case_id, what));
  CL_ASSIGN_OR_RETURN(f.subject, ReadOwner(field[7], "subject", subject, what));
  return f;
}

Result<Fact> ReadFact(const Json& j, const std::string& case_id,
                      const std::string& subject, const std::string& what) {
  return ReadFactFrom(j, case_id, subject, what);
}

// Reads an array of facts in strictly increasing seq order.
Result<std::map<std::uint64_t, KeptFact>> ReadFacts(const Json& j,
                                                    const std::string& case_id,
                                                    const std::string& subject,
                                                    const std::string& what) {
  if (!j.is_array()) return Corruption(what + " is not an array");
  std::map<std::uint64_t, KeptFact> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string item = what + "[" + std::to_string(i) + "]";
    CL_ASSIGN_OR_RETURN(Fact f, ReadFact(j[i], case_id, subject, item));
    if (!out.empty() && f.seq <= out.rbegin()->first)
      return Corruption(item + ".seq is not increasing");
    std::uint64_t seq = f.seq;
    out.emplace(seq, Keep(f));
  }
  return out;
}

// What both persistent forms share (FromJson, FromStored).
struct CommonFields {
  std::string case_id, subject;
  std::uint64_t last_seq = 0;
  std::map<std::uint64_t, KeptFact> originals;
  std::vector<std::uint64_t> retracted;
};
Result<CommonFields> ReadCommonFields(const Json& j, std::int64_t version) {
  if (AsInt64(j.at("v")) != std::optional<std::int64_t>(version))
    return Corruption("case state version is not " + std::to_string(version));
  if (!j.at("case").is_string() || !j.at("subject").is_string())
    return Corruption("case state case or subject is not a string");
  auto last_seq = AsSeq(j.at("last_seq"));
  if (!last_seq) return Corruption("case state last_seq is not a seq");
  CommonFields c;
  c.case_id = j.at("case").get<std::string>();
  c.subject = j.at("subject").get<std::string>();
  c.last_seq = *last_seq;
  CL_ASSIGN_OR_RETURN(c.originals, ReadFacts(j.at("originals"), c.case_id, c.subject, "originals"));
  const Json& retracted = j.at("retracted");
  if (!retracted.is_array()) return Corruption("case state retracted is not an array");
  for (const Json& r : retracted) {
    auto seq = AsSeq(r);
    if (!seq) return Corruption("case state retracted holds a non-seq");
    c.retracted.push_back(*seq);
  }
  return c;
}

// ---- Corrections and retractions (ROL-10).

using FactMap = std::map<std::uint64_t, KeptFact>;

// The fact `target` names as the target of the correction or retraction
// `record_seq`: an earlier state fact of this case that is not itself a
// correction or retraction; nullptr otherwise (dangling: the record is kept
// and changes nothing).
KeptFact* TargetOf(FactMap& facts, std::uint64_t record_seq, std::optional<std::uint64_t> target) {
  if (!target || *target >= record_seq) return nullptr;
  auto it = facts.find(*target);
  if (it == facts.end() || IsRecordType(it->second.type)) return nullptr;
  return &it->second;
}
KeptFact* TargetOf(FactMap& facts, const KeptFact& record) {
  return TargetOf(facts, record.seq, GetSeq(record.Header(), "target"));
}

// Replaces the top-level header fields of `target` named in the
// correction's `set` (`correction_h`; absent or not an object: nothing to
// replace).
void MergeSet(const Json& correction_h, KeptFact& target) {
  const Json* set = Field(correction_h, "set");
  if (set == nullptr || !set->is_object()) return;
  Json h = target.Header();
  for (const auto& [key, value] : set->items()) h[key] = value;
  target.h = ledger::CanonicalJson(h);
}

void ApplyCorrection(const Fact& correction, FactMap& facts,
                     FactMap& originals) {
  KeptFact* target = TargetOf(facts, correction.seq, GetSeq(correction.h, "target"));
  if (target == nullptr) return;
  originals.try_emplace(target->seq, *target);  // the first original only
  MergeSet(correction.h, *target);
}

bool Contains(const std::vector<std::uint64_t>& sorted, std::uint64_t seq) {
  return std::binary_search(sorted.begin(), sorted.end(), seq);
}

void ApplyRetraction(const Fact& retraction, FactMap& facts,
                     const FactMap& originals,
                     std::vector<std::uint64_t>& retracted) {
  auto seq = GetSeq(retraction.h, "target");
  auto it = seq && *seq < retraction.seq ? facts.find(*seq) : facts.end();
  // A retraction of a retraction is dangling: retractions are final.
  if (it == facts.end() || it->second.type == kRetracted) return;
  if (Contains(retracted, *seq)) return;
  retracted.insert(std::upper_bound(retracted.begin(), retracted.end(), *seq),
                   *seq);
  // A retracted correction no longer applies: rebuild its target's header
  // from the original and the corrections that remain.
  if (it->second.type != kCorrected) return;
  KeptFact* target = TargetOf(facts, it->second);
  if (target == nullptr) return;
  auto original = originals.find(target->seq);
  if (original == originals.end()) return;
  target->h = original->second.h;
  for (const auto& [s, f] : facts) {
    if (f.type != kCorrected || Contains(retracted, s)) continue;
    const Json h = f.Header();
    if (TargetOf(facts, s, GetSeq(h, "target")) == target) MergeSet(h, *target);
  }
}

// The header's text in a fact row AppendFactCanonical wrote: the value of
// its "h", which follows "actor" (and "case") and precedes "role". Neither
// key can appear unescaped inside a string, and nothing after "role" is an
// object, so the first `,"h":` and the last `,"role":` delimit it. Empty if
// the row is not of that shape (the caller's digest check then fails).
std::string_view HeaderOfRow(std::string_view row) {
  constexpr std::string_view kH = ",\"h\":";
  constexpr std::string_view kRole = ",\"role\":";
  const std::size_t h = row.find(kH);
  const std::size_t role = row.rfind(kRole);
  if (h == std::string_view::npos || role == std::string_view::npos || role < h + kH.size())
    return {};
  return row.substr(h + kH.size(), role - h - kH.size());
}

void AppendFactCanonical(std::string& out, const KeptFact& f,
                         const std::string& case_id,
                         const std::string& subject) {
  // Keys in canonical (sorted) order: actor, case?, h, role, seq, subject?,
  // time, type — as FactJson, whose CanonicalJson this equals. The header
  // is kept as its canonical text.
  const std::string& h = f.h;
  out.reserve(out.size() + h.size() + f.actor.size() + f.role.size() + f.type.size() +
              (f.case_id ? f.case_id->size() : 0) + (f.subject ? f.subject->size() : 0) + 128);
  auto owner = [&](const char* key, const std::optional<std::string>& v) {
    out += ",\"";
    out += key;
    out += "\":";
    if (v) {
      ledger::AppendJsonString(out, *v);
    } else {
      out += "null";
    }
  };
  out += "{\"actor\":";
  ledger::AppendJsonString(out, f.actor);
  if (f.case_id != case_id) owner("case", f.case_id);
  out += ",\"h\":";
  out += h;
  out += ",\"role\":";
  ledger::AppendJsonString(out, f.role);
  out += ",\"seq\":";
  out += std::to_string(f.seq);
  if (f.subject != subject) owner("subject", f.subject);
  out += ",\"time\":";
  out += std::to_string(f.time);
  out += ",\"type\":";
  ledger::AppendJsonString(out, f.type);
  out += '}';
}

}  // namespace

Result<Fact> FactOf(const ledger::Event& e) {
  auto time = ledger::ParseTime(e.time);
  if (!time.ok()) return time.status();
  Fact f;
  f.seq = e.seq;
  f.time = *time;
  f.type = e.type;
  f.actor = e.actor;
  f.role = e.role;
  f.case_id = e.case_id;
  f.subject = e.subject;
  f.h = e.h;
  if (!e.h_canonical.empty() && e.h.empty()) {
    f.h = Json::parse(e.h_canonical, nullptr, /*allow_exceptions=*/false);
    if (f.h.is_discarded()) return InvalidArgument("header is not JSON");
  }
  return f;
}

Json KeptFact::Header() const {
  // The scanner's one pass reads what CanonicalJson wrote; a header it does
  // not take (a stored value outside its limits) is parsed generally.
  Result<Json> j = ledger::ParseCanonicalObject(h, ledger::JsonLimits{h.size(), 64, h.size()});
  if (j.ok()) return std::move(j).value();
  Json out = Json::parse(h, nullptr, /*allow_exceptions=*/false);
  return out.is_object() ? out : Json::object();
}

Fact KeptFact::ToFact() const {
  return Fact{{*this}, Header()};
}

KeptFact Keep(const Fact& f) {
  return KeptFact{{f}, f.h.is_object() ? ledger::CanonicalJson(f.h) : std::string("{}")};
}

bool IsStateFact(std::string_view type) { return HandlerOf(type) != nullptr; }

const std::string& CaseView::Outcome() const {
  static const std::string kNone;
  return assessments.empty() ? kNone : assessments.back().outcome;
}

std::vector<std::string> NotificationDuty::Pending() const {
  std::vector<std::string> out;
  std::set_difference(recipients.begin(), recipients.end(), notified.begin(), notified.end(),
                      std::back_inserter(out));
  return out;
}

const Disclosure* CaseView::FindDisclosure(std::optional<std::uint64_t> request_seq) const {
  if (!request_seq) return nullptr;
  for (const Disclosure& d : disclosures)
    if (d.seq == *request_seq) return &d;
  return nullptr;
}

Json Disclosure::ToJson() const {
  Json j{{"seq", seq}, {"time", ledger::FormatTime(time)}};
  DisclosureJson(*this, j);
  return j;
}

Json CaseView::ToJson() const {
  auto time = [](Micros t) { return ledger::FormatTime(t); };
  Json j;
  j["case"] = case_id;
  j["subject"] = subject;
  j["status"] = status;
  j["opened_seq"] = opened_seq;
  j["opened"] = time(opened);
  j["opened_actor"] = opened_actor;
  j["source"] = source;
  j["minor"] = minor;
  j["grounds"] = GroundsJson(grounds);
  j["context"] = context;
  j["assignees"] = assignees;
  if (first_response) j["first_response"] = time(*first_response);
  j["information"] = Entries(information, [](const auto& e, Json& o) {
    o["from"] = e.from;
    o["basis"] = e.basis;
    o["categories"] = e.categories;
  });
  j["assessments"] = Entries(assessments, [](const Assessment& a, Json& o) {
    o["actor"] = a.actor;
    o["outcome"] = a.outcome;
    o["panel"] = a.panel;
    o["grounds"] = GroundsJson(a.grounds);
    o["factors"] = FactorsJson(a.factors);
  });
  j["consents"] = Entries(consents, [](const ConsentEntry& c, Json& o) {
    o["decision"] = c.decision;
    o["by"] = c.by;
  });
  j["consent_active"] = consent_active;
  j["interventions"] = Entries(interventions, InterventionJson);
  j["notifications"] = Entries(notifications, [](const NotificationDuty& d, Json& o) {
    o["type"] = d.type;
    o["recipients"] = d.recipients;
    o["notified"] = d.notified;
    o["pending"] = d.Pending();
  });
  j["disclosures"] = Entries(disclosures, DisclosureJson);
  j["restricted"] = restricted;
  j["legal_hold"] = legal_hold;
  j["informed"] = informed;
  if (last_review) j["last_review"] = time(*last_review);
  if (closed_seq) j["closed_seq"] = *closed_seq;
  if (closed) j["closed"] = time(*closed);
  j["close_reason"] = close_reason;
  if (erased) j["erased"] = time(*erased);
  j["corrections"] = Entries(corrections, [](const Correction& c, Json& o) {
    o["actor"] = c.actor;
    o["target"] = c.target;
    o["fields"] = c.fields;
    o["retraction"] = c.retraction;
  });
  j["last_activity"] = time(last_activity);
  j["last_seq"] = last_seq;
  j["response_due"] = time(response_due);
  j["assessment_due"] = time(assessment_due);
  if (inform_due) j["inform_due"] = time(*inform_due);
  j["review_due"] = time(review_due);
  return j;
}

bool CaseState::Folds(const Fact& fact) const {
  // Seqs only grow; a repeated or older seq is not this case's next fact.
  return IsStateFact(fact.type) && (facts_.empty() || fact.seq > last_seq_);
}

void CaseState::Apply(const Fact& fact) {
  if (Folds(fact)) FoldIn(Fact(fact), /*track=*/true);
}

void CaseState::Apply(Fact&& fact, std::string h_canonical) {
  if (Folds(fact)) FoldIn(std::move(fact), /*track=*/true, std::move(h_canonical));
}

void CaseState::FoldIn(Fact fact, bool track, std::string h_canonical) {
  if (!Folds(fact)) return;
  if (facts_.empty()) {
    case_id_ = fact.case_id.value_or("");
    subject_ = fact.subject.value_or("");
  }
  if (!fact.h.is_object()) {
    fact.h = Json::object();
    h_canonical = "{}";
  } else if (h_canonical.empty()) {
    h_canonical = ledger::CanonicalJson(fact.h);
  }
  const std::uint64_t seq = fact.seq;
  last_seq_ = seq;
  const bool record = IsRecordType(fact.type);
  if (track && record) {
    // The rows a correction or retraction may change: its target's, and
    // (retracting a correction) the corrected fact's. Marking one that stays
    // the same only rewrites it.
    auto mark = [&](std::uint64_t s) {
      changed_.push_back(s);
      rows_.erase(s);
    };
    if (auto target = GetSeq(fact.h, "target"); target && *target < seq) {
      mark(*target);
      auto it = facts_.find(*target);
      if (it != facts_.end() && it->second.type == kCorrected)
        if (auto inner = GetSeq(it->second.Header(), "target")) mark(*inner);
    }
  }
  // Corrections and retractions change earlier facts (never this one).
  if (fact.type == kCorrected) ApplyCorrection(fact, facts_, originals_);
  if (fact.type == kRetracted) ApplyRetraction(fact, facts_, originals_, retracted_);
  // Derive's fold: a fact appended folds in at the end (it cannot be
  // retracted yet), from its header as parsed, before it is kept as text;
  // a correction or retraction changes earlier facts, so the fold starts
  // again (rare: O(facts) only then).
  const bool full = record || (fold_ == nullptr && !facts_.empty());
  if (!full) {
    if (fold_ == nullptr) {
      fold_ = std::make_shared<CaseFold>();
      fold_->v.case_id = case_id_;
      fold_->v.subject = subject_;
    } else if (fold_.use_count() > 1) {
      fold_ = std::make_shared<CaseFold>(*fold_);  // shared with a copy
    }
    HandlerOf(fact.type)(fact, *fold_);
  }
  // The fact is kept as it came (moved in, not copied: a replay folds each
  // fact once); its seq is above every key, so it goes at the end. Its
  // header's DOM is freed here, while it is still in the cache.
  KeptFact& stored =
      facts_
          .emplace_hint(facts_.end(), seq,
                        KeptFact{{std::move(static_cast<FactEnvelope&>(fact))},
                                 std::move(h_canonical)})
          ->second;
  if (track) {
    std::string row;
    AppendFactCanonical(row, stored, case_id_, subject_);
    digest_ = crypto::Sha256Hasher().Update(digest_.view()).Update(AsBytes(row)).Final();
    changed_.push_back(seq);
    rows_.insert_or_assign(seq, std::move(row));
  }
  if (full) {
    fold_ = FullFold();
  } else {
    Finish(*fold_, facts_);
  }
}

std::shared_ptr<CaseFold> CaseState::FullFold() const {
  auto fold = std::make_shared<CaseFold>();
  fold->v.case_id = case_id_;
  fold->v.subject = subject_;
  for (const auto& [seq, kept] : facts_) {
    const Fact f = kept.ToFact();
    if (IsRetracted(seq) && !IsRecordType(f.type)) {
      if (f.type == kConcernReported) OnOpened(f, *fold);
      continue;
    }
    HandlerOf(f.type)(f, *fold);
  }
  Finish(*fold, facts_);
  return fold;
}

const CaseView& CaseState::View() const {
  if (fold_) return fold_->v;
  // No fact folded yet (every Apply and every read keeps a fold).
  static const CaseView kNone = CaseState().FullFold()->v;
  return kNone;
}

CaseView CaseState::Derive() const& { return View(); }

CaseView CaseState::Derive() && {
  if (!fold_ || fold_.use_count() > 1) return View();
  CaseView v = std::move(fold_->v);
  *this = CaseState();  // consumed: left as a new, empty state
  return v;
}

const KeptFact* CaseState::Find(std::uint64_t seq) const {
  auto it = facts_.find(seq);
  return it == facts_.end() ? nullptr : &it->second;
}

bool CaseState::IsRetracted(std::uint64_t seq) const {
  return Contains(retracted_, seq);
}

Json CaseState::ToJson() const {
  Json facts = Json::array(), originals = Json::array();
  for (const auto& [seq, f] : facts_)
    facts.push_back(FactJson(f, case_id_, subject_));
  for (const auto& [seq, f] : originals_)
    originals.push_back(FactJson(f, case_id_, subject_));
  return Json{{"v", 1},
              {"case", case_id_},
              {"subject", subject_},
              {"last_seq", last_seq_},
              {"facts", facts},
              {"originals", originals},
              {"retracted", retracted_}};
}


std::string CaseState::HeadCanonical() const {
  // Keys in canonical (sorted) order.
  std::string out;
  out.reserve(256 + 256 * originals_.size() + 12 * retracted_.size());
  out += "{\"case\":";
  ledger::AppendJsonString(out, case_id_);
  out += ",\"digest\":\"";
  out += digest_.Hex();
  out += "\",\"facts\":";
  out += std::to_string(facts_.size());
  out += ",\"last_seq\":";
  out += std::to_string(last_seq_);
  out += ",\"originals\":[";
  bool first = true;
  for (const auto& [seq, f] : originals_) {
    if (!first) out += ',';
    first = false;
    AppendFactCanonical(out, f, case_id_, subject_);
  }
  out += "],\"retracted\":[";
  for (std::size_t i = 0; i < retracted_.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(retracted_[i]);
  }
  out += "],\"subject\":";
  ledger::AppendJsonString(out, subject_);
  out += ",\"v\":2}";
  return out;
}

std::vector<std::pair<std::uint64_t, std::string>> CaseState::TakeChangedRows() {
  std::sort(changed_.begin(), changed_.end());
  changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  std::vector<std::pair<std::uint64_t, std::string>> out;
  out.reserve(changed_.size());
  for (std::uint64_t seq : changed_) {
    // A row made when its fact was folded (the usual case: the fact just
    // folded) needs no look-up in facts_, whose nodes are cold in a long
    // case; facts are never removed, so its fact is there.
    if (auto r = rows_.find(seq); r != rows_.end()) {
      out.emplace_back(seq, std::move(r->second));
      continue;
    }
    auto f = facts_.find(seq);
    if (f == facts_.end()) continue;  // a dangling target
    std::string row;
    AppendFactCanonical(row, f->second, case_id_, subject_);
    out.emplace_back(seq, std::move(row));
  }
  changed_.clear();
  rows_.clear();
  return out;
}

Result<CaseState> CaseState::FromJson(const Json& j) {
  CL_RETURN_IF_ERROR(CheckKeys(
      j,
      {"v", "case", "subject", "last_seq", "facts", "originals", "retracted"},
      {}, "case state"));
  CL_ASSIGN_OR_RETURN(CommonFields c, ReadCommonFields(j, 1));
  CaseState s;
  s.case_id_ = std::move(c.case_id);
  s.subject_ = std::move(c.subject);
  s.last_seq_ = c.last_seq;
  s.originals_ = std::move(c.originals);
  s.retracted_ = std::move(c.retracted);
  CL_ASSIGN_OR_RETURN(
      s.facts_, ReadFacts(j.at("facts"), s.case_id_, s.subject_, "facts"));
  return CheckFold(std::move(s));
}

Result<CaseState> CaseState::FromStored(const Json& head, std::vector<StoredRow> rows) {
  CL_RETURN_IF_ERROR(CheckKeys(
      head,
      {"v", "case", "digest", "facts", "last_seq", "originals", "retracted", "subject"},
      {}, "case state"));
  CL_ASSIGN_OR_RETURN(CommonFields c, ReadCommonFields(head, 2));
  auto count = AsSeq(head.at("facts"));
  if (!count || *count != rows.size())
    return Corruption("case state facts is not the number of its rows");
  const Json& digest = head.at("digest");
  auto digest_bytes = digest.is_string() ? FromHex(digest.get<std::string>()) : Result<Bytes>(Corruption(""));
  if (!digest_bytes.ok() || digest_bytes->size() != crypto::kSha256Bytes ||
      ToHex(*digest_bytes) != digest.get<std::string>())
    return Corruption("case state digest is not 64 lowercase hex digits");
  crypto::Digest stored_digest;
  std::copy(digest_bytes->begin(), digest_bytes->end(), stored_digest.bytes.begin());
  // What is stored must be the fold of the original facts: the rows are
  // replayed, each fact moved in as it was read (a fact's parse is made
  // once), the original in place of a corrected one. A fold changes an
  // earlier fact only by a correction, which keeps that fact's original
  // (ApplyCorrection; a retraction restores from it): so once the replay's
  // originals equal the head's, every fact that is not an original's is
  // the row it was read from, and only the corrected facts are compared.
  // The digest chains the facts as they were folded: a row's own bytes, or
  // its original's where it was corrected (a row not corrected is stored as
  // it was folded; bytes that are not exactly that change the digest).
  CaseState replay;
  std::vector<KeptFact> corrected;  // the rows of the corrected facts, as read
  crypto::Digest d;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string item = "facts row " + std::to_string(i);
    CL_ASSIGN_OR_RETURN(Fact f, ReadFactFrom(rows[i].fact, c.case_id, c.subject, item));
    if (f.seq != rows[i].seq) return Corruption(item + ".seq is not its key's seq");
    if (i > 0 && f.seq <= rows[i - 1].seq) return Corruption(item + ".seq is not increasing");
    auto original = c.originals.find(f.seq);
    if (original == c.originals.end()) {
      d = crypto::Sha256Hasher().Update(d.view()).Update(AsBytes(rows[i].bytes)).Final();
      // The header's text is the row's own (checked by the digest below).
      std::string h(HeaderOfRow(rows[i].bytes));
      replay.FoldIn(std::move(f), /*track=*/false, std::move(h));
    } else {
      std::string row;
      AppendFactCanonical(row, original->second, c.case_id, c.subject);
      d = crypto::Sha256Hasher().Update(d.view()).Update(AsBytes(row)).Final();
      corrected.push_back(Keep(f));
      replay.FoldIn(original->second.ToFact(), /*track=*/false, original->second.h);
    }
  }
  if (d != stored_digest) return Corruption("case state digest is not the digest of its facts");
  bool same_facts = replay.facts_.size() == rows.size();
  for (const KeptFact& f : corrected) {
    auto it = replay.facts_.find(f.seq);
    same_facts = same_facts && it != replay.facts_.end() && it->second == f;
  }
  CL_RETURN_IF_ERROR(CheckReplay(replay, c.case_id, c.subject, c.last_seq, same_facts,
                                 c.originals, c.retracted));
  replay.digest_ = stored_digest;
  return replay;
}

Status CaseState::CheckReplay(const CaseState& replay, const std::string& case_id,
                              const std::string& subject, std::uint64_t last_seq,
                              bool same_facts, const std::map<std::uint64_t, KeptFact>& originals,
                              const std::vector<std::uint64_t>& retracted) {
  const char* part = replay.case_id_ != case_id       ? "case"
                     : replay.subject_ != subject     ? "subject"
                     : replay.last_seq_ != last_seq   ? "last_seq"
                     : !same_facts                    ? "facts"
                     : replay.originals_ != originals ? "originals"
                     : replay.retracted_ != retracted ? "retracted"
                                                      : nullptr;
  if (part == nullptr) return Status::Ok();
  return Corruption("case state " + std::string(part) + " is not the fold of its facts");
}

Result<CaseState> CaseState::CheckFold(CaseState s) {
  // What is stored is the fold of the original facts: replaying them must
  // give back exactly this state, whose digest is the replay's.
  CaseState replay;
  for (const auto& [seq, f] : s.facts_) {
    auto original = s.originals_.find(seq);
    const KeptFact& k = original == s.originals_.end() ? f : original->second;
    replay.FoldIn(k.ToFact(), /*track=*/true, k.h);
  }
  CL_RETURN_IF_ERROR(CheckReplay(replay, s.case_id_, s.subject_, s.last_seq_,
                                 replay.facts_ == s.facts_, s.originals_, s.retracted_));
  s.digest_ = replay.digest_;
  s.fold_ = std::move(replay.fold_);
  return s;
}

Disclosure RequestTerms(const Json& h) {
  Disclosure d;
  d.recipient = GetString(h, "recipient");
  d.basis = GetString(h, "basis");
  d.registry_version = GetString(h, "registry_version");
  d.purpose = GetString(h, "purpose");
  d.threshold = GetString(h, "threshold");
  d.categories = GetStrings(h, "categories");
  d.includes = GetSeqs(h, "includes");
  // `true` today; a string in logs written before references left the
  // clear header (docs/catalogue.md, decision 14): there is one either way.
  const auto ref = h.find("request_ref");
  d.request_ref = ref != h.end() && (ref->is_string() || (ref->is_boolean() && ref->get<bool>()));
  d.consent = GetSeq(h, "consent");
  return d;
}

}  // namespace caseledger::projections
