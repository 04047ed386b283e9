// The evidence of one disclosure (docs/formats/evidence.md): every step of it
// (projections::DisclosureSteps: the request, its approvals and rejections,
// makings, legal reviews, and the corrections and retractions of any of
// them), each as a stored event with its inclusion proof, all against one
// signed checkpoint, one canonical JSON document per line. The file of
// `caseledger evidence --disclosure SEQ` and of the workspace's download
// (docs/web.md, "One disclosure"): one use case, so both give the same file.
// Bodies stay ciphertext; nothing here decrypts. Thread-safety: as the log
// store (any thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "ledger/bundle.h"
#include "ledger/cosignature_store.h"
#include "crypto/note.h"
#include "ledger/log_store.h"
#include "projections/case_state.h"

namespace caseledger::app {

// The case of the disclosure request `request` (read from the log):
// NotFound if no event has that seq, InvalidArgument if it is not a
// `disclosure.requested` of a case.
Result<std::string> DisclosureCaseOf(ledger::LogStore& store, std::uint64_t request);

struct DisclosureEvidence {
  std::vector<std::uint64_t> steps;  // the seqs, ascending
  std::string text;  // one canonical JSON document per line, each ending in "\n"
};

// The evidence of disclosure `request` of the case `view` (its state now),
// against the newest witnessed checkpoint when it covers every step (see
// ledger::MakeEvidenceSet), else the latest one. NotFound if `request` is no
// disclosure request of the case; the log's errors otherwise.
Result<DisclosureEvidence> MakeDisclosureEvidence(
    ledger::LogStore& store, const crypto::NoteVerifier& verifier,
    const projections::CaseView& view, std::uint64_t request,
    const std::optional<ledger::BundleCheckpoint>& witnessed = std::nullopt);

// The newest checkpoint that reached the node's witness quorum with its
// cosignatures (docs/witnessing.md), or nullopt: none, or no store given.
Result<std::optional<ledger::BundleCheckpoint>> WitnessedCheckpoint(
    const ledger::CosignatureStore* cosignatures);

}  // namespace caseledger::app
