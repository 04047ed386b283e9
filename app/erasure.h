// Erasure of a subject (DESIGN §7.2, ROL-16): the `subject.erased` command
// shared by `POST /v1/subjects/{id}/erase` and `caseledger erase`. The policy
// engine decides it inside the writer (role dpo, the subject exists and is
// not erased yet, no legal hold on any of its cases); once it is durable the
// projector destroys the subject's data key, before the write is
// acknowledged. What stays is the pseudonymous residue of clear headers;
// erasure is made final on disk by `caseledger keys rotate`.
#pragma once

#include <string>

#include "base/result.h"
#include "ledger/command.h"
#include "ledger/keystore.h"

namespace caseledger::app {

// True for the erasure reasons of the catalogue: retention, unfounded,
// gdpr_art17.
bool IsErasureReason(const std::string& reason);

// The subject.erased command for `subject` by `actor` (role `role`), naming
// the data key it destroys. InvalidArgument for a malformed subject id or
// reason; NotFound if the subject has no data key (no such subject). A
// subject erased already still gets its command (with the destroyed kid), so
// that the policy engine answers it (ROL-16: erasure is final).
Result<ledger::Command> ErasureCommand(ledger::Keystore& keys, const std::string& actor,
                                       const std::string& role, const std::string& subject,
                                       const std::string& reason);

}  // namespace caseledger::app
