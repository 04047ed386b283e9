// CaseCache: the parsed and derived form of recently read case states, for
// the API's hot paths (need-to-know decisions on every read and write). An
// entry is reused only while the stored head of the case's state is exactly
// the one it was read with. The head changes with every fact folded into the
// case (it holds last_seq and a digest chaining every fact folded,
// docs/formats/projections.md), so a hit can never be stale: every read
// still reads the head from a read txn and compares it, which costs the head
// and not the case's length; a hit saves reading the case's rows, their
// parse, the strict check and Derive(). Bounded: at most `capacity` entries,
// the least recently used dropped first. Holds no body and no personal data
// beyond what proj.case_rows holds.
// Thread-safety: Read may be called from any number of threads.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "projections/projector.h"

namespace caseledger::projections {

struct CachedCase {
  CaseState state;
  CaseView view;  // state.Derive()
};

class CaseCache {
 public:
  CaseCache(ledger::LogStore& log, const ProjectionDbs& dbs, std::size_t capacity = 4096)
      : log_(log), dbs_(dbs), capacity_(capacity) {}

  struct Read {
    std::shared_ptr<const CachedCase> c;  // shared: valid after later reads
    BuiltTo built_to;                     // of the snapshot read
  };
  // The case's current state and view. Errors as ReadStoredCase.
  Result<Read> Get(std::string_view case_id);

  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  struct Entry {
    std::string head;  // the stored head it was read with
    std::shared_ptr<const CachedCase> c;
    std::list<std::string>::iterator lru;
  };
  ledger::LogStore& log_;
  ProjectionDbs dbs_;
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace caseledger::projections
