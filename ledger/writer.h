// Writer: the single group-commit writer of DESIGN §2. Callers Submit commands
// from any thread; one writer thread takes up to max_batch queued commands,
// validates each, assigns seq and time, encrypts bodies under per-subject data
// keys, computes every `prev` root in one sequential pass, signs the batch's
// events on all cores, and writes the events, Merkle nodes and one signed
// checkpoint in ONE LMDB write transaction (one fsync). Only after that commit
// is every command of the batch acknowledged. Preparing and committing are
// pipelined: a committer thread commits batch k while the writer thread
// prepares the batches after it on top of it (up to kMaxPreparedAhead); the
// committer then commits every batch prepared meanwhile in one transaction
// (one fsync), each with its own checkpoint, in order. So a command that
// arrives during a commit waits for the next commit, not the one after.
// New data keys of a batch are reserved in memory while it is prepared
// (Keystore::ReserveKeys) and stored (fsync'd) by a third thread, the key
// storer, while the batch before commits; the committer commits no batch
// before its keys are durable (docs/architecture.md, "Write path"). Most new
// owners take a key from the keystore's pool, durable already; the key
// storer binds those to their owners in bulk and keeps the pool topped up.
// Once a batch is durable, a fourth thread, the answerer, acknowledges its
// commands and frees them, so the committer starts the next commit at once
// instead of waking each waiting submitter first.
//
// A failed commit (or a failure to store a batch's data keys) stops writes:
// the failed batch and everything queued are answered with the failure and
// nothing of them is acknowledged. Without Options::resume the writer stays
// failed (health kFailed) until the process reopens the data directory. With
// it, writes are suspended (kDegraded): the writer waits until nothing
// is being committed, rebuilds its tree and its hook's state from the disk
// (Rewind), then probes the disk (Env::ProbeWrite on both environments) every
// probe_every and resumes once a probe succeeds. A disk that is full answers
// ResourceExhausted while suspended, any other failure Unavailable. If the
// state cannot be rebuilt from the disk the writer stays failed until the
// process restarts (health kFailed). docs/operations.md "Storage failures".
// Thread-safety: Submit, Stop, stats and health may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/worker_pool.h"
#include "crypto/ed25519.h"
#include "ledger/command.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "ledger/merkle/compact_range.h"

namespace caseledger::ledger {

struct Appended {
  std::uint64_t seq = 0;
  std::string time;
  std::uint64_t tree_size = 0;  // size of the checkpoint that covers this event
  std::string checkpoint;       // the signed checkpoint note of that size
};

struct WriterStats {
  std::uint64_t events = 0;
  std::uint64_t batches = 0;      // commits (each one transaction, one fsync)
  std::uint64_t checkpoints = 0;  // prepared batches committed: one checkpoint each
  std::uint64_t key_stores = 0;   // keystore transactions storing reserved keys
  std::uint64_t refused = 0;
  std::uint64_t commit_micros = 0;  // total time spent in commit (incl. fsync)
  // Batches by number of events appended: batch_sizes[i] counts the batches
  // of at most kBatchSizeBounds[i] events (cumulative buckets, as Prometheus
  // histograms are); batches counts them all.
  static constexpr std::array<std::uint64_t, 8> kBatchSizeBounds = {
      1, 2, 4, 16, 64, 256, 1024, 4096};
  std::array<std::uint64_t, 8> batch_sizes{};
  // Commits by duration (incl. fsync), cumulative, bounds in microseconds.
  static constexpr std::array<std::uint64_t, 8> kCommitMicrosBounds = {
      250, 500, 1000, 2500, 5000, 10000, 50000, 250000};
  std::array<std::uint64_t, 8> commit_durations{};
};

// Whether the writer can append, for /healthz and the metrics.
struct WriterHealth {
  enum class State { kOk, kDegraded, kFailed };
  State state = State::kOk;
  // While not ok: "storage-full" (ENOSPC, EDQUOT, EFBIG, a map that cannot
  // grow, or LMDB's short write with the file system out of space) or
  // "storage-error" (any other failure); kFailed: "restart-required".
  std::string reason;
  std::string op;     // the failed operation ("LMDB commit", …), names only
  std::string cause;  // its errno-level cause ("ENOSPC", "EIO", …) or ""
  Micros since = 0;   // when the current state began; 0 = ok since start
  std::uint64_t suspensions = 0;       // times writes were suspended
  std::uint64_t storage_failures = 0;  // failed commits, key stores, probes
  std::uint64_t probes = 0;            // probe attempts
};
// "ok", "degraded", "failed".
std::string_view StateName(WriterHealth::State s);

// A domain plugged into the writer: the policy engine and the live
// projections (DESIGN §2: validated against current state, projection updates
// in the same write transaction as the events). Check, Apply and TakeWrites
// run on the writer thread, in seq order, against state that includes every
// prepared batch (possibly a few batches ahead of the disk); the functions
// TakeWrites returns run on the committer thread. If a batch fails, no later
// batch is built on the state ahead of the disk: the writer stops, or rewinds
// the hook to the disk (Rewind) before it writes again.
class WriteHook {
 public:
  virtual ~WriteHook() = default;

  struct Decision {
    Status status;  // OK: append the command
    // For a refusal: the command to append instead (a `policy.refused`
    // record). The submitter still gets `status`.
    std::optional<Command> record;
    // For an accepted command with a body: a key of the identity index
    // (Keystore::IndexEntry) that the writer stores for the body's key owner
    // in the transaction that stores the owner's data key.
    std::optional<Keystore::LookupKey> index_key = std::nullopt;
  };
  // Decides on `cmd`, which would become an event at `time`. May complete
  // envelope fields derived from state (e.g. the subject of a case event).
  virtual Decision Check(Command& cmd, Micros time) = 0;
  // Folds the accepted command (or refusal record), now event `seq`, into the
  // state. The hook may take `cmd.h` (move it out): the writer encodes the
  // event from the header's canonical text, made when it was submitted.
  virtual void Apply(Command& cmd, std::uint64_t seq, Micros time) = 0;
  // After the last Apply of a batch whose tree has `size` events and root
  // `root`: the batch's projection writes, run inside the batch's commit
  // transaction. The function must depend only on what it captured and the
  // writes (the commit may run it again after growing the map).
  virtual std::function<Status(TableWrites&)> TakeWrites(
      std::uint64_t size, const crypto::Digest& root) = 0;
  // On the committer thread, after the batch of `size` is durable.
  virtual void Committed(std::uint64_t size) { (void)size; }
  // After a failed batch, on the writer thread while nothing is being
  // committed: no batch after `size` (the log's size on disk, and the last
  // size passed to Committed) will ever be durable. Drops the state built on
  // them, so that the state is as of `size` again. A hook that cannot do so
  // returns an error, and the writer stays failed until restarted.
  virtual Status Rewind(std::uint64_t size) {
    (void)size;
    return FailedPrecondition("this write hook cannot rewind its state");
  }
};

// Binds every pool key (Keystore, "Keys stored ahead of need") that an
// event after the pool's watermark names to that event's owner, then lets
// `keys` hand out pool keys when `use_pool`. Ledger::Open runs it before the
// domain hook opens (Writer::Start, if nothing ran it before); a restore
// runs it before it destroys the keys of the subjects its log erased.
// Corruption as Keystore::RecoverPool, or if an event does not scan.
Status RecoverKeyPool(LogStore& store, Keystore& keys, bool use_pool = true);

class Writer {
 public:
  struct Options {
    std::size_t max_batch = 1024;
    std::size_t max_queue = 1 << 16;
    unsigned threads = 0;  // signing threads incl. the writer; 0 = all cores
    // After a storage failure: true, suspend writes, rebuild the state from
    // the disk and resume once a probe succeeds (the server); false, stay
    // failed until reopened (batch tools such as import, whose later
    // commands must never be stored after an earlier one failed).
    bool resume = false;
    // While writes are suspended: the time between probes of the disk.
    std::chrono::milliseconds probe_every{1000};
    // Testing only (serve's FAILPOINT storage-rewind): rebuilding the state
    // after a storage failure fails, as when the data dir no longer opens.
    bool fail_rewind = false;
    // Testing only: called on the writer thread once a batch's new data keys
    // are reserved (with the reservation's ticket; 0 when the batch needs no
    // new key) and before the batch is chained, so a test can let the key
    // storer fail in between.
    std::function<void(std::uint64_t ticket)> before_chain;
    // Pool keys handed out to new owners are bound on disk by the key storer
    // once kBindEvery are waiting or the oldest has waited this long
    // (Keystore, "Keys stored ahead of need"). Tests make it long, to keep
    // bindings for the recovery after a crash to find.
    std::chrono::milliseconds pool_bind_after = Keystore::kBindAfter;
    // False: new owners never take pool keys, every new key is stored before
    // its batch (the path a pool that runs dry takes; tests of that path).
    bool key_pool = true;
    // A replicated node's leader (issue 19): called on the committer thread
    // once a batch is durable here and before any of its commands is
    // acknowledged, with the batch's first seq, its stored event lines (byte
    // for byte) and its signed checkpoint note. OK: the batch is acknowledged.
    // An error: none of its commands is acknowledged (each gets the error),
    // and the writer stops for good (health kFailed, reason "not-replicated"):
    // this node now holds an unacknowledged tail, may have been deposed, and
    // must never acknowledge a batch built on that tail. Batches are passed
    // in seq order, one at a time. Unset: a single node (no replication).
    std::function<Status(std::uint64_t first_seq, const std::vector<std::string>& lines,
                         const std::string& checkpoint)>
        replicate;
    // A replicated node's follower (issue 19): every command submitted is
    // handed to this function instead (on the submitting thread, after
    // ValidateCommand), which has the cluster's leader append it and returns
    // the leader's answer. Nothing is appended here: the follower's log grows
    // only by what the leader ships. Unset: commands are appended here.
    std::function<Result<Appended>(const Command& cmd)> forward;
    // The operator's log: one line per storage failure and per change of
    // state, as key=value fields holding names and counts only (no personal
    // data). Unset: standard error, prefixed "caseledger: ".
    std::function<void(std::string_view)> log;
  };
  // Loads the tree state from `store` (checking it against the latest
  // checkpoint) and starts the writer thread. Corruption if the stored state is
  // inconsistent. `store`, `keys`, `key` and `hook` (may be null) must outlive
  // the Writer.
  static Result<std::unique_ptr<Writer>> Start(
      LogStore& store, Keystore& keys, const crypto::Ed25519SigningKey& key,
      Options options, WriteHook* hook = nullptr);
  ~Writer();  // Stop()

  // Queues `cmd`. The future becomes ready once the command's batch is durable
  // (Appended), or with the reason it was refused or failed. The command's
  // shape is checked and its header and body serialised in one walk over
  // each (ValidateAndEncode) on the calling thread, so that work runs in
  // parallel across submitters.
  // InvalidArgument for a malformed command; Unavailable when the queue is
  // full or the writer is stopping; the writer's failure status after a
  // failed commit.
  std::future<Result<Appended>> Submit(Command cmd);
  // The same, answered by calling `done` exactly once instead: on the
  // calling thread for a command refused at once, else on a writer thread
  // (usually the answerer, once the batch is durable), possibly while the
  // writer holds its lock. So `done` must be quick and must not call into
  // this Writer; it hands the answer on (e.g. posts it to an I/O executor),
  // and saves the thread that would otherwise block on a future.
  void Submit(Command cmd, std::function<void(Result<Appended>)> done);

  // Finishes every queued command, then stops the thread. Idempotent.
  void Stop();

  std::uint64_t size() const { return size_.load(); }
  // Time of the last durable event (0 for an empty log).
  Micros last_time() const { return last_time_published_.load(); }
  WriterStats stats() const;
  WriterHealth health() const;

 private:
  struct Pending {
    Command cmd;
    std::string h_json;     // canonical bytes of cmd.h, made by the submitter
    std::string body_json;  // canonical bytes of *cmd.body (empty if none)
    Status refusal;  // non-OK: `cmd` is the hook's refusal record; answer this
    std::optional<Keystore::LookupKey> index_key;  // the hook's Decision::index_key
    std::promise<Result<Appended>> promise;
    std::function<void(Result<Appended>)> done;  // if set, answers instead of promise
    void Answer(Result<Appended> r) {
      if (done)
        done(std::move(r));
      else
        promise.set_value(std::move(r));
    }
  };
  // Submit's common part: the command's checks, then the queue. An error if
  // `pending` was not queued (it is not answered then).
  Status Enqueue(Command cmd, Pending& pending, std::future<Result<Appended>>* future);
  Writer(LogStore& store, Keystore& keys, const crypto::Ed25519SigningKey& key,
         Options options, WriteHook* hook)
      : store_(store),
        keys_(keys),
        key_(key),
        options_(options),
        hook_(hook),
        pool_(options.threads) {}
  // A batch ready to commit: encoded, encrypted, signed, checkpointed.
  struct Prepared {
    std::vector<Pending> batch;       // owns the promises
    std::vector<Pending*> accepted;   // the commands to append, into `batch`
    std::vector<std::string> lines;   // stored lines, seq first_seq, first_seq+1, …
    std::vector<std::string> time_texts;
    std::vector<std::pair<merkle::NodeId, crypto::Digest>> nodes;
    std::string note;                 // the checkpoint of size `size`
    std::function<Status(TableWrites&)> hook_writes;  // may be empty
    std::uint64_t first_seq = 0;
    std::uint64_t size = 0;
    Micros last_time = 0;
    std::uint64_t key_ticket = 0;  // Keystore reservation to be durable first; 0: none
  };
  void Run();         // writer thread: batches, validates, prepares
  void CommitLoop();  // committer thread: commits prepared batches in order
  void KeyLoop();     // key storer thread: stores the reserved data keys
  void AnswerLoop();  // answerer thread: acknowledges durable batches, frees them
  // Returns nullopt if nothing of the batch is to be appended (each command
  // already answered). Advances the writer thread's tree to the batch's end.
  std::optional<Prepared> Prepare(std::vector<Pending> batch);
  // Prepare's steps (docs/architecture.md, "Write path" 3–6). Admit:
  // validates each command in order (time, the hook's Check, erasure), sets
  // its time, answers the refused, Applies the accepted to the hook; fills
  // out.accepted and `times`; returns the last accepted time.
  Micros Admit(Prepared& out, std::vector<Micros>& times);
  // One kid per accepted command with a body, in order (new keys reserved,
  // handed to the key storer).
  Result<std::vector<std::string>> ReserveDataKeys(const std::vector<Pending*>& accepted,
                                                   std::uint64_t& ticket);
  // The sequential pass: seq, prev, encrypted body, unsigned line and leaf of
  // each accepted command, appended to `tree` (new nodes into out.nodes).
  // Calls built(i) once line i and its signature offset are complete (in
  // order), so that the pool can sign it while the pass goes on.
  Status Chain(Prepared& out, const std::vector<Micros>& times,
               const std::vector<std::string>& kids, merkle::CompactRange& tree,
               std::vector<std::string>& unsigned_lines, std::vector<std::size_t>& sig_offsets,
               const std::function<void(std::size_t)>& built);
  // A batch failed after its commands were applied to the hook: suspends
  // writes and answers each accepted command (with `answer` when it is not
  // OK, else with the suspension's answer to `s`).
  void FailPrepared(const std::vector<Pending*>& accepted, const Status& s,
                    const Status& answer = Status::Ok());
  // Commits `parts` (consecutive prepared batches) in one transaction.
  void Commit(std::vector<Prepared>& parts);
  // The tree, size and time of the last event as stored, checked against the
  // latest checkpoint (writer thread, or Start).
  Status LoadTip();
  // Start, after LoadTip, unless the Ledger ran it: RecoverKeyPool.
  Status RecoverPool();
  // Writer thread, after a suspension: waits until nothing is being
  // committed, rewinds to the disk, probes until a probe succeeds (or Stop).
  void Recover();
  // Precondition: mu_ held. Records the failure `s` of `during` (with the
  // calling thread's lmdb::LastFailure), suspends writes if they were not,
  // answers every queued command, logs. Returns the answer for the batch
  // that failed.
  Status SuspendLocked(const Status& s, std::string_view during, std::size_t events,
                       std::size_t batch_bytes);
  void Log(const std::string& line);

  LogStore& store_;
  Keystore& keys_;
  const crypto::Ed25519SigningKey& key_;
  Options options_;
  WriteHook* hook_;
  WorkerPool pool_;

  // Writer-thread state (only the writer thread touches these after Start):
  // the tree and time as of the last *prepared* batch, which may be one batch
  // ahead of the disk.
  merkle::CompactRange tree_;
  Micros last_time_ = 0;

  std::atomic<std::uint64_t> size_{0};
  std::atomic<Micros> last_time_published_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  Status failed_;  // non-OK while writes are suspended (or failed for good)
  bool recover_ = false;     // the writer thread is to rewind and probe
  bool committing_ = false;  // the committer is inside Commit
  std::size_t probe_bytes_ = 0;
  WriterHealth health_;
  WriterStats stats_;
  // Batches prepared ahead of the disk at most, waiting for the committer.
  static constexpr std::size_t kMaxPreparedAhead = 4;
  std::deque<Prepared> prepared_;  // handed from writer to committer (mu_)
  std::condition_variable commit_cv_;
  bool committer_stop_ = false;
  // The key storer (mu_): reservations up to key_wanted_ are to be stored;
  // every one up to key_done_ is stored, or its store failed (then writes
  // are suspended and failed_ says why).
  std::condition_variable key_cv_;
  std::uint64_t key_wanted_ = 0;
  std::uint64_t key_done_ = 0;
  bool key_busy_ = false;
  // The last failed store: the tickets it dropped (key_failed_from_ ..
  // key_failed_to_) and the answer for their commands.
  std::uint64_t key_failed_from_ = 0, key_failed_to_ = 0;
  Status key_failure_;
  bool key_stop_ = false;
  // Durable batches handed from the committer to the answerer, in commit
  // order (answer_mu_, a lock of its own: Submit's lock is mu_).
  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::deque<Prepared> answers_;
  bool answerer_stop_ = false;
  std::thread thread_;
  std::thread committer_;
  std::thread key_storer_;
  std::thread answerer_;
};

}  // namespace caseledger::ledger
