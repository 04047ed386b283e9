#include "app/case_access.h"

#include "app/concern.h"
#include "base/ids.h"

namespace caseledger::app {

Result<CaseReadGrant> GrantCaseRead(projections::CaseCache& cases, const Principal& who,
                                    const std::string& case_id, const std::string& purpose) {
  if (!ValidateId(case_id, "c", "case").ok()) return InvalidArgument("case: not a case id (c-…)");
  CL_RETURN_IF_ERROR(CheckPurpose(who, purpose));
  CaseReadGrant g;
  CL_ASSIGN_OR_RETURN(g.current, cases.Get(case_id));
  g.access = AccessTo(who, g.current.c->view, purpose);
  if (g.access == CaseAccess::kNone)
    return PermissionDenied("the case is not yours to read (need to know)");
  return g;
}

Status RecordCaseAccess(ledger::Writer& writer, const Principal& who, const std::string& case_id,
                        const std::string& purpose, const std::string& type,
                        std::chrono::milliseconds timeout) {
  ledger::Command c;
  c.type = type;
  c.actor = who.user;
  c.role = who.role;
  c.case_id = case_id;
  c.h = Json{{"purpose", purpose}};
  c.from_server = true;
  auto r = AppendAndWait(writer, std::move(c), timeout);
  if (!r.ok())
    return Unavailable("the read could not be recorded in the access log, so it is refused (fail closed)");
  return Status::Ok();
}

}  // namespace caseledger::app
