#include "ledger/merkle/compact_range.h"

#include <string>
#include <utility>

namespace caseledger::merkle {
namespace {

// A frontier never holds more than 64 hashes; reserving them once keeps Append
// free of allocations.
constexpr std::size_t kMaxHashes = 64;

}  // namespace

CompactRange::CompactRange() { hashes_.reserve(kMaxHashes); }

CompactRange::CompactRange(const CompactRange& other) : size_(other.size_) {
  hashes_.reserve(kMaxHashes);
  hashes_.assign(other.hashes_.begin(), other.hashes_.end());
}

Result<CompactRange> CompactRange::FromHashes(std::uint64_t size, std::vector<Digest> hashes) {
  const auto want = static_cast<std::size_t>(std::popcount(size));
  if (hashes.size() != want) {
    return InvalidArgument("compact range of tree size " + std::to_string(size) + " needs " +
                           std::to_string(want) + " hashes, got " +
                           std::to_string(hashes.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.hashes_ = std::move(hashes);
  range.hashes_.reserve(kMaxHashes);
  return range;
}

void CompactRange::Append(const Digest& leaf_hash) {
  Append(leaf_hash, [](const NodeId&, const Digest&) {});
}

Digest CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  // MTH of [0, size) folds the perfect subtrees from the right: the smallest two
  // are siblings, their parent is the right sibling of the next larger one, etc.
  auto it = hashes_.rbegin();
  Digest root = *it;
  for (++it; it != hashes_.rend(); ++it) root = HashChildren(*it, root);
  return root;
}

}  // namespace caseledger::merkle
