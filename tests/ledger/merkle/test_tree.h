// Test fixtures: an in-memory NodeSource filled from CompactRange::Append callbacks,
// recording every read, and a TestTree of generated leaves. Not thread-safe.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/node_id.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::merkle::testing {

// NodeSource over vectors, one per level; nodes must be put in completion order,
// which is what CompactRange::Append reports.
class MemoryNodeSource : public NodeSource {
 public:
  MemoryNodeSource() : levels_(64) {}

  // Stores `hash` for `id`. Returns false (a test failure) if `id` is not the next
  // node of its level.
  bool Put(NodeId id, const Digest& hash) {
    std::vector<Digest>& level = levels_[id.level];
    if (id.index != level.size()) return false;
    level.push_back(hash);
    return true;
  }

  Result<Digest> GetNode(NodeId id) override {
    reads_.push_back(id);
    if (!fail_with_.ok()) return fail_with_;
    const std::vector<Digest>& level = levels_[id.level];
    if (id.index >= level.size()) return NotFound("merkle node " + id.ToString() + " not stored");
    return level[id.index];
  }

  // Every id asked for since the last ClearReads().
  const std::vector<NodeId>& reads() const { return reads_; }
  void ClearReads() { reads_.clear(); }
  // Makes every GetNode fail with `status` (OK: back to normal).
  void FailWith(Status status) { fail_with_ = std::move(status); }
  std::size_t node_count() const {
    std::size_t n = 0;
    for (const auto& level : levels_) n += level.size();
    return n;
  }

 private:
  std::vector<std::vector<Digest>> levels_;
  std::vector<NodeId> reads_;
  Status fail_with_;
};

// Leaf data "leaf <i>" for i in [0, n), of varying lengths.
inline std::vector<Bytes> MakeLeaves(std::uint64_t n) {
  std::vector<Bytes> leaves;
  leaves.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string s = "leaf " + std::to_string(i * 7919);
    leaves.emplace_back(s.begin(), s.end());
  }
  return leaves;
}

// A tree of the given leaves built by CompactRange::Append into a MemoryNodeSource,
// with the root after every append: roots[s] = root of the first s leaves.
struct TestTree {
  explicit TestTree(std::vector<Bytes> data) : leaves(std::move(data)) {
    roots.reserve(leaves.size() + 1);
    roots.push_back(range.Root());
    for (const Bytes& leaf : leaves) {
      range.Append(HashLeaf(leaf), [this](NodeId id, const Digest& hash) {
        if (!nodes.Put(id, hash)) put_errors++;
      });
      roots.push_back(range.Root());
    }
  }

  std::vector<Bytes> leaves;
  CompactRange range;
  MemoryNodeSource nodes;
  std::vector<Digest> roots;
  int put_errors = 0;
};

}  // namespace caseledger::merkle::testing

// Readable failure messages: digests in hex, node ids as "(level, index)".
namespace Catch {
template <>
struct StringMaker<caseledger::crypto::Digest> {
  static std::string convert(const caseledger::crypto::Digest& d) { return d.Hex(); }
};
template <>
struct StringMaker<caseledger::merkle::NodeId> {
  static std::string convert(const caseledger::merkle::NodeId& id) { return id.ToString(); }
};
}  // namespace Catch
