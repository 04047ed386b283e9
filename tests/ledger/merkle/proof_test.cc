#include "ledger/merkle/proof.h"

#include <catch2/catch.hpp>

#include <bit>
#include <random>
#include <vector>

#include "ledger/merkle/verify.h"
#include "tests/ledger/merkle/reference.h"
#include "tests/ledger/merkle/test_tree.h"

namespace caseledger::merkle {
namespace {

// Every read lies inside the tree of `size` leaves (so it was stored by the time the
// tree had that size), and there are O(log size) of them.
void CheckReads(const testing::MemoryNodeSource& nodes, std::uint64_t size) {
  const auto bound = static_cast<std::size_t>(2 * std::bit_width(size) + 2);
  CHECK(nodes.reads().size() <= bound);
  for (const NodeId& id : nodes.reads()) {
    INFO("read " << id.ToString());
    CHECK(id.end() <= size);
  }
}

void CheckInclusion(testing::TestTree& tree, std::uint64_t index, std::uint64_t size) {
  INFO("inclusion of leaf " << index << " in tree size " << size);
  tree.nodes.ClearReads();
  Result<std::vector<Digest>> proof = InclusionProof(index, size, tree.nodes);
  REQUIRE(proof.ok());
  CheckReads(tree.nodes, size);
  const auto leaves = std::span(tree.leaves).first(size);
  CHECK(*proof == reference::Path(index, leaves));
  CHECK(proof->size() == InclusionProofSize(index, size));
  const Digest leaf_hash = HashLeaf(tree.leaves[index]);
  const Status verified = VerifyInclusion(index, size, leaf_hash, *proof, tree.roots[size]);
  CHECK(verified.ToString() == "ok");
}

void CheckConsistency(testing::TestTree& tree, std::uint64_t size1, std::uint64_t size2) {
  INFO("consistency from " << size1 << " to " << size2);
  tree.nodes.ClearReads();
  Result<std::vector<Digest>> proof = ConsistencyProof(size1, size2, tree.nodes);
  REQUIRE(proof.ok());
  CheckReads(tree.nodes, size2);
  CHECK(*proof == reference::Proof(size1, std::span(tree.leaves).first(size2)));
  CHECK(proof->size() == ConsistencyProofSize(size1, size2));
  const Status verified =
      VerifyConsistency(size1, size2, *proof, tree.roots[size1], tree.roots[size2]);
  CHECK(verified.ToString() == "ok");
}

TEST_CASE("Inclusion proofs equal the reference PATH for all trees up to 128", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(128));
  REQUIRE(tree.put_errors == 0);
  for (std::uint64_t size = 1; size <= 128; ++size) {
    for (std::uint64_t index = 0; index < size; ++index) CheckInclusion(tree, index, size);
  }
}

TEST_CASE("Consistency proofs equal the reference PROOF for all trees up to 128", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(128));
  REQUIRE(tree.put_errors == 0);
  for (std::uint64_t size2 = 1; size2 <= 128; ++size2) {
    for (std::uint64_t size1 = 1; size1 <= size2; ++size1) CheckConsistency(tree, size1, size2);
  }
}

TEST_CASE("Proofs and roots over a tree of 100000 leaves", "[merkle][slow]") {
  constexpr std::uint64_t kLeaves = 100000;
  testing::TestTree tree(testing::MakeLeaves(kLeaves));
  REQUIRE(tree.put_errors == 0);
  CHECK(tree.nodes.node_count() == 2 * kLeaves - static_cast<std::size_t>(std::popcount(kLeaves)));
  CHECK(tree.roots[kLeaves] == reference::Mth(tree.leaves));

  std::mt19937_64 rng(20240517);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  // Edges first, then random pairs.
  CheckInclusion(tree, 0, kLeaves);
  CheckInclusion(tree, kLeaves - 1, kLeaves);
  CheckInclusion(tree, 65535, 65536);
  CheckInclusion(tree, 65536, kLeaves);
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t size = uniform(1, kLeaves);
    CheckInclusion(tree, uniform(0, size - 1), size);
  }
  CheckConsistency(tree, 1, kLeaves);
  CheckConsistency(tree, kLeaves - 1, kLeaves);
  CheckConsistency(tree, 65536, kLeaves);
  CheckConsistency(tree, kLeaves, kLeaves);
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t size2 = uniform(1, kLeaves);
    CheckConsistency(tree, uniform(1, size2), size2);
  }
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t size = uniform(0, kLeaves);
    Result<Digest> root = RootFromSource(size, tree.nodes);
    REQUIRE(root.ok());
    CHECK(*root == tree.roots[size]);
  }
}

TEST_CASE("RootFromSource equals the CompactRange root for every size up to 128", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(128));
  for (std::uint64_t size = 0; size <= 128; ++size) {
    INFO("size " << size);
    tree.nodes.ClearReads();
    Result<Digest> root = RootFromSource(size, tree.nodes);
    REQUIRE(root.ok());
    CHECK(*root == tree.roots[size]);
    CHECK(tree.nodes.reads() == CompactRangeIds(size));
  }
}

TEST_CASE("Proof requests outside the tree are InvalidArgument", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(8));
  CHECK(InclusionProof(0, 0, tree.nodes).status().code() == StatusCode::kInvalidArgument);
  CHECK(InclusionProof(8, 8, tree.nodes).status().code() == StatusCode::kInvalidArgument);
  CHECK(InclusionProof(9, 8, tree.nodes).status().message() ==
        "inclusion proof: leaf index 9 is not below tree size 8");
  // size1 == 0: the RFC defines PROOF(m, D[n]) for 0 < m only; a "proof" from the empty
  // tree would prove nothing and RFC 9162 verifiers reject it.
  CHECK(ConsistencyProof(0, 0, tree.nodes).status().code() == StatusCode::kInvalidArgument);
  CHECK(ConsistencyProof(0, 5, tree.nodes).status().code() == StatusCode::kInvalidArgument);
  CHECK(ConsistencyProof(6, 5, tree.nodes).status().message() ==
        "consistency proof: sizes 6 and 5 do not satisfy 0 < size1 <= size2");
  // size1 == size2: the empty proof, with no reads.
  tree.nodes.ClearReads();
  Result<std::vector<Digest>> same = ConsistencyProof(5, 5, tree.nodes);
  REQUIRE(same.ok());
  CHECK(same->empty());
  CHECK(tree.nodes.reads().empty());
  CHECK(tree.put_errors == 0);
}

TEST_CASE("Proof computation passes source errors through", "[merkle]") {
  testing::TestTree tree(testing::MakeLeaves(5));
  // Nodes of a larger tree are not stored.
  Result<std::vector<Digest>> incl = InclusionProof(3, 9, tree.nodes);
  CHECK(incl.status().code() == StatusCode::kNotFound);
  Result<std::vector<Digest>> cons = ConsistencyProof(5, 9, tree.nodes);
  CHECK(cons.status().code() == StatusCode::kNotFound);
  CHECK(RootFromSource(6, tree.nodes).status().code() == StatusCode::kNotFound);

  tree.nodes.FailWith(IoError("disk on fire"));
  incl = InclusionProof(3, 5, tree.nodes);
  CHECK(incl.status().code() == StatusCode::kIoError);
  CHECK(incl.status().message() == "disk on fire");
  cons = ConsistencyProof(3, 5, tree.nodes);
  CHECK(cons.status().code() == StatusCode::kIoError);
  CHECK(RootFromSource(5, tree.nodes).status().code() == StatusCode::kIoError);
  CHECK(CompactRangeFromSource(5, tree.nodes).status().code() == StatusCode::kIoError);
}

}  // namespace
}  // namespace caseledger::merkle
