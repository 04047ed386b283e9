// Proof computation (RFC 9162 §2.1.3.1 inclusion, §2.1.4.1 consistency) from stored
// perfect-subtree hashes, kept apart from storage behind NodeSource. Every function reads
// O(log n) nodes and never a node outside the tree it is asked about, so the nodes a
// CompactRange::Append reported up to that size suffice. Pure apart from the reads;
// thread-safe iff the source is.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/node_id.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::merkle {

// Source of stored perfect-subtree hashes (over LMDB in ledger/, a vector in tests).
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // Returns the hash of the perfect subtree `id`. NotFound if it is not stored (the
  // message should name the id); other errors as the store gives them.
  virtual Result<Digest> GetNode(NodeId id) = 0;
};

// Returns PATH(leaf_index, D[tree_size]) (RFC 9162 §2.1.3.1): the sibling hashes from
// the leaf up to the root, InclusionProofSize(leaf_index, tree_size) of them. A sibling
// on the right edge that is not a perfect subtree is rebuilt from its perfect parts.
// InvalidArgument if leaf_index >= tree_size; errors of the source pass through
// unchanged.
Result<std::vector<Digest>> InclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size,
                                           NodeSource& source);

// Returns PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1), ConsistencyProofSize(size1, size2)
// hashes; empty when size1 == size2. InvalidArgument unless 0 < size1 <= size2: a proof
// from the empty tree is not defined by the RFC and would prove nothing (every tree
// extends it), and RFC 9162 verifiers reject one. Errors of the source pass through.
Result<std::vector<Digest>> ConsistencyProof(std::uint64_t size1, std::uint64_t size2,
                                             NodeSource& source);

// Returns MTH(D[size]), the root of the first `size` leaves (EmptyRoot() for 0), from
// popcount(size) stored nodes. Errors of the source pass through.
Result<Digest> RootFromSource(std::uint64_t size, NodeSource& source);

// Returns the compact range of the first `size` leaves, read from the popcount(size)
// stored nodes CompactRangeIds(size) (e.g. to resume appending after a restart).
// Errors of the source pass through.
Result<CompactRange> CompactRangeFromSource(std::uint64_t size, NodeSource& source);

}  // namespace caseledger::merkle
