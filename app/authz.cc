#include "app/authz.h"

namespace caseledger::app {

bool IsPurpose(std::string_view p) {
  return p == "casework" || p == "review" || p == "subject_access" ||
         p == "audit";
}

Status CheckPurpose(const Principal& who, std::string_view p) {
  bool ok = false;
  if (who.role == "caseworker") ok = p == "casework";
  else if (who.role == "coordinator") ok = p == "casework" || p == "review";
  else if (who.role == "legal_reviewer") ok = p == "review";
  else if (who.role == "auditor") ok = p == "audit";
  else if (who.role == "dpo") ok = p == "subject_access" || p == "audit";
  if (ok) return Status::Ok();
  return PermissionDenied("role " + who.role + " does not read for purpose " +
                          std::string(p));
}

CaseAccess AccessTo(const Principal& who, const projections::CaseView& v,
                    std::string_view purpose) {
  const CaseAccess widest = projections::WidestAccess(who.user, who.role, v);
  if (widest == CaseAccess::kBodies && who.role == "dpo" &&
      purpose != "subject_access")
    return CaseAccess::kMetadata;
  return widest;
}

bool MayList(const Principal& who, const projections::CaseView& v) {
  return projections::WidestAccess(who.user, who.role, v) != CaseAccess::kNone;
}

}  // namespace caseledger::app
