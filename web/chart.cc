#include "web/chart.h"

#include <algorithm>

#include "web/page.h"

namespace caseledger::web {

namespace {

constexpr int kWidth = 640;
constexpr int kLabelWidth = 170;  // the rows' labels, left of the bars
constexpr int kTextWidth = 90;    // the values, right of the bars
constexpr int kRow = 28;
constexpr int kBar = 18;
constexpr int kTop = 14;  // room above the first row
constexpr int kLineLabel = 16;  // each reference line's label, below the rows

int X(std::uint64_t value, std::uint64_t max) {
  const std::uint64_t span = static_cast<std::uint64_t>(kWidth - kLabelWidth - kTextWidth);
  return kLabelWidth + static_cast<int>(std::min(value, max) * span / std::max<std::uint64_t>(max, 1));
}

}  // namespace

std::string BarChartSvg(const BarChart& c) {
  const int rows = static_cast<int>(c.bars.size());
  const int bottom = kTop + rows * kRow;
  const int height = bottom + 8 + static_cast<int>(c.lines.size()) * kLineLabel + 6;
  std::string s = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " +
                  std::to_string(kWidth) + " " + std::to_string(height) + "\" width=\"" +
                  std::to_string(kWidth) + "\" height=\"" + std::to_string(height) +
                  "\" aria-labelledby=\"" + Esc(c.id) + "-title " + Esc(c.id) + "-desc\">"
                  "<title id=\"" + Esc(c.id) + "-title\">" + Esc(c.title) + "</title><desc id=\"" +
                  Esc(c.id) + "-desc\">" + Esc(c.desc) + "</desc>";
  // The axis at zero.
  s += "<line x1=\"" + std::to_string(kLabelWidth) + "\" y1=\"" + std::to_string(kTop - 6) +
       "\" x2=\"" + std::to_string(kLabelWidth) + "\" y2=\"" + std::to_string(bottom) +
       "\" stroke=\"#1a1a1a\" stroke-width=\"1\"/>";
  for (int i = 0; i < rows; ++i) {
    const ChartBar& b = c.bars[static_cast<std::size_t>(i)];
    const int y = kTop + i * kRow;
    const int mid = y + kBar / 2 + 5;
    s += "<text x=\"" + std::to_string(kLabelWidth - 8) + "\" y=\"" + std::to_string(mid) +
         "\" text-anchor=\"end\" font-size=\"14\" fill=\"#1a1a1a\">" + Esc(b.label) + "</text>";
    int end = kLabelWidth;
    if (b.value) {
      end = X(*b.value, c.max);
      s += "<rect class=\"chart-bar\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" +
           std::to_string(y) + "\" width=\"" + std::to_string(end - kLabelWidth) + "\" height=\"" +
           std::to_string(kBar) + "\" fill=\"#0059b3\"/>";
    }
    s += "<text x=\"" + std::to_string(end + 6) + "\" y=\"" + std::to_string(mid) +
         "\" font-size=\"14\" fill=\"#1a1a1a\">" + Esc(b.text) + "</text>";
  }
  // Reference lines, each labelled below the rows (numbered, so a label
  // never overlaps a bar's text).
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    const ChartLine& l = c.lines[i];
    const int x = X(l.value, c.max);
    const std::string n = std::to_string(i + 1);
    s += "<line class=\"chart-line\" x1=\"" + std::to_string(x) + "\" y1=\"" +
         std::to_string(kTop - 8) + "\" x2=\"" + std::to_string(x) + "\" y2=\"" +
         std::to_string(bottom) + "\" stroke=\"#b35c00\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
         "<text x=\"" + std::to_string(x + 3) + "\" y=\"" + std::to_string(kTop - 2) +
         "\" font-size=\"11\" fill=\"#8a4600\">" + n + "</text>"
         "<text x=\"" + std::to_string(kLabelWidth) + "\" y=\"" +
         std::to_string(bottom + 8 + static_cast<int>(i + 1) * kLineLabel - 4) +
         "\" font-size=\"13\" fill=\"#8a4600\">" + n + ": " + Esc(l.label) + "</text>";
  }
  return s + "</svg>";
}

}  // namespace caseledger::web
