#include "api/erasure.h"

#include "base/ids.h"

namespace caseledger::api {

bool IsErasureReason(const std::string& reason) {
  return reason == "retention" || reason == "unfounded" || reason == "gdpr_art17";
}

Result<ledger::Command> ErasureCommand(ledger::Keystore& keys, const std::string& actor,
                                       const std::string& role, const std::string& subject,
                                       const std::string& reason) {
  if (!ValidateId(subject, "s", "subject").ok())
    return InvalidArgument("subject: not a subject id (s-…)");
  if (!IsErasureReason(reason))
    return InvalidArgument("reason: one of retention, unfounded, gdpr_art17");
  std::string kid;
  auto live = keys.KidOf(subject);
  if (live.ok()) {
    kid = *live;
  } else if (live.status().code() == StatusCode::kNotFound) {
    CL_ASSIGN_OR_RETURN(auto gone, keys.DestroyedKid(subject));
    if (!gone) return NotFound("subject: no such subject");
    kid = *gone;
  } else {
    return live.status();
  }
  ledger::Command c;
  c.type = "subject.erased";
  c.actor = actor;
  c.role = role;
  c.subject = subject;
  c.h = ledger::Json{{"reason", reason}, {"kid", kid}};
  return c;
}

}  // namespace caseledger::api
