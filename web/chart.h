// Charts drawn by the server as inline SVG (docs/web.md, "Statistics"):
// horizontal bars, one per row (a year, a kind), with reference lines (a goal,
// the source papers' figures). No script and no style attribute (the CSP
// forbids inline style): SVG presentation attributes and classes of
// web/assets/workspace.css only. The SVG has role="img", a <title> and a
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

}  // namespace caseledger::web
