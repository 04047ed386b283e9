// Metrics of the HTTP API in the Prometheus text exposition format (version
// 0.0.4): requests by route pattern and status, a latency histogram per
// route, policy refusals by rule, access records, failed logins, and the
// writer's appends, batch sizes and commit (fsync) times, and how far the
// server's long tasks are. Labels are route patterns, status codes, rule
// ids, configured witness names and task names only: never an id, a query
// or a user (no personal data, and bounded cardinality).
// Thread-safety: all methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include "app/witnessing.h"
#include "base/progress_board.h"
#include "ledger/writer.h"

namespace caseledger::http {

class Metrics {
 public:
  // Latency buckets, upper bounds in microseconds (cumulative).
  static constexpr std::array<std::uint64_t, 12> kLatencyBounds = {
      250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

  // One answered request. `route` is the matched pattern ("" = none).
  void ObserveRequest(std::string_view method, std::string_view route,
                      int status, std::uint64_t micros);
  void ObserveRefusal(std::string_view rule);
  void ObserveAccessRecord();

  // Gauges and counters owned elsewhere, sampled when rendering.
  struct Sampled {
    ledger::WriterStats writer;
    ledger::WriterHealth health;
    std::uint64_t log_size = 0;
    // Data keys in the keystore's pool, stored ahead of need for new owners
    // (docs/formats/storage.md "Key pool"): 0 means every new owner's batch
    // waits for a keystore commit of its own.
    std::uint64_t key_pool_free = 0;
    std::uint64_t auth_failures = 0;
    std::uint64_t auth_throttled = 0;
    // Set when the node asks witnesses (docs/witnessing.md).
    std::optional<app::WitnessingSnapshot> witnessing;
    // The server's long tasks (base/progress_board.h; docs/operations.md
    // "Progress of long tasks"): caseledger_task_progress_done and _total.
    std::vector<ProgressBoard::Task> tasks;
  };
  std::string Render(const Sampled& s) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBounds.size()> buckets{};
    std::uint64_t count = 0;
    std::uint64_t sum_micros = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::map<std::string, std::uint64_t> refusals_;
  std::uint64_t access_records_ = 0;
};

}  // namespace caseledger::http
