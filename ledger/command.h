// Command: a request to append one event, before the writer assigns seq,
// time, prev and the signature and encrypts the body. The same type serves
// `caseledger import`, the demo and (later) the HTTP API, so every write takes
// one path. Pure; thread-safe.
// Import line format: docs/formats/import.md.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/time.h"

namespace caseledger::ledger {

struct Command {
  std::string type;
  std::string actor;  // user id "u-…"
  std::string role;   // caseworker, coordinator, legal_reviewer, auditor, dpo
  std::optional<std::string> case_id;  // "c-…"
  std::optional<std::string> subject;  // "s-…"
  Json h = Json::object();             // clear header: pseudonymous codes only
  std::optional<Json> body;    // personal data; encrypted before storing
  std::optional<Micros> time;  // only for imports of past history
  // Written by the server itself (access records, refusal records). Never
  // set from input: ParseCommandJson and the API leave it false, and the
  // policy engine refuses server-only types unless it is set.
  bool from_server = false;
  // Opaque to ledger/: what the writer's hook needs to know about where the
  // command comes from (for the domain, a projections::CommandOrigin set by
  // the API and the importers; projections/policy.h). Never set from input;
  // the writer hands it to the hook untouched.
  std::any hook_context;

  // The owner of the body's data key: the subject if any, else the actor
  // (a body about no subject is encrypted under a per-user key).
  const std::string& KeyOwner() const { return subject ? *subject : actor; }
};

// Checks a command's shape: type syntax, ids, role, canonical h/body. Does
// not check time (the writer does, against the log) nor domain rules (the
// policy engine does). InvalidArgument naming the field.
Status ValidateCommand(const Command& c);

// ValidateCommand, and the canonical text of h and of the body (empty
// without one) made in the same walk over each that checks it — what the
// writer stores. The same refusals as ValidateCommand.
struct CanonicalCommand {
  std::string h;
  std::string body;
};
Result<CanonicalCommand> ValidateAndEncode(const Command& c);

// Parses one import line: a JSON object with exactly the fields
// type, actor, role, h (required), case, subject, body, time (optional; case
// and subject may be null). Unknown fields, wrong types, duplicates, floats,
// over-limit sizes are refused with InvalidArgument naming the problem (never
// echoing personal data).
Result<Command> ParseCommandJson(std::string_view line,
                                 const JsonLimits& limits = {});

}  // namespace caseledger::ledger
