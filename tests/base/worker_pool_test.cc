#include "base/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace caseledger {
namespace {

TEST_CASE("WorkerPool::RunOnEach calls every k once, fn(0) on the caller", "[base][pool]") {
  for (const unsigned threads : {1u, 2u, 4u}) {
    WorkerPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::mutex mu;
      std::vector<unsigned> ks;
      std::set<std::thread::id> ids;
      std::thread::id first;
      pool.RunOnEach([&](unsigned k) {
        std::lock_guard lock(mu);
        ks.push_back(k);
        ids.insert(std::this_thread::get_id());
        if (k == 0) first = std::this_thread::get_id();
      });
      std::sort(ks.begin(), ks.end());
      std::vector<unsigned> all(threads);
      for (unsigned k = 0; k < threads; ++k) all[k] = k;
      CHECK(ks == all);
      CHECK(first == std::this_thread::get_id());
      CHECK(ids.size() <= threads);
    }
  }
}

TEST_CASE("WorkerPool::RunOnEach lets the others wait for what fn(0) produces",
          "[base][pool]") {
  // The writer's pattern (ledger/writer.cc, Prepare): fn(0) produces items in
  // order, the others consume each as soon as it is produced, and fn(0)
  // consumes what is left once it is done. No call may deadlock whatever
  // the order the threads start in, and every item is consumed once.
  for (const unsigned threads : {1u, 2u, 3u}) {
    WorkerPool pool(threads);
    for (int round = 0; round < 200; ++round) {
      const std::uint32_t n = 1 + static_cast<std::uint32_t>(round % 37);
      std::atomic<std::uint32_t> produced{0};
      std::atomic<std::uint32_t> next{0};
      std::vector<std::atomic<int>> consumed(n);
      auto consume = [&] {
        for (;;) {
          std::uint32_t i = next.load();
          if (i >= n) return;
          const std::uint32_t p = produced.load(std::memory_order_acquire);
          if (i >= p) {
            produced.wait(p);
            continue;
          }
          if (next.compare_exchange_weak(i, i + 1)) consumed[i]++;
        }
      };
      pool.RunOnEach([&](unsigned k) {
        if (k == 0) {
          for (std::uint32_t i = 0; i < n; ++i) {
            if (round % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
            produced.store(i + 1, std::memory_order_release);
            produced.notify_all();
          }
        }
        consume();
      });
      for (std::uint32_t i = 0; i < n; ++i) CHECK(consumed[i].load() == 1);
    }
  }
}

}  // namespace
}  // namespace caseledger
