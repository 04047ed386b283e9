// Case state (DESIGN §8): the current state of one case, folded from that
// case's events in seq order. Only the clear envelope is used (type, seq,
// time, actor, role, header) — never a body — so a projection holds no
// personal data and survives erasure as pseudonymous residue.
//
// The state keeps the case's *effective* facts keyed by seq: a
// `record.corrected` replaces the listed header fields of its target, a
// `record.retracted` marks its target retracted (kept, but no longer counted);
// both stay in the state so history shows the original and the correction.
// Everything else (status, assignees, consent, deadlines …) is derived from
// the facts by Derive(), a pure function, so a state folded incrementally
// equals a state replayed from scratch.
//
// Apply never fails on stored history: a fact that refers to a missing or
// wrong seq is kept and ignored by Derive (imported history may carry the
// defects the legal review must find; the policy engine refuses them for new
// commands). Value type; not thread-safe (copy to share).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/sha256.h"
#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/time.h"

namespace caseledger::projections {

using ledger::Micros;

// The clear envelope of an event as the projections see it: all of a fact
// but its header.
struct FactEnvelope {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string type;
  std::string actor;
  std::string role;
  std::optional<std::string> case_id;
  std::optional<std::string> subject;
  friend bool operator==(const FactEnvelope&, const FactEnvelope&) = default;
};

// One event as the projections see it.
struct Fact : FactEnvelope {
  Json h = Json::object();
  friend bool operator==(const Fact&, const Fact&) = default;
};
// The fact of a stored event (parses its time). InvalidArgument if the time
// does not parse.
Result<Fact> FactOf(const ledger::Event& e);

// A fact as a case state keeps it once folded: the envelope, and the header
// as its canonical JSON text (CanonicalJson of Fact::h), parsed again only
// where a correction, a check or a page needs it. A case state holds every
// fact of its case, and a header kept as a DOM is a dozen allocations that
// are freed long after they were made, each a cache miss when the state is
// evicted (docs/performance.md, "Facts kept as canonical text").
struct KeptFact : FactEnvelope {
  std::string h = "{}";  // canonical JSON of an object
  // The header parsed (an object).
  Json Header() const;
  // The fact with its header parsed.
  Fact ToFact() const;
  // Equal envelopes and headers (canonical text: equal exactly when the
  // parsed headers are).
  friend bool operator==(const KeptFact&, const KeptFact&) = default;
};
// `f` kept: its header (an object, else {}) as canonical text.
KeptFact Keep(const Fact& f);

// True for the types that belong to a case's state (every type with scope
// kOpensCase or kCase, and subject.erased applied to each of the subject's
// cases); false for access.*, policy.refused and global types, which are
// indexed per case but do not change its state.
bool IsStateFact(std::string_view type);

struct Factor {
  int risk = 0;
  int resources = 0;
};
using Factors = std::map<std::string, Factor>;  // dimension -> scores

struct Ground {
  std::string code;         // b.* (or p.* in imported history: never counted)
  std::string observed_on;  // YYYY-MM-DD
  std::optional<std::string> case_ref;  // "c-…" when cited from another case
};

struct Assessment {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string actor;
  std::string outcome;  // founded, unfounded, more_information
  std::string panel;
  std::vector<Ground> grounds;
  Factors factors;
};

struct ConsentEntry {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string decision;  // given, declined, withdrawn
  std::string by;        // subject, guardian
};

struct ProgressEntry {
  std::uint64_t seq = 0;
  Micros time = 0;
  Factors factors;
};

struct Intervention {
  std::uint64_t seq = 0;  // of intervention.started
  Micros time = 0;
  std::string kind;
  std::string provider;
  std::optional<std::uint64_t> ended_seq;
  std::optional<Micros> ended_time;
  std::string end_reason;  // completed, declined, withdrawn, moved, other
  std::vector<ProgressEntry> progress;
  bool active() const { return !ended_seq.has_value(); }
};

struct DisclosureDecision {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string actor;
  std::string role;
  bool approved = false;  // disclosure.approved (true) or .rejected (false)
};

struct DisclosureMade {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string actor;
  std::string channel;
  std::string document_sha256;
};

struct DisclosureReview {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string actor;
  std::string verdict;  // lawful, deficient
  std::vector<std::string> findings;
};

struct Disclosure {
  std::uint64_t seq = 0;  // of disclosure.requested
  Micros time = 0;
  std::string requester;
  std::string requester_role;
  std::string recipient, basis, registry_version, purpose, threshold;
  std::vector<std::string> categories;
  std::vector<std::uint64_t> includes;
  bool request_ref = false;  // PET's reference is given (in the body)
  std::optional<std::uint64_t> consent;
  std::vector<DisclosureDecision> decisions;  // approvals and rejections, seq order
  std::vector<DisclosureMade> made;
  std::vector<DisclosureReview> reviews;
  // requested, approved, rejected, made, reviewed (the furthest reached)
  std::string status;
  // Canonical-ready JSON, as in CaseView::ToJson's `disclosures`.
  Json ToJson() const;
};

struct InformationEntry {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string from, basis;
  std::vector<std::string> categories;
};

struct Correction {
  std::uint64_t seq = 0;
  Micros time = 0;
  std::string actor;
  std::uint64_t target = 0;
  std::vector<std::string> fields;
  bool retraction = false;  // record.retracted
};

// GDPR Art. 19 (FLAG-ART19): a correction, retraction, restriction or
// erasure of a case after disclosures were made must be communicated to each
// recipient of those disclosures; `recipients.notified` {about, recipients}
// records that it was. Every recipient of a disclosure made before the event
// is due (the conservative reading: the log does not say which fields each
// disclosure carried).
struct NotificationDuty {
  std::uint64_t seq = 0;  // of the correction, retraction, restriction or erasure
  Micros time = 0;
  std::string type;
  std::vector<std::string> recipients;  // due: sorted, unique
  std::vector<std::string> notified;    // recorded so far: sorted, unique
  // The recipients due and not yet notified.
  std::vector<std::string> Pending() const;
};

// The derived, read-side view of a case.
struct CaseView {
  std::string case_id;
  std::string subject;
  // received, under_assessment, founded, unfounded, intervention, closed,
  // erased (DESIGN §8)
  std::string status;
  std::uint64_t opened_seq = 0;
  Micros opened = 0;
  std::string opened_actor;  // the user who reported the concern
  std::string source;
  bool minor = false;
  std::vector<Ground> grounds;           // of the concern (after corrections)
  std::vector<std::string> context;      // p.* context codes (never listed or counted)
  std::vector<std::string> assignees;    // of the latest case.assigned
  std::optional<Micros> first_response;  // time of the first concern.responded
  std::vector<InformationEntry> information;
  std::vector<Assessment> assessments;   // not retracted, seq order
  std::vector<ConsentEntry> consents;    // not retracted, seq order
  bool consent_active = false;  // latest decision is `given`
  std::vector<Intervention> interventions;
  std::vector<Disclosure> disclosures;
  bool restricted = false;   // processing.restricted not lifted
  bool legal_hold = false;   // legal_hold.set not released
  bool informed = false;     // subject.informed or .information_deferred recorded
  std::optional<Micros> informed_at;  // the first of them (FLAG-INFORM)
  std::optional<Micros> last_review;
  std::optional<std::uint64_t> closed_seq;
  std::optional<Micros> closed;
  std::string close_reason;
  std::optional<Micros> erased;  // subject.erased
  std::vector<Correction> corrections;  // corrections and retractions, seq order
  std::vector<NotificationDuty> notifications;  // Art. 19 duties, seq order
  Micros last_activity = 0;  // time of the latest state fact
  std::uint64_t last_seq = 0;  // seq of the latest state fact
  // Deadlines (DESIGN §5.2 flags): response by opened + 24 h; assessment by
  // opened + 30 days; information of a founded case by founded + 30 days;
  // review 12 months after the latest review (or opening).
  Micros response_due = 0;
  Micros assessment_due = 0;
  std::optional<Micros> inform_due;
  Micros review_due = 0;

  // The disclosure whose request is `request_seq` (a seq read from a header:
  // absent matches nothing), or nullptr.
  const Disclosure* FindDisclosure(std::optional<std::uint64_t> request_seq) const;
  // The outcome of the latest non-retracted assessment, or "" (not copied:
  // valid while the view is).
  const std::string& Outcome() const;
  bool Founded() const { return Outcome() == "founded"; }
  // Canonical-ready JSON of the whole view (times as canonical text).
  Json ToJson() const;
};

struct CaseFold;  // the running fold and its view (case_state.cc)

class CaseState {
 public:
  CaseState() = default;

  // Folds one fact of this case (seq greater than every earlier one; the
  // first fact must be concern.reported). Facts whose IsStateFact is false
  // are ignored. The rvalue form keeps the fact itself (replays: no copy).
  // The state keeps each fact's header as canonical text (KeptFact);
  // `h_canonical`, if not empty, must be ledger::CanonicalJson(fact.h), as
  // a replay has it from the log line, so that it is not written again.
  void Apply(const Fact& fact);
  void Apply(Fact&& fact, std::string h_canonical = {});
  // Whether Apply folds `fact` in: a state fact after every fact so far.
  bool Folds(const Fact& fact) const;

  // The derived view (pure function of the facts applied), kept current by
  // every Apply: View() is that view itself (valid until the next Apply),
  // Derive() a copy of it. The rvalue form moves it out instead of copying
  // (a state read only to be viewed) and leaves the state empty.
  const CaseView& View() const;
  CaseView Derive() const&;
  CaseView Derive() &&;

  const std::string& case_id() const { return case_id_; }
  const std::string& subject() const { return subject_; }
  std::uint64_t last_seq() const { return last_seq_; }
  // The effective fact of `seq` (after corrections), or nullptr if `seq` is
  // not a state fact of this case.
  const KeptFact* Find(std::uint64_t seq) const;
  bool IsRetracted(std::uint64_t seq) const;
  // Every effective fact, by seq.
  const std::map<std::uint64_t, KeptFact>& facts() const { return facts_; }

  // Persistent form: canonical-ready JSON of the effective facts and the
  // corrections (docs/formats/projections.md), and back. FromJson returns
  // Corruption for anything ToJson could not have written.
  Json ToJson() const;
  static Result<CaseState> FromJson(const Json& j);

  // Stored form (docs/formats/projections.md, "Case state rows"): a head and
  // one row per effective fact, so that folding a fact in costs its own row
  // and the head, never the whole case. The head holds the case, subject,
  // last_seq, the number of effective facts, `digest` (a SHA-256 chain over
  // the row of every fact as it was folded, so two heads are equal only if
  // the same facts were folded), the originals and the retracted seqs; it
  // changes with every fact folded, so it is also the state's version.
  std::string HeadCanonical() const;
  // The rows (seq, canonical JSON of the effective fact) that changed since
  // the last call: every fact folded since, and every fact a correction or
  // retraction changed since. Ascending seq.
  std::vector<std::pair<std::uint64_t, std::string>> TakeChangedRows();
  // One stored row: the seq of its key, its bytes and their parse.
  struct StoredRow {
    std::uint64_t seq = 0;
    Json fact;
    std::string_view bytes;
  };
  // Reads the stored form back: the parsed head and the rows, in key order.
  // Corruption for anything HeadCanonical and TakeChangedRows could not have
  // written (checked as FromJson checks, plus the number of rows and the
  // digest, which is recomputed from the rows' bytes). Each row's parse is
  // moved into the state (taken by value: callers move their rows in).
  static Result<CaseState> FromStored(const Json& head, std::vector<StoredRow> rows);

  // Equal facts, originals, retractions and digest (what is pending for
  // TakeChangedRows is not part of the state).
  friend bool operator==(const CaseState& a, const CaseState& b) {
    return a.case_id_ == b.case_id_ && a.subject_ == b.subject_ && a.last_seq_ == b.last_seq_ &&
           a.facts_ == b.facts_ && a.originals_ == b.originals_ &&
           a.retracted_ == b.retracted_ && a.digest_ == b.digest_;
  }

 private:
  // FromJson: `s` must be the fold of its original facts; its digest
  // becomes the replay's. (FromStored replays its rows itself.)
  static Result<CaseState> CheckFold(CaseState s);
  // Ok if `replay` gives back the stored case, subject, last_seq, facts
  // (`same_facts`: the caller's comparison), originals and retracted seqs;
  // else Corruption naming the first part that differs.
  static Status CheckReplay(const CaseState& replay, const std::string& case_id,
                            const std::string& subject, std::uint64_t last_seq, bool same_facts,
                            const std::map<std::uint64_t, KeptFact>& originals,
                            const std::vector<std::uint64_t>& retracted);
  // Apply, without the rows and the digest when `track` is false (a replay
  // whose digest is checked otherwise). `h_canonical` as for Apply.
  void FoldIn(Fact fact, bool track, std::string h_canonical = {});
  // The fold of every effective fact, from scratch, its view finished.
  std::shared_ptr<CaseFold> FullFold() const;

  std::string case_id_;
  std::string subject_;
  std::uint64_t last_seq_ = 0;
  std::map<std::uint64_t, KeptFact> facts_;      // effective facts by seq
  std::map<std::uint64_t, KeptFact> originals_;  // original of every corrected fact
  std::vector<std::uint64_t> retracted_;     // sorted
  crypto::Digest digest_;                    // chain over every fact folded
  // Since the last TakeChangedRows: the seqs whose rows changed, and the rows
  // already made for them (a fact's row as folded, until a correction or
  // retraction changes the fact).
  std::vector<std::uint64_t> changed_;
  std::map<std::uint64_t, std::string> rows_;
  // The fold of every fact so far and its view (View()), kept current by
  // Apply, so that the view costs neither a walk over every fact of the
  // case nor a copy. Shared between copies until one of them applies a
  // fact; null only before the first fact.
  std::shared_ptr<CaseFold> fold_;
};

// The terms of a disclosure request as its clear header `h` states them
// (recipient, basis, registry version, purpose, threshold, categories,
// includes, request_ref, consent); the rest of the Disclosure is left empty.
// Tolerant: a missing or mistyped field is left empty.
Disclosure RequestTerms(const Json& h);

}  // namespace caseledger::projections
