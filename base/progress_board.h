// ProgressBoard: the long tasks of a running server (the projections'
// catch-up at start, retention runs) by name, with how far each is (done,
// total), for /metrics (docs/operations.md "Progress of long tasks"). A task
// is listed from the moment it is tracked, at 0 of 0, and keeps its last
// values after it ends (done == total when it completed).
// Thread-safety: all methods are thread-safe; a Track callback may be called
// from any thread while the board lives.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/progress.h"

namespace caseledger {

class ProgressBoard {
 public:
  // Lists task `name` (at 0 of 0 if new) and returns the callback that
  // records its progress; a later run of the task calls it again from 0.
  // The callback must not outlive the board.
  ProgressFn Track(const std::string& name);

  struct Task {
    std::string name;
    std::uint64_t done = 0;
    std::uint64_t total = 0;  // 0: not known, or nothing to do
  };
  // Every task tracked, by name.
  std::vector<Task> Snapshot() const;

 private:
  struct Counts {
    std::uint64_t done = 0, total = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Counts> tasks_;  // nodes stay put: callbacks point at them
};

}  // namespace caseledger
