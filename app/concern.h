// Reporting a concern (DESIGN §5.2): the concern.reported command that opens
// a case — about a new person (no subject, and h.new_subject true: a new
// pseudonym is made) or about a known subject. One use case for POST
// /v1/cases and the workspace's concern form; the policy engine in the
// writer decides (ROL-1: behaviour, never belief alone), and a refusal is
// stored as its record only. Pure, except for the new random ids.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/authz.h"
#include "base/json.h"
#include "base/result.h"
#include "ledger/writer.h"

namespace caseledger::app {

// The command, with a new case id (and subject id for a new person).
// InvalidArgument if `subject` is absent without h.new_subject true, or is
// not a subject id.
Result<ledger::Command> ConcernCommand(const Principal& who,
                                       const std::optional<std::string>& subject, Json h,
                                       Json body);

// Submits `cmd` and waits until it is durable, at most `timeout`.
// Unavailable if it was not confirmed in time (it may still land, but it was
// not acknowledged); otherwise the writer's answer (a refusal included).
Result<ledger::Appended> AppendAndWait(ledger::Writer& writer, ledger::Command cmd,
                                       std::chrono::milliseconds timeout);

}  // namespace caseledger::app
