// Tables: the storage API that the layers above ledger/ use. A named table
// (Table) of an environment (Tables), read through a consistent snapshot
// (Snapshot, with TableCursor for ordered scans) or written inside a write
// transaction (TableWrites). It is LMDB underneath (ledger/lmdb/env.h), but
// nothing above ledger/ names an LMDB type: the projections and the use cases
// see tables, snapshots and the writer's transaction, never an Env, a Dbi, a
// Cursor or a commit (docs/architecture.md, "Storage behind ledger/").
//
// Thread-safety: as ledger/lmdb/env.h. A Tables is shared by all threads; a
// Snapshot or TableWrites belongs to the thread that uses it. Views returned
// by Get and by cursor steps point into the map and are valid until the
// snapshot ends or, inside TableWrites, until the next write.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ledger/lmdb/env.h"

namespace caseledger::ledger {

class Tables;
class Snapshot;
class TableWrites;
struct SnapshotAccess;  // ledger/ internals: the snapshot's LMDB txn

// A named table of one Tables (opened by Tables::Open). A cheap handle; valid
// as long as its Tables.
class Table {
 public:
  Table() = default;

 private:
  friend class Tables;
  friend class Snapshot;
  friend class TableWrites;
  explicit Table(lmdb::Dbi dbi) : dbi_(dbi) {}
  lmdb::Dbi dbi_ = 0;
};

struct TableEntry {
  ByteView key;
  ByteView value;
};

// An ordered scan of one table inside a snapshot or TableWrites (must not
// outlive it). Each step returns the entry it lands on, or nullopt past the
// end.
class TableCursor {
 public:
  Result<std::optional<TableEntry>> First();
  Result<std::optional<TableEntry>> Last();
  Result<std::optional<TableEntry>> Next();
  Result<std::optional<TableEntry>> Prev();
  // The first entry whose key is >= `key`.
  Result<std::optional<TableEntry>> SeekAtLeast(ByteView key);

 private:
  friend class Snapshot;
  friend class TableWrites;
  explicit TableCursor(lmdb::Cursor c) : cursor_(std::move(c)) {}
  static Result<std::optional<TableEntry>> Entry(
      Result<std::optional<lmdb::KeyValue>> kv);
  lmdb::Cursor cursor_;
};

// A consistent read view of every table of one environment (for the ledger's
// own environment: the log and the projections together).
class Snapshot {
 public:
  // The value under `key`, or nullopt.
  Result<std::optional<ByteView>> Get(Table t, ByteView key) const;
  Result<TableCursor> Scan(Table t) const;

 private:
  friend class Tables;
  friend struct SnapshotAccess;
  explicit Snapshot(lmdb::ReadTxn txn) : txn_(std::move(txn)) {}
  lmdb::ReadTxn txn_;
};

// The writes of one write transaction: what a WriteHook's writes and a
// Tables::Write function get. No commit, no abort: the owner of the
// transaction decides.
class TableWrites {
 public:
  // For ledger/ (the writer and Tables::Write), which own the transaction.
  explicit TableWrites(lmdb::WriteTxn& txn) : txn_(txn) {}

  Result<std::optional<ByteView>> Get(Table t, ByteView key) const;
  // Replaces any value under `key`. ResourceExhausted when the map is full
  // (the transaction's owner grows it and runs the writes again).
  Status Put(Table t, ByteView key, ByteView value);
  // NotFound if absent.
  Status Delete(Table t, ByteView key);
  // Removes every entry of `t` (the table itself stays).
  Status Clear(Table t);
  Result<TableCursor> Scan(Table t) const;

 private:
  lmdb::WriteTxn& txn_;
};

// An environment of named tables: the ledger's own (LogStore::tables()), or a
// scratch one of its own (OpenScratch).
class Tables {
 public:
  // A view of `env`, which must outlive it.
  explicit Tables(lmdb::Env& env) : env_(&env) {}
  // A scratch environment in the existing, empty directory `dir`, owned by
  // the result, not fsync'd (rebuilds for comparison, benchmarks).
  static Result<std::unique_ptr<Tables>> OpenScratch(const std::string& dir);
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;

  // Opens a named table (creating it when `create` and the environment is
  // writable). NotFound if absent and not created.
  Result<Table> Open(std::string_view name, bool create);
  Result<Snapshot> Read() const;
  // Runs `fn` in a write transaction and commits it (fsync'd unless scratch).
  // If the map fills, it is grown and `fn` runs again from scratch, so `fn`
  // must depend only on its inputs and the writes.
  Status Write(const std::function<Status(TableWrites&)>& fn);
  // Flushes to disk (for a scratch environment, which commits without).
  Status Sync();

 private:
  Tables() = default;
  std::unique_ptr<lmdb::Env> owned_;
  lmdb::Env* env_ = nullptr;
};

}  // namespace caseledger::ledger
