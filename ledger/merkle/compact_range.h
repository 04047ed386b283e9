// CompactRange: the "frontier" of an append-only Merkle tree of `size` leaves: the
// hashes of the popcount(size) perfect subtrees that make up [0, size), largest
// (leftmost) first (ids: CompactRangeIds(size)). Enough to append leaves and to compute
// the RFC 9162 root, in O(log size) memory. Invariant: hashes().size() ==
// popcount(size()). Not thread-safe for mutation; const members may run concurrently.
#pragma once

#include <bit>
#include <cassert>
#include <cstdint>
#include <limits>
#include <vector>

#include "base/result.h"
#include "ledger/merkle/node_id.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::merkle {

class CompactRange {
 public:
  // The empty tree (size 0, no hashes).
  CompactRange();
  // Copies reserve room for 64 hashes too, so appending to a copy does not allocate.
  CompactRange(const CompactRange& other);
  CompactRange& operator=(const CompactRange& other) = default;
  CompactRange(CompactRange&& other) noexcept = default;
  CompactRange& operator=(CompactRange&& other) noexcept = default;

  // Returns the compact range of a tree of `size` leaves whose perfect subtrees
  // CompactRangeIds(size) have `hashes`, in that order (e.g. as read back from
  // storage). InvalidArgument if hashes.size() != popcount(size).
  static Result<CompactRange> FromHashes(std::uint64_t size, std::vector<Digest> hashes);

  // Returns the number of leaves.
  std::uint64_t size() const { return size_; }
  // Returns the perfect-subtree hashes, largest subtree first. Valid until the next
  // Append or until this object is destroyed.
  const std::vector<Digest>& hashes() const { return hashes_; }

  // Appends one leaf, given its leaf hash (HashLeaf of the entry). Calls
  // on_node(NodeId, const Digest&) first for the leaf itself (level 0, index = the old
  // size) and then for every perfect subtree this append completes, bottom-up; those
  // are exactly the nodes a store must keep for InclusionProof/ConsistencyProof. The
  // Digest reference is valid only during the call. on_node must not throw (to report
  // a failure, capture a Status). Costs one HashChildren per trailing 1 bit of the old
  // size (amortised 1) and no allocation. Precondition: size() < 2^64 - 1.
  template <typename F>
  void Append(const Digest& leaf_hash, F&& on_node);
  // The same without a callback.
  void Append(const Digest& leaf_hash);

  // Returns the RFC 9162 root of the leaves [0, size): EmptyRoot() when size == 0.
  // Costs popcount(size) - 1 HashChildren calls; no allocation.
  Digest Root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> hashes_;  // popcount(size_) entries, largest subtree first
};

template <typename F>
void CompactRange::Append(const Digest& leaf_hash, F&& on_node) {
  assert(size_ < std::numeric_limits<std::uint64_t>::max());
  NodeId id{0, size_};
  Digest hash = leaf_hash;
  on_node(id, static_cast<const Digest&>(hash));
  // Each trailing 1 bit of the old size is a perfect subtree at the right end of
  // the frontier, of the same width as `hash`: merge the two into their parent.
  for (std::uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    hash = HashChildren(hashes_.back(), hash);
    hashes_.pop_back();
    ++id.level;
    id.index >>= 1;
    on_node(id, static_cast<const Digest&>(hash));
  }
  hashes_.push_back(hash);
  ++size_;
  assert(hashes_.size() == static_cast<std::size_t>(std::popcount(size_)));
}

}  // namespace caseledger::merkle
