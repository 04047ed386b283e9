// Verification of RFC 9162 inclusion proofs (§2.1.3.2) and consistency proofs
// (§2.1.4.2), exactly as the RFC's algorithms, so proofs from any RFC 9162 log verify.
// Pure functions of their arguments (no storage); thread-safe. A proof that does not
// verify gives kCorruption, sizes or indices that no proof can satisfy give
// kInvalidArgument; messages quote the mismatching values (hashes in hex).
// Note: as in the RFC, a tree size is only as trustworthy as the (signed) checkpoint
// it comes with: a proof may verify for more than one size against the same root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "base/status.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::merkle {

// Returns the number of hashes in PATH(leaf_index, D[tree_size]): one per level below
// the point where the paths to leaf_index and tree_size - 1 part, plus one per level
// above it where leaf_index's ancestor is a right child. Precondition: leaf_index <
// tree_size.
std::size_t InclusionProofSize(std::uint64_t leaf_index, std::uint64_t tree_size);

// Returns the number of hashes in PROOF(size1, D[size2]); 0 when size1 == size2.
// Precondition: 0 < size1 <= size2.
std::size_t ConsistencyProofSize(std::uint64_t size1, std::uint64_t size2);

// Returns the root that `proof` (RFC 9162 PATH, leaf to root) leads to from leaf
// `leaf_hash` at `leaf_index` in a tree of `tree_size` leaves. InvalidArgument if
// leaf_index >= tree_size (that includes tree_size == 0); Corruption if the proof does
// not have InclusionProofSize(leaf_index, tree_size) hashes.
Result<Digest> RootFromInclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size,
                                      const Digest& leaf_hash, std::span<const Digest> proof);

// Returns OK if `proof` shows that `leaf_hash` is leaf `leaf_index` of the tree of
// `tree_size` leaves with root `root` (RFC 9162 §2.1.3.2). Errors as
// RootFromInclusionProof, and Corruption "calculated root … != expected root …".
Status VerifyInclusion(std::uint64_t leaf_index, std::uint64_t tree_size, const Digest& leaf_hash,
                       std::span<const Digest> proof, const Digest& root);

// Checks `proof` against the older tree (`size1`, `root1`) and returns the root of the
// size2 tree it leads to (RFC 9162 §2.1.4.2); returns root1 when size1 == size2 and
// the proof is empty. InvalidArgument if size1 == 0 (consistency with the empty tree is
// not a proof: RFC 9162 requires 0 < first) or size1 > size2; Corruption if the proof
// does not have ConsistencyProofSize(size1, size2) hashes, or "calculated root1 … !=
// expected root1 …".
Result<Digest> RootFromConsistencyProof(std::uint64_t size1, std::uint64_t size2,
                                        std::span<const Digest> proof, const Digest& root1);

// Returns OK if `proof` shows that the tree (`size2`, `root2`) extends the tree
// (`size1`, `root1`) (RFC 9162 §2.1.4.2; for size1 == size2: the proof is empty and
// the roots are equal). Errors as RootFromConsistencyProof, and Corruption
// "calculated root2 … != expected root2 …".
Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, std::span<const Digest> proof,
                         const Digest& root1, const Digest& root2);

}  // namespace caseledger::merkle
