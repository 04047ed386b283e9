// Charts drawn by the server as inline SVG (docs/web.md, "Statistics" and "A
// case"): horizontal bars, one per row (a year, a kind), with reference lines
// (a goal, the source papers' figures); step charts of values over time.
// No script and no style attribute (the CSP forbids inline style): SVG
// presentation attributes and classes of web/assets/workspace.css only. The SVG has role="img", a <title> and a
// <desc>; the page puts a table with the same figures beside it (WCAG 1.1.1).
// A row without a value (a suppressed cell, a share not shown) gets no bar,
// only its text: the chart never shows more than the table. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace caseledger::web {

struct ChartBar {
  std::string label;                   // the row's label (a year, a kind)
  std::optional<std::uint64_t> value;  // none: no bar (suppressed, not shown)
  std::string text;                    // shown after the bar: "25.0 %", "<5", "not shown"
};

struct ChartLine {
  std::uint64_t value = 0;  // on the bars' scale
  std::string label;        // e.g. "Source papers: about 10 % (2016)"
};

struct BarChart {
  std::string id;     // unique in the page; the SVG's <title> is `id`-title
  std::string title;  // the chart's accessible name
  std::string desc;   // what it shows, and where the table with its figures is
  std::uint64_t max = 1;  // the scale's end (1000 for per mille)
  std::vector<ChartBar> bars;
  std::vector<ChartLine> lines;
};

// The chart as an <svg> element, every text escaped.
std::string BarChartSvg(const BarChart& chart);

// --- Step charts (docs/web.md, "A case": progress per dimension)
//
// Values over time, each held until the next recorded point: a line of
// horizontal and vertical steps per series, with a marker at each recorded
// point. Series are told apart by more than colour (WCAG 1.4.1): the first
// is a solid line with round markers, the second a dashed line with square
// ones (then the styles repeat). A series with one point is its marker only.

struct StepPoint {
  std::int64_t x = 0;        // e.g. a time in microseconds; ascending in a series
  std::uint64_t value = 0;   // on the chart's scale, 0..max (clamped)
};

struct StepSeries {
  std::string label;  // in the legend
  std::vector<StepPoint> points;
};

struct AxisTick {
  std::int64_t at = 0;  // a value (y) or an x
  std::string label;    // e.g. "2", "15-01-2026"
};

struct StepChart {
  std::string id;     // unique in the page; the SVG's <title> is `id`-title
  std::string title;  // the chart's accessible name
  std::string desc;   // what it shows, and where the table with its figures is
  std::uint64_t max = 1;  // the scale's top (0 is the bottom)
  // The x range drawn; x_min == x_max puts every point in the middle.
  std::int64_t x_min = 0, x_max = 0;
  std::vector<AxisTick> y_ticks;  // a grid line and a label at each
  // Labels below the plot; one that would overlap the label before it is
  // left out (its tick mark stays): the table beside the chart has them all.
  std::vector<AxisTick> x_ticks;
  std::vector<StepSeries> series;
};

// The chart as an <svg> element, every text escaped.
std::string StepChartSvg(const StepChart& chart);

}  // namespace caseledger::web
