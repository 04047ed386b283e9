// Authorization of the HTTP API: role and need to know (DESIGN §5.2 ROL-12,
// ROL-14, ROL-3). Pure functions of the caller and the case's clear state;
// thread-safe. The table, with the reasons, is in docs/api/access.md.
//
// The roles' need to know is projections/need_to_know.h (shared with the
// policy engine, which decides writes with it); this adds the purposes: each
// role reads for its own purposes only (casework, review, audit,
// subject_access), and the DPO reads bodies only for subject access.
#pragma once

#include <string_view>

#include "app/auth.h"
#include "base/status.h"
#include "projections/case_state.h"
#include "projections/need_to_know.h"

namespace caseledger::app {

using projections::CaseAccess;

// True for the purposes of DESIGN §9: casework, review, subject_access, audit.
bool IsPurpose(std::string_view purpose);

// Whether `role` reads for `purpose` at all. PermissionDenied naming the
// role and purpose otherwise.
Status CheckPurpose(const Principal& who, std::string_view purpose);

// How much of `view` the caller may read for `purpose` (already checked with
// CheckPurpose).
CaseAccess AccessTo(const Principal& who, const projections::CaseView& view,
                    std::string_view purpose);

// Whether the case appears in the caller's listing (ROL-3: only what the
// caller may read).
bool MayList(const Principal& who, const projections::CaseView& view);

}  // namespace caseledger::app
