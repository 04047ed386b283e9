// Command: a request to append one event, before the writer assigns seq,
// time, prev and the signature and encrypts the body. The same type serves
// `caseledger import`, the demo and (later) the HTTP API, so every write takes
// one path. Pure; thread-safe.
// Import line format: docs/formats/import.md.
#pragma once

#include <array>
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
  // Set by the API for a caller's own write to an existing case: the policy
  // engine then refuses it (PermissionDenied, nothing appended) unless the
  // actor may write to the case under need to know (ROL-12,
  // projections/need_to_know.h), decided on the state the event would be
  // appended to. Imports and the demo replay history and leave it false.
  bool enforce_need_to_know = false;
  // Set only by `caseledger import --legacy` (and the demo's migrated
  // history), never from an import line or the API: the command records a
  // disclosure step that already happened in the case system caseledger
  // replaces. With `h.legacy_ref` set, the policy engine then stores a
  // disclosure step that breaks a disclosure rule instead of refusing it, so
  // that the history is kept as it happened and the disclosure register
  // (projections/disclosure_register.h) reports it. Without this flag a
  // `legacy_ref` is refused.
  bool legacy_import = false;
  // Set by the write hook, never from input: the identity index key of the
  // person this command identifies (the keyed hash of the CPR number in a new
  // subject's body, Keystore::LookupKeyOf). The writer indexes it under the
  // key owner in the transaction that stores the owner's data key.
  std::optional<std::array<std::uint8_t, 32>> lookup_key;

  // The owner of the body's data key: the subject if any, else the actor
  // (a body about no subject is encrypted under a per-user key).
  const std::string& KeyOwner() const { return subject ? *subject : actor; }
};

// Checks a command's shape: type syntax, ids, role, canonical h/body. Does
// not check time (the writer does, against the log) nor domain rules (the
// policy engine does). InvalidArgument naming the field.
Status ValidateCommand(const Command& c);

// Parses one import line: a JSON object with exactly the fields
// type, actor, role, h (required), case, subject, body, time (optional; case
// and subject may be null). Unknown fields, wrong types, duplicates, floats,
// over-limit sizes are refused with InvalidArgument naming the problem (never
// echoing personal data).
Result<Command> ParseCommandJson(std::string_view line,
                                 const JsonLimits& limits = {});

}  // namespace caseledger::ledger
