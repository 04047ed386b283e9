// NodeId names a perfect subtree of the log's Merkle tree: (level, index) covers the
// 2^level leaves [index << level, (index + 1) << level). A perfect subtree never changes
// once complete, so its hash can be stored for good under its NodeId. Plain values and
// pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace caseledger::merkle {

struct NodeId {
  std::uint8_t level = 0;   // 0 = a single leaf; at most 63
  std::uint64_t index = 0;  // position among the subtrees of this level, from the left

  friend bool operator==(const NodeId&, const NodeId&) = default;

  // Returns the first leaf index covered.
  std::uint64_t begin() const { return index << level; }
  // Returns one past the last leaf index covered. Precondition: the subtree lies
  // inside a tree of at most 2^64 - 1 leaves (so this does not overflow).
  std::uint64_t end() const { return (index + 1) << level; }
  // Returns "(level, index)", e.g. "(3, 17)", for messages.
  std::string ToString() const;
};

// Returns the ids of the perfect subtrees whose concatenation is the leaves [0, size),
// largest (leftmost) first: one per set bit of `size`, popcount(size) in all; empty
// for size 0. These are the nodes that make up the compact range of the tree.
std::vector<NodeId> CompactRangeIds(std::uint64_t size);

}  // namespace caseledger::merkle
