// RAII wrapper over LMDB: Env, ReadTxn, WriteTxn, Cursor. This folder is the
// only place that includes <lmdb.h>; every LMDB error code is mapped to a
// Status in one function (MdbStatus, below) with words that say what failed.
//
// Thread-safety: an Env is shared by all threads. A ReadTxn or WriteTxn belongs
// to the thread that began it (MDB_NOTLS is set, so read txns may move between
// threads, but never use one from two threads at once). One WriteTxn at a time
// per Env (LMDB serialises writers). Memory returned by Get/cursor reads points
// into the map and is valid only until the txn ends or, in a WriteTxn, until
// the next write: copy it out before that.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace caseledger::ledger::lmdb {

using Dbi = unsigned int;

struct EnvOptions {
  std::size_t initial_map_size = std::size_t{64} << 20;  // grown on demand
  unsigned max_dbs = 16;
  unsigned max_readers = 126;
  bool read_only = false;
  // Default false: every commit is fsync'd (durable). Benchmarks only.
  bool no_sync = false;
};

struct EnvInfo {
  std::size_t map_size = 0;
  std::size_t page_size = 0;
  std::size_t last_page = 0;   // highest page number in use
  std::uint64_t last_txn = 0;  // id of the last committed write txn
};

struct KeyValue {
  ByteView key;
  ByteView value;
};

class Env;

class ReadTxn {
 public:
  ReadTxn(ReadTxn&&) noexcept;
  ReadTxn& operator=(ReadTxn&&) noexcept;
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ~ReadTxn();  // aborts (releases the snapshot)

  // The value under `key`, or nullopt if absent. The view is valid until the
  // txn ends.
  Result<std::optional<ByteView>> Get(Dbi dbi, ByteView key) const;

 private:
  friend class Env;
  friend class Cursor;
  ReadTxn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock)
      : txn_(txn), lock_(std::move(lock)) {}
  MDB_txn* txn_ = nullptr;
  std::shared_lock<std::shared_mutex> lock_;  // blocks map resizing while open
};

enum class PutMode {
  kOverwrite,    // replace any existing value
  kNoOverwrite,  // AlreadyExists if the key is present
  kAppend,       // key must sort after every key in the DB (MDB_APPEND)
};

class WriteTxn {
 public:
  WriteTxn(WriteTxn&&) noexcept;
  WriteTxn& operator=(WriteTxn&&) noexcept;
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;
  ~WriteTxn();  // aborts if neither committed nor aborted

  Result<std::optional<ByteView>> Get(Dbi dbi, ByteView key) const;
  // ResourceExhausted when the map is full (see Env::Write, which grows it),
  // AlreadyExists for kNoOverwrite on a present key, InvalidArgument for an
  // out-of-order kAppend.
  Status Put(Dbi dbi, ByteView key, ByteView value,
             PutMode mode = PutMode::kOverwrite);
  // NotFound if absent.
  Status Delete(Dbi dbi, ByteView key);
  // Removes every entry of `dbi` (the DB itself stays).
  Status Clear(Dbi dbi);
  // Commits (and, unless the env is no_sync, fsyncs). Consumes the txn.
  Status Commit() &&;
  void Abort() &&;
  // True if an operation of this txn failed because the map was full.
  bool map_full() const { return map_full_; }

 private:
  friend class Env;
  friend class Cursor;
  WriteTxn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock, Env* env)
      : txn_(txn), lock_(std::move(lock)), env_(env) {}
  MDB_txn* txn_ = nullptr;
  std::shared_lock<std::shared_mutex> lock_;
  Env* env_ = nullptr;
  bool map_full_ = false;
};

// A cursor over one DB inside a txn (read or write); must not outlive the txn.
class Cursor {
 public:
  // InvalidArgument-free: errors are LMDB's (mapped).
  static Result<Cursor> Open(const ReadTxn& txn, Dbi dbi);
  static Result<Cursor> Open(const WriteTxn& txn, Dbi dbi);
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Each returns the entry the cursor lands on, or nullopt past the end.
  Result<std::optional<KeyValue>> First();
  Result<std::optional<KeyValue>> Last();
  Result<std::optional<KeyValue>> Next();
  Result<std::optional<KeyValue>> Prev();
  // First entry whose key is >= `key`.
  Result<std::optional<KeyValue>> SeekAtLeast(ByteView key);

 private:
  explicit Cursor(MDB_cursor* c) : cursor_(c) {}
  static Result<Cursor> OpenIn(MDB_txn* txn, Dbi dbi);
  Result<std::optional<KeyValue>> Move(int op, ByteView key = {});
  MDB_cursor* cursor_ = nullptr;
};

class Env {
 public:
  // Opens (creating if needed, unless read_only) the LMDB environment in the
  // existing directory `dir`. NotFound if the directory or, read-only, the data
  // file is missing; Corruption if it is not an LMDB file; IoError otherwise.
  static Result<std::unique_ptr<Env>> Open(const std::string& dir,
                                           const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // Opens a named DB (creating it when `create` and the env is writable).
  // NotFound if absent and not created.
  Result<Dbi> OpenDb(std::string_view name, bool create);

  Result<ReadTxn> BeginRead();
  // Begins a write txn. Prefer Write(), which grows the map when full.
  Result<WriteTxn> BeginWrite();

  // Runs `fn` in a write txn and commits. If the map is full (during fn or the
  // commit) the txn is aborted, the map doubled and fn run again from scratch,
  // so fn must depend only on its inputs and the txn. Returns fn's error, the
  // commit's error, or ResourceExhausted if the map cannot grow further.
  Status Write(const std::function<Status(WriteTxn&)>& fn);

  // Doubles the map size (waits until no txn of this process is open).
  Status GrowMap();

  Result<EnvInfo> Info() const;
  // Flushes to disk (only needed with no_sync).
  Status Sync();
  // Compacting copy to `dest_dir` (must exist and be empty): mdb_env_copy2 with
  // MDB_CP_COMPACT.
  Status CopyCompact(const std::string& dest_dir);
  // Tells the kernel this process no longer needs the mapped pages it has read
  // (madvise MADV_DONTNEED on the read-only map), so a long scan's resident set
  // stays flat. The data stays valid: the next access reads it again.
  void ReleaseMappedPages();

  // Writes `bytes` under `key` in `dbi` and commits, then deletes it and
  // commits again: proof that the file system takes that much more data and
  // the fsyncs succeed (the writer's probe after a storage failure). The
  // freed pages are reused by the next write.
  Status ProbeWrite(Dbi dbi, std::string_view key, std::size_t bytes);

  // Bytes available to this process on the file system of the directory.
  Result<std::uint64_t> FreeBytes() const;

  // Fault injection for tests: the next `commits` write-txn commits of this
  // env fail with `rc` (an errno or MDB_* code) after the txn is aborted, as
  // a real failed commit leaves it. Never called outside tests.
  void InjectCommitFailures(int rc, int commits);

  const std::string& dir() const { return dir_; }
  bool read_only() const { return read_only_; }

 private:
  friend class WriteTxn;
  // The injected failure for the commit about to run, or 0.
  int TakeInjectedFailure();
  Env(MDB_env* env, std::string dir, bool read_only)
      : env_(env), dir_(std::move(dir)), read_only_(read_only) {}
  Status AdoptNewMapSize();  // after MDB_MAP_RESIZED from another process
  // The shared lock every txn holds. While a resize waits for the exclusive
  // lock, new txns first wait for it to finish (at most kResizeGateWait), so a
  // stream of overlapping readers cannot hold a resize off (glibc's rwlock
  // prefers readers). Bounded, so that a thread that already holds a txn and
  // begins another is delayed, never deadlocked.
  std::shared_lock<std::shared_mutex> LockShared() const;
  // Runs `resize` under the exclusive lock, with new txns held at the gate.
  Status Resize(const std::function<Status()>& resize);
  MDB_env* env_ = nullptr;
  std::string dir_;
  bool read_only_ = false;
  mutable std::shared_mutex resize_mu_;  // shared by txns, exclusive to resize
  std::atomic<int> resizes_waiting_{0};
  mutable std::mutex gate_mu_;
  mutable std::condition_variable gate_cv_;
  std::mutex inject_mu_;
  int inject_rc_ = 0;
  int inject_commits_ = 0;
};

// Maps an LMDB (or errno) return code to a Status naming what failed, with
// the code's symbolic name ("… : No space left on device [ENOSPC]"). A
// failure other than not-found and key-exists is also kept as the calling
// thread's LastFailure.
Status MdbStatus(int rc, std::string_view what);

// The symbolic name of an LMDB or errno code: "ENOSPC", "MDB_MAP_FULL";
// "rc=<n>" for a code without one.
std::string CodeName(int rc);

// The most recent storage failure on the calling thread: what failed (the
// operation's words, e.g. "LMDB commit") and its errno-level cause. For the
// operator's log; holds no data, only names.
struct Failure {
  std::string op;
  std::string cause;  // CodeName(rc)
  int rc = 0;
};
std::optional<Failure> LastFailure();
void ClearLastFailure();

}  // namespace caseledger::ledger::lmdb

namespace caseledger::ledger::lmdb {

// Runs `fn` (which reads from a map) so that a SIGBUS raised by touching a
// page beyond the end of a truncated data file returns Corruption instead of
// killing the process. After such a fault the txns `fn` used are unusable
// (abort them) and objects `fn` was building may leak: use it for a scan that
// stops at the first problem (verify), not on the serving path.
Status GuardMapFaults(const std::function<Status()>& fn);

}  // namespace caseledger::ledger::lmdb
