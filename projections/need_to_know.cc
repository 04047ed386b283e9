#include "projections/need_to_know.h"

#include <algorithm>

namespace caseledger::projections {

namespace {

bool Assigned(std::string_view user, const CaseView& v) {
  if (std::find(v.assignees.begin(), v.assignees.end(), user) != v.assignees.end())
    return true;
  // The caseworker who opened the case keeps it until someone is assigned.
  return v.assignees.empty() && v.opened_actor == user;
}

}  // namespace

bool HasDisclosureUnderReview(const CaseView& v) {
  for (const auto& d : v.disclosures)
    if (d.status != "rejected" && d.reviews.empty()) return true;
  return false;
}

CaseAccess WidestAccess(std::string_view user, std::string_view role,
                        const CaseView& v) {
  if (role == "coordinator") return CaseAccess::kBodies;
  if (role == "dpo") return CaseAccess::kBodies;  // narrowed by purpose
  if (v.Outcome() == "unfounded") return CaseAccess::kNone;  // ROL-14
  if (role == "caseworker")
    return Assigned(user, v) ? CaseAccess::kBodies : CaseAccess::kNone;
  if (role == "legal_reviewer")
    return HasDisclosureUnderReview(v) ? CaseAccess::kBodies : CaseAccess::kNone;
  if (role == "auditor") return CaseAccess::kMetadata;
  return CaseAccess::kNone;
}

bool MayWriteCase(std::string_view user, std::string_view role, const CaseView& v) {
  if (role == "auditor") return false;
  return WidestAccess(user, role, v) != CaseAccess::kNone;
}

}  // namespace caseledger::projections
