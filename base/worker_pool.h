// WorkerPool: a fixed set of threads that run one data-parallel loop at a time
// (ParallelFor, RunOnEach), with the calling thread taking part. Used to sign
// a batch's events and to verify signatures on all cores.
// Thread-safety: ParallelFor and RunOnEach may be called from one thread at a
// time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace caseledger {

class WorkerPool {
 public:
  // `threads` = total threads including the caller; 0 = hardware concurrency.
  explicit WorkerPool(unsigned threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned threads() const {
    return static_cast<unsigned>(workers_.size()) + 1;
  }

  // Calls fn(begin, end) over disjoint chunks covering [0, n), on all threads;
  // returns when every chunk is done. fn must not throw.
  void ParallelFor(std::size_t n,
                   const std::function<void(std::size_t, std::size_t)>& fn);

  // Calls fn(k) once for every k in [0, threads()), each call on one thread:
  // fn(0) on the calling thread, the others on the workers. So the other
  // calls may wait for progress that fn(0) makes; fn(0) must never wait for
  // theirs (a worker may not have woken yet: what no worker has taken when
  // fn(0) returns runs on the calling thread after it). Returns when every
  // call has returned. fn must not throw.
  void RunOnEach(const std::function<void(unsigned)>& fn);

 private:
  void WorkerLoop();
  bool RunChunks();  // runs chunks of the current job; true if it ran any

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0, chunk_ = 1, next_ = 0, pending_ = 0;
  std::size_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace caseledger
