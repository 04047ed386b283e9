#include "app/erasure.h"

#include "base/ids.h"

namespace caseledger::app {

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
  CL_ASSIGN_OR_RETURN(std::optional<std::string> kid, keys.ErasureKid(subject));
  if (!kid) return NotFound("subject: no such subject");
  ledger::Command c;
  c.type = "subject.erased";
  c.actor = actor;
  c.role = role;
  c.subject = subject;
  c.h = Json{{"reason", reason}, {"kid", *kid}};
  return c;
}

}  // namespace caseledger::app
