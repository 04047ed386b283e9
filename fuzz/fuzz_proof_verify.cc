// Fuzz target: RFC 9162 proof verification (ledger/merkle/verify.h) and proof
// computation (ledger/merkle/proof.h). The first input byte picks a mode:
// - even: raw verification. Sizes, indices, a leaf hash, roots and a list of
//   proof hashes are read from the input and given to RootFromInclusionProof,
//   VerifyInclusion, RootFromConsistencyProof and VerifyConsistency. They must
//   never crash, must agree with each other, must refuse impossible sizes with
//   InvalidArgument and wrong proofs with Corruption, and a proof of exactly
//   InclusionProofSize / ConsistencyProofSize hashes must get through the RFC
//   algorithm (no "too long"/"too short": the size functions and the loops agree).
// - odd: a real tree. 1..160 leaves whose data comes from the input are appended
//   to a merkle::CompactRange whose reported nodes fill a vector NodeSource; for
//   a few (leaf, size1, size2) from the input, proofs are computed from the
//   source (reading only nodes inside the tree asked about), must equal the
//   brute-force RFC reference (tests/ledger/merkle/reference.h), must verify,
//   and must stop verifying when one bit of a proof hash, the leaf hash or a
//   root is flipped.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "fuzz_check.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/node_id.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"
#include "tests/ledger/merkle/reference.h"

namespace {

using caseledger::Bytes;
using caseledger::Result;
using caseledger::Status;
using caseledger::StatusCode;
namespace merkle = caseledger::merkle;
using merkle::Digest;
using merkle::NodeId;

constexpr std::uint64_t kMaxLeaves = 160;

Digest ConsumeDigest(FuzzedDataProvider& fdp) {
  Digest d;
  const std::vector<std::uint8_t> b = fdp.ConsumeBytes<std::uint8_t>(d.bytes.size());
  if (!b.empty()) std::memcpy(d.bytes.data(), b.data(), b.size());
  return d;
}

// A size or index: small, medium, any, or near 2^64.
std::uint64_t ConsumeSize(FuzzedDataProvider& fdp) {
  switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return fdp.ConsumeIntegralInRange<std::uint64_t>(0, 70);
    case 1: return fdp.ConsumeIntegralInRange<std::uint64_t>(0, std::uint64_t{1} << 20);
    case 2: return fdp.ConsumeIntegral<std::uint64_t>();
    default:
      return std::numeric_limits<std::uint64_t>::max() - fdp.ConsumeIntegralInRange<std::uint64_t>(0, 70);
  }
}

// `want` hashes if the input says so (and want is known), else 0..70 of them.
std::vector<Digest> ConsumeProof(FuzzedDataProvider& fdp, std::size_t want) {
  std::size_t count = want;
  if (want == SIZE_MAX || !fdp.ConsumeBool()) count = fdp.ConsumeIntegralInRange<std::size_t>(0, 70);
  std::vector<Digest> proof(count);
  for (Digest& d : proof) d = ConsumeDigest(fdp);
  return proof;
}

void RawInclusion(FuzzedDataProvider& fdp) {
  const std::uint64_t tree_size = ConsumeSize(fdp);
  const std::uint64_t leaf_index = fdp.ConsumeBool() && tree_size > 0
                                       ? fdp.ConsumeIntegralInRange<std::uint64_t>(0, tree_size - 1)
                                       : ConsumeSize(fdp);
  const bool possible = leaf_index < tree_size;
  const std::size_t want = possible ? merkle::InclusionProofSize(leaf_index, tree_size) : SIZE_MAX;
  if (possible) FUZZ_CHECK(want <= 64, "inclusion proof size " + std::to_string(want));
  const std::vector<Digest> proof = ConsumeProof(fdp, want);
  const Digest leaf = ConsumeDigest(fdp);
  const Digest root = ConsumeDigest(fdp);

  Result<Digest> calculated = merkle::RootFromInclusionProof(leaf_index, tree_size, leaf, proof);
  const Status verified = merkle::VerifyInclusion(leaf_index, tree_size, leaf, proof, root);
  if (!possible) {
    FUZZ_CHECK(!calculated.ok() && calculated.status().code() == StatusCode::kInvalidArgument,
               "inclusion with leaf index >= tree size: " + calculated.status().ToString());
    FUZZ_CHECK(verified.code() == StatusCode::kInvalidArgument, verified.ToString());
    return;
  }
  if (proof.size() == want) {
    FUZZ_CHECK(calculated.ok(), "proof of the right size refused: " + calculated.status().ToString());
    FUZZ_CHECK(verified.ok() == (*calculated == root), "VerifyInclusion disagrees with RootFromInclusionProof");
    if (!verified.ok()) FUZZ_CHECK(verified.code() == StatusCode::kCorruption, verified.ToString());
    const Status self = merkle::VerifyInclusion(leaf_index, tree_size, leaf, proof, *calculated);
    FUZZ_CHECK(self.ok(), "proof does not verify against its own root: " + self.ToString());
  } else {
    FUZZ_CHECK(!calculated.ok() && calculated.status().code() == StatusCode::kCorruption,
               "proof of the wrong size: " + calculated.status().ToString());
    FUZZ_CHECK(verified.code() == StatusCode::kCorruption, verified.ToString());
  }
}

void RawConsistency(FuzzedDataProvider& fdp) {
  const std::uint64_t size2 = ConsumeSize(fdp);
  const std::uint64_t size1 = fdp.ConsumeBool() && size2 > 0
                                  ? fdp.ConsumeIntegralInRange<std::uint64_t>(1, size2)
                                  : ConsumeSize(fdp);
  const bool possible = 0 < size1 && size1 <= size2;
  const std::size_t want = possible ? merkle::ConsistencyProofSize(size1, size2) : SIZE_MAX;
  if (possible) FUZZ_CHECK(want <= 65, "consistency proof size " + std::to_string(want));
  const std::vector<Digest> proof = ConsumeProof(fdp, want);
  const Digest root1 = ConsumeDigest(fdp);
  const Digest root2 = ConsumeDigest(fdp);

  Result<Digest> calculated = merkle::RootFromConsistencyProof(size1, size2, proof, root1);
  const Status verified = merkle::VerifyConsistency(size1, size2, proof, root1, root2);
  if (!possible) {
    FUZZ_CHECK(!calculated.ok() && calculated.status().code() == StatusCode::kInvalidArgument,
               "consistency with impossible sizes: " + calculated.status().ToString());
    FUZZ_CHECK(verified.code() == StatusCode::kInvalidArgument, verified.ToString());
    return;
  }
  if (proof.size() != want) {
    FUZZ_CHECK(!calculated.ok() && calculated.status().code() == StatusCode::kCorruption,
               "proof of the wrong size: " + calculated.status().ToString());
    FUZZ_CHECK(verified.code() == StatusCode::kCorruption, verified.ToString());
    return;
  }
  if (size1 == size2) {
    FUZZ_CHECK(calculated.ok() && *calculated == root1, "equal sizes, empty proof: not root1");
    FUZZ_CHECK(verified.ok() == (root1 == root2), "equal sizes: VerifyConsistency is not root1 == root2");
    return;
  }
  if (!calculated.ok()) {
    // Only the root1 comparison may fail once the size is right.
    FUZZ_CHECK(calculated.status().code() == StatusCode::kCorruption &&
                   calculated.status().message().starts_with("calculated root1 "),
               "proof of the right size refused: " + calculated.status().ToString());
    FUZZ_CHECK(verified.code() == calculated.status().code() && verified.message() == calculated.status().message(),
               "VerifyConsistency disagrees with RootFromConsistencyProof");
    return;
  }
  FUZZ_CHECK(verified.ok() == (*calculated == root2), "VerifyConsistency disagrees with RootFromConsistencyProof");
  const Status self = merkle::VerifyConsistency(size1, size2, proof, root1, *calculated);
  FUZZ_CHECK(self.ok(), "proof does not verify against its own root2: " + self.ToString());
}

// NodeSource over vectors, one per level, filled from CompactRange::Append in
// completion order. Reads of nodes that are not complete within `limit` leaves
// fail, so proof computation is checked to stay inside the tree asked about.
class VectorNodeSource : public merkle::NodeSource {
 public:
  VectorNodeSource() : levels_(64) {}
  void Put(NodeId id, const Digest& hash) {
    std::vector<Digest>& level = levels_[id.level];
    FUZZ_CHECK(id.index == level.size(), "node " + id.ToString() + " reported out of order");
    level.push_back(hash);
  }
  void set_limit(std::uint64_t limit) { limit_ = limit; }
  Result<Digest> GetNode(NodeId id) override {
    FUZZ_CHECK(id.level < 64, "node level " + std::to_string(id.level));
    FUZZ_CHECK(id.end() <= limit_, "read node " + id.ToString() + " outside a tree of " + std::to_string(limit_));
    const std::vector<Digest>& level = levels_[id.level];
    if (id.index >= level.size()) return caseledger::NotFound("node " + id.ToString() + " not stored");
    return level[id.index];
  }

 private:
  std::vector<std::vector<Digest>> levels_;
  std::uint64_t limit_ = 0;
};

void FlipBit(Digest& d, unsigned bit) { d.bytes[(bit / 8) % d.bytes.size()] ^= static_cast<std::uint8_t>(1u << (bit % 8)); }

void RealTree(FuzzedDataProvider& fdp) {
  const std::uint64_t n = fdp.ConsumeIntegralInRange<std::uint64_t>(1, kMaxLeaves);
  const int queries = fdp.ConsumeIntegralInRange<int>(1, 4);
  // The query parameters come from the end of the input (FuzzedDataProvider
  // takes integers from the back), the leaf data from the front.
  struct Query {
    std::uint64_t size2, leaf, size1;
    std::size_t flip_at;
    unsigned bit;
  };
  std::vector<Query> qs;
  for (int i = 0; i < queries; ++i) {
    Query q{};
    q.size2 = fdp.ConsumeIntegralInRange<std::uint64_t>(1, n);
    q.leaf = fdp.ConsumeIntegralInRange<std::uint64_t>(0, q.size2 - 1);
    q.size1 = fdp.ConsumeIntegralInRange<std::uint64_t>(1, q.size2);
    q.flip_at = fdp.ConsumeIntegral<std::size_t>();
    q.bit = fdp.ConsumeIntegralInRange<unsigned>(0, 255);
    qs.push_back(q);
  }

  std::vector<Bytes> leaves;
  leaves.reserve(n);
  merkle::CompactRange range;
  VectorNodeSource nodes;
  std::vector<Digest> roots{range.Root()};
  for (std::uint64_t i = 0; i < n; ++i) {
    Bytes leaf = fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 8));
    leaf.push_back(static_cast<std::uint8_t>(i));  // mostly distinct leaves even when the input runs out
    range.Append(merkle::HashLeaf(leaf), [&nodes](NodeId id, const Digest& hash) { nodes.Put(id, hash); });
    roots.push_back(range.Root());
    leaves.push_back(std::move(leaf));
  }
  FUZZ_CHECK(roots.front() == merkle::EmptyRoot(), "empty CompactRange root is not EmptyRoot()");
  namespace ref = merkle::reference;
  FUZZ_CHECK(roots.back() == ref::Mth(leaves), "CompactRange root differs from the reference MTH");

  for (const Query& q : qs) {
    const std::span<const Bytes> tree2(leaves.data(), q.size2);
    nodes.set_limit(q.size2);
    Result<Digest> from_source = merkle::RootFromSource(q.size2, nodes);
    FUZZ_CHECK(from_source.ok() && *from_source == roots[q.size2], "RootFromSource differs from CompactRange root");
    FUZZ_CHECK(roots[q.size2] == ref::Mth(tree2), "root of size " + std::to_string(q.size2) + " differs from reference");

    // Inclusion.
    Result<std::vector<Digest>> path = merkle::InclusionProof(q.leaf, q.size2, nodes);
    FUZZ_CHECK(path.ok(), "InclusionProof failed: " + path.status().ToString());
    FUZZ_CHECK(*path == ref::Path(q.leaf, tree2), "InclusionProof differs from the reference PATH");
    Digest leaf_hash = merkle::HashLeaf(leaves[q.leaf]);
    Digest root2 = roots[q.size2];
    Status ok = merkle::VerifyInclusion(q.leaf, q.size2, leaf_hash, *path, root2);
    FUZZ_CHECK(ok.ok(), "real inclusion proof does not verify: " + ok.ToString());
    {
      std::vector<Digest> bad = *path;
      Digest bad_leaf = leaf_hash;
      Digest bad_root = root2;
      const std::size_t at = q.flip_at % (bad.size() + 2);
      FlipBit(at < bad.size() ? bad[at] : at == bad.size() ? bad_leaf : bad_root, q.bit);
      const Status flipped = merkle::VerifyInclusion(q.leaf, q.size2, bad_leaf, bad, bad_root);
      FUZZ_CHECK(flipped.code() == StatusCode::kCorruption,
                 "inclusion proof with a flipped bit (at " + std::to_string(at) + "): " + flipped.ToString());
    }

    // Consistency.
    Result<std::vector<Digest>> proof = merkle::ConsistencyProof(q.size1, q.size2, nodes);
    FUZZ_CHECK(proof.ok(), "ConsistencyProof failed: " + proof.status().ToString());
    FUZZ_CHECK(*proof == ref::Proof(q.size1, tree2), "ConsistencyProof differs from the reference PROOF");
    const Digest root1 = roots[q.size1];
    ok = merkle::VerifyConsistency(q.size1, q.size2, *proof, root1, root2);
    FUZZ_CHECK(ok.ok(), "real consistency proof does not verify: " + ok.ToString());
    {
      std::vector<Digest> bad = *proof;
      Digest bad_root1 = root1;
      Digest bad_root2 = root2;
      const std::size_t at = q.flip_at % (bad.size() + 2);
      FlipBit(at < bad.size() ? bad[at] : at == bad.size() ? bad_root1 : bad_root2, q.bit);
      const Status flipped = merkle::VerifyConsistency(q.size1, q.size2, bad, bad_root1, bad_root2);
      FUZZ_CHECK(flipped.code() == StatusCode::kCorruption,
                 "consistency proof with a flipped bit (at " + std::to_string(at) + "): " + flipped.ToString());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider fdp(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    RawInclusion(fdp);
    RawConsistency(fdp);
  } else {
    RealTree(fdp);
  }
  return 0;
}
