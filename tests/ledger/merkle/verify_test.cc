#include "ledger/merkle/verify.h"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "ledger/merkle/proof.h"
#include "tests/ledger/merkle/test_tree.h"

namespace caseledger::merkle {
namespace {

using Proof = std::vector<Digest>;

Proof MustInclusion(testing::TestTree& tree, std::uint64_t index, std::uint64_t size) {
  Result<Proof> proof = InclusionProof(index, size, tree.nodes);
  REQUIRE(proof.ok());
  return *proof;
}

Proof MustConsistency(testing::TestTree& tree, std::uint64_t size1, std::uint64_t size2) {
  Result<Proof> proof = ConsistencyProof(size1, size2, tree.nodes);
  REQUIRE(proof.ok());
  return *proof;
}

Digest Flip(Digest d, std::size_t bit) {
  d.bytes[bit / 8] = static_cast<std::uint8_t>(d.bytes[bit / 8] ^ (1u << (bit % 8)));
  return d;
}

// Proofs with one hash more or less than `proof`, in every position.
std::vector<Proof> WrongLengths(const Proof& proof, const Digest& extra) {
  std::vector<Proof> out;
  for (std::size_t i = 0; i <= proof.size(); ++i) {
    Proof longer = proof;
    longer.insert(longer.begin() + static_cast<std::ptrdiff_t>(i), extra);
    out.push_back(longer);
  }
  for (std::size_t i = 0; i < proof.size(); ++i) {
    Proof shorter = proof;
    shorter.erase(shorter.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(shorter);
  }
  return out;
}

TEST_CASE("VerifyInclusion rejects every tampering, trees up to 128", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(129));
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> any_bit(0, 8 * kHashBytes - 1);
  const Digest stranger = HashLeaf(AsBytes("not in the tree"));
  int same_shape_sizes = 0;
  for (std::uint64_t size = 1; size <= 128; ++size) {
    const Digest& root = tree.roots[size];
    for (std::uint64_t index = 0; index < size; ++index) {
      INFO("leaf " << index << " in tree size " << size);
      const Digest leaf = HashLeaf(tree.leaves[index]);
      const Proof proof = MustInclusion(tree, index, size);
      REQUIRE(VerifyInclusion(index, size, leaf, proof, root).ok());

      // Any flipped bit of any element: every bit for small trees, one random bit
      // per element otherwise.
      for (std::size_t e = 0; e < proof.size(); ++e) {
        auto check_bit = [&](std::size_t bit) {
          Proof bad = proof;
          bad[e] = Flip(bad[e], bit);
          CHECK(VerifyInclusion(index, size, leaf, bad, root).code() == StatusCode::kCorruption);
        };
        if (size <= 8) {
          for (std::size_t bit = 0; bit < 8 * kHashBytes; ++bit) check_bit(bit);
        } else {
          check_bit(any_bit(rng));
        }
      }
      // Wrong leaf, wrong root (another size's, a flipped one, a stranger).
      CHECK(VerifyInclusion(index, size, stranger, proof, root).code() == StatusCode::kCorruption);
      CHECK(VerifyInclusion(index, size, Flip(leaf, any_bit(rng)), proof, root).code() ==
            StatusCode::kCorruption);
      CHECK(VerifyInclusion(index, size, leaf, proof, tree.roots[size + 1]).code() ==
            StatusCode::kCorruption);
      CHECK(VerifyInclusion(index, size, leaf, proof, Flip(root, any_bit(rng))).code() ==
            StatusCode::kCorruption);
      CHECK(VerifyInclusion(index, size, leaf, proof, stranger).code() == StatusCode::kCorruption);
      // Extra or missing elements anywhere.
      for (const Proof& bad : WrongLengths(proof, stranger)) {
        CHECK(VerifyInclusion(index, size, leaf, bad, root).code() == StatusCode::kCorruption);
      }
      for (const Proof& bad : WrongLengths(proof, root)) {
        CHECK(VerifyInclusion(index, size, leaf, bad, root).code() == StatusCode::kCorruption);
      }
      // Wrong index: every other index for small trees, neighbours otherwise.
      for (std::uint64_t other = 0; other < size; ++other) {
        if (other == index) continue;
        if (size > 32 && other + 2 != index && other != index + 2 && other + 1 != index &&
            other != index + 1 && other != (index ^ 2)) {
          continue;
        }
        CHECK_FALSE(VerifyInclusion(other, size, leaf, proof, root).ok());
      }
      // Index or size out of range.
      CHECK(VerifyInclusion(size, size, leaf, proof, root).code() == StatusCode::kInvalidArgument);
      // Wrong size: always rejected against that size's own root; against this
      // root, whenever the proof cannot have the right length. (A proof can verify
      // for another size against the same root when the path has the same shape,
      // e.g. leaf 0 of 3 vs of 4; the tree size comes from the signed checkpoint.)
      for (std::uint64_t other : {size - 1, size + 1, 2 * size, size / 2}) {
        if (other <= index || other == size) continue;
        if (other <= 128) {
          CHECK_FALSE(VerifyInclusion(index, other, leaf, proof, tree.roots[other]).ok());
        }
        if (InclusionProofSize(index, other) != proof.size()) {
          CHECK(VerifyInclusion(index, other, leaf, proof, root).code() == StatusCode::kCorruption);
        } else if (VerifyInclusion(index, other, leaf, proof, root).ok()) {
          ++same_shape_sizes;
        }
      }
    }
  }
  // Such proofs exist (see the next test case); they are not a weakness of this code.
  CHECK(same_shape_sizes > 0);
}

TEST_CASE("An inclusion proof does not bind the tree size on its own", "[merkle]") {
  // Leaf 0 of a 3-leaf tree has PATH {h1, h2}; the verifier walks the same
  // left-left shape for size 4. RFC 9162 verification accepts it: callers must take
  // the size from the same signed checkpoint as the root.
  testing::TestTree tree(testing::MakeLeaves(4));
  const Proof proof = MustInclusion(tree, 0, 3);
  const Digest leaf = HashLeaf(tree.leaves[0]);
  CHECK(VerifyInclusion(0, 3, leaf, proof, tree.roots[3]).ok());
  CHECK(VerifyInclusion(0, 4, leaf, proof, tree.roots[3]).ok());
  CHECK_FALSE(VerifyInclusion(0, 4, leaf, proof, tree.roots[4]).ok());
}

TEST_CASE("VerifyConsistency rejects every tampering, trees up to 128", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(129));
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::size_t> any_bit(0, 8 * kHashBytes - 1);
  const Digest stranger = HashLeaf(AsBytes("not in the tree"));
  for (std::uint64_t size2 = 1; size2 <= 128; ++size2) {
    for (std::uint64_t size1 = 1; size1 <= size2; ++size1) {
      INFO("consistency from " << size1 << " to " << size2);
      const Digest& root1 = tree.roots[size1];
      const Digest& root2 = tree.roots[size2];
      const Proof proof = MustConsistency(tree, size1, size2);
      REQUIRE(VerifyConsistency(size1, size2, proof, root1, root2).ok());

      for (std::size_t e = 0; e < proof.size(); ++e) {
        auto check_bit = [&](std::size_t bit) {
          Proof bad = proof;
          bad[e] = Flip(bad[e], bit);
          CHECK(VerifyConsistency(size1, size2, bad, root1, root2).code() ==
                StatusCode::kCorruption);
        };
        if (size2 <= 8) {
          for (std::size_t bit = 0; bit < 8 * kHashBytes; ++bit) check_bit(bit);
        } else {
          check_bit(any_bit(rng));
        }
      }
      CHECK(VerifyConsistency(size1, size2, proof, Flip(root1, any_bit(rng)), root2).code() ==
            StatusCode::kCorruption);
      CHECK(VerifyConsistency(size1, size2, proof, root1, Flip(root2, any_bit(rng))).code() ==
            StatusCode::kCorruption);
      CHECK(VerifyConsistency(size1, size2, proof, root1, stranger).code() ==
            StatusCode::kCorruption);
      if (size1 != size2) {
        CHECK(VerifyConsistency(size1, size2, proof, root2, root1).code() ==
              StatusCode::kCorruption);
      }
      for (const Proof& bad : WrongLengths(proof, stranger)) {
        CHECK(VerifyConsistency(size1, size2, bad, root1, root2).code() ==
              StatusCode::kCorruption);
      }
      for (const Proof& bad : WrongLengths(proof, root1)) {
        CHECK(VerifyConsistency(size1, size2, bad, root1, root2).code() ==
              StatusCode::kCorruption);
      }
      // Wrong sizes: rejected against those sizes' own roots, and against these
      // roots whenever the proof cannot have the right length.
      for (std::uint64_t other1 : {size1 - 1, size1 + 1, size1 ^ 2}) {
        if (other1 == 0 || other1 > size2 || other1 == size1) continue;
        CHECK_FALSE(VerifyConsistency(other1, size2, proof, tree.roots[other1], root2).ok());
        if (ConsistencyProofSize(other1, size2) != proof.size()) {
          CHECK(VerifyConsistency(other1, size2, proof, root1, root2).code() ==
                StatusCode::kCorruption);
        }
      }
      for (std::uint64_t other2 : {size2 - 1, size2 + 1, 2 * size2, size2 / 2}) {
        if (other2 < size1 || other2 == size2) continue;
        if (other2 <= 128) {
          CHECK_FALSE(VerifyConsistency(size1, other2, proof, root1, tree.roots[other2]).ok());
        }
        if (ConsistencyProofSize(size1, other2) != proof.size()) {
          CHECK(VerifyConsistency(size1, other2, proof, root1, root2).code() ==
                StatusCode::kCorruption);
        }
      }
      // Impossible sizes.
      CHECK(VerifyConsistency(0, size2, proof, root1, root2).code() ==
            StatusCode::kInvalidArgument);
      CHECK(VerifyConsistency(size2 + 1, size2, proof, root1, root2).code() ==
            StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("Consistency between equal sizes and from the empty tree", "[merkle]") {
  const Digest a = HashLeaf(AsBytes("a"));
  const Digest b = HashLeaf(AsBytes("b"));
  // Equal sizes: empty proof, equal roots.
  CHECK(VerifyConsistency(5, 5, {}, a, a).ok());
  CHECK(VerifyConsistency(5, 5, {}, a, b).message() ==
        "calculated root2 " + a.Hex() + " != expected root2 " + b.Hex());
  CHECK(VerifyConsistency(5, 5, std::vector<Digest>{a}, a, a).code() == StatusCode::kCorruption);
  // size1 == 0 is refused whatever the proof: a proof from the empty tree proves
  // nothing (every tree extends it), and the RFC defines none (0 < first).
  CHECK(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()).code() ==
        StatusCode::kInvalidArgument);
  CHECK(VerifyConsistency(0, 1, {}, EmptyRoot(), a).code() == StatusCode::kInvalidArgument);
  CHECK(VerifyConsistency(1, 0, {}, a, EmptyRoot()).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Verification messages quote the mismatching values", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(8));
  const Digest leaf = HashLeaf(tree.leaves[5]);
  const Proof proof = MustInclusion(tree, 5, 8);
  const Digest wrong = HashLeaf(AsBytes("wrong"));
  Status s = VerifyInclusion(5, 8, leaf, proof, wrong);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message() == "calculated root " + tree.roots[8].Hex() + " != expected root " + wrong.Hex());
  s = VerifyInclusion(5, 8, leaf, Proof(proof.begin(), proof.end() - 1), tree.roots[8]);
  CHECK(s.message() == "inclusion proof for leaf 5 in tree size 8 has 2 hashes, want 3");
  s = VerifyInclusion(8, 8, leaf, proof, tree.roots[8]);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "leaf index 8 is not below tree size 8");

  const Proof cons = MustConsistency(tree, 3, 8);
  s = VerifyConsistency(3, 8, cons, wrong, tree.roots[8]);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().starts_with("calculated root1 " + tree.roots[3].Hex() + " != expected root1 " +
                                wrong.Hex()));
  s = VerifyConsistency(3, 8, cons, tree.roots[3], wrong);
  CHECK(s.message() == "calculated root2 " + tree.roots[8].Hex() + " != expected root2 " + wrong.Hex());
  s = VerifyConsistency(3, 8, {}, tree.roots[3], tree.roots[8]);
  CHECK(s.message() == "consistency proof from size 3 to 8 has 0 hashes, want 4");

  Result<Digest> root2 = RootFromConsistencyProof(3, 8, cons, tree.roots[3]);
  REQUIRE(root2.ok());
  CHECK(*root2 == tree.roots[8]);
  Result<Digest> root = RootFromInclusionProof(5, 8, leaf, proof);
  REQUIRE(root.ok());
  CHECK(*root == tree.roots[8]);
}

TEST_CASE("Verification handles sizes near 2^64 without overflow", "[merkle]") {
  const std::uint64_t max = ~std::uint64_t{0};
  const Digest h = HashLeaf(AsBytes("h"));
  CHECK(InclusionProofSize(max - 1, max) == 63);
  CHECK(InclusionProofSize(0, max) == 64);
  CHECK(VerifyInclusion(max - 1, max, h, Proof(63, h), h).code() == StatusCode::kCorruption);
  CHECK(VerifyInclusion(0, max, h, Proof(64, h), h).code() == StatusCode::kCorruption);
  CHECK(VerifyInclusion(max, max, h, Proof(64, h), h).code() == StatusCode::kInvalidArgument);
  const std::size_t n = ConsistencyProofSize(std::uint64_t{1} << 63, max);
  CHECK(n == 1);  // {MTH(D[2^63 : 2^64 - 1])}
  CHECK(VerifyConsistency(std::uint64_t{1} << 63, max, Proof(n, h), h, h).code() ==
        StatusCode::kCorruption);
  CHECK(VerifyConsistency(max - 1, max, Proof(ConsistencyProofSize(max - 1, max), h), h, h)
            .code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace caseledger::merkle
