#include "base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <utility>

namespace caseledger {

namespace {

// 1234567 -> "1,234,567".
std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool IsBytes(const std::string& unit) { return unit == "bytes"; }

// An amount of `unit`: grouped digits, or megabytes with one decimal.
std::string Amount(std::uint64_t n, const std::string& unit) {
  if (!IsBytes(unit)) return Grouped(n);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(n) / 1e6);
  return buf;
}

std::string UnitName(const std::string& unit) { return IsBytes(unit) ? "MB" : unit; }

// Units per second: "30,512/s", or "3.1 MB/s".
std::string Rate(double per_second, const std::string& unit) {
  if (IsBytes(unit)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB/s", per_second / 1e6);
    return buf;
  }
  return Grouped(static_cast<std::uint64_t>(per_second)) + "/s";
}

// A duration in whole seconds: "19 s", "3 min 20 s", "2 h 05 min".
std::string Duration(std::uint64_t s) {
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llu s", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llu min %02llu s", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu h %02llu min", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  }
  return buf;
}

// Elapsed time: "0.4 s", "32.8 s" under a minute, then as Duration.
std::string Elapsed(double s) {
  if (s >= 60) return Duration(static_cast<std::uint64_t>(s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

ProgressLine::Options ProgressLine::ForStderr(bool quiet, std::string unit) {
  Options o;
  o.enabled = !quiet && ::isatty(STDERR_FILENO) == 1;
  o.unit = std::move(unit);
  return o;
}

ProgressLine::ProgressLine(std::string label, std::uint64_t total, Options options)
    : label_(std::move(label)),
      options_(std::move(options)),
      start_(Now()),
      total_(total),
      next_due_(start_ + std::chrono::nanoseconds(options_.interval).count()) {}

ProgressLine::~ProgressLine() {
  if (!finished_) Clear();
}

std::int64_t ProgressLine::Now() const {
  const TimePoint t = options_.clock ? options_.clock() : std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void ProgressLine::Update(std::uint64_t done) {
  done_.store(done, std::memory_order_relaxed);
  if (!options_.enabled) return;
  const std::int64_t now = Now();
  std::int64_t due = next_due_.load(std::memory_order_relaxed);
  if (now < due) return;
  // One caller per interval draws; the others only stored their count.
  const std::int64_t next = now + std::chrono::nanoseconds(options_.interval).count();
  if (!next_due_.compare_exchange_strong(due, next, std::memory_order_relaxed)) return;
  std::lock_guard lock(mu_);
  if (finished_) return;
  const std::uint64_t d = done_.load(std::memory_order_relaxed);
  const std::uint64_t total = total_.load(std::memory_order_relaxed);
  const double seconds = static_cast<double>(now - start_) / 1e9;
  const std::string& unit = options_.unit;
  std::string text = label_ + "  " + Amount(d, unit);
  if (total > 0) text += "/" + Amount(total, unit);
  text += " " + UnitName(unit);
  if (total > 0) text += "  " + std::to_string(std::min<std::uint64_t>(d, total) * 100 / total) + "%";
  if (seconds > 0 && d > 0) {
    const double rate = static_cast<double>(d) / seconds;
    text += "  " + Rate(rate, unit);
    if (total > d)
      text += "  " + Duration(static_cast<std::uint64_t>(
                         std::ceil(static_cast<double>(total - d) / rate))) + " left";
  }
  Show(text, false);
}

void ProgressLine::Update(std::uint64_t done, std::uint64_t total) {
  total_.store(total, std::memory_order_relaxed);
  Update(done);
}

ProgressFn ProgressLine::Fn() {
  if (!options_.enabled) return {};
  return [this](std::uint64_t done, std::uint64_t total) { Update(done, total); };
}

void ProgressLine::Clear() {
  std::lock_guard lock(mu_);
  if (shown_ == 0) return;
  Write("\r" + std::string(shown_, ' ') + "\r");
  shown_ = 0;
}

void ProgressLine::Finish() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (!options_.enabled) return;
  const std::uint64_t d = done_.load(std::memory_order_relaxed);
  const std::uint64_t total = total_.load(std::memory_order_relaxed);
  const double seconds = static_cast<double>(Now() - start_) / 1e9;
  const std::string& unit = options_.unit;
  std::string text;
  if (total > 0 && d < total) {
    text = label_ + "  stopped at " + Amount(d, unit) + "/" + Amount(total, unit) + " " +
           UnitName(unit) + " after " + Elapsed(seconds);
  } else {
    text = label_ + "  " + Amount(d, unit) + " " + UnitName(unit) + " in " + Elapsed(seconds);
    if (seconds > 0 && d > 0) text += "  " + Rate(static_cast<double>(d) / seconds, unit);
  }
  Show(text, true);
}

void ProgressLine::Show(const std::string& text, bool final) {
  std::string out = "\r" + text;
  if (text.size() < shown_) out += std::string(shown_ - text.size(), ' ');
  if (final) out += '\n';
  shown_ = final ? 0 : text.size();
  Write(out);
}

void ProgressLine::Write(const std::string& bytes) {
  if (options_.sink) {
    options_.sink(bytes);
  } else {
    std::cerr << bytes << std::flush;
  }
}

}  // namespace caseledger
