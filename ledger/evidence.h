// Evidence for one event (DESIGN §10, issue 6 item 4): the stored event, its
// RFC 9162 inclusion proof to a signed checkpoint of fixed size, that
// checkpoint (a C2SP signed note) and the node's note verifier key — small
// enough to attach to a legal opinion, checkable years later without the
// server and without any secret (`caseledger verify-evidence`,
// tools/verify_evidence.py). Format: docs/formats/evidence.md.
// Pure apart from MakeEvidence's read txn; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/note.h"
#include "ledger/bundle.h"
#include "ledger/canonical_json.h"
#include "ledger/log_store.h"

namespace caseledger::ledger {

// The evidence of event `seq` against the latest stored checkpoint (every
// event is covered by it) — or against `witnessed` (the newest checkpoint
// with the witness quorum, its cosignatures on the note) when it covers the
// event. InvalidArgument for a seq not in the log.
Result<Json> MakeEvidence(LogStore& store, const crypto::NoteVerifier& verifier,
                          std::uint64_t seq,
                          const std::optional<BundleCheckpoint>& witnessed = std::nullopt);
// The evidence of each of `seqs`, all against one checkpoint (`witnessed` if
// it covers them all, else the latest when called): a set that belongs
// together, e.g. the steps of one disclosure.
Result<std::vector<Json>> MakeEvidenceSet(
    LogStore& store, const crypto::NoteVerifier& verifier, std::span<const std::uint64_t> seqs,
    const std::optional<BundleCheckpoint>& witnessed = std::nullopt);

struct EvidenceReport {
  BundleVerdict verdict = BundleVerdict::kIncomplete;  // the bundle's codes
  std::string message;
  std::uint64_t seq = 0, tree_size = 0;
  std::string type;  // of the event, when it verified
};

// Verifies an evidence document: the checkpoint's signature under the
// verifier key (or `trusted_key`, which the document's key must equal:
// else kUnknownKey), the checkpoint's size and root against the proof, the
// event's canonical form and signature, its leaf hash and the inclusion
// proof. kIncomplete for a document that is not evidence at all.
EvidenceReport VerifyEvidence(std::string_view text,
                              const std::optional<std::string>& trusted_key);

// An evidence file of one or more documents, one per line (empty lines
// skipped), e.g. a disclosure's steps: a report per document, in order, and
// every document must be against the same checkpoint (a document against
// another is kTampered: the set no longer shows one state of the log). A
// file without any document gives one kIncomplete report.
std::vector<EvidenceReport> VerifyEvidenceSet(std::string_view text,
                                              const std::optional<std::string>& trusted_key);

}  // namespace caseledger::ledger
