#include "ledger/merkle/compact_range.h"

#include <catch2/catch.hpp>

#include <bit>
#include <utility>
#include <vector>

#include "ledger/merkle/proof.h"
#include "tests/ledger/merkle/reference.h"
#include "tests/ledger/merkle/test_tree.h"

namespace caseledger::merkle {
namespace {

TEST_CASE("The empty compact range is the empty tree", "[merkle]") {
  CompactRange range;
  CHECK(range.size() == 0);
  CHECK(range.hashes().empty());
  CHECK(range.Root() == EmptyRoot());

  Result<CompactRange> from = CompactRange::FromHashes(0, {});
  REQUIRE(from.ok());
  CHECK(from->Root() == EmptyRoot());

  testing::MemoryNodeSource nodes;
  Result<Digest> root = RootFromSource(0, nodes);
  REQUIRE(root.ok());
  CHECK(*root == EmptyRoot());
  CHECK(nodes.reads().empty());
}

TEST_CASE("CompactRange root equals the reference MTH for every size up to 128", "[merkle]") {
  const testing::TestTree tree(testing::MakeLeaves(128));
  REQUIRE(tree.put_errors == 0);
  for (std::size_t size = 0; size <= 128; ++size) {
    INFO("size " << size);
    CHECK(tree.roots[size] == reference::Mth(std::span(tree.leaves).first(size)));
  }
}

TEST_CASE("Append reports the leaf, then each completed subtree bottom-up", "[merkle]") {
  const std::vector<Bytes> leaves = testing::MakeLeaves(128);
  CompactRange range;
  std::size_t total = 0;
  for (std::uint64_t size = 0; size < leaves.size(); ++size) {
    std::vector<NodeId> ids;
    std::vector<Digest> hashes;
    range.Append(HashLeaf(leaves[size]), [&](NodeId id, const Digest& hash) {
      ids.push_back(id);
      hashes.push_back(hash);
    });
    INFO("append to size " << size);
    // The leaf, then one node per trailing 1 bit of the old size.
    REQUIRE(ids.size() == 1 + static_cast<std::size_t>(std::countr_one(size)));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      CHECK(static_cast<std::size_t>(ids[i].level) == i);
      CHECK(ids[i].end() == size + 1);  // every reported node ends at the new leaf
      // ...and its hash is the MTH of exactly the leaves it covers.
      const auto covered = std::span(leaves).subspan(ids[i].begin(), std::size_t{1} << ids[i].level);
      CHECK(hashes[i] == reference::Mth(covered));
    }
    total += ids.size();
    CHECK(range.size() == size + 1);
    CHECK(range.hashes().size() == static_cast<std::size_t>(std::popcount(size + 1)));
  }
  // 2n - popcount(n) perfect subtrees in a tree of n leaves.
  CHECK(total == 2 * 128 - 1);
}

TEST_CASE("hashes() are the stored nodes CompactRangeIds(size)", "[merkle]") {
  const testing::TestTree tree(testing::MakeLeaves(100));
  CompactRange range;
  testing::MemoryNodeSource nodes;
  for (std::size_t size = 1; size <= 100; ++size) {
    range.Append(HashLeaf(tree.leaves[size - 1]),
                 [&](NodeId id, const Digest& h) { REQUIRE(nodes.Put(id, h)); });
    const std::vector<NodeId> ids = CompactRangeIds(size);
    REQUIRE(ids.size() == range.hashes().size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Result<Digest> stored = nodes.GetNode(ids[i]);
      REQUIRE(stored.ok());
      CHECK(*stored == range.hashes()[i]);
    }
    Result<CompactRange> loaded = CompactRangeFromSource(size, nodes);
    REQUIRE(loaded.ok());
    CHECK(loaded->size() == size);
    CHECK(loaded->hashes() == range.hashes());
  }
}

TEST_CASE("FromHashes round-trips and appending continues the same tree", "[merkle]") {
  const testing::TestTree tree(testing::MakeLeaves(64));
  for (std::uint64_t size : std::vector<std::uint64_t>{0, 1, 2, 3, 7, 8, 13, 31, 32, 33}) {
    INFO("restart at size " << size);
    CompactRange prefix;
    for (std::uint64_t i = 0; i < size; ++i) prefix.Append(HashLeaf(tree.leaves[i]));
    Result<CompactRange> restored = CompactRange::FromHashes(size, prefix.hashes());
    REQUIRE(restored.ok());
    CHECK(restored->size() == size);
    CHECK(restored->hashes() == prefix.hashes());
    CHECK(restored->Root() == tree.roots[size]);
    for (std::uint64_t i = size; i < 64; ++i) {
      restored->Append(HashLeaf(tree.leaves[i]));
      CHECK(restored->Root() == tree.roots[i + 1]);
    }
  }
}

TEST_CASE("A copy is an independent range of the same tree", "[merkle]") {
  const testing::TestTree tree(testing::MakeLeaves(20));
  CompactRange original;
  for (std::size_t i = 0; i < 13; ++i) original.Append(HashLeaf(tree.leaves[i]));
  CompactRange copy = original;
  CHECK(copy.hashes().capacity() >= 64);
  for (std::size_t i = 13; i < 20; ++i) copy.Append(HashLeaf(tree.leaves[i]));
  CHECK(copy.Root() == tree.roots[20]);
  CHECK(original.size() == 13);
  CHECK(original.Root() == tree.roots[13]);
  original = copy;
  CHECK(original.Root() == tree.roots[20]);
  CompactRange moved = std::move(copy);
  CHECK(moved.Root() == tree.roots[20]);
}

TEST_CASE("FromHashes refuses a hash count other than popcount(size)", "[merkle]") {
  const Digest h = HashLeaf(AsBytes("x"));
  CHECK(CompactRange::FromHashes(0, {h}).status().code() == StatusCode::kInvalidArgument);
  CHECK(CompactRange::FromHashes(1, {}).status().code() == StatusCode::kInvalidArgument);
  CHECK(CompactRange::FromHashes(7, {h, h}).status().code() == StatusCode::kInvalidArgument);
  CHECK(CompactRange::FromHashes(8, {h, h}).status().code() == StatusCode::kInvalidArgument);
  Result<CompactRange> bad = CompactRange::FromHashes(7, {h, h, h, h});
  CHECK(bad.status().message() == "compact range of tree size 7 needs 3 hashes, got 4");
  CHECK(CompactRange::FromHashes(7, {h, h, h}).ok());
}

TEST_CASE("CompactRangeFromSource passes source errors through", "[merkle]") {
  testing::MemoryNodeSource empty;
  Result<CompactRange> missing = CompactRangeFromSource(5, empty);
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() == "merkle node (2, 0) not stored");
}

}  // namespace
}  // namespace caseledger::merkle
