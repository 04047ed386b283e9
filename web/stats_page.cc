// The statistics page (docs/web.md, "Statistics"): the yearly figures of
// GET /v1/stats (projections::ReadStats, already suppressed: ROL-3) as charts
// drawn by the server (web/chart.h), each with a table of the same figures
// beside it — the founded share per year beside the source papers' figures
// (about 10 % and about 25 %, docs/statistics.md), the 24-hour response rate
// beside its goal, interventions by kind in a chosen year, the 6-month
// progression, advice without registration by outcome per year (decision
// 42). The page reads only the published JSON: a suppressed cell
// (null) is shown as "<5", a share not published as "not shown", and no
// count is ever derived from other figures here. Coordinators, auditors and
// the DPO.
#include <string>
#include <vector>

#include "projections/stats.h"
#include "web/chart.h"
#include "web/event_form.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

bool MayReadStats(const Session& s) {
  return s.who.role == "coordinator" || s.who.role == "auditor" || s.who.role == "dpo";
}

// A published cell: its count, or "<5" when suppressed (null).
std::string Cell(const Json& j) {
  if (j.is_number_unsigned()) return std::to_string(j.get<std::uint64_t>());
  if (j.is_number_integer()) return std::to_string(j.get<std::int64_t>());
  return "<5";
}

std::optional<std::uint64_t> PerMille(const Json& share) {
  if (!share.is_object() || !share.contains("per_mille")) return std::nullopt;
  return share["per_mille"].get<std::uint64_t>();
}

std::string ShareText(Lang lang, const Json& share) {
  if (!share.is_object()) return Catalogue::Builtin().Text(lang, "stats.not_shown");
  return share.value("percent", std::string());
}

std::string Th(Lang lang, std::string_view key, std::string_view scope = "col") {
  return "<th scope=\"" + std::string(scope) + "\">" + Esc(Catalogue::Builtin().Text(lang, key)) +
         "</th>";
}

// A chart and, beside it, the table of the same figures.
std::string Pair(const std::string& svg, const std::string& table) {
  return "<div class=\"chart-pair\"><div class=\"chart-figure\">" + svg +
         "</div><div class=\"table--responsive-scroll chart-table\">" + table + "</div></div>\n";
}

// Advice without registration per year by outcome (the published `advice`;
// an outcome that did not occur in a year is not listed there: 0).
std::string AdviceSection(Lang lang, const std::vector<Json>& years) {
  const Catalogue& t = Catalogue::Builtin();
  BarChart chart;
  chart.id = "chart-advice";
  chart.title = t.Text(lang, "stats.advice.title");
  chart.desc = t.Text(lang, "stats.advice.desc");
  std::uint64_t max = 5;
  std::string rows;
  bool any = false;
  for (const Json& y : years) {
    const Json& a = y["advice"];
    if (!a.is_object()) continue;
    const Json& total = a["total"];
    if (total.is_number_unsigned() && total.get<std::uint64_t>() == 0) continue;
    any = true;
    const std::string year = std::to_string(y["year"].get<int>());
    rows += "<tr><th scope=\"row\">" + year + "</th>";
    for (const char* outcome : {"advice_only", "referred"}) {
      const Json& by = a["by_outcome"];
      const Json n = by.is_object() && by.contains(outcome) ? by[outcome] : Json(std::uint64_t{0});
      std::optional<std::uint64_t> value;
      if (n.is_number_unsigned()) value = n.get<std::uint64_t>();
      if (value) max = std::max(max, *value);
      chart.bars.push_back({t.Format(lang, "stats.advice.bar",
                                     {{"year", year}, {"outcome", t.Text(lang, std::string("stats.advice.") + outcome)}}),
                            value, Cell(n)});
      rows += "<td>" + Esc(Cell(n)) + "</td>";
    }
    rows += "<td>" + Esc(Cell(total)) + "</td></tr>\n";
  }
  chart.max = max;
  std::string s = "<section id=\"advice\"><h2>" + Esc(chart.title) + "</h2>\n<p>" +
                  Esc(t.Text(lang, "stats.advice.about")) + "</p>\n";
  if (!any) return s + "<p>" + Esc(t.Text(lang, "stats.advice.none")) + "</p>\n</section>\n";
  const std::string table = "<table class=\"table\" id=\"table-advice\"><caption>" + Esc(chart.title) +
                            "</caption><thead><tr>" + Th(lang, "stats.col.year") +
                            Th(lang, "stats.advice.advice_only") + Th(lang, "stats.advice.referred") +
                            Th(lang, "stats.col.total") + "</tr></thead><tbody>\n" + rows +
                            "</tbody></table>";
  return s + Pair(BarChartSvg(chart), table) + "</section>\n";
}

}  // namespace

HttpResponse Workspace::StatsPage(const Session& s, const http::QueryParams& q) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  if (!MayReadStats(s)) return ErrorPage(403, lang, &s, "error.forbidden");
  auto stats = projections::ReadStats(domain_.store(), domain_.dbs(), std::nullopt);
  if (!stats.ok()) return ErrorPage(503, lang, &s, "error.storage");
  std::vector<Json> years;
  for (const auto& y : *stats) years.push_back(y.ToJson());

  std::string main = "<p>" + Esc(t.Text(lang, "stats.intro")) + "</p>\n<p>" +
                     Esc(t.Text(lang, "stats.suppressed")) + "</p>\n";
  if (years.empty()) {
    main += "<p>" + Esc(t.Text(lang, "stats.empty")) + "</p>\n";
    return SessionPage(200, s, "/ui/statistics", "stats.title", main);
  }

  // A share per year: its chart (per mille) and its table.
  auto share_section = [&](const std::string& id, const char* group, const char* num_field,
                           const char* rest_field, const char* share_field,
                           const std::vector<ChartLine>& lines) {
    const std::string g(group);
    BarChart chart;
    chart.id = "chart-" + id;
    chart.title = t.Text(lang, "stats." + id + ".title");
    chart.desc = t.Text(lang, "stats." + id + ".desc");
    chart.max = 1000;
    chart.lines = lines;
    std::string rows;
    for (const Json& y : years) {
      const Json& part = y[g];
      const std::string year = std::to_string(y["year"].get<int>());
      chart.bars.push_back({year, PerMille(part[share_field]), ShareText(lang, part[share_field])});
      rows += "<tr><th scope=\"row\">" + year + "</th><td>" + Esc(Cell(part[num_field])) +
              "</td><td>" + Esc(Cell(part[rest_field])) + "</td><td>" +
              Esc(ShareText(lang, part[share_field])) + "</td></tr>\n";
    }
    const std::string table = "<table class=\"table\" id=\"table-" + id + "\"><caption>" +
                              Esc(chart.title) + "</caption><thead><tr>" + Th(lang, "stats.col.year") +
                              Th(lang, "stats." + id + ".numerator") +
                              Th(lang, "stats." + id + ".rest") + Th(lang, "stats.col.share") +
                              "</tr></thead><tbody>\n" + rows + "</tbody></table>";
    return "<section id=\"" + id + "\"><h2>" + Esc(chart.title) + "</h2>\n<p>" +
           Esc(t.Text(lang, "stats." + id + ".about")) + "</p>\n" + Pair(BarChartSvg(chart), table) +
           "</section>\n";
  };

  main += share_section("founded", "assessments", "founded", "unfounded", "founded_share",
                        {{100, t.Text(lang, "stats.founded.paper_early")},
                         {250, t.Text(lang, "stats.founded.paper_late")}});
  main += share_section("response", "response_24h", "within_24h", "later_or_none", "share",
                        {{1000, t.Text(lang, "stats.response.goal")}});
  main += share_section("progression", "progression_6m", "progressed", "not_progressed", "share",
                        {});

  // Interventions by kind in one year (the latest unless chosen).
  const Json* chosen = &years.back();
  if (auto it = q.find("year"); it != q.end())
    for (const Json& y : years)
      if (std::to_string(y["year"].get<int>()) == it->second) chosen = &y;
  const std::string year = std::to_string((*chosen)["year"].get<int>());
  const Json& iv = (*chosen)["interventions"];
  BarChart chart;
  chart.id = "chart-interventions";
  chart.title = t.Format(lang, "stats.interventions.title", {{"year", year}});
  chart.desc = t.Text(lang, "stats.interventions.desc");
  std::uint64_t max = 5;
  for (const auto& [kind, n] : iv["by_kind"].items())
    if (n.is_number_unsigned()) max = std::max(max, n.get<std::uint64_t>());
  chart.max = max;
  std::string rows;
  for (const auto& [kind, n] : iv["by_kind"].items()) {
    const std::string label = CodeLabel(lang, "kind", kind);
    std::optional<std::uint64_t> value;
    if (n.is_number_unsigned()) value = n.get<std::uint64_t>();
    chart.bars.push_back({label, value, Cell(n)});
    rows += "<tr><th scope=\"row\">" + Esc(label) + "</th><td>" + Esc(Cell(n)) + "</td></tr>\n";
  }
  rows += "<tr><th scope=\"row\">" + Esc(t.Text(lang, "stats.col.total")) + "</th><td>" +
          Esc(Cell(iv["total"])) + "</td></tr>\n";
  std::string form = "<form method=\"get\" action=\"/ui/statistics\" class=\"as-of\"><div "
                     "class=\"form-group\"><label class=\"form-label\" for=\"year\">" +
                     Esc(t.Text(lang, "stats.col.year")) +
                     "</label><select class=\"form-select\" id=\"year\" name=\"year\">";
  for (const Json& y : years) {
    const std::string v = std::to_string(y["year"].get<int>());
    form += "<option value=\"" + v + "\"" + (v == year ? " selected" : "") + ">" + v + "</option>";
  }
  form += "</select></div><button class=\"button button-secondary\" type=\"submit\">" +
          Esc(t.Text(lang, "stats.show_year")) + "</button></form>\n";
  const std::string table = "<table class=\"table\" id=\"table-interventions\"><caption>" +
                            Esc(chart.title) + "</caption><thead><tr>" +
                            Th(lang, "stats.col.kind") + Th(lang, "stats.col.count") +
                            "</tr></thead><tbody>\n" + rows + "</tbody></table>";
  main += "<section id=\"interventions\"><h2>" + Esc(chart.title) + "</h2>\n" + form +
          (iv["by_kind"].empty() ? "<p>" + Esc(t.Text(lang, "stats.interventions.none")) + "</p>\n"
                                 : Pair(BarChartSvg(chart), table)) +
          "</section>\n";
  main += AdviceSection(lang, years);
  main += "<p>" + Esc(t.Text(lang, "stats.footnote")) + "</p>\n";
  return SessionPage(200, s, "/ui/statistics", "stats.title", main);
}

}  // namespace caseledger::web
