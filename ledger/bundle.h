// Audit bundles (DESIGN §10.1): a folder with events.jsonl (the stored lines
// 1..n), checkpoint.txt (a signed checkpoint of size <= n) and verifier.txt
// (the note verifier key), verifiable offline without any secret.
// Format: docs/formats/bundle.md. Thread-safety: free functions, no shared
// state.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/progress.h"
#include "base/result.h"
#include "ledger/verify.h"

namespace caseledger::ledger {
class LogStore;
}  // namespace caseledger::ledger

namespace caseledger::ledger {

struct ExportResult {
  std::uint64_t events = 0;
  std::uint64_t checkpoint_size = 0;
  std::size_t cosignatures = 0;  // witness lines on checkpoint.txt
  std::uint64_t log_size = 0;    // events in the log when exported
};

// The checkpoint a bundle is cut at: its size and its whole note (the log's
// signature and any witness cosignature lines). The bundle then holds events
// 1..size exactly.
struct BundleCheckpoint {
  std::uint64_t size = 0;
  std::string note;
};

// The checkpoint a bundle of the data dir should carry: the newest one that
// reached the node's witness quorum (<data_dir>/cosignatures,
// docs/witnessing.md) with its cosignatures; nullopt when the node has no
// witnessed checkpoint (then the latest checkpoint is used, unwitnessed).
Result<std::optional<BundleCheckpoint>> WitnessedBundleCheckpoint(const std::string& data_dir);

// Writes the bundle of the ledger in `data_dir` to `out_dir` (created; must
// not exist or be empty) from one consistent snapshot. The checkpoint is the
// newest witnessed one (WitnessedBundleCheckpoint) unless `latest` or there is
// none: then the latest one. AlreadyExists if out_dir is not empty.
// `progress` as WriteBundle's.
Result<ExportResult> ExportBundle(const std::string& data_dir,
                                  const std::string& out_dir, bool latest = false,
                                  const ProgressFn& progress = {});

// The bundle's files from one consistent snapshot of `store` (what
// ExportBundle writes), handed to `sink` in order: events.jsonl (one call per
// line, its `\n` included), checkpoint.txt, verifier.txt (`verifier_line`
// and `\n`). With `at`: events 1..at->size and at->note (Corruption unless
// the log's own note of that size is at->note's first part: its text and
// signature lines); else every event and the latest note. A sink's error
// stops the export and is returned; NotFound if the log has no checkpoint
// yet. The views are valid only during the call. `progress`, if set, is
// called every few thousand events with the events written and the events
// the bundle holds (base/progress.h).
using BundleSink = std::function<Status(std::string_view file, std::string_view bytes)>;
Result<ExportResult> WriteBundle(LogStore& store, std::string_view verifier_line,
                                 const BundleSink& sink,
                                 const std::optional<BundleCheckpoint>& at = std::nullopt,
                                 const ProgressFn& progress = {});

// Outcomes of bundle verification; their numeric values are the exit codes of
// `caseledger verify-bundle` (documented in docs/formats/bundle.md).
enum class BundleVerdict {
  kVerified = 0,
  kTampered = 1,    // a line, signature, prev or the checkpoint does not verify
  kIncomplete = 2,  // a file is missing, fewer events than the checkpoint, a
                    // truncated line
  kUnknownKey = 3,  // the checkpoint is not signed by the verifier key (or not
                    // by the trusted key)
};

struct BundleReport {
  BundleVerdict verdict = BundleVerdict::kIncomplete;
  std::string message;
  VerifyReport details;
  std::uint64_t checkpoint_size = 0;
};

// Verifies the bundle in `dir`. If `trusted_key` (a verifier key string) is
// given, verifier.txt must equal it, else the verdict is kUnknownKey.
BundleReport VerifyBundle(const std::string& dir,
                          const std::optional<std::string>& trusted_key,
                          const VerifyOptions& options = {});

}  // namespace caseledger::ledger
