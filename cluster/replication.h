// Verified log shipping between a cluster's leader and its followers
// (issue 19; docs/cluster-election.md, "Replication"). The leader's writer
// calls Shipper::Replicate after each batch is durable on the leader and
// before any of it is acknowledged (ledger::Writer::Options::replicate); the
// Shipper sends the batch to every follower, waits until `min_acks` of them
// hold it, records the new acknowledged head in etcd with a fenced write
// (one transaction that holds only while this node's term and lease do),
// and only then lets the writer acknowledge. A follower stores a batch only
// if etcd names its sender as the leader of the batch's term, and only
// after every event verified (ledger::AppendVerified: signature, canonical
// form, prev, the Merkle root against the signed checkpoint), byte for byte.
//
// The data keys of the owners a batch names travel with it (sealed under a
// subkey of the master key every node holds: ledger::Keystore::ExportKeys),
// so a follower can decrypt what it holds after a failover; a follower
// destroys the key of every subject.erased it stores. The transport is a
// function (cluster/node.h sends batches over HTTP), so tests run leader and
// followers in one process.
// Thread-safety: Follower::Apply and Shipper::Replicate may be called from
// any thread; each serialises its own calls.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/worker_pool.h"
#include "cluster/election.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"

namespace caseledger::cluster {

// Status::reason() of a refused batch whose term is not the current leader's
// (a deposed leader, or a stale message).
inline constexpr std::string_view kStaleTermReason = "CLUSTER-STALE-TERM";

// One batch as the leader ships it: events first_seq .. first_seq +
// lines.size() - 1, exactly as stored, and the signed checkpoint of the
// last one.
struct ShippedBatch {
  std::string leader;  // the sender's node id
  std::int64_t term = 0;
  std::uint64_t first_seq = 0;
  std::vector<std::string> lines;
  std::string checkpoint;
  // The live data keys of the owners of the batch's encrypted bodies.
  std::vector<ledger::Keystore::KeyExport> keys;
};

// The acknowledged head the leader records in etcd (P/acked) with each
// acknowledged batch: the log's size and root there, as "<size> <root hex>".
// A node may become leader only if it holds it (HoldsAcked).
struct AckedHead {
  std::uint64_t size = 0;
  crypto::Digest root;
};
std::string FormatAckedHead(const AckedHead& head);
// Corruption if `text` is not what FormatAckedHead writes.
Result<AckedHead> ParseAckedHead(std::string_view text);
// The head of `store` at `size` (its root from the stored tree).
// NotFound if the log is shorter.
Result<AckedHead> HeadAt(const ledger::LogStore& store, std::uint64_t size);
// Whether `store` holds every acknowledged event: its size is at least
// head.size and its root at head.size is head.root.
Result<bool> HoldsAcked(const ledger::LogStore& store, const AckedHead& head);

// The wire form of a batch, as the HTTP transport sends it: canonical JSON
// {"checkpoint":…,"first_seq":N,"keys":[{"kid":…,"lookup":hex?,"owner":…,
// "sealed":base64}…],"leader":…,"lines":[…],"term":T}.
std::string EncodeBatch(const ShippedBatch& batch);
// The largest encoded batch DecodeBatch accepts, and the largest line in it.
inline constexpr std::size_t kMaxBatchBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxLineBytes = std::size_t{8} << 20;
// Parses an encoded batch (untrusted: size, depth and string limits as
// above, duplicate keys refused). InvalidArgument naming what is wrong: a
// missing, unknown or mistyped member, a term or first seq below 1, no
// lines, a first seq + line count past 2^53.
Result<ShippedBatch> DecodeBatch(std::string_view text);

class Follower {
 public:
  // `store`: the follower's log (same origin and key as the leader's);
  // `keys`: its keystore (null: keys shipped are ignored; tests);
  // `election`: this node's view of the election (only Observe is used).
  Follower(ledger::LogStore& store, ledger::Keystore* keys, crypto::NoteVerifier verifier,
           Election& election);

  // Applies `batch` and returns the size this follower then holds. Refused
  // (FailedPrecondition, reason kStaleTermReason) unless etcd names
  // batch.leader as the leader of batch.term and no larger term was seen.
  // A batch that starts past the held size + 1 is not stored: the returned
  // size tells the leader what to send. Events already held must be the
  // same bytes (else Corruption with ledger::kForkReason, and `*fork_at`,
  // if given, is the first seq that differs: if it is batch.first_seq, or
  // the first new event does not follow the held ones, the fork may lie
  // earlier and the leader resends from further back); the rest are stored by
  // ledger::AppendVerified (its errors). The batch's keys are imported
  // first (an event is never held without its key), and the key of every
  // subject.erased stored is destroyed before this returns. Unavailable
  // when etcd cannot be asked.
  Result<std::uint64_t> Apply(const ShippedBatch& batch, std::uint64_t* fork_at = nullptr);

 private:
  ledger::LogStore& store_;
  ledger::Keystore* const keys_;
  const crypto::NoteVerifier verifier_;
  Election& election_;
  WorkerPool pool_;
  std::mutex mu_;
  std::int64_t highest_term_ = 0;
};

// How the leader reaches one follower: sends a batch, returns the size the
// follower holds after it (or its refusal).
using FollowerTransport = std::function<Result<std::uint64_t>(const ShippedBatch&)>;

struct ShipperOptions {
  // Followers that must hold a batch before it is acknowledged.
  std::size_t min_acks = 1;
  // How long Replicate waits for them.
  std::chrono::milliseconds timeout{5000};
  // Largest catch-up a follower is sent in one request (events); a follower
  // further behind is caught up over several batches.
  std::uint64_t max_catch_up = 4096;
  // The keys shipped with `lines` (ledger::Keystore::ExportKeys of the
  // owners of their bodies: KeysForLines). Unset: none (tests).
  std::function<Result<std::vector<ledger::Keystore::KeyExport>>(
      const std::vector<std::string>& lines)>
      keys_for;
};

// The live keys of the owners of the encrypted bodies in `lines`.
Result<std::vector<ledger::Keystore::KeyExport>> KeysForLines(
    ledger::Keystore& keys, const std::vector<std::string>& lines);

class Shipper {
 public:
  // `store`: the leader's log (read for followers that are behind);
  // `election`: this node's, elected; `node_id`: this node's id.
  Shipper(ledger::LogStore& store, Election& election, std::string node_id,
          std::vector<FollowerTransport> followers, ShipperOptions options);
  // Waits for the requests still in flight.
  ~Shipper();
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  // ledger::Writer::Options::replicate: OK once min_acks followers hold
  // events up to the batch's end and the fenced write of the acknowledged
  // head succeeded. Unavailable if this node is not (or no longer) leader,
  // too few followers answered in time, or etcd refused the fenced write.
  Status Replicate(std::uint64_t first_seq, const std::vector<std::string>& lines,
                   const std::string& checkpoint);

  // The highest size acknowledged through this shipper.
  std::uint64_t acknowledged() const { return acknowledged_.load(); }

  // Brings every follower that is known to hold less than the leader's log
  // (one that was down, or just started) up to it without waiting for the
  // next write: sends it the last stored event, which catches it up
  // (ShipTo). Call it with no batch in flight from the same thread; the
  // leader calls it about once a second. Acknowledges nothing.
  void Heartbeat();

 private:
  // Sends `batch` to follower `i`, catching it up first if it is behind.
  // Returns the size it holds (and notes it in held_).
  Result<std::uint64_t> ShipTo(std::size_t i, const ShippedBatch& batch);
  Result<std::uint64_t> ShipToOnce(std::size_t i, const ShippedBatch& batch);

  ledger::LogStore& store_;
  Election& election_;
  const std::string node_id_;
  const std::vector<FollowerTransport> followers_;
  const ShipperOptions options_;
  std::atomic<std::uint64_t> acknowledged_{0};
  // What each follower last said it holds (0: not known yet).
  std::unique_ptr<std::atomic<std::uint64_t>[]> held_;
  struct Flight {  // requests still running in their threads
    std::mutex mu;
    std::condition_variable cv;
    std::size_t count = 0;
  };
  std::shared_ptr<Flight> flight_ = std::make_shared<Flight>();
};

}  // namespace caseledger::cluster
