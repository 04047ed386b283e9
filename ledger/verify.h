// Verification of a whole log (DESIGN §4, §10.1), needing no secret: only the
// node's note verifier key. Streams events in chunks, so memory does not grow
// with the log: each chunk's events are decoded, canonical-checked, hashed and
// signature-checked on all cores, then folded in order into the Merkle tree,
// checking every `seq`, `prev` and `time`, every stored Merkle node (ledger)
// and every checkpoint. Stops at the first problem and names its seq.
// Thread-safety: a StreamVerifier is used from one thread (it uses the pool).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/progress.h"
#include "base/result.h"
#include "base/worker_pool.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/log_store.h"
#include "ledger/merkle/compact_range.h"

namespace caseledger::ledger {

struct VerifyReport {
  bool ok = false;
  std::uint64_t events = 0;       // events that verified
  std::uint64_t checkpoints = 0;  // checkpoints that verified
  std::optional<std::uint64_t> first_bad_seq;
  std::string problem;  // empty when ok
  crypto::Digest root;  // root of the verified events
  std::uint64_t latest_checkpoint = 0;
};

// The order-dependent core shared by ledger and bundle verification.
class StreamVerifier {
 public:
  struct Entry {
    std::uint64_t key =
        0;  // where the line was found: LMDB key, or line number in a bundle
    std::string line;
  };
  // Called after each event is folded into the tree (size = its seq); return a
  // non-empty problem text to stop (e.g. a checkpoint or stored node mismatch).
  using OnNode =
      std::function<std::string(merkle::NodeId, const crypto::Digest&)>;
  using OnSize = std::function<std::string(const merkle::CompactRange&)>;

  StreamVerifier(const crypto::NoteVerifier& verifier, WorkerPool& pool)
      : verifier_(verifier), pool_(pool) {}

  // The order-independent checks of one event: canonical form, schema,
  // signature, leaf hash. Run on all cores by Check().
  struct Checked {
    Status status;
    std::uint64_t seq = 0;
    crypto::Digest leaf;
    crypto::Digest prev;
    std::int64_t time = 0;
  };
  std::vector<Checked> Check(const std::vector<Entry>& entries);
  // Folds checked events, in order, into the tree: seq continuity, prev,
  // time, stored nodes and checkpoints (callbacks). False once a problem is found.
  bool Fold(const std::vector<Entry>& entries, const std::vector<Checked>& checked,
            const OnNode& on_node, const OnSize& on_size);
  // Check + Fold of one chunk.
  bool Feed(const std::vector<Entry>& entries, const OnNode& on_node, const OnSize& on_size);

  // Verifies a whole stream: `next` fills the next chunk (empty at the end).
  // Chunk k+1 is read and checked on all cores while chunk k is folded on
  // another thread, so the sequential part does not leave cores idle. The
  // callbacks run on that folding thread. Returns `next`'s error, if any;
  // problems with the events are in report().
  Status Run(const std::function<Status(std::vector<Entry>&)>& next, const OnNode& on_node,
             const OnSize& on_size);

  // Continues after events already verified: the next event expected is
  // tree.size() + 1, its `prev` must be tree.Root(), its `time` not earlier
  // than `last_time` (microseconds, ledger/time.h). For a verifier that
  // extends a prefix it holds (a mirror, ledger/mirror.h). Call before the
  // first Feed/Run; the report then counts from tree.size().
  void Resume(merkle::CompactRange tree, std::int64_t last_time);

  const merkle::CompactRange& tree() const { return tree_; }
  VerifyReport& report() { return report_; }
  // Records a problem at `seq` (or none) and returns false.
  bool Fail(std::optional<std::uint64_t> seq, std::string problem);

 private:
  const crypto::NoteVerifier& verifier_;
  WorkerPool& pool_;
  merkle::CompactRange tree_;
  std::int64_t last_time_ = 0;
  VerifyReport report_;
};

struct VerifyOptions {
  unsigned threads = 0;  // 0 = all cores
  std::size_t chunk = 4096;
  // A verifier key obtained independently (e.g. from a published checkpoint).
  // When set it is used instead of <dir>/ledger.pub, so a data directory whose
  // key file was replaced together with re-signed events does not verify.
  std::optional<std::string> trusted_key;
  // Set: called per chunk read with the events read so far and the log's
  // size (VerifyLedger and VerifyLogStore; base/progress.h).
  ProgressFn progress;
};

// Verifies the ledger in data directory `dir` with the verifier key in
// <dir>/ledger.pub (or options.trusted_key). The report says ok or the first
// problem; the Result is an error only if verification could not be run at all
// (no ledger, no key).
Result<VerifyReport> VerifyLedger(const std::string& dir,
                                  const VerifyOptions& options = {});

// VerifyLedger of a log store that is already open (the server's own, for
// the compliance audit), with the verifier key given. The store's read txns
// are held for the whole run.
Result<VerifyReport> VerifyLogStore(LogStore& store, const crypto::NoteVerifier& verifier,
                                    const VerifyOptions& options = {});
// Reads and parses <dir>/ledger.pub.
Result<crypto::NoteVerifier> ReadVerifierFile(const std::string& path);

}  // namespace caseledger::ledger
