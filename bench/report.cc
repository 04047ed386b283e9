#include "bench/report.h"

#include <cmath>
#include <cstdio>

namespace caseledger::bench {

namespace {

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

constexpr std::size_t kNameWidth = 44;
constexpr std::size_t kFigureWidth = 16;

}  // namespace

std::string Num(double v, int decimals) {
  std::string s = Fixed(std::fabs(v), decimals);
  std::size_t dot = s.find('.');
  std::size_t int_end = dot == std::string::npos ? s.size() : dot;
  std::string out;
  for (std::size_t i = 0; i < int_end; ++i) {
    if (i > 0 && (int_end - i) % 3 == 0) out += ',';
    out += s[i];
  }
  out += s.substr(int_end);
  return v < 0 ? "-" + out : out;
}

std::string Target::Text() const {
  switch (goal) {
    case Goal::kAtLeast:
      return ">= " + Fixed(value, 2);
    case Goal::kAtMost:
      return "<= " + Fixed(value, 2);
    case Goal::kWithin:
      return "1 +/- " + Fixed(value, 2);
  }
  return "";
}

bool Target::Passes(double ratio) const {
  switch (goal) {
    case Goal::kAtLeast:
      return ratio >= value;
    case Goal::kAtMost:
      return ratio <= value;
    case Goal::kWithin:
      return std::fabs(ratio - 1.0) <= value;
  }
  return false;
}

void Report::Section(const std::string& title) {
  out_ << "\n== " << title << " "
       << std::string(title.size() < 90 ? 90 - title.size() : 0, '=') << "\n";
}

void Report::Raw(const std::string& name, const std::string& figure,
                 const std::string& note) {
  out_ << "  " << Pad(name, kNameWidth) << Pad(figure, kFigureWidth) << note
       << "\n";
  out_.flush();
}

void Report::Note(const std::string& text) {
  out_ << "  " << text << "\n";
  out_.flush();
}

void Report::Info(const std::string& name, const std::string& figure,
                  const std::string& note) {
  Raw(name, figure, note);
}

void Report::Compare(const std::string& name, const std::string& ledger,
                     const std::string& limit, double ratio,
                     const Target& target, const std::string& limit_note) {
  const bool pass = target.Passes(ratio);
  out_ << "  " << Pad(name, kNameWidth) << Pad(ledger, kFigureWidth)
       << Pad(limit, kFigureWidth) << Pad(Fixed(ratio, 2), 8)
       << Pad(target.Text(), 12) << (pass ? "PASS" : "MISS") << "\n"
       << "  " << std::string(kNameWidth, ' ') << "limit: " << limit_note
       << "\n";
  out_.flush();
  verdicts_.push_back({name, ratio, target, pass});
}

int Report::Summary() {
  int misses = 0;
  out_ << "\n== targets " << std::string(83, '=') << "\n";
  for (const auto& v : verdicts_) {
    out_ << (v.pass ? "PASS  " : "MISS  ") << Pad(v.name, kNameWidth)
         << " ratio " << Pad(Fixed(v.ratio, 2), 7) << " target "
         << v.target.Text() << "\n";
    if (!v.pass) ++misses;
  }
  return misses;
}

}  // namespace caseledger::bench
