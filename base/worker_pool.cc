#include "base/worker_pool.h"

#include <algorithm>

namespace caseledger {

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this] { WorkerLoop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool WorkerPool::RunChunks() {
  bool ran = false;
  for (;;) {
    std::size_t begin, end;
    const std::function<void(std::size_t, std::size_t)>* job;
    {
      std::lock_guard lock(mu_);
      if (job_ == nullptr || next_ >= n_) return ran;
      begin = next_;
      end = std::min(n_, begin + chunk_);
      next_ = end;
      job = job_;
    }
    (*job)(begin, end);
    ran = true;
    std::lock_guard lock(mu_);
    pending_ -= end - begin;
    if (pending_ == 0) done_cv_.notify_all();
  }
}

void WorkerPool::WorkerLoop() {
  std::size_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    RunChunks();
  }
}

void WorkerPool::ParallelFor(
    std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard lock(mu_);
    job_ = &fn;
    n_ = n;
    next_ = 0;
    pending_ = n;
    // Small chunks balance uneven work; at least 1.
    chunk_ = std::max<std::size_t>(1, n / (threads() * 8));
    ++generation_;
  }
  work_cv_.notify_all();
  RunChunks();
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

void WorkerPool::RunOnEach(const std::function<void(unsigned)>& fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  const std::function<void(std::size_t, std::size_t)> others = [&](std::size_t begin,
                                                                    std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) fn(static_cast<unsigned>(k + 1));
  };
  {
    std::lock_guard lock(mu_);
    job_ = &others;
    n_ = workers_.size();
    next_ = 0;
    pending_ = n_;
    chunk_ = 1;
    ++generation_;
  }
  work_cv_.notify_all();
  fn(0);
  RunChunks();  // the calls no worker has taken yet
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

}  // namespace caseledger
