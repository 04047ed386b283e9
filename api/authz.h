// Authorization of the HTTP API: role and need to know (DESIGN §5.2 ROL-12,
// ROL-14, ROL-3). Pure functions of the caller and the case's clear state;
// thread-safe. The table, with the reasons, is in docs/api/access.md.
//
// Who may read a case (its state and history), and how much:
//   caseworker      bodies of the cases assigned to them (and of a case they
//                   opened while nobody is assigned yet); nothing else;
//   coordinator     bodies of every case;
//   legal_reviewer  bodies of a case with a disclosure under review (a
//                   request that is not rejected and has no review verdict);
//   dpo             metadata of every case; bodies only for subject access;
//   auditor         metadata of every case, never bodies.
// An unfounded case is visible only to coordinators and the DPO (ROL-14).
// Each role reads for its own purposes only (casework, review, audit,
// subject_access).
#pragma once

#include <string_view>

#include "api/auth.h"
#include "base/status.h"
#include "projections/case_state.h"

namespace caseledger::api {

enum class CaseAccess {
  kNone,      // 403: the case is not the caller's to see
  kMetadata,  // clear state and history headers, no bodies
  kBodies,    // and the decrypted bodies
};

// True for the purposes of DESIGN §9: casework, review, subject_access, audit.
bool IsPurpose(std::string_view purpose);

// Whether `role` reads for `purpose` at all. PermissionDenied naming the
// role and purpose otherwise.
Status CheckPurpose(const Principal& who, std::string_view purpose);

// How much of `view` the caller may read for `purpose` (already checked with
// CheckPurpose).
CaseAccess AccessTo(const Principal& who, const projections::CaseView& view,
                    std::string_view purpose);

// Whether the caller may append an event to the case (need to know applies
// to writes as well: a caseworker writes only to cases they may read). The
// policy engine then checks the role table and the rules.
bool MayWrite(const Principal& who, const projections::CaseView& view);

// Whether the case appears in the caller's listing (ROL-3: only what the
// caller may read).
bool MayList(const Principal& who, const projections::CaseView& view);

// True if the case has a disclosure under legal review (see above).
bool HasDisclosureUnderReview(const projections::CaseView& view);

}  // namespace caseledger::api
