// LogStore: the ledger's LMDB environment (<dir>/ledger/) and its named DBs:
//   events       8-byte big-endian seq -> stored canonical event line
//   nodes        last leaf covered (8-byte BE) ‖ level (1 byte)
//                -> 32-byte perfect-subtree hash
//   checkpoints  8-byte BE tree size -> signed checkpoint note
//   meta         text key -> value ("origin", "format"; "probe" only while
//                the writer probes after a storage failure)
// Invariant (kept by the Writer and TruncateLog): after every commit the
// events are 1..n with no gap, every completed perfect subtree of [0, n) is
// in nodes and no other node, the checkpoint of size n is present (for n > 0:
// an empty log has no checkpoint) and no checkpoint of a size past n.
// Thread-safety: as lmdb::Env. Format: docs/formats/storage.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ledger/lmdb/env.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/proof.h"
#include "ledger/tables.h"

namespace caseledger::ledger {

inline constexpr std::string_view kLedgerFormat = "caseledger-ledger-v1";

std::array<std::uint8_t, 9> NodeKey(merkle::NodeId id);

class LogStore {
 public:
  // Opens <dir>/ledger (the data directory `dir`). With create, creates the
  // DBs and records `origin`. NotFound if absent and not created.
  static Result<std::unique_ptr<LogStore>> Open(const std::string& data_dir,
                                                bool read_only,
                                                bool create = false,
                                                const std::string& origin = "",
                                                bool no_sync = false);

  // ledger/ internals (the writer, verify, the keystore's neighbours).
  lmdb::Env& env() { return *env_; }
  // The environment's tables (the log's and the projections'), for the
  // layers above ledger/.
  Tables& tables() { return *tables_; }
  // A consistent snapshot of the log and every table beside it.
  Result<Snapshot> Read() const { return tables_->Read(); }
  // Flushes to disk (only needed when opened no_sync: benchmarks).
  Status Sync() { return env_->Sync(); }
  // Fault injection for tests (lmdb::Env::InjectCommitFailures): the next
  // `commits` commits fail with errno `rc`. Never called outside tests.
  void InjectCommitFailures(int rc, int commits) { env_->InjectCommitFailures(rc, commits); }
  lmdb::Dbi events() const { return events_; }
  lmdb::Dbi nodes() const { return nodes_; }
  lmdb::Dbi checkpoints() const { return checkpoints_; }
  lmdb::Dbi meta() const { return meta_; }
  const std::string& origin() const { return origin_; }

  // The writer's probe after a storage failure: Env::ProbeWrite of `bytes`
  // under meta "probe" (absent again once the probe succeeds).
  Status ProbeWrite(std::size_t bytes) { return env_->ProbeWrite(meta_, "probe", bytes); }

 private:
  LogStore() = default;
  std::unique_ptr<lmdb::Env> env_;
  std::unique_ptr<Tables> tables_;
  lmdb::Dbi events_ = 0, nodes_ = 0, checkpoints_ = 0, meta_ = 0;
  std::string origin_;
};

// The number of events (the highest seq) visible in `txn`.
Result<std::uint64_t> TreeSize(const lmdb::ReadTxn& txn, const LogStore& store);
// The stored line of event `seq` (copied), or NotFound.
Result<std::string> ReadEventLine(const lmdb::ReadTxn& txn,
                                  const LogStore& store, std::uint64_t seq);
// The latest stored checkpoint note (copied) and its size, or NotFound if none.
Result<std::pair<std::uint64_t, std::string>> LatestCheckpoint(
    const lmdb::ReadTxn& txn, const LogStore& store);
// The checkpoint stored for exactly `size`, or NotFound.
Result<std::string> CheckpointAt(const lmdb::ReadTxn& txn,
                                 const LogStore& store, std::uint64_t size);
// The compact range of [0, size) from stored nodes.
Result<merkle::CompactRange> LoadCompactRange(const lmdb::ReadTxn& txn,
                                              const LogStore& store,
                                              std::uint64_t size);

// The same reads in a Snapshot (LogStore::Read), for the layers above.
Result<std::uint64_t> TreeSize(const Snapshot& snap, const LogStore& store);
Result<std::string> ReadEventLine(const Snapshot& snap, const LogStore& store,
                                  std::uint64_t seq);
Result<std::pair<std::uint64_t, std::string>> LatestCheckpoint(
    const Snapshot& snap, const LogStore& store);
// The stored checkpoint of the largest size in (after, at_most], or NotFound
// if none (checkpoints are stored per batch: a replica catching up in chunks
// ends each chunk at one).
Result<std::pair<std::uint64_t, std::string>> CheckpointInRange(const Snapshot& snap,
                                                                const LogStore& store,
                                                                std::uint64_t after,
                                                                std::uint64_t at_most);
Result<merkle::CompactRange> LoadCompactRange(const Snapshot& snap,
                                              const LogStore& store,
                                              std::uint64_t size);

// Visits the stored event lines with seq >= `first_seq` in seq order, until
// `fn` returns false or an error, or the log in `snap` ends. A gap in the
// seqs is the caller's to notice (verify names it; a replay refuses it). The
// line is valid during the call only.
Status ForEachEventLine(
    const Snapshot& snap, const LogStore& store, std::uint64_t first_seq,
    const std::function<Result<bool>(std::uint64_t seq, std::string_view line)>& fn);

// What TruncateLog removed: the dropped events' stored lines (seq keep+1 ..
// old size, in order), for the operator's report.
struct Truncation {
  std::uint64_t old_size = 0, new_size = 0;
  std::vector<std::string> dropped;
};

// Signs the checkpoint of a tree of `size` leaves with root `root`: returns
// the signed note text (e.g. SignCheckpoint with the node key, checkpoint.h).
using CheckpointSigner =
    std::function<Result<std::string>(std::uint64_t size, const crypto::Digest& root)>;

// Drops an unacknowledged tail (a deposed leader or a follower rejoining a
// cluster): removes events keep+1 .. size from `store` in one write
// transaction: the events, every stored perfect-subtree node that covers a
// leaf past `keep` (0-based leaf >= keep), and every checkpoint of a size past
// `keep`; then, if keep > 0 and the checkpoint of size `keep` is not stored,
// stores `sign_checkpoint(keep, root of [0, keep))`. So the invariant above
// holds again for size keep; keep == 0 leaves the log as `init` made it (no
// events, nodes or checkpoints; sign_checkpoint is not called). meta and
// every other table of the environment (the projections) are left alone:
// the caller rebuilds them (projections::Rebuild). sign_checkpoint runs
// inside the write transaction, and runs again if the map had to grow.
// Durable (fsync'd, even when opened no_sync) when it returns.
// Returns what was dropped. InvalidArgument if keep > size (nothing
// changes); keep == size changes nothing and drops nothing. sign_checkpoint's
// error, or a storage error, aborts the transaction (nothing changes).
// Precondition: no Writer runs on `store` (its tree would be stale; start a
// new one afterwards) and the process owns the data dir (DirLock).
Result<Truncation> TruncateLog(LogStore& store, std::uint64_t keep,
                               const CheckpointSigner& sign_checkpoint);

// Stored perfect-subtree hashes, read within one txn.
class TxnNodeSource : public merkle::NodeSource {
 public:
  TxnNodeSource(const lmdb::ReadTxn& txn, const LogStore& store)
      : txn_(txn), store_(store) {}
  TxnNodeSource(const Snapshot& snap, const LogStore& store);
  Result<crypto::Digest> GetNode(merkle::NodeId id) override;

 private:
  const lmdb::ReadTxn& txn_;
  const LogStore& store_;
};

}  // namespace caseledger::ledger
