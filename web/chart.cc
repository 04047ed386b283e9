#include "web/chart.h"

#include <algorithm>
#include <iterator>
#include <string_view>

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

namespace {

constexpr int kStepWidth = 340;
constexpr int kStepLeft = 40;   // the y labels, left of the plot
constexpr int kStepRight = 36;  // half an x label fits right of the plot
constexpr int kStepTop = 12;
constexpr int kStepPlot = 96;   // the plot's height
constexpr int kStepXLabels = 18;  // below the plot
constexpr int kStepLegend = 24;   // below the x labels
constexpr int kStepLabelChar = 7;  // an x label's width per character (font 11), generously

// Each series' look, by its position (repeating): colour, dashes, marker.
struct SeriesLook {
  const char* colour;
  const char* dash;  // "" for a solid line
  bool square;       // else round
};
constexpr SeriesLook kLooks[] = {{"#a3262a", "", false}, {"#0059b3", "6 4", true}};

const SeriesLook& LookOf(std::size_t i) { return kLooks[i % std::size(kLooks)]; }

std::string Num(int v) { return std::to_string(v); }

int StepX(const StepChart& c, std::int64_t x) {
  const int span = kStepWidth - kStepLeft - kStepRight;
  if (c.x_max <= c.x_min) return kStepLeft + span / 2;
  const double f = static_cast<double>(std::clamp(x, c.x_min, c.x_max) - c.x_min) /
                   static_cast<double>(c.x_max - c.x_min);
  return kStepLeft + static_cast<int>(f * span + 0.5);
}

int StepY(const StepChart& c, std::uint64_t value) {
  const std::uint64_t max = std::max<std::uint64_t>(c.max, 1);
  const std::uint64_t v = std::min(value, max);
  return kStepTop + static_cast<int>((max - v) * static_cast<std::uint64_t>(kStepPlot) / max);
}

int Chars(std::string_view text) {
  int n = 0;
  for (const char ch : text)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

std::string Marker(const SeriesLook& look, int x, int y) {
  if (look.square)
    return "<rect x=\"" + Num(x - 4) + "\" y=\"" + Num(y - 4) +
           "\" width=\"8\" height=\"8\" fill=\"#ffffff\" stroke=\"" + look.colour +
           "\" stroke-width=\"2\"/>";
  return "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"4\" fill=\"" + look.colour + "\"/>";
}

}  // namespace

std::string StepChartSvg(const StepChart& c) {
  const int bottom = kStepTop + kStepPlot;
  const int right = kStepWidth - kStepRight;
  const int height = bottom + kStepXLabels + kStepLegend + 4;
  std::string s = "<svg class=\"chart chart-step\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
                  "viewBox=\"0 0 " + Num(kStepWidth) + " " + Num(height) + "\" width=\"" +
                  Num(kStepWidth) + "\" height=\"" + Num(height) + "\" aria-labelledby=\"" +
                  Esc(c.id) + "-title " + Esc(c.id) + "-desc\">"
                  "<title id=\"" + Esc(c.id) + "-title\">" + Esc(c.title) + "</title><desc id=\"" +
                  Esc(c.id) + "-desc\">" + Esc(c.desc) + "</desc>";
  // The grid: a line and a label at each y tick.
  for (const AxisTick& t : c.y_ticks) {
    const int y = StepY(c, static_cast<std::uint64_t>(std::max<std::int64_t>(t.at, 0)));
    s += "<line x1=\"" + Num(kStepLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(right) +
         "\" y2=\"" + Num(y) + "\" stroke=\"#c8c8c8\" stroke-width=\"1\"/>"
         "<text x=\"" + Num(kStepLeft - 8) + "\" y=\"" + Num(y + 4) +
         "\" text-anchor=\"end\" font-size=\"11\" fill=\"#1a1a1a\">" + Esc(t.label) + "</text>";
  }
  // The x axis, its ticks and the labels that fit.
  s += "<line x1=\"" + Num(kStepLeft) + "\" y1=\"" + Num(bottom) + "\" x2=\"" + Num(right) +
       "\" y2=\"" + Num(bottom) + "\" stroke=\"#1a1a1a\" stroke-width=\"1\"/>";
  int free_from = 0;  // where the next x label may start
  for (const AxisTick& t : c.x_ticks) {
    const int x = StepX(c, t.at);
    s += "<line x1=\"" + Num(x) + "\" y1=\"" + Num(bottom) + "\" x2=\"" + Num(x) + "\" y2=\"" +
         Num(bottom + 4) + "\" stroke=\"#1a1a1a\" stroke-width=\"1\"/>";
    const int half = Chars(t.label) * kStepLabelChar / 2;
    const int mid = std::clamp(x, half, kStepWidth - half);
    if (mid - half < free_from) continue;
    free_from = mid + half + 6;
    s += "<text x=\"" + Num(mid) + "\" y=\"" + Num(bottom + 15) +
         "\" text-anchor=\"middle\" font-size=\"11\" fill=\"#1a1a1a\">" + Esc(t.label) + "</text>";
  }
  // Each series: its steps, then its markers on top.
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const StepSeries& ser = c.series[i];
    const SeriesLook& look = LookOf(i);
    if (ser.points.size() > 1) {
      std::string d = "M" + Num(StepX(c, ser.points[0].x)) + " " + Num(StepY(c, ser.points[0].value));
      for (std::size_t k = 1; k < ser.points.size(); ++k)
        d += " H" + Num(StepX(c, ser.points[k].x)) + " V" + Num(StepY(c, ser.points[k].value));
      s += "<path class=\"chart-series\" d=\"" + d + "\" fill=\"none\" stroke=\"" + look.colour +
           "\" stroke-width=\"2\"" +
           (*look.dash ? std::string(" stroke-dasharray=\"") + look.dash + "\"" : std::string()) +
           "/>";
    }
    for (const StepPoint& p : ser.points) s += Marker(look, StepX(c, p.x), StepY(c, p.value));
  }
  // The legend: each series' line and marker, then its label.
  const int ly = bottom + kStepXLabels + kStepLegend / 2;
  int lx = kStepLeft;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const SeriesLook& look = LookOf(i);
    s += "<line x1=\"" + Num(lx) + "\" y1=\"" + Num(ly) + "\" x2=\"" + Num(lx + 22) + "\" y2=\"" +
         Num(ly) + "\" stroke=\"" + look.colour + "\" stroke-width=\"2\"" +
         (*look.dash ? std::string(" stroke-dasharray=\"") + look.dash + "\"" : std::string()) +
         "/>" + Marker(look, lx + 11, ly) + "<text x=\"" + Num(lx + 28) + "\" y=\"" + Num(ly + 4) +
         "\" font-size=\"12\" fill=\"#1a1a1a\">" + Esc(c.series[i].label) + "</text>";
    lx += 28 + Chars(c.series[i].label) * kStepLabelChar + 18;
  }
  return s + "</svg>";
}

}  // namespace caseledger::web
