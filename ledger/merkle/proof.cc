#include "ledger/merkle/proof.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <string>
#include <utility>

namespace caseledger::merkle {
namespace {

// Returns MTH(D[begin:end]) for a range that is a perfect subtree or a right-edge
// range of the tree: begin is a multiple of bit_floor(end - begin). The range splits
// into popcount(end - begin) perfect subtrees, largest first; their hashes are
// folded from the right as in CompactRange::Root.
Result<Digest> RangeHash(std::uint64_t begin, std::uint64_t end, NodeSource& source) {
  assert(begin < end);
  const std::uint64_t width = end - begin;
  assert(begin % std::bit_floor(width) == 0);
  std::array<Digest, 64> parts;
  std::size_t count = 0;
  std::uint64_t at = begin;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t part = std::uint64_t{1} << level;
    if ((width & part) == 0) continue;
    Result<Digest> hash = source.GetNode(NodeId{static_cast<std::uint8_t>(level), at >> level});
    if (!hash.ok()) return std::move(hash).status();
    parts[count++] = *hash;
    at += part;
  }
  Digest root = parts[count - 1];
  for (std::size_t i = count - 1; i-- > 0;) root = HashChildren(parts[i], root);
  return root;
}

}  // namespace

Result<std::vector<Digest>> InclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size,
                                           NodeSource& source) {
  if (leaf_index >= tree_size) {
    return InvalidArgument("inclusion proof: leaf index " + std::to_string(leaf_index) +
                           " is not below tree size " + std::to_string(tree_size));
  }
  // RFC 9162 §2.1.3.1, unrolled: the current subtree is D[lo:lo+n] and m the leaf's
  // index in it. With k the largest power of two below n, PATH(m, D[n]) is
  // PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
  // Walking down finds the siblings root first, so they are reversed at the end.
  std::vector<Digest> path;
  std::uint64_t lo = 0;
  std::uint64_t n = tree_size;
  std::uint64_t m = leaf_index;
  while (n > 1) {
    const std::uint64_t k = std::bit_floor(n - 1);
    Result<Digest> sibling = m < k ? RangeHash(lo + k, lo + n, source) : RangeHash(lo, lo + k, source);
    if (!sibling.ok()) return std::move(sibling).status();
    path.push_back(*sibling);
    if (m < k) {
      n = k;
    } else {
      lo += k;
      n -= k;
      m -= k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Result<std::vector<Digest>> ConsistencyProof(std::uint64_t size1, std::uint64_t size2,
                                             NodeSource& source) {
  if (size1 == 0 || size1 > size2) {
    return InvalidArgument("consistency proof: sizes " + std::to_string(size1) + " and " +
                           std::to_string(size2) + " do not satisfy 0 < size1 <= size2");
  }
  // RFC 9162 §2.1.4.1, unrolled: SUBPROOF(m, D[lo:lo+n], complete). With k the largest
  // power of two below n: if m <= k it is SUBPROOF(m, D[0:k], complete) : MTH(D[k:n]),
  // else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]); when m == n it is {} if
  // complete, else {MTH(D[m])}. Collected root first and reversed at the end.
  std::vector<Digest> proof;
  std::uint64_t lo = 0;
  std::uint64_t n = size2;
  std::uint64_t m = size1;
  bool complete = true;
  while (m != n) {
    const std::uint64_t k = std::bit_floor(n - 1);
    Result<Digest> sibling = m <= k ? RangeHash(lo + k, lo + n, source) : RangeHash(lo, lo + k, source);
    if (!sibling.ok()) return std::move(sibling).status();
    proof.push_back(*sibling);
    if (m <= k) {
      n = k;
    } else {
      lo += k;
      n -= k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) {
    Result<Digest> subtree = RangeHash(lo, lo + n, source);
    if (!subtree.ok()) return std::move(subtree).status();
    proof.push_back(*subtree);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<Digest> RootFromSource(std::uint64_t size, NodeSource& source) {
  if (size == 0) return EmptyRoot();
  return RangeHash(0, size, source);
}

Result<CompactRange> CompactRangeFromSource(std::uint64_t size, NodeSource& source) {
  std::vector<Digest> hashes;
  for (const NodeId& id : CompactRangeIds(size)) {
    Result<Digest> hash = source.GetNode(id);
    if (!hash.ok()) return std::move(hash).status();
    hashes.push_back(*hash);
  }
  return CompactRange::FromHashes(size, std::move(hashes));
}

}  // namespace caseledger::merkle
