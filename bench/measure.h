// Measurement helpers for caseledger_bench: a monotonic stopwatch, latency
// samples with percentiles, a fixed-duration all-cores rate runner, and a
// child-process runner that reports the child's peak RSS (wait4 rusage), so a
// figure such as the verifier's memory is the verifier's alone.
// Thread-safety: RunOnThreads starts and joins its own threads; the other
// helpers are plain values or functions used from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace caseledger::bench {

using Clock = std::chrono::steady_clock;

// Seconds elapsed since `start`.
double SecondsSince(Clock::time_point start);

// Latency samples in microseconds.
class Samples {
 public:
  void Reserve(std::size_t n) { micros_.reserve(n); }
  void Add(double micros) { micros_.push_back(micros); }
  std::size_t size() const { return micros_.size(); }
  // The p-th percentile (0 < p <= 100, nearest rank), 0 when empty. Sorts.
  double Percentile(double p);
  double Mean() const;

 private:
  std::vector<double> micros_;
};

// CPU time (user + system) used so far by this process, all threads.
double ProcessCpuSeconds();
// CPU time used so far by the calling thread.
double ThreadCpuSeconds();

struct Rate {
  double per_s = 0;  // calls per second of wall time, all threads together
  double cpu_micros_per_op =
      0;  // CPU time per call (immune to other processes' load)
};

// Runs `op(thread_index)` repeatedly on `threads` threads for about `seconds`
// (all start together after a barrier) and returns the calls per second over
// all threads and the CPU time per call. `op` returns false to report a
// failure, which makes the result an Internal error naming `what`.
Result<Rate> RunOnThreads(unsigned threads, double seconds,
                          const std::string& what,
                          const std::function<bool(unsigned)>& op);

struct ChildResult {
  int exit_code = -1;  // the child's exit status; -1 if killed by a signal
  std::string out;     // what the child wrote to stdout
  std::uint64_t max_rss_kib = 0;  // the child's peak resident set (ru_maxrss)
  // Peaks of the two parts of the resident set, sampled from
  // /proc/<pid>/status every 20 ms: anonymous memory (heap, stacks) and
  // file-backed pages (e.g. the LMDB map).
  std::uint64_t sampled_anon_kib = 0;
  std::uint64_t sampled_file_kib = 0;
  double cpu_seconds = 0;  // user + system time of the child
};

// Runs this executable (/proc/self/exe) with `args` as a child process,
// collecting its stdout, peak RSS and CPU time. IoError if it cannot be
// started.
Result<ChildResult> RunSelf(const std::vector<std::string>& args);

// The 1-minute load average (from /proc/loadavg), or -1 if unreadable.
double LoadAverage1();

}  // namespace caseledger::bench
