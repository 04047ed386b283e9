// Brute-force RFC 9162 §2.1 reference for tests: MTH, PATH and PROOF/SUBPROOF written
// straight from the RFC's recursive definitions over the leaf data, with their own
// hashing (not merkle::HashLeaf/HashChildren). O(n) hashes per call: slow on purpose,
// obviously right. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "crypto/sha256.h"

namespace caseledger::merkle::reference {

using crypto::Digest;
using Leaves = std::span<const Bytes>;

// HASH(0x00 || d).
inline Digest LeafHash(ByteView d) {
  return crypto::Sha256Hasher().Update(std::uint8_t{0}).Update(d).Final();
}

// HASH(0x01 || l || r).
inline Digest NodeHash(const Digest& l, const Digest& r) {
  return crypto::Sha256Hasher().Update(std::uint8_t{1}).Update(l.view()).Update(r.view()).Final();
}

// The largest power of two smaller than n ("k < n <= 2k"). Precondition: n > 1.
inline std::size_t SplitPoint(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]).
inline Digest Mth(Leaves d) {
  if (d.empty()) return crypto::Sha256(ByteView());  // MTH({}) = HASH()
  if (d.size() == 1) return LeafHash(d[0]);          // MTH({d0}) = HASH(0x00 || d0)
  const std::size_t k = SplitPoint(d.size());
  return NodeHash(Mth(d.first(k)), Mth(d.subspan(k)));
}

// PATH(m, D[n]). Precondition: m < n.
inline std::vector<Digest> Path(std::size_t m, Leaves d) {
  if (d.size() == 1) return {};
  const std::size_t k = SplitPoint(d.size());
  std::vector<Digest> path;
  if (m < k) {
    path = Path(m, d.first(k));
    path.push_back(Mth(d.subspan(k)));
  } else {
    path = Path(m - k, d.subspan(k));
    path.push_back(Mth(d.first(k)));
  }
  return path;
}

// SUBPROOF(m, D[n], b). Precondition: 0 < m <= n.
inline std::vector<Digest> Subproof(std::size_t m, Leaves d, bool b) {
  const std::size_t n = d.size();
  if (m == n) {
    if (b) return {};
    return {Mth(d)};
  }
  const std::size_t k = SplitPoint(n);
  std::vector<Digest> proof;
  if (m <= k) {
    proof = Subproof(m, d.first(k), b);
    proof.push_back(Mth(d.subspan(k)));
  } else {
    proof = Subproof(m - k, d.subspan(k), false);
    proof.push_back(Mth(d.first(k)));
  }
  return proof;
}

// PROOF(m, D[n]) = SUBPROOF(m, D[n], true). Precondition: 0 < m <= n.
inline std::vector<Digest> Proof(std::size_t m, Leaves d) { return Subproof(m, d, true); }

}  // namespace caseledger::merkle::reference
