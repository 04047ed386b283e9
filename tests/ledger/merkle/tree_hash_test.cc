#include "ledger/merkle/tree_hash.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/node_id.h"
#include "tests/ledger/merkle/reference.h"
#include "tests/ledger/merkle/test_tree.h"

namespace caseledger::merkle {
namespace {

Bytes B(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  REQUIRE(bytes.ok());
  return *bytes;
}

TEST_CASE("Tree hashes match RFC 6962/9162 known answers", "[merkle]") {
  // SHA-256("") (echo -n | sha256sum).
  CHECK(EmptyRoot().Hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(EmptyRoot() == crypto::Sha256(ByteView()));
  // The empty leaf is not the empty tree: SHA-256(0x00).
  CHECK(HashLeaf(ByteView()).Hex() ==
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  // SHA-256(0x00 || "L123456"), from transparency-dev/merkle rfc6962_test.go.
  CHECK(HashLeaf(AsBytes("L123456")).Hex() ==
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

TEST_CASE("HashChildren is SHA-256(0x01 || left || right) and ordered", "[merkle]") {
  const Digest l = HashLeaf(AsBytes("Hello"));
  const Digest r = HashLeaf(AsBytes("World"));
  Bytes preimage{0x01};
  preimage.insert(preimage.end(), l.bytes.begin(), l.bytes.end());
  preimage.insert(preimage.end(), r.bytes.begin(), r.bytes.end());
  CHECK(HashChildren(l, r) == crypto::Sha256(preimage));
  CHECK(HashChildren(l, r) == reference::NodeHash(l, r));
  CHECK(HashChildren(l, r) != HashChildren(r, l));
  // Domain separation: a node is not the leaf of its children's concatenation.
  CHECK(HashChildren(l, r) != HashLeaf(ByteView(preimage).subspan(1)));
}

TEST_CASE("DigestFromBytes takes exactly 32 bytes", "[merkle]") {
  const Digest d = HashLeaf(AsBytes("x"));
  Result<Digest> back = DigestFromBytes(d.view());
  REQUIRE(back.ok());
  CHECK(*back == d);
  for (std::size_t n : std::vector<std::size_t>{0, 1, 31, 33, 64}) {
    const Bytes b(n, 0xab);
    Result<Digest> r = DigestFromBytes(b);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("NodeId covers the leaves of its perfect subtree", "[merkle]") {
  const NodeId id{3, 5};
  CHECK(id.begin() == 40);
  CHECK(id.end() == 48);
  CHECK(id.ToString() == "(3, 5)");
  CHECK(NodeId{3, 5} == id);
  CHECK_FALSE(NodeId{2, 5} == id);
  const NodeId top{63, 0};
  CHECK(top.begin() == 0);
  CHECK(top.end() == std::uint64_t{1} << 63);
}

TEST_CASE("CompactRangeIds decomposes the tree largest subtree first", "[merkle]") {
  CHECK(CompactRangeIds(0).empty());
  CHECK(CompactRangeIds(1) == std::vector<NodeId>{{0, 0}});
  CHECK(CompactRangeIds(8) == std::vector<NodeId>{{3, 0}});
  CHECK(CompactRangeIds(7) == std::vector<NodeId>{{2, 0}, {1, 2}, {0, 6}});
  CHECK(CompactRangeIds(13) == std::vector<NodeId>{{3, 0}, {2, 2}, {0, 12}});
  const std::uint64_t max = ~std::uint64_t{0};
  const std::vector<NodeId> all = CompactRangeIds(max);
  REQUIRE(all.size() == 64);
  CHECK(all.front() == NodeId{63, 0});
  CHECK(all.back() == NodeId{0, max - 1});
  // Contiguous, and each piece is aligned to its own width.
  for (std::uint64_t size = 0; size <= 300; ++size) {
    std::uint64_t at = 0;
    for (const NodeId& id : CompactRangeIds(size)) {
      CHECK(id.begin() == at);
      at = id.end();
    }
    CHECK(at == size);
  }
}

// The 8-leaf tree of the Certificate Transparency / transparency-dev test suites.
TEST_CASE("Roots of the standard 8-leaf CT test tree", "[merkle]") {
  const std::vector<Bytes> leaves = {
      B(""),         B("00"),       B("10"),
      B("2021"),     B("3031"),     B("40414243"),
      B("5051525354555657"),        B("606162636465666768696a6b6c6d6e6f"),
  };
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  CompactRange range;
  testing::MemoryNodeSource nodes;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    range.Append(HashLeaf(leaves[i]), [&](NodeId id, const Digest& h) { REQUIRE(nodes.Put(id, h)); });
    INFO("size " << i + 1);
    CHECK(range.Root().Hex() == roots[i]);
    CHECK(reference::Mth(std::span(leaves).first(i + 1)).Hex() == roots[i]);
    Result<Digest> from_source = RootFromSource(i + 1, nodes);
    REQUIRE(from_source.ok());
    CHECK(from_source->Hex() == roots[i]);
  }

  // Proofs from transparency-dev/merkle proof/verify_test.go (leaf numbers there are
  // 1-based). Inclusion: leaf index, tree size, path.
  struct Inclusion {
    std::uint64_t index, size;
    std::vector<std::string> path;
  };
  const std::vector<Inclusion> inclusions = {
      {0, 1, {}},
      {0, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1, 5, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Inclusion& want : inclusions) {
    INFO("inclusion of leaf " << want.index << " in size " << want.size);
    Result<std::vector<Digest>> path = InclusionProof(want.index, want.size, nodes);
    REQUIRE(path.ok());
    std::vector<std::string> got;
    for (const Digest& d : *path) got.push_back(d.Hex());
    CHECK(got == want.path);
  }
  struct Consistency {
    std::uint64_t size1, size2;
    std::vector<std::string> proof;
  };
  const std::vector<Consistency> consistencies = {
      {1, 1, {}},
      {1, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 5, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6, 7, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  for (const Consistency& want : consistencies) {
    INFO("consistency from " << want.size1 << " to " << want.size2);
    Result<std::vector<Digest>> proof = ConsistencyProof(want.size1, want.size2, nodes);
    REQUIRE(proof.ok());
    std::vector<std::string> got;
    for (const Digest& d : *proof) got.push_back(d.Hex());
    CHECK(got == want.proof);
  }
}

}  // namespace
}  // namespace caseledger::merkle
