// The LMDB read txn behind a ledger::Snapshot, for the functions of ledger/
// that read the log's own DBs through the wrapper (log_store.cc). Only
// ledger/ includes this (tools/check_includes.py).
#pragma once

#include "ledger/tables.h"

namespace caseledger::ledger {

struct SnapshotAccess {
  static const lmdb::ReadTxn& Txn(const Snapshot& s) { return s.txn_; }
};

}  // namespace caseledger::ledger
