// Need to know (DESIGN §5.2 ROL-12, ROL-14, ROL-3): how much of a case a user
// of a role may see, as a pure function of the user, the role and the case's
// clear state. The API decides reads with it (app/authz.h adds purposes); the
// policy engine decides a caller's writes with it inside the writer, on the
// state the event is appended to (projections::CommandOrigin::enforce_need_to_know), so
// no assignment can change between the check and the append. The table, with
// the reasons, is in docs/api/access.md. Thread-safe.
//
//   caseworker      bodies of the cases assigned to them (and of a case they
//                   opened while nobody is assigned yet); nothing else;
//   coordinator     bodies of every case;
//   legal_reviewer  bodies of a case with a disclosure under review (a
//                   request that is not rejected and has no review verdict);
//   dpo             bodies of every case (narrowed by purpose in the API);
//   auditor         metadata of every case, never bodies.
// An unfounded case is visible only to coordinators and the DPO (ROL-14).
#pragma once

#include <string_view>

#include "projections/case_state.h"

namespace caseledger::projections {

enum class CaseAccess {
  kNone,      // the case is not the user's to see
  kMetadata,  // clear state and history headers, no bodies
  kBodies,    // and the decrypted bodies
};

// The widest access of `role` (held by `user`) to the case, whatever the
// purpose.
CaseAccess WidestAccess(std::string_view user, std::string_view role,
                        const CaseView& view);

// Whether the user may append an event to the case: need to know applies to
// writes as well (a caseworker writes only to cases they may read); auditors
// never write to a case. The role table and the rules are checked besides.
bool MayWriteCase(std::string_view user, std::string_view role,
                  const CaseView& view);

// True if the case has a disclosure under legal review (see above).
bool HasDisclosureUnderReview(const CaseView& view);

}  // namespace caseledger::projections
