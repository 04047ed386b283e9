#include "base/progress_board.h"

namespace caseledger {

ProgressFn ProgressBoard::Track(const std::string& name) {
  std::lock_guard lock(mu_);
  Counts* counts = &tasks_[name];
  return [this, counts](std::uint64_t done, std::uint64_t total) {
    std::lock_guard l(mu_);  // done and total change together
    counts->done = done;
    counts->total = total;
  };
}

std::vector<ProgressBoard::Task> ProgressBoard::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<Task> out;
  out.reserve(tasks_.size());
  for (const auto& [name, c] : tasks_) out.push_back({name, c.done, c.total});
  return out;
}

}  // namespace caseledger
