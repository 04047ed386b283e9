// Inclusion and consistency proofs of the stored log in the JSON shapes of
// DESIGN §10.1 (base64 hashes; leaf_index is 0-based, = seq - 1).
// Thread-safety: uses its own read txn; callable from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/log_store.h"

namespace caseledger::ledger {

// {"leaf_index","tree_size","leaf_hash","root","proof"} for event `seq` in
// the tree of the first `size` events. InvalidArgument unless 1 <= seq <= size
// <= the log's size.
Result<Json> InclusionProofJson(LogStore& store, std::uint64_t seq,
                                std::uint64_t size);

// {"size1","size2","root1","root2","proof"}. InvalidArgument unless
// 1 <= from <= to <= the log's size.
Result<Json> ConsistencyProofJson(LogStore& store, std::uint64_t from,
                                  std::uint64_t to);

// The hashes of PROOF(from, D[to]) (RFC 9162 §2.1.4.1), in order; empty when
// from == to. InvalidArgument unless 1 <= from <= to <= the log's size.
Result<std::vector<crypto::Digest>> ConsistencyProofHashes(LogStore& store,
                                                           std::uint64_t from,
                                                           std::uint64_t to);

}  // namespace caseledger::ledger
