// The compliance audit (DESIGN §10; `caseledger audit`, GET /v1/audit): what
// an auditor needs to judge the integrity and lawfulness of the processing,
// without reading case content. It reads only clear headers, projections and
// the keystore's erasure records — never a body, never a data key.
//   integrity   a full verify of the log (first bad seq and what is wrong),
//               the latest checkpoint, and consistency with the checkpoint of
//               the previous audit (its size and root, if given)
//   flags       the per-case flags of DESIGN §5.2 (projections/flags.h) with
//               the cases concerned, by pseudonymous case id; FLAG-RETENTION
//               from the retention plan; FLAG-ACCESS from the access records
//               (projections/access_flags.h)
//   refusals    policy.refused records by rule and by user
//   headers     the stored clear headers today's schema refuses (a log
//               written by an older build), by type and seq, and the
//               corrections that would break a rule needing no state —
//               seqs only, never a value of a header
//   erasures    done, made final on disk, and pending (not final until
//               `caseledger keys rotate`); any erased subject whose key is
//               still live (a broken erasure)
//   retention   due now, held by a legal hold, due within 30 days
//   response    the 24-hour response rate (goal: every concern)
// The audit completes even when the log does not verify: integrity says so,
// and the other sections are computed from what is stored.
// JSON shape: docs/audit.md. Thread-safety: BuildAudit takes its own read
// txns and may run beside the writer.
#pragma once

#include <optional>
#include <string>

#include "app/witnessing.h"
#include "base/progress.h"
#include "base/result.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/canonical_json.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "ledger/time.h"
#include "projections/projector.h"

namespace caseledger::app {

struct AuditOptions {
  ledger::Micros now = 0;
  // The checkpoint the previous audit saw: this audit proves the log still
  // extends it (same root at that size).
  struct Previous {
    std::uint64_t size = 0;
    crypto::Digest root;
  };
  std::optional<Previous> previous;
  unsigned threads = 0;  // for the verify; 0 = all cores
  // Set: the verify's progress (ledger::VerifyOptions::progress).
  ProgressFn progress;
  // The node's witnesses (docs/witnessing.md): integrity.witnessing reports
  // the newest checkpoint with a quorum and raises FLAG-WITNESS when the log
  // has gone without one for longer than the configured alarm.
  std::optional<WitnessConfig> witnessing;
  const ledger::CosignatureStore* cosignatures = nullptr;  // may be null
};

// `erasures`: Keystore::Erasures (the server) or Keystore::ReadErasures (the
// CLI, needing no master key).
Result<Json> BuildAudit(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
                                const ledger::Keystore::ErasureRecords& erasures,
                                const projections::ProjectionDbs& dbs,
                                const AuditOptions& options);

// The previous audit's checkpoint from its signed note (the text of GET
// /v1/log/checkpoint, or `integrity.latest_checkpoint.note` of an audit):
// the signature must verify under `verifier`.
Result<AuditOptions::Previous> PreviousFromNote(std::string_view note,
                                                const crypto::NoteVerifier& verifier);

}  // namespace caseledger::app
