// Reading a case (ROL-12, DESIGN §9): whether the caller may read it for a
// purpose, and the access record that must be durable before anything of the
// case leaves (fail closed). One use case for the JSON API's case reads and
// the workspace's case page.
#pragma once

#include <chrono>
#include <string>

#include "app/authz.h"
#include "base/result.h"
#include "ledger/writer.h"
#include "projections/case_cache.h"

namespace caseledger::app {

struct CaseReadGrant {
  projections::CaseCache::Read current;  // the case as it is now
  CaseAccess access = CaseAccess::kNone;  // never kNone when granted
};

// The case and how much of it `who` may read for `purpose`: InvalidArgument
// for a malformed case id, PermissionDenied for a purpose the role does not
// read for or a case it may not read (need to know), NotFound for an unknown
// case. Records nothing.
Result<CaseReadGrant> GrantCaseRead(projections::CaseCache& cases, const Principal& who,
                                    const std::string& case_id, const std::string& purpose);

// Appends the `type` record (access.read, access.exported) of a read of
// `case_id` for `purpose` and waits until it is durable, at most `timeout`.
// Unavailable (the read must then be refused) if it could not be made
// durable.
Status RecordCaseAccess(ledger::Writer& writer, const Principal& who, const std::string& case_id,
                        const std::string& purpose, const std::string& type,
                        std::chrono::milliseconds timeout);

}  // namespace caseledger::app
