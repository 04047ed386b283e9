#include "web/progress_chart.h"

#include <algorithm>
#include <tuple>

#include "projections/vocabulary.h"
#include "web/chart.h"
#include "web/event_form.h"
#include "web/local_time.h"
#include "web/page.h"

namespace caseledger::web {

std::vector<ProgressPoint> ProgressPoints(const projections::CaseView& v) {
  std::vector<ProgressPoint> points;
  for (const projections::Assessment& a : v.assessments)
    if (!a.factors.empty()) points.push_back({a.seq, a.time, "", a.factors});
  for (const projections::Intervention& i : v.interventions)
    for (const projections::ProgressEntry& p : i.progress)
      if (!p.factors.empty()) points.push_back({p.seq, p.time, i.kind, p.factors});
  std::sort(points.begin(), points.end(), [](const ProgressPoint& a, const ProgressPoint& b) {
    return std::tie(a.time, a.seq) < std::tie(b.time, b.seq);
  });
  return points;
}

namespace {

// One dimension: its chart and the table of its figures, or "not assessed".
std::string Dimension(Lang lang, std::string_view dim, const std::vector<ProgressPoint>& points) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string label = t.Text(lang, "dimension." + std::string(dim));
  const std::string id = "progress-" + std::string(dim);
  std::string s = "<div class=\"progress-dimension\"><h3>" + Esc(label) + "</h3>\n";
  StepChart chart;
  chart.id = "chart-" + id;
  chart.title = t.Format(lang, "progress.chart.title", {{"dimension", label}});
  chart.desc = t.Text(lang, "progress.chart.desc");
  chart.max = projections::kFactorMax;
  for (int v = 0; v <= projections::kFactorMax; ++v) chart.y_ticks.push_back({v, std::to_string(v)});
  chart.x_min = points.front().time;
  chart.x_max = points.back().time;
  StepSeries risk{t.Text(lang, "progress.risk"), {}}, resources{t.Text(lang, "progress.resources"), {}};
  std::string rows;
  for (const ProgressPoint& p : points) {
    const auto it = p.factors.find(std::string(dim));
    if (it == p.factors.end()) continue;
    const std::string date = FormatDate(p.time);
    chart.x_ticks.push_back({p.time, date});
    risk.points.push_back({p.time, static_cast<std::uint64_t>(std::max(it->second.risk, 0))});
    resources.points.push_back({p.time, static_cast<std::uint64_t>(std::max(it->second.resources, 0))});
    const std::string source =
        p.kind.empty() ? t.Text(lang, "progress.source.assessment")
                       : t.Format(lang, "progress.source.progress", {{"kind", CodeLabel(lang, "kind", p.kind)}});
    rows += "<tr><th scope=\"row\">" + Esc(date) + "</th><td>" + Esc(source) + "</td><td>" +
            std::to_string(it->second.risk) + "</td><td>" + std::to_string(it->second.resources) +
            "</td></tr>\n";
  }
  if (rows.empty()) return s + "<p>" + Esc(t.Text(lang, "progress.not_assessed")) + "</p></div>\n";
  chart.series = {std::move(risk), std::move(resources)};
  s += "<div class=\"chart-figure\">" + StepChartSvg(chart) + "</div>\n";
  s += "<table class=\"table table--compact\" id=\"table-" + id +
       "\"><caption>" + Esc(t.Format(lang, "progress.table.caption", {{"dimension", label}})) +
       "</caption><thead><tr>";
  for (const char* col : {"progress.col.date", "progress.col.source", "progress.risk", "progress.resources"})
    s += "<th scope=\"col\">" + Esc(t.Text(lang, col)) + "</th>";
  return s + "</tr></thead><tbody>\n" + rows + "</tbody></table></div>\n";
}

}  // namespace

std::string ProgressSection(Lang lang, const projections::CaseView& v) {
  const std::vector<ProgressPoint> points = ProgressPoints(v);
  if (points.empty()) return "";
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<section id=\"progress\"><h2>" + Esc(t.Text(lang, "progress.title")) + "</h2>\n<p>" +
                  Esc(t.Text(lang, "progress.intro")) + "</p>\n<div class=\"progress-grid\">\n";
  for (std::string_view dim : projections::kFactorDimensions) s += Dimension(lang, dim, points);
  return s + "</div></section>\n";
}

}  // namespace caseledger::web
