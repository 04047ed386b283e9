#include "ledger/proofs.h"

#include "crypto/base64.h"
#include "ledger/merkle/proof.h"

namespace caseledger::ledger {

namespace {
Json HashList(const std::vector<crypto::Digest>& hashes) {
  Json a = Json::array();
  for (const auto& h : hashes) a.push_back(crypto::Base64Encode(h.view()));
  return a;
}
}  // namespace

Result<Json> InclusionProofJson(LogStore& store, std::uint64_t seq,
                                std::uint64_t size) {
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(std::uint64_t n, TreeSize(txn, store));
  if (seq < 1 || seq > size || size > n) {
    return InvalidArgument("need 1 <= seq <= size <= " + std::to_string(n) +
                           " (the log's size)");
  }
  TxnNodeSource source(txn, store);
  CL_ASSIGN_OR_RETURN(auto proof,
                      merkle::InclusionProof(seq - 1, size, source));
  CL_ASSIGN_OR_RETURN(crypto::Digest leaf,
                      source.GetNode(merkle::NodeId{0, seq - 1}));
  CL_ASSIGN_OR_RETURN(crypto::Digest root,
                      merkle::RootFromSource(size, source));
  return Json{{"leaf_index", seq - 1},
              {"tree_size", size},
              {"leaf_hash", crypto::Base64Encode(leaf.view())},
              {"root", crypto::Base64Encode(root.view())},
              {"proof", HashList(proof)}};
}

Result<Json> ConsistencyProofJson(LogStore& store, std::uint64_t from,
                                  std::uint64_t to) {
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(std::uint64_t n, TreeSize(txn, store));
  if (from < 1 || from > to || to > n) {
    return InvalidArgument("need 1 <= from <= to <= " + std::to_string(n) +
                           " (the log's size)");
  }
  TxnNodeSource source(txn, store);
  CL_ASSIGN_OR_RETURN(auto proof, merkle::ConsistencyProof(from, to, source));
  CL_ASSIGN_OR_RETURN(crypto::Digest root1,
                      merkle::RootFromSource(from, source));
  CL_ASSIGN_OR_RETURN(crypto::Digest root2, merkle::RootFromSource(to, source));
  return Json{{"size1", from},
              {"size2", to},
              {"root1", crypto::Base64Encode(root1.view())},
              {"root2", crypto::Base64Encode(root2.view())},
              {"proof", HashList(proof)}};
}

Result<std::vector<crypto::Digest>> ConsistencyProofHashes(LogStore& store,
                                                           std::uint64_t from,
                                                           std::uint64_t to) {
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(std::uint64_t n, TreeSize(txn, store));
  if (from < 1 || from > to || to > n) {
    return InvalidArgument("need 1 <= from <= to <= " + std::to_string(n) +
                           " (the log's size)");
  }
  TxnNodeSource source(txn, store);
  return merkle::ConsistencyProof(from, to, source);
}

}  // namespace caseledger::ledger
