#include "ledger/tables.h"

namespace caseledger::ledger {

Result<std::optional<TableEntry>> TableCursor::Entry(
    Result<std::optional<lmdb::KeyValue>> kv) {
  if (!kv.ok()) return kv.status();
  if (!*kv) return std::optional<TableEntry>();
  return std::optional<TableEntry>(TableEntry{(*kv)->key, (*kv)->value});
}

Result<std::optional<TableEntry>> TableCursor::First() { return Entry(cursor_.First()); }
Result<std::optional<TableEntry>> TableCursor::Last() { return Entry(cursor_.Last()); }
Result<std::optional<TableEntry>> TableCursor::Next() { return Entry(cursor_.Next()); }
Result<std::optional<TableEntry>> TableCursor::Prev() { return Entry(cursor_.Prev()); }
Result<std::optional<TableEntry>> TableCursor::SeekAtLeast(ByteView key) {
  return Entry(cursor_.SeekAtLeast(key));
}

Result<std::optional<ByteView>> Snapshot::Get(Table t, ByteView key) const {
  return txn_.Get(t.dbi_, key);
}

Result<TableCursor> Snapshot::Scan(Table t) const {
  CL_ASSIGN_OR_RETURN(lmdb::Cursor c, lmdb::Cursor::Open(txn_, t.dbi_));
  return TableCursor(std::move(c));
}

Result<std::optional<ByteView>> TableWrites::Get(Table t, ByteView key) const {
  return txn_.Get(t.dbi_, key);
}

Status TableWrites::Put(Table t, ByteView key, ByteView value) {
  return txn_.Put(t.dbi_, key, value);
}

Status TableWrites::Delete(Table t, ByteView key) { return txn_.Delete(t.dbi_, key); }

Status TableWrites::Clear(Table t) { return txn_.Clear(t.dbi_); }

Result<TableCursor> TableWrites::Scan(Table t) const {
  CL_ASSIGN_OR_RETURN(lmdb::Cursor c, lmdb::Cursor::Open(txn_, t.dbi_));
  return TableCursor(std::move(c));
}

Result<std::unique_ptr<Tables>> Tables::OpenScratch(const std::string& dir) {
  lmdb::EnvOptions eo;
  eo.no_sync = true;
  std::unique_ptr<Tables> t(new Tables());
  CL_ASSIGN_OR_RETURN(t->owned_, lmdb::Env::Open(dir, eo));
  t->env_ = t->owned_.get();
  return t;
}

Result<Table> Tables::Open(std::string_view name, bool create) {
  CL_ASSIGN_OR_RETURN(lmdb::Dbi dbi, env_->OpenDb(name, create));
  return Table(dbi);
}

Result<Snapshot> Tables::Read() const {
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, env_->BeginRead());
  return Snapshot(std::move(txn));
}

Status Tables::Write(const std::function<Status(TableWrites&)>& fn) {
  return env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    TableWrites w(txn);
    return fn(w);
  });
}

Status Tables::Sync() { return env_->Sync(); }

}  // namespace caseledger::ledger
