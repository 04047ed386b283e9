#include "ledger/merkle/node_id.h"

#include <bit>

namespace caseledger::merkle {

std::string NodeId::ToString() const {
  return "(" + std::to_string(level) + ", " + std::to_string(index) + ")";
}

std::vector<NodeId> CompactRangeIds(std::uint64_t size) {
  std::vector<NodeId> ids;
  ids.reserve(static_cast<std::size_t>(std::popcount(size)));
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    ids.push_back(NodeId{static_cast<std::uint8_t>(level), begin >> level});
    begin += width;
  }
  return ids;
}

}  // namespace caseledger::merkle
