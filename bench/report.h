// Report: the benchmark's printed output — the raw building blocks measured in
// this run, the ledger figures each with its raw limit, the ratio, the target
// and PASS/MISS, and one summary line per target at the end.
// Thread-safety: used from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace caseledger::bench {

// "12,345" with thousands separators; `decimals` digits after the point.
std::string Num(double v, int decimals = 0);

enum class Goal {
  kAtLeast,  // pass if ratio >= target
  kAtMost,   // pass if ratio <= target
  kWithin,   // pass if |ratio - 1| <= target
};

struct Target {
  Goal goal = Goal::kAtLeast;
  double value = 0;
  std::string Text() const;
  bool Passes(double ratio) const;
};

class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  void Section(const std::string& title);
  // A raw building block: name, figure, note.
  void Raw(const std::string& name, const std::string& figure,
           const std::string& note = "");
  // A line of explanation.
  void Note(const std::string& text);
  // A ledger figure without a target (informational).
  void Info(const std::string& name, const std::string& figure,
            const std::string& note = "");
  // A ledger figure compared with its raw limit: prints ledger, limit, ratio,
  // target and PASS/MISS, and remembers the verdict for Summary().
  void Compare(const std::string& name, const std::string& ledger,
               const std::string& limit, double ratio, const Target& target,
               const std::string& limit_note);

  // One line per target: PASS/MISS with ratio and target. Returns the number of
  // misses.
  int Summary();

 private:
  struct Verdict {
    std::string name;
    double ratio;
    Target target;
    bool pass;
  };
  std::ostream& out_;
  std::vector<Verdict> verdicts_;
};

}  // namespace caseledger::bench
