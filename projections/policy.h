// Policy engine (DESIGN §5): every command passes Check(state, command)
// before it is appended. One rule per function, each with its stable id
// (ROL-1 … ROL-16; ROLE for the role table of DESIGN §6) and a message that
// tells the user what is missing. Rules and their sources: docs/rules.md.
//
// Results:
//   OK                 the command may be appended;
//   InvalidArgument    malformed (schema of the catalogue, unknown type) —
//                      nothing is stored;
//   NotFound           the case, subject or user does not exist — nothing is
//                      stored;
//   AlreadyExists      a new case id, user id or token hash is already in use
//                      — nothing is stored;
//   FailedPrecondition the state makes the command meaningless (lifting a
//                      restriction that is not in force, acting on a revoked
//                      user) — nothing is stored;
//   PolicyRefused      a rule refused it; the message is "<rule>: <what is
//                      missing>" and the writer stores a `policy.refused`
//                      record (actor, role, attempted type, rule; no personal
//                      data) in its place.
// Check may complete the command's envelope from state: a case event's
// subject is the case's subject. Pure given the StateView; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ledger/command.h"
#include "projections/case_state.h"

namespace caseledger::projections {

// Where a command comes from, as far as the rules must know it: set by the
// front end that makes the command (SetOrigin), carried opaquely by the
// writer (ledger::Command::hook_context) to Check. A command without one is
// history replayed as it is (an import, the demo): the default.
struct CommandOrigin {
  // A caller's own write to an existing case through the API: refused
  // (PermissionDenied, nothing appended) unless the actor may write to the
  // case under need to know (ROL-12, projections/need_to_know.h), decided on
  // the state the event would be appended to.
  bool enforce_need_to_know = false;
  // `caseledger import --legacy` and the demo's migrated history: the
  // command records a disclosure step that already happened in the case
  // system caseledger replaces. With `h.legacy_ref` set, a step that breaks a
  // disclosure rule is stored instead of refused, so that the history is
  // kept as it happened and the disclosure register
  // (projections/disclosure_register.h) reports it. Without it a
  // `legacy_ref` is refused.
  bool legacy_import = false;
};
void SetOrigin(ledger::Command& cmd, CommandOrigin origin);
// The command's origin (the default if none was set).
CommandOrigin OriginOf(const ledger::Command& cmd);

// What the projections know about a subject (pseudonym).
struct SubjectState {
  std::vector<std::string> cases;  // in the order they were opened
  std::optional<Micros> erased;    // time of subject.erased
  friend bool operator==(const SubjectState&, const SubjectState&) = default;
  Json ToJson() const;
  static Result<SubjectState> FromJson(const Json& j);
};

// What the projections know about a user: the fold of the user.* events of
// one user id (docs/formats/projections.md, proj.users). Invariants:
// revoked_seq and revoked are set together; token_hash is set iff
// token_seq != 0; a revoked user has no token.
struct UserState {
  std::string user;                          // "u-…"
  std::string role;                          // the current role
  std::uint64_t registered_seq = 0;          // seq of the user.registered
  Micros registered = 0;                     // its time
  std::optional<std::uint64_t> revoked_seq;  // seq of the user.revoked
  std::optional<Micros> revoked;             // its time
  // The keyed hash of the current bearer token (docs/catalogue.md), if any.
  std::optional<std::string> token_hash;
  std::uint64_t token_seq = 0;  // seq of the event that set token_hash
  bool is_revoked() const { return revoked_seq.has_value(); }
  friend bool operator==(const UserState&, const UserState&) = default;
  Json ToJson() const;
  // Strict: Corruption for anything ToJson could not have written.
  static Result<UserState> FromJson(const Json& j);
};

// Read access to current state (as of the last event applied).
class StateView {
 public:
  virtual ~StateView() = default;
  // nullptr if unknown. The pointer is valid until the next call.
  virtual const CaseState* Case(std::string_view case_id) = 0;
  virtual const SubjectState* Subject(std::string_view subject) = 0;
  // nullptr if the id was never registered (a revoked user is still known).
  virtual const UserState* User(std::string_view user) = 0;
  // The user whose current token has this hash, or nullptr.
  virtual const std::string* TokenOwner(std::string_view token_hash) = 0;
};

// Checks `cmd` (which would become an event at `time`) against `state`.
Status Check(StateView& state, ledger::Command& cmd, Micros time);

// One condition a disclosure fails on the disclosure itself (ROL-6, -8, -13,
// -14, -15): the register's finding code (disclosure_register.h), the rule,
// the policy engine's refusal text and the register's detail (codes and seqs
// only; neither names a person).
struct DisclosureFailure {
  std::string_view code;
  std::string_view rule;
  std::string refusal;
  std::string detail;
};
// Every condition the disclosure `d` (its terms: RequestTerms) fails on the
// case state `v`, in the order of the register's checks; empty if it may be
// requested or made. The policy engine refuses with the first; the register
// reports them all; a correction of a request is refused for one its
// original does not fail. ROL-5 and ROL-7 are checked apart.
std::vector<DisclosureFailure> DisclosureFailures(const CaseView& v, const Disclosure& d);

// ROL-6: the latest non-retracted assessment is `founded` and cites a b.*
// ground (what an unsolicited disclosure to PET needs).
bool FoundedOnBehaviour(const CaseView& v);
// ROL-15: `consent` is the seq of a `given` consent that is still the one in
// force (no later decision).
bool ConsentInForce(const CaseView& v, std::optional<std::uint64_t> consent);

// The rule id of a PolicyRefused status ("ROL-1": its reason, set by
// RuleRefusal), or "" for other statuses.
std::string RuleOf(const Status& s);

// The `policy.refused` record for a refused command: same actor and role,
// the case only if it already exists (never the subject: a refused attempt
// must not link a person to anything), h = {attempted, rule}, no body.
ledger::Command RefusalRecord(const ledger::Command& refused,
                              std::string_view rule, bool case_exists);

}  // namespace caseledger::projections
