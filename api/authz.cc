#include "api/authz.h"

#include <algorithm>

namespace caseledger::api {

namespace {

bool Assigned(const Principal& who, const projections::CaseView& v) {
  if (std::find(v.assignees.begin(), v.assignees.end(), who.user) !=
      v.assignees.end())
    return true;
  // The caseworker who opened the case keeps it until someone is assigned.
  return v.assignees.empty() && v.opened_actor == who.user;
}

// The widest access of the role to the case, whatever the purpose.
CaseAccess Widest(const Principal& who, const projections::CaseView& v) {
  const bool unfounded = v.Outcome() == "unfounded";
  if (who.role == "coordinator") return CaseAccess::kBodies;
  if (who.role == "dpo") return CaseAccess::kBodies;  // narrowed by purpose
  if (unfounded) return CaseAccess::kNone;            // ROL-14
  if (who.role == "caseworker")
    return Assigned(who, v) ? CaseAccess::kBodies : CaseAccess::kNone;
  if (who.role == "legal_reviewer")
    return HasDisclosureUnderReview(v) ? CaseAccess::kBodies
                                       : CaseAccess::kNone;
  if (who.role == "auditor") return CaseAccess::kMetadata;
  return CaseAccess::kNone;
}

}  // namespace

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

bool HasDisclosureUnderReview(const projections::CaseView& v) {
  for (const auto& d : v.disclosures)
    if (d.status != "rejected" && d.reviews.empty()) return true;
  return false;
}

CaseAccess AccessTo(const Principal& who, const projections::CaseView& v,
                    std::string_view purpose) {
  const CaseAccess widest = Widest(who, v);
  if (widest == CaseAccess::kBodies && who.role == "dpo" &&
      purpose != "subject_access")
    return CaseAccess::kMetadata;
  return widest;
}

bool MayWrite(const Principal& who, const projections::CaseView& v) {
  if (who.role == "auditor") return false;
  return Widest(who, v) != CaseAccess::kNone;
}

bool MayList(const Principal& who, const projections::CaseView& v) {
  return Widest(who, v) != CaseAccess::kNone;
}

}  // namespace caseledger::api
