#include "projections/case_cache.h"

namespace caseledger::projections {

Result<CaseCache::Read> CaseCache::Get(std::string_view case_id) {
  const std::string id(case_id);
  std::optional<std::string> known;  // the head of the cached entry
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end()) known = it->second.head;
  }
  CL_ASSIGN_OR_RETURN(StoredCase stored, ReadStoredCase(log_, dbs_, case_id, known));
  if (!stored.state) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.head == stored.head) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return Read{it->second.c, stored.built_to};
    }
    // Replaced meanwhile: read again, in full.
  }
  {
    std::lock_guard lock(mu_);
    ++misses_;
  }
  if (!stored.state) {
    CL_ASSIGN_OR_RETURN(stored, ReadStoredCase(log_, dbs_, case_id));
  }
  // Derive outside the lock: other readers go on meanwhile.
  auto c = std::make_shared<CachedCase>();
  c->view = stored.state->Derive();
  c->state = std::move(*stored.state);
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_ && !lru_.empty()) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(id);
    it = entries_.emplace(id, Entry{{}, nullptr, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.head = std::move(stored.head);
  it->second.c = c;
  return Read{std::move(c), stored.built_to};
}

std::uint64_t CaseCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}
std::uint64_t CaseCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace caseledger::projections
