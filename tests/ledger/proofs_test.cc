#include "ledger/proofs.h"

#include <catch2/catch.hpp>
#include <random>

#include "crypto/base64.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

crypto::Digest D(const Json& j) {
  auto b = crypto::Base64Decode(j.get<std::string>()).value();
  crypto::Digest d;
  REQUIRE(b.size() == d.bytes.size());
  std::copy(b.begin(), b.end(), d.bytes.begin());
  return d;
}
std::vector<crypto::Digest> Ds(const Json& a) {
  std::vector<crypto::Digest> out;
  for (const auto& x : a) out.push_back(D(x));
  return out;
}

TEST_CASE("Stored proofs verify against the signed checkpoints", "[ledger]") {
  testing::TempDir dir;
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  {
    auto l = Ledger::Open(dir.path()).value();
    // Several batches of uneven sizes, so checkpoints of many sizes exist.
    for (int batch = 0; batch < 12; ++batch) {
      std::vector<std::future<Result<Appended>>> fs;
      for (int i = 0; i < batch * 7 + 1; ++i)
        fs.push_back(l->writer().Submit(testing::SyntheticCommand(i)));
      for (auto& f : fs) REQUIRE(f.get().ok());
    }
  }
  auto store = LogStore::Open(dir.path(), true).value();
  auto verifier = ReadVerifierFile(dir / "ledger.pub").value();
  auto txn = store->env().BeginRead().value();
  std::vector<Checkpoint> cps;
  auto cursor = lmdb::Cursor::Open(txn, store->checkpoints()).value();
  for (auto kv = cursor.First(); kv.ok() && *kv; kv = cursor.Next()) {
    cps.push_back(
        OpenCheckpoint(std::string(AsChars((*kv)->value)), verifier).value());
  }
  REQUIRE(cps.size() >= 2);
  std::mt19937_64 rng(7);
  for (const Checkpoint& cp : cps) {
    for (int k = 0; k < 5; ++k) {
      std::uint64_t seq = 1 + rng() % cp.size;
      Json p = InclusionProofJson(*store, seq, cp.size).value();
      CHECK(p["leaf_index"] == seq - 1);
      CHECK(D(p["root"]) == cp.root);
      // The leaf hash is SHA-256(0x00 ‖ C) of the stored event.
      Event e = DecodeEvent(ReadEventLine(txn, *store, seq).value()).value();
      CHECK(D(p["leaf_hash"]) == merkle::HashLeaf(AsBytes(EncodeUnsigned(e))));
      auto proof = Ds(p["proof"]);
      CHECK(merkle::VerifyInclusion(seq - 1, cp.size, D(p["leaf_hash"]), proof,
                                    cp.root)
                .ok());
    }
  }
  for (std::size_t i = 0; i + 1 < cps.size(); ++i) {
    Json p = ConsistencyProofJson(*store, cps[i].size, cps.back().size).value();
    CHECK(D(p["root1"]) == cps[i].root);
    CHECK(D(p["root2"]) == cps.back().root);
    CHECK(merkle::VerifyConsistency(cps[i].size, cps.back().size,
                                    Ds(p["proof"]), cps[i].root,
                                    cps.back().root)
              .ok());
  }
  CHECK(InclusionProofJson(*store, 0, 5).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(InclusionProofJson(*store, 6, 5).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(ConsistencyProofJson(*store, 3, cps.back().size + 1).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger::ledger
