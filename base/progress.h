// Progress of long work (verify, rebuild, import, ...): ProgressFn, the
// callback the library's long loops call at chunk boundaries, and
// ProgressLine, which shows it on a terminal as one line rewritten in place
// ("verify  412,000/1,000,000 events  41%  30,512/s  20 s left") and a final
// line at the end (docs/cli.md "Progress"). A disabled line prints nothing.
// Thread-safety: Update (and Fn's callback) may be called from any thread;
// it stores the count and renders at most once per interval. Finish, Clear
// and the destructor from the thread that owns the line.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace caseledger {

// Called by long work with the units done so far and the total (0: not
// known), from the thread doing the work, every chunk of units (thousands of
// events, one transaction), never per unit. Must be cheap and must not throw.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

class ProgressLine {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Options {
    bool enabled = false;  // false: prints nothing at all (ForStderr decides)
    // What is counted, as shown after the numbers. "bytes" is shown in MB
    // (10^6 bytes, one decimal).
    std::string unit = "events";
    std::chrono::milliseconds interval{200};  // at most one line per interval
    std::function<TimePoint()> clock;         // default: steady_clock::now
    std::function<void(std::string_view)> sink;  // default: stderr
  };
  // Options for stderr: enabled only if stderr is a terminal and not `quiet`.
  static Options ForStderr(bool quiet, std::string unit = "events");

  // The work starts now (the clock's now): rates are measured from here.
  // `total` 0: not known (no percentage, no time left).
  ProgressLine(std::string label, std::uint64_t total, Options options);
  // Clears a line still shown (Finish not called), so what is printed next
  // starts on a clean line.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return options_.enabled; }
  // Records `done` (a relaxed atomic store) and, if enabled and an interval
  // has passed since the last line (or the start), renders the line.
  void Update(std::uint64_t done);
  // The same with a total (for work that learns its total as it starts).
  void Update(std::uint64_t done, std::uint64_t total);
  // A ProgressFn feeding Update(done, total), valid while this line lives;
  // none (empty) if the line is disabled, so the work makes no calls.
  ProgressFn Fn();
  // Erases the line shown, if any (before printing something else to the
  // same terminal); the next Update draws it again.
  void Clear();
  // Replaces the line with the final one, ended by a newline: "verify
  // 1,000,000 events in 32.8 s  30,512/s", or "verify  stopped at
  // 412,000/1,000,000 events after 13.5 s" if short of a known total. Once;
  // later Updates print nothing.
  void Finish();

 private:
  std::int64_t Now() const;  // the clock, in nanoseconds
  // Writes `text` over the line shown (padding what is left of a longer
  // one), ending with a newline if `final`. Precondition: mu_ held.
  void Show(const std::string& text, bool final);
  // To the sink, or stderr. Precondition: mu_ held.
  void Write(const std::string& bytes);

  const std::string label_;
  Options options_;
  const std::int64_t start_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> total_;
  std::atomic<std::int64_t> next_due_;  // when a line may be drawn next
  std::mutex mu_;                       // the sink, and the members below
  std::size_t shown_ = 0;               // width of the line on screen (0: none)
  bool finished_ = false;
};

}  // namespace caseledger
