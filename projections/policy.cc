#include "projections/policy.h"

#include <algorithm>
#include <any>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>

#include "base/ids.h"
#include "projections/catalogue.h"
#include "projections/legal_basis.h"
#include "projections/need_to_know.h"
#include "projections/vocabulary.h"

namespace caseledger::projections {

namespace {

using ledger::Command;

constexpr Micros kDay = Micros{86400} * 1000000;
constexpr Micros kApprovalValidity = 30 * kDay;  // ROL-5

Status Refuse(std::string_view rule, std::string_view message) {
  return RuleRefusal(rule, message);
}

constexpr const char* kNotPerson =
    "case subjects are natural persons; no case is opened on an association, "
    "congregation, group, place or website";
constexpr const char* kAdultGuardian =
    "the subject is an adult: the consent must be the subject's own, not a guardian's";

// Header accessors (the header passed the catalogue schema before any rule
// runs, so a missing field is an optional one).
std::string Str(const Json& h, const char* key) {
  auto it = h.find(key);
  return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::optional<std::uint64_t> Seq(const Json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::uint64_t>();
}
std::vector<std::string> Strs(const Json& h, const char* key) {
  std::vector<std::string> out;
  auto it = h.find(key);
  if (it == h.end() || !it->is_array()) return out;
  for (const Json& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string Date(Micros t) { return ledger::FormatTime(t).substr(0, 10); }

struct Ctx {
  StateView& state;
  Command& cmd;
  Micros time;
  const EventSpec& spec;
  const CaseState* case_state = nullptr;  // for case events
  // For case events: case_state->View(), which is not copied (valid while
  // the check runs: nothing is applied to the case before it returns).
  const CaseView* view_of_case = nullptr;
  const CaseView& view() const { return *view_of_case; }
};

// --- ROL-1, ROL-14: grounds ----------------------------------------------------

// Checks a grounds list (and optional context list) of a concern or a founded
// assessment. `need_behaviour`: at least one b.* ground is required.
// `as_of`: the time of the event the grounds belong to (a correction checks
// them as of the event it corrects).
Status CheckGrounds(Ctx& c, const Json& h, bool need_behaviour, Micros as_of) {
  bool behaviour = false;
  const std::string today = Date(as_of);
  auto grounds = h.find("grounds");
  if (grounds != h.end() && grounds->is_array()) {
    for (const Json& g : *grounds) {
      const std::string code = Str(g, "code");
      // Membership in the vocabulary, and context being p.* codes, is the
      // header schema's (ValidateHeader: ROL-1), run before every rule.
      if (!IsBehaviourCode(code)) continue;  // p.* codes never count
      if (Str(g, "observed_on") > today) {
        return Refuse("ROL-1",
                      "a ground's observed_on date lies in the future; grounds "
                      "are conduct already observed");
      }
      if (auto ref = g.find("case"); ref != g.end() && ref->is_string()) {
        const CaseState* other = c.state.Case(ref->get<std::string>());
        if (other == nullptr) {
          return Refuse("ROL-1", "a ground cites a case that does not exist");
        }
        if (other->View().Outcome() == "unfounded") {
          return Refuse("ROL-14",
                        "a ground cites a case judged unfounded; an unfounded "
                        "concern is never a ground");
        }
      }
      behaviour = true;
    }
  }
  if (need_behaviour && !behaviour) {
    return Refuse("ROL-1",
                  "a concern, and a founded assessment, needs at least one "
                  "observed behaviour (a b.* ground); religion, political "
                  "opinion, association, ethnicity and the other p.* codes are "
                  "never grounds");
  }
  return Status::Ok();
}

// --- Envelope: scope, roles, schema ------------------------------------------

Status CheckRole(const Ctx& c) {
  const std::uint32_t bit = RoleBitOf(c.cmd.role);
  if (bit != 0 && (c.spec.roles & bit) != 0) return Status::Ok();
  if (c.cmd.type == "assessment.recorded") {
    return Refuse("ROL-4",
                  "only a coordinator records an assessment; a case is founded "
                  "only through one");
  }
  if (c.cmd.type == "disclosure.approved" || c.cmd.type == "disclosure.rejected") {
    return Refuse("ROL-5", "only a coordinator approves or rejects a disclosure");
  }
  return Refuse("ROLE", "the role '" + c.cmd.role + "' may not record " +
                            c.cmd.type + " (DESIGN §6, who)");
}

// --- Case events -------------------------------------------------------------



// ROL-6, ROL-13, ROL-14, ROL-15 on the disclosure itself; used at request and
// again when it is made (state may have changed in between).
Status CheckDisclosureConditions(const CaseView& v, const Disclosure& d) {
  const std::vector<DisclosureFailure> failures = DisclosureFailures(v, d);
  if (failures.empty()) return Status::Ok();
  return Refuse(failures.front().rule, failures.front().refusal);
}

// ROL-7, and that every seq the request draws on is a live event of this
// case.
Status CheckIncludes(Ctx& c, const Json& h) {
  for (const Json& s : h.value("includes", Json::array())) {
    const std::uint64_t seq = s.get<std::uint64_t>();
    const KeptFact* f = c.case_state->Find(seq);
    if (f == nullptr || c.case_state->IsRetracted(seq)) {
      return InvalidArgument("h.includes: seq " + std::to_string(seq) +
                             " is not an event of this case");
    }
    if (f->type == "information.received") {
      const LegalBasis* b = FindBasis(Str(f->Header(), "basis"));
      if (b != nullptr && b->onward_forbidden) {
        return Refuse("ROL-7", "the disclosure includes information received "
                               "under " + std::string(b->code) +
                                   ", which is never disclosed onward");
      }
    }
  }
  return Status::Ok();
}

bool HasText(const std::optional<Json>& body, const char* key) {
  return body && body->is_object() && body->contains(key) && (*body)[key].is_string() &&
         !(*body)[key].get<std::string>().empty();
}

// The body carries what the header only marks: PET's request reference
// (h.request_ref) and the migrated record's reference (h.legacy_ref), never
// one without the other (docs/catalogue.md, decision 14).
Status CheckReferencesInBody(const Json& h, const std::optional<Json>& body) {
  for (const char* key : {"request_ref", "legacy_ref"}) {
    if (h.contains(key) != HasText(body, key)) {
      return InvalidArgument(std::string("body.") + key + ": given exactly when h." + key +
                             " is true (the reference itself is text, kept in the "
                             "encrypted body)");
    }
  }
  return Status::Ok();
}

constexpr const char* kNeedsBalancing =
    "a disclosure under dbl-8-2-2 needs a written balancing of interests "
    "(body.balancing)";

Status CheckDisclosureRequested(Ctx& c) {
  const Json& h = c.cmd.h;
  if (Str(h, "registry_version") != kRegistryVersion) {
    return Refuse("ROL-6", "a disclosure is checked against the current "
                           "legal-basis registry version " +
                               std::string(kRegistryVersion));
  }
  CL_RETURN_IF_ERROR(CheckIncludes(c, h));
  if (Str(h, "basis") == "dbl-8-2-2" && !HasText(c.cmd.body, "balancing")) {
    return Refuse("ROL-15", kNeedsBalancing);
  }
  return CheckDisclosureConditions(c.view(), RequestTerms(h));
}

Status CheckDisclosureDecision(Ctx& c) {
  const Disclosure* d = c.view().FindDisclosure(Seq(c.cmd.h, "request"));
  if (d == nullptr) {
    return InvalidArgument("h.request: not a disclosure request of this case");
  }
  if (d->requester == c.cmd.actor) {
    return Refuse("ROL-5", "four eyes: the requester of a disclosure cannot "
                           "approve or reject it; another coordinator must");
  }
  if (!d->made.empty()) {
    return FailedPrecondition("the disclosure has already been made");
  }
  if (c.cmd.type == "disclosure.approved") {
    if (c.view().restricted) {
      return Refuse("ROL-13", "processing of this case is restricted: no "
                              "disclosure is approved until it is lifted");
    }
  }
  return Status::Ok();
}

Status CheckDisclosureMade(Ctx& c) {
  const Disclosure* d = c.view().FindDisclosure(Seq(c.cmd.h, "request"));
  if (d == nullptr) {
    return InvalidArgument("h.request: not a disclosure request of this case");
  }
  const DisclosureDecision* last = d->decisions.empty() ? nullptr : &d->decisions.back();
  if (last == nullptr || !last->approved) {
    return Refuse("ROL-5", "four eyes: a disclosure is made only after a "
                           "coordinator other than the requester approved it "
                           "(and did not withdraw the approval)");
  }
  if (last->actor == d->requester || last->role != "coordinator") {
    return Refuse("ROL-5", "four eyes: the approval is not by a different "
                           "coordinator");
  }
  if (c.time - last->time > kApprovalValidity) {
    return Refuse("ROL-5", "the approval is more than 30 days old; ask for a "
                           "new approval");
  }
  // A correction of the request after its approval: the approval no longer
  // covers what would be sent.
  for (const Correction& k : c.view().corrections) {
    if (k.target == d->seq && k.seq > last->seq) {
      return Refuse("ROL-5", "the request was corrected after it was approved; "
                             "the approval does not cover it");
    }
  }
  return CheckDisclosureConditions(c.view(), *d);
}

Status CheckIntervention(Ctx& c) {
  if (!c.view().Founded()) {
    return Refuse("ROL-9", "an intervention starts only on a case whose latest "
                           "assessment is founded");
  }
  if (!c.view().consent_active) {
    return Refuse("ROL-9", "interventions are voluntary: record the consent of "
                           "the subject (or a guardian for a minor) first");
  }
  // The consent in force must come from the person themselves; a guardian
  // consents only for a minor.
  if (!c.view().minor && c.view().consents.back().by == "guardian") {
    return Refuse("ROL-9", kAdultGuardian);
  }
  return Status::Ok();
}

Status CheckInterventionRef(Ctx& c, bool must_be_active) {
  const auto seq = Seq(c.cmd.h, "intervention");
  for (const Intervention& i : c.view().interventions) {
    if (seq && i.seq == *seq) {
      if (must_be_active && !i.active())
        return FailedPrecondition("the intervention has already ended");
      return Status::Ok();
    }
  }
  return InvalidArgument("h.intervention: not an intervention of this case");
}

// recipients.notified names a correction, retraction, restriction or erasure
// of this case.
Status CheckNotifiedAbout(Ctx& c, const Json& h) {
  const auto about = Seq(h, "about");
  const KeptFact* f = about ? c.case_state->Find(*about) : nullptr;
  if (f == nullptr ||
      (f->type != "record.corrected" && f->type != "record.retracted" &&
       f->type != "processing.restricted" && f->type != "subject.erased")) {
    return InvalidArgument("h.about: not a correction, restriction or "
                           "erasure of this case");
  }
  return Status::Ok();
}

// case.assigned names registered, unrevoked caseworkers and coordinators:
// an id is a closed value only if it names someone (docs/catalogue.md,
// "Closed headers"), and a case assigned to no one who may work it is lost.
Status CheckAssignees(Ctx& c, const Json& h) {
  const std::vector<std::string> ids = Strs(h, "assignees");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string at = "h.assignees[" + std::to_string(i) + "]";
    const UserState* u = c.state.User(ids[i]);
    if (u == nullptr) return NotFound(at + ": not a registered user");
    if (u->is_revoked()) return FailedPrecondition(at + ": the user is revoked");
    if (u->role != "caseworker" && u->role != "coordinator")
      return InvalidArgument(at + ": cases are assigned to caseworkers and coordinators");
  }
  return Status::Ok();
}

// --- Corrections: checked as the event they produce -------------------------
//
// A correction may not produce a header, or a case, that could not have been
// recorded (docs/rules.md, "Corrections"). Each target type's header rules
// run again on the corrected header `h`, against the case as it stands now.
// Conditions of the state alone (a restriction in force, a consent since
// withdrawn, an outcome since changed) are the case's, not the correction's:
// a disclosure request is refused only for a condition the corrected header
// fails and the header as it stands passes.

// The body of a correction gives a corrected text in `values`.
bool CorrectsBodyText(const Ctx& c, const char* key) {
  if (!c.cmd.body || !c.cmd.body->contains("values")) return false;
  const Json& values = (*c.cmd.body)["values"];
  return values.is_object() && values.contains(key);
}


// ROL-9 on what the case becomes: an active intervention rests on a consent
// in force, the subject's own unless the subject is a minor.
Status CheckConsentBasis(const CaseView& v, bool minor, const std::string& consent_by) {
  const bool active = std::any_of(v.interventions.begin(), v.interventions.end(),
                                  [](const Intervention& i) { return i.active(); });
  if (active && !minor && consent_by == "guardian") return Refuse("ROL-9", kAdultGuardian);
  return Status::Ok();
}

Status CheckCorrectedRequest(Ctx& c, const Fact& f, const Json& h) {
  if (Str(h, "registry_version") != Str(f.h, "registry_version") &&
      Str(h, "registry_version") != kRegistryVersion) {
    return Refuse("ROL-6", "a disclosure is checked against the current "
                           "legal-basis registry version " +
                               std::string(kRegistryVersion));
  }
  CL_RETURN_IF_ERROR(CheckIncludes(c, h));
  if (Str(h, "basis") == "dbl-8-2-2" && Str(f.h, "basis") != "dbl-8-2-2" &&
      !CorrectsBodyText(c, "balancing")) {
    return Refuse("ROL-15", kNeedsBalancing);
  }
  if (h.contains("request_ref") && !f.h.contains("request_ref") &&
      !CorrectsBodyText(c, "request_ref")) {
    return InvalidArgument("body.values.request_ref: a correction that marks PET's request "
                           "reference gives the reference itself (encrypted)");
  }
  const std::vector<DisclosureFailure> before = DisclosureFailures(c.view(), RequestTerms(f.h));
  for (const DisclosureFailure& x : DisclosureFailures(c.view(), RequestTerms(h))) {
    const bool already = std::any_of(before.begin(), before.end(), [&](const DisclosureFailure& y) {
      return y.code == x.code && y.refusal == x.refusal;
    });
    if (!already) return Refuse(x.rule, x.refusal);
  }
  return Status::Ok();
}

Status CheckCorrected(Ctx& c, const Fact& f, const Json& h) {
  const CaseView& v = c.view();
  const std::string& t = f.type;
  if (t == "concern.reported") {
    if (h.value("new_subject", false) != f.h.value("new_subject", false)) {
      return InvalidArgument("h.new_subject: whether a concern opened a new pseudonym is a "
                             "fact of the log, not corrected");
    }
    if (Str(h, "subject_kind") != "person") return Refuse("ROL-2", kNotPerson);
    CL_RETURN_IF_ERROR(CheckGrounds(c, h, true, f.time));
    const bool minor = h.value("minor", false);
    if (!v.consents.empty() && v.consent_active)
      return CheckConsentBasis(v, minor, v.consents.back().by);
    return Status::Ok();
  }
  if (t == "assessment.recorded") {
    const std::string outcome = Str(h, "outcome");
    CL_RETURN_IF_ERROR(CheckGrounds(c, h, outcome == "founded", f.time));
    const bool latest = !v.assessments.empty() && v.assessments.back().seq == f.seq;
    if (latest && v.close_reason == "unfounded" && outcome != "unfounded") {
      return Refuse("ROL-4", "the case was closed as unfounded on this assessment; a "
                             "correction cannot make it anything but unfounded");
    }
    return Status::Ok();
  }
  if (t == "case.closed") {
    if (Str(h, "reason") == "unfounded" && v.Outcome() != "unfounded") {
      return Refuse("ROL-4", "a case is closed as unfounded only after a "
                             "coordinator's assessment found it unfounded");
    }
    return Status::Ok();
  }
  if (t == "consent.recorded") {
    const bool in_force = !v.consents.empty() && v.consents.back().seq == f.seq;
    if (in_force && Str(h, "decision") == "given") return CheckConsentBasis(v, v.minor, Str(h, "by"));
    return Status::Ok();
  }
  if (t == "disclosure.requested") return CheckCorrectedRequest(c, f, h);
  if (t == "disclosure.approved" || t == "disclosure.rejected" || t == "disclosure.made") {
    const Disclosure* d = v.FindDisclosure(Seq(h, "request"));
    if (d == nullptr) return InvalidArgument("h.request: not a disclosure request of this case");
    if (t != "disclosure.made" && d->requester == f.actor) {
      return Refuse("ROL-5", "four eyes: the requester of a disclosure cannot "
                             "approve or reject it; another coordinator must");
    }
    if (t == "disclosure.made" && Seq(h, "request") != Seq(f.h, "request")) {
      const DisclosureDecision* last = d->decisions.empty() ? nullptr : &d->decisions.back();
      if (last == nullptr || !last->approved || last->actor == d->requester ||
          last->role != "coordinator") {
        return Refuse("ROL-5", "four eyes: a disclosure is made only after a "
                               "coordinator other than the requester approved it "
                               "(and did not withdraw the approval)");
      }
    }
    return Status::Ok();
  }
  if (t == "disclosure.reviewed" && v.FindDisclosure(Seq(h, "disclosure")) == nullptr)
    return InvalidArgument("h.disclosure: not a disclosure request of this case");
  if (t == "progress.assessed" || t == "intervention.ended") {
    const auto seq = Seq(h, "intervention");
    const bool known = std::any_of(v.interventions.begin(), v.interventions.end(),
                                   [&](const Intervention& i) { return seq && i.seq == *seq; });
    if (!known) return InvalidArgument("h.intervention: not an intervention of this case");
  }
  if (t == "recipients.notified") return CheckNotifiedAbout(c, h);
  if (t == "case.assigned") return CheckAssignees(c, h);
  return Status::Ok();
}

Status CheckCorrection(Ctx& c) {
  const auto target = Seq(c.cmd.h, "target");
  const KeptFact* f = target ? c.case_state->Find(*target) : nullptr;
  if (f == nullptr) {
    return Refuse("ROL-10", "a correction or retraction points at an earlier "
                            "event of the same case");
  }
  if (f->type == "record.corrected" || f->type == "record.retracted" ||
      f->type == "subject.erased") {
    return Refuse("ROL-10", "corrections, retractions and erasures are not "
                            "themselves corrected; correct the original event");
  }
  if (c.case_state->IsRetracted(*target)) {
    return Refuse("ROL-10", "the event has already been retracted");
  }
  if (f->actor != c.cmd.actor && c.cmd.role != "coordinator") {
    return Refuse("ROL-10", "only the author of an event or a coordinator "
                            "corrects or retracts it");
  }
  if (c.cmd.type == "record.retracted") {
    if (f->type == "concern.reported") {
      return Refuse("ROL-10", "the concern that opened a case is not retracted; "
                              "correct it, or close the case");
    }
    if (f->type == "disclosure.made") {
      return Refuse("ROL-10", "a disclosure that was made cannot be undone; "
                              "correct it and notify the recipients");
    }
    return Status::Ok();
  }
  const EventSpec* target_spec = FindEventSpec(f->type);
  if (target_spec == nullptr) return Internal("a stored event has an unknown type");
  // Names only fields of the target's own schema, values only of their shape.
  CL_RETURN_IF_ERROR(ValidateCorrection(*target_spec, c.cmd.h));
  const Fact target_fact = f->ToFact();
  Json merged = target_fact.h;
  if (c.cmd.h.contains("set")) {
    CL_ASSIGN_OR_RETURN(merged, MergeCorrection(*target_spec, target_fact.h, c.cmd.h["set"]));
  }
  return CheckCorrected(c, target_fact, merged);
}

// ROL-11: what a closed case still takes.
bool AllowedOnClosedCase(std::string_view type) {
  return type == "disclosure.reviewed" || type == "case.reviewed" ||
         type == "record.corrected" || type == "record.retracted" ||
         type == "subject.erased" || type == "access.read" ||
         type == "access.exported" || type == "legal_hold.set" ||
         type == "legal_hold.released" || type == "processing.restricted" ||
         type == "processing.restriction_lifted" ||
         type == "recipients.notified";
}

Status CheckCaseEvent(Ctx& c) {
  const CaseView& v = c.view();
  const std::string& t = c.cmd.type;
  // After erasure only access records, and the Art. 19 notification of the
  // erasure to earlier recipients (no body: nothing personal is written).
  if (v.erased && t != "access.read" && t != "access.exported" && t != "recipients.notified") {
    return Refuse("ROL-11", "the subject of this case has been erased; the case "
                            "takes no more events");
  }
  if (v.closed && !AllowedOnClosedCase(t)) {
    return Refuse("ROL-11", "the case is closed: it takes only review, access, "
                            "correction, restriction, legal-hold and erasure "
                            "events");
  }
  if (t == "assessment.recorded") {
    return CheckGrounds(c, c.cmd.h, Str(c.cmd.h, "outcome") == "founded", c.time);
  }
  if (t == "intervention.started") return CheckIntervention(c);
  if (t == "progress.assessed") return CheckInterventionRef(c, false);
  if (t == "intervention.ended") return CheckInterventionRef(c, true);
  if (t == "disclosure.requested") return CheckDisclosureRequested(c);
  if (t == "disclosure.approved" || t == "disclosure.rejected")
    return CheckDisclosureDecision(c);
  if (t == "disclosure.made") return CheckDisclosureMade(c);
  if (t == "disclosure.reviewed") {
    if (v.FindDisclosure(Seq(c.cmd.h, "disclosure")) == nullptr)
      return InvalidArgument("h.disclosure: not a disclosure request of this case");
    return Status::Ok();
  }
  if (t == "record.corrected" || t == "record.retracted") return CheckCorrection(c);
  if (t == "information.received") {
    if (FindBasis(Str(c.cmd.h, "basis")) == nullptr) {
      return Refuse("ROL-6", "information is received under a basis of the "
                             "legal-basis registry; this one is not in it");
    }
    return Status::Ok();
  }
  if (t == "case.closed" && Str(c.cmd.h, "reason") == "unfounded" &&
      v.Outcome() != "unfounded") {
    return Refuse("ROL-4", "a case is closed as unfounded only after a "
                           "coordinator's assessment found it unfounded");
  }
  if (t == "recipients.notified") CL_RETURN_IF_ERROR(CheckNotifiedAbout(c, c.cmd.h));
  if (t == "case.assigned") CL_RETURN_IF_ERROR(CheckAssignees(c, c.cmd.h));
  if (t == "processing.restriction_lifted" && !v.restricted)
    return FailedPrecondition("processing of this case is not restricted");
  if (t == "legal_hold.released" && !v.legal_hold)
    return FailedPrecondition("the case has no legal hold");
  return Status::Ok();
}

// --- Migrated history -----------------------------------------------------

// The disclosure rules a migrated disclosure step may break (and the
// register then reports): four eyes, basis, onward disclosure, Art. 9/10,
// restriction, unfounded case, the basis's own conditions.
bool IsDisclosureRule(std::string_view rule) {
  return rule == "ROL-5" || rule == "ROL-6" || rule == "ROL-7" ||
         rule == "ROL-8" || rule == "ROL-13" || rule == "ROL-14" ||
         rule == "ROL-15";
}

// A disclosure rule's refusal of a migrated step becomes acceptance; every
// other result stands (ROL-11, ROLE, malformed references).
Status Migrated(Status s) {
  if (s.code() == StatusCode::kPolicyRefused && IsDisclosureRule(RuleOf(s)))
    return Status::Ok();
  return s;
}

// What must hold of a migrated disclosure step even so: its references are
// to this case's events (the rule checks stop at the first refusal, so the
// structure is checked on its own first).
Status CheckMigratedDisclosure(Ctx& c) {
  const std::string& t = c.cmd.type;
  if (t == "disclosure.requested") {
    for (const Json& s : c.cmd.h.value("includes", Json::array())) {
      const std::uint64_t seq = s.get<std::uint64_t>();
      if (c.case_state->Find(seq) == nullptr || c.case_state->IsRetracted(seq)) {
        return InvalidArgument("h.includes: seq " + std::to_string(seq) +
                               " is not an event of this case");
      }
    }
    return Status::Ok();
  }
  const Disclosure* d = c.view().FindDisclosure(Seq(c.cmd.h, "request"));
  if (d == nullptr) {
    return InvalidArgument("h.request: not a disclosure request of this case");
  }
  if ((t == "disclosure.approved" || t == "disclosure.rejected") && !d->made.empty()) {
    return FailedPrecondition("the disclosure has already been made");
  }
  return Status::Ok();
}

Status CheckConcern(Ctx& c) {
  const Json& h = c.cmd.h;
  if (Str(h, "subject_kind") != "person") return Refuse("ROL-2", kNotPerson);
  const SubjectState* s = c.state.Subject(*c.cmd.subject);
  const bool new_subject = h.value("new_subject", false);
  if (s != nullptr && s->erased) {
    return Refuse("ROL-16", "this pseudonym was erased and is never used again; "
                            "a concern about the same person opens a new "
                            "pseudonym");
  }
  if (new_subject && s != nullptr) {
    return InvalidArgument("subject: new_subject is true but the subject exists");
  }
  if (!new_subject && s == nullptr) {
    return NotFound("subject: no such subject (set new_subject for a new person)");
  }
  return CheckGrounds(c, h, true, c.time);
}

Status CheckErasure(Ctx& c) {
  const SubjectState* s = c.state.Subject(*c.cmd.subject);
  if (s == nullptr) return NotFound("subject: no such subject");
  if (s->erased) {
    return Refuse("ROL-16", "the subject has already been erased; erasure is "
                            "final");
  }
  for (const std::string& id : s->cases) {
    const CaseState* cs = c.state.Case(id);
    if (cs != nullptr && cs->View().legal_hold) {
      return Refuse("ROL-16", "a legal hold on one of the subject's cases blocks "
                              "erasure until it is released");
    }
  }
  return Status::Ok();
}

// --- Users (global events) ------------------------------------------------------

// A token hash is never shared: a hash that maps to a user already would
// let one token authenticate as two users (or silently move it).
Status CheckTokenFree(Ctx& c) {
  const std::string hash = Str(c.cmd.h, "token_hash");
  if (!hash.empty() && c.state.TokenOwner(hash) != nullptr) {
    return AlreadyExists("h.token_hash: the token hash is already in use; "
                         "issue a new random token");
  }
  return Status::Ok();
}

// Not policy refusals (docs/decisions.md #14): an id registered twice, an
// unknown or revoked user are malformed or impossible commands.
Status CheckUserEvent(Ctx& c) {
  const std::string& t = c.cmd.type;
  const UserState* u = c.state.User(Str(c.cmd.h, "user"));
  if (t == "user.registered") {
    if (u != nullptr) {
      return AlreadyExists("user: the user id is already registered (ids are "
                           "never reused, also after a revocation)");
    }
    return CheckTokenFree(c);
  }
  if (u == nullptr) return NotFound("user: no such user");
  if (u->is_revoked()) {
    return FailedPrecondition("the user is revoked; a revocation is final");
  }
  if (t == "user.role_changed" && Str(c.cmd.h, "role") == u->role) {
    return FailedPrecondition("the user already has that role");
  }
  if (t == "user.token_issued") return CheckTokenFree(c);
  return Status::Ok();
}

Status CheckGlobalEvent(Ctx& c) {
  if (c.cmd.type.starts_with("user.")) return CheckUserEvent(c);
  return Status::Ok();
}

}  // namespace

void SetOrigin(ledger::Command& cmd, CommandOrigin origin) { cmd.hook_context = origin; }

CommandOrigin OriginOf(const ledger::Command& cmd) {
  const auto* origin = std::any_cast<CommandOrigin>(&cmd.hook_context);
  return origin != nullptr ? *origin : CommandOrigin{};
}

Status Check(StateView& state, Command& cmd, Micros time) {
  const EventSpec* spec = FindEventSpec(cmd.type);
  if (spec == nullptr) return InvalidArgument("type: unknown event type");
  if (spec->server_only && !cmd.from_server) {
    return PermissionDenied("type: " + cmd.type + " is written by the server only");
  }
  Ctx c{state, cmd, time, *spec, nullptr, nullptr};
  // Envelope per scope.
  switch (spec->scope) {
    case Scope::kOpensCase:
      if (!cmd.case_id || !cmd.subject)
        return InvalidArgument("a concern names a new case id and a subject");
      if (state.Case(*cmd.case_id) != nullptr)
        return AlreadyExists("case: the case id is already in use");
      break;
    case Scope::kCase: {
      if (!cmd.case_id) return InvalidArgument("case: this event type needs a case");
      c.case_state = state.Case(*cmd.case_id);
      if (c.case_state == nullptr) return NotFound("case: no such case");
      if (cmd.subject && *cmd.subject != c.case_state->subject())
        return InvalidArgument("subject: not the subject of this case");
      cmd.subject = c.case_state->subject();
      c.view_of_case = &c.case_state->View();
      if (OriginOf(cmd).enforce_need_to_know && !MayWriteCase(cmd.actor, cmd.role, c.view()))
        return PermissionDenied("the case is not yours to write to (need to know)");
      break;
    }
    case Scope::kSubject:
      if (!cmd.subject || cmd.case_id)
        return InvalidArgument("this event type names a subject and no case");
      break;
    case Scope::kGlobal:
      if (cmd.subject || cmd.case_id)
        return InvalidArgument("this event type names neither case nor subject");
      break;
    case Scope::kAny:
      break;
  }
  CL_RETURN_IF_ERROR(ValidateHeader(*spec, cmd.h));
  CL_RETURN_IF_ERROR(ValidateBody(*spec, cmd.body));
  if (cmd.type == "disclosure.requested") CL_RETURN_IF_ERROR(CheckReferencesInBody(cmd.h, cmd.body));
  // Migrated history (CommandOrigin::legacy_import): a disclosure step
  // that happened in the old case system is stored as it happened, even
  // where it breaks a disclosure rule; the register reports it.
  const bool legacy = cmd.h.contains("legacy_ref");
  if (legacy && !OriginOf(cmd).legacy_import) {
    return InvalidArgument("h.legacy_ref: only `caseledger import --legacy` "
                           "records history migrated from another system");
  }
  if (legacy && !cmd.time) {
    return InvalidArgument("h.legacy_ref: migrated history carries the time "
                           "it happened");
  }
  CL_RETURN_IF_ERROR(legacy ? Migrated(CheckRole(c)) : CheckRole(c));
  if (cmd.from_server) return Status::Ok();
  switch (spec->scope) {
    case Scope::kOpensCase:
      return CheckConcern(c);
    case Scope::kCase:
      if (legacy) {
        CL_RETURN_IF_ERROR(CheckMigratedDisclosure(c));
        return Migrated(CheckCaseEvent(c));
      }
      return CheckCaseEvent(c);
    case Scope::kSubject:
      return CheckErasure(c);
    case Scope::kGlobal:
      return CheckGlobalEvent(c);
    default:
      return Status::Ok();
  }
}

std::vector<DisclosureFailure> DisclosureFailures(const CaseView& v, const Disclosure& d) {
  std::vector<DisclosureFailure> out;
  auto fail = [&](std::string_view code, std::string_view rule, std::string refusal,
                  std::string detail) {
    out.push_back({code, rule, std::move(refusal), std::move(detail)});
  };
  if (v.restricted) {
    fail("restricted_case", "ROL-13",
         "processing of this case is restricted (GDPR Art. 18/21): no disclosure "
         "until the restriction is lifted",
         "processing of the case was restricted (GDPR Art. 18/21)");
  }
  if (v.Outcome() == "unfounded" || v.close_reason == "unfounded") {
    fail("unfounded_case", "ROL-14", "an unfounded case is never disclosed",
         "the case was assessed unfounded");
  }
  const LegalBasis* basis = FindBasis(d.basis, d.registry_version);
  if (basis == nullptr) {
    fail("basis_not_allowed", "ROL-6",
         "the legal basis is not in the legal-basis registry version " + d.registry_version,
         "basis " + d.basis + " is not in registry version " + d.registry_version);
  } else if (!AllowsRecipient(*basis, d.recipient)) {
    fail("basis_not_allowed", "ROL-6",
         "the legal basis " + d.basis + " does not allow disclosure to " + d.recipient,
         "basis " + d.basis + " does not allow disclosure to " + d.recipient);
  }
  if (d.recipient == "pet" && d.basis != "pet-4") {
    const std::string refusal =
        "an unsolicited disclosure to PET needs a founded assessment citing a b.* "
        "ground and the threshold society_threatening";
    if (!FoundedOnBehaviour(v)) {
      fail("pet_without_threshold", "ROL-6", refusal,
           "unsolicited disclosure to PET without a founded assessment citing a b.* ground");
    } else if (d.threshold != "society_threatening") {
      fail("pet_without_threshold", "ROL-6", refusal,
           "unsolicited disclosure to PET without the threshold society_threatening");
    }
  }
  if (basis != nullptr) {
    for (const std::string& cat : d.categories) {
      if ((cat == "health" || cat == "belief_or_opinion") && !basis->covers_art9)
        fail("art9_without_basis", "ROL-8",
             "category " + cat + " is special-category data (GDPR Art. 9); the basis " +
                 d.basis + " does not cover it",
             "category " + cat + " under basis " + d.basis +
                 ", which does not cover Art. 9 data");
      if (cat == "criminal_offence" && !basis->covers_art10)
        fail("art10_without_basis", "ROL-8",
             "category criminal_offence (GDPR Art. 10) is not covered by the basis " + d.basis,
             "category criminal_offence under basis " + d.basis +
                 ", which does not cover Art. 10 data");
    }
  }
  if (d.basis == "pet-4" && !d.request_ref)
    fail("pet4_without_request_ref", "ROL-15",
         "a disclosure under pet-4 needs PET's request reference (request_ref)",
         "pet-4 without PET's request reference");
  if (d.basis.starts_with("rpl-115-") && d.purpose == "investigation")
    fail("basis_condition", "ROL-15",
         "exchanges under the Administration of Justice Act §115 never serve criminal "
         "investigation",
         "an exchange under §115 for criminal investigation");
  if (d.basis == "child-welfare-notify" && !v.minor)
    fail("basis_condition", "ROL-15",
         "child-welfare-notify applies only to a case concerning a minor",
         "child-welfare-notify on a case that concerns no minor");
  if (d.basis == "consent" && !ConsentInForce(v, d.consent))
    fail("basis_condition", "ROL-15",
         "a disclosure on the basis of consent needs `consent` = the seq of a given "
         "consent that is still in force",
         "basis consent without the seq of the consent in force");
  return out;
}

bool FoundedOnBehaviour(const CaseView& v) {
  if (v.assessments.empty()) return false;
  const Assessment& a = v.assessments.back();
  return a.outcome == "founded" &&
         std::any_of(a.grounds.begin(), a.grounds.end(),
                     [](const Ground& g) { return IsBehaviourCode(g.code); });
}

bool ConsentInForce(const CaseView& v, std::optional<std::uint64_t> consent) {
  // The referenced consent must be a given one, and the one in force (no
  // later decision).
  if (!consent || !v.consent_active) return false;
  const ConsentEntry& last = v.consents.back();
  return last.seq == *consent && last.decision == "given";
}

std::string RuleOf(const Status& s) {
  if (s.code() != StatusCode::kPolicyRefused) return {};
  return s.reason();
}

Command RefusalRecord(const Command& refused, std::string_view rule,
                      bool case_exists) {
  Command r;
  r.type = "policy.refused";
  r.actor = refused.actor;
  r.role = refused.role;
  if (case_exists) r.case_id = refused.case_id;
  r.h = Json::object({{"attempted", refused.type}, {"rule", std::string(rule)}});
  r.time = refused.time;
  r.from_server = true;
  return r;
}

Json SubjectState::ToJson() const {
  Json j = Json::object();
  j["v"] = 1;
  j["cases"] = cases;
  if (erased) j["erased"] = *erased;
  return j;
}

Result<SubjectState> SubjectState::FromJson(const Json& j) {
  SubjectState s;
  if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("cases") ||
      !j["cases"].is_array())
    return Corruption("subject state: malformed");
  for (const Json& c : j["cases"]) {
    if (!c.is_string()) return Corruption("subject state: malformed case id");
    s.cases.push_back(c.get<std::string>());
  }
  if (j.contains("erased")) {
    if (!j["erased"].is_number_integer()) return Corruption("subject state: malformed erased");
    s.erased = j["erased"].get<Micros>();
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "v" && it.key() != "cases" && it.key() != "erased")
      return Corruption("subject state: unknown field");
  return s;
}

namespace {

// Integers of the stored forms, within ±(2^53 - 1) (signed or unsigned in
// the DOM: built in memory or parsed from text).
std::optional<Micros> StoredMicros(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(ledger::kMaxSafeInteger)) return std::nullopt;
    return static_cast<Micros>(u);
  }
  const auto v = it->get<std::int64_t>();
  if (v < -ledger::kMaxSafeInteger || v > ledger::kMaxSafeInteger) return std::nullopt;
  return v;
}
std::optional<std::uint64_t> StoredSeq(const Json& j, const char* key) {
  const std::optional<Micros> v = StoredMicros(j, key);
  if (!v || *v < 1) return std::nullopt;
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

Json UserState::ToJson() const {
  Json j = Json::object();
  j["v"] = 1;
  j["user"] = user;
  j["role"] = role;
  j["registered_seq"] = registered_seq;
  j["registered"] = registered;
  if (revoked_seq) j["revoked_seq"] = *revoked_seq;
  if (revoked) j["revoked"] = *revoked;
  if (token_hash) {
    j["token_hash"] = *token_hash;
    j["token_seq"] = token_seq;
  }
  return j;
}

Result<UserState> UserState::FromJson(const Json& j) {
  auto bad = [](std::string_view what) {
    return Corruption("user state: " + std::string(what));
  };
  if (!j.is_object()) return bad("not an object");
  static constexpr std::string_view kFields[] = {
      "v", "user", "role", "registered_seq", "registered", "revoked_seq",
      "revoked", "token_hash", "token_seq"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(std::begin(kFields), std::end(kFields), it.key()) == std::end(kFields))
      return bad("unknown field");
  }
  if (StoredMicros(j, "v") != Micros{1}) return bad("version is not 1");
  UserState u;
  auto user = j.find("user");
  if (user == j.end() || !user->is_string() ||
      !ValidateId(user->get_ref<const std::string&>(), "u", "user").ok())
    return bad("malformed user id");
  u.user = user->get<std::string>();
  auto role = j.find("role");
  if (role == j.end() || !role->is_string() ||
      RoleBitOf(role->get_ref<const std::string&>()) == 0)
    return bad("malformed role");
  u.role = role->get<std::string>();
  const auto registered_seq = StoredSeq(j, "registered_seq");
  const auto registered = StoredMicros(j, "registered");
  if (!registered_seq || !registered) return bad("malformed registration");
  u.registered_seq = *registered_seq;
  u.registered = *registered;
  if (j.contains("revoked_seq") || j.contains("revoked")) {
    u.revoked_seq = StoredSeq(j, "revoked_seq");
    u.revoked = StoredMicros(j, "revoked");
    if (!u.revoked_seq || !u.revoked || *u.revoked_seq <= u.registered_seq)
      return bad("malformed revocation");
  }
  if (j.contains("token_hash") || j.contains("token_seq")) {
    auto hash = j.find("token_hash");
    const auto token_seq = StoredSeq(j, "token_seq");
    if (hash == j.end() || !hash->is_string() ||
        !IsTokenHash(hash->get_ref<const std::string&>()) || !token_seq ||
        *token_seq < u.registered_seq)
      return bad("malformed token");
    if (u.is_revoked()) return bad("a revoked user has a token");
    u.token_hash = hash->get<std::string>();
    u.token_seq = *token_seq;
  }
  return u;
}

}  // namespace caseledger::projections
