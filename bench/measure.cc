#include "bench/measure.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <numeric>
#include <thread>

namespace caseledger::bench {

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Samples::Percentile(double p) {
  if (micros_.empty()) return 0;
  std::sort(micros_.begin(), micros_.end());
  auto rank = static_cast<std::size_t>(
      std::ceil(p / 100.0 * static_cast<double>(micros_.size())));
  rank = std::clamp<std::size_t>(rank, 1, micros_.size());
  return micros_[rank - 1];
}

double Samples::Mean() const {
  if (micros_.empty()) return 0;
  return std::accumulate(micros_.begin(), micros_.end(), 0.0) /
         static_cast<double>(micros_.size());
}

double ProcessCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Result<Rate> RunOnThreads(unsigned threads, double seconds,
                          const std::string& what,
                          const std::function<bool(unsigned)>& op) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::vector<double> rates(threads, 0.0), cpu(threads, 0.0);
  std::vector<std::uint64_t> counts(threads, 0);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const auto start = Clock::now();
      const double cpu_start = ThreadCpuSeconds();
      const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
      std::uint64_t count = 0;
      for (;;) {
        if (!op(t)) {
          failed = true;
          break;
        }
        ++count;
        if (Clock::now() >= deadline) break;
      }
      rates[t] = static_cast<double>(count) / SecondsSince(start);
      cpu[t] = ThreadCpuSeconds() - cpu_start;
      counts[t] = count;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  if (failed) return Internal(what + " failed during the measurement");
  Rate r;
  r.per_s = std::accumulate(rates.begin(), rates.end(), 0.0);
  const auto ops = static_cast<double>(
      std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}));
  r.cpu_micros_per_op =
      std::accumulate(cpu.begin(), cpu.end(), 0.0) * 1e6 / ops;
  return r;
}

Result<ChildResult> RunSelf(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return IoError(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv_text;
  argv_text.emplace_back("/proc/self/exe");
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Resolve our own path before forking: in the child /proc/self is the child.
  std::string self(4096, '\0');
  ssize_t len = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (len <= 0) return IoError("cannot resolve /proc/self/exe");
  self.resize(static_cast<std::size_t>(len));
  pid_t pid = ::fork();
  if (pid < 0) return IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execv(self.c_str(), argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  ChildResult r;
  const std::string status_path = "/proc/" + std::to_string(pid) + "/status";
  auto sample = [&] {
    std::ifstream in(status_path);
    std::string key;
    std::uint64_t kib = 0;
    while (in >> key) {
      if (key == "RssAnon:" && in >> kib)
        r.sampled_anon_kib = std::max(r.sampled_anon_kib, kib);
      if (key == "RssFile:" && in >> kib)
        r.sampled_file_kib = std::max(r.sampled_file_kib, kib);
    }
  };
  char buf[4096];
  for (;;) {
    struct pollfd p {
      fds[0], POLLIN, 0
    };
    int ready = ::poll(&p, 1, 20);
    if (ready < 0 && errno != EINTR) break;
    sample();
    if (ready <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      r.out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR)
      return IoError(std::string("wait4: ") + std::strerror(errno));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.max_rss_kib = static_cast<std::uint64_t>(ru.ru_maxrss);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  r.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  return r;
}

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  if (!(in >> load)) return -1;
  return load;
}

}  // namespace caseledger::bench
