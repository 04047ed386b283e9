// The JSON a reader gets of one event of a case: its clear envelope with the
// links between corrections and what they correct, and its body, decrypted
// or (once the subject's key is destroyed) the erasure marker. Shared by the
// case history and the subject-access export. Thread-safe.
#pragma once

#include <optional>

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/keystore.h"
#include "ledger/time.h"
#include "projections/projector.h"

namespace caseledger::app {

// seq, time, type, actor, role, h, and corrected_by / retracted_by / target
// where present.
Json HistoryEntryJson(const projections::HistoryEntry& e);

// The body of `e` (which has one) for a reader who may see it: decrypted; or
// {"erased": true, "erased_at", "note": "erased on <date>; …"} if its data
// key was destroyed (`erased`: the subject's erasure time, if known), never
// an error. Other failures as ledger::OpenBody.
Result<Json> ReadableBody(const ledger::Event& e, ledger::Keystore& keys,
                                  std::optional<ledger::Micros> erased);

}  // namespace caseledger::app
