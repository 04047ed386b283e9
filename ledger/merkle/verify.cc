#include "ledger/merkle/verify.h"

#include <bit>
#include <cassert>
#include <string>

namespace caseledger::merkle {
namespace {

std::string N(std::uint64_t v) { return std::to_string(v); }

Status Mismatch(const char* what, const Digest& calculated, const Digest& expected) {
  return Corruption(std::string("calculated ") + what + " " + calculated.Hex() + " != expected " +
                    what + " " + expected.Hex());
}

bool Lsb(std::uint64_t v) { return (v & 1) != 0; }

}  // namespace

std::size_t InclusionProofSize(std::uint64_t leaf_index, std::uint64_t tree_size) {
  assert(leaf_index < tree_size);
  // Below the level where the paths to leaf_index and tree_size - 1 part, every
  // level has a sibling; above it, leaf_index's ancestors lie on the right edge and
  // have a (left) sibling only where they are right children.
  const int inner = static_cast<int>(std::bit_width(leaf_index ^ (tree_size - 1)));
  const int border = inner < 64 ? std::popcount(leaf_index >> inner) : 0;
  return static_cast<std::size_t>(inner + border);
}

std::size_t ConsistencyProofSize(std::uint64_t size1, std::uint64_t size2) {
  assert(0 < size1 && size1 <= size2);
  if (size1 == size2) return 0;
  // The proof is the inclusion path of the last leaf of the size1 tree, less the
  // levels inside the largest perfect subtree that ends at size1 (whose hash takes
  // their place, unless that subtree is the whole size1 tree: then it is root1).
  const int shift = std::countr_zero(size1);
  const std::size_t path = InclusionProofSize(size1 - 1, size2);
  const std::size_t seed = std::has_single_bit(size1) ? 0 : 1;
  return seed + path - static_cast<std::size_t>(shift);
}

Result<Digest> RootFromInclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size,
                                      const Digest& leaf_hash, std::span<const Digest> proof) {
  if (leaf_index >= tree_size) {
    return InvalidArgument("leaf index " + N(leaf_index) + " is not below tree size " +
                           N(tree_size));
  }
  if (const std::size_t want = InclusionProofSize(leaf_index, tree_size); proof.size() != want) {
    return Corruption("inclusion proof for leaf " + N(leaf_index) + " in tree size " +
                      N(tree_size) + " has " + N(proof.size()) + " hashes, want " + N(want));
  }
  // RFC 9162 §2.1.3.2, steps 2–5.
  std::uint64_t fn = leaf_index;
  std::uint64_t sn = tree_size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return Corruption("inclusion proof is too long");
    if (Lsb(fn) || fn == sn) {
      r = HashChildren(p, r);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("inclusion proof is too short");
  return r;
}

Status VerifyInclusion(std::uint64_t leaf_index, std::uint64_t tree_size, const Digest& leaf_hash,
                       std::span<const Digest> proof, const Digest& root) {
  Result<Digest> calculated = RootFromInclusionProof(leaf_index, tree_size, leaf_hash, proof);
  if (!calculated.ok()) return calculated.status();
  if (*calculated != root) return Mismatch("root", *calculated, root);
  return Status::Ok();
}

Result<Digest> RootFromConsistencyProof(std::uint64_t size1, std::uint64_t size2,
                                        std::span<const Digest> proof, const Digest& root1) {
  if (size1 == 0) {
    return InvalidArgument("consistency proof from the empty tree (size1 0 to size2 " +
                           N(size2) + ") proves nothing and is not accepted");
  }
  if (size1 > size2) {
    return InvalidArgument("consistency proof: size1 " + N(size1) + " is greater than size2 " +
                           N(size2));
  }
  if (const std::size_t want = ConsistencyProofSize(size1, size2); proof.size() != want) {
    return Corruption("consistency proof from size " + N(size1) + " to " + N(size2) + " has " +
                      N(proof.size()) + " hashes, want " + N(want));
  }
  if (size1 == size2) return root1;
  // RFC 9162 §2.1.4.2, steps 1–7. Step 2 (prepend root1 if size1 is a power of two)
  // is done by seeding from root1 instead of proof[0].
  if (proof.empty()) return Corruption("consistency proof is empty");
  std::size_t next = 0;
  Digest seed = root1;
  if (!std::has_single_bit(size1)) seed = proof[next++];
  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = seed;
  Digest sr = seed;
  for (; next < proof.size(); ++next) {
    const Digest& c = proof[next];
    if (sn == 0) return Corruption("consistency proof is too long");
    if (Lsb(fn) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("consistency proof is too short");
  if (fr != root1) return Mismatch("root1", fr, root1);
  return sr;
}

Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, std::span<const Digest> proof,
                         const Digest& root1, const Digest& root2) {
  Result<Digest> calculated = RootFromConsistencyProof(size1, size2, proof, root1);
  if (!calculated.ok()) return calculated.status();
  if (*calculated != root2) return Mismatch("root2", *calculated, root2);
  return Status::Ok();
}

}  // namespace caseledger::merkle
