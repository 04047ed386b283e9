// `caseledger stats`: the statistics per year (DESIGN §8) as readable tables,
// JSON, or a self-contained HTML page rendered from that JSON (app/html.h). Definitions and suppression: docs/statistics.md.
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "app/html.h"
#include "ledger/canonical_json.h"
#include "ledger/log_store.h"
#include "projections/projector.h"
#include "projections/stats.h"

namespace caseledger::cli {

namespace {

using projections::Cell;
using projections::Group;
using projections::Share;
using projections::YearStats;

constexpr int kLabelWidth = 38;
constexpr int kValueWidth = 8;

std::string CellText(const Cell& c) {
  return c.value ? std::to_string(*c.value) : "<5";
}

// "  label ........ value  note"
void Row(std::ostream& out, int indent, const std::string& label,
         const std::string& value, const std::string& note = "") {
  std::ostringstream l;
  l << std::string(static_cast<std::size_t>(indent), ' ') << label;
  if (value.empty() && note.empty()) {
    out << l.str() << "\n";
    return;
  }
  out << std::left << std::setw(kLabelWidth) << l.str() << std::right
      << std::setw(kValueWidth) << value;
  if (!note.empty()) out << "   " << note;
  out << "\n";
}

std::string Readable(std::string key) {
  for (char& ch : key)
    if (ch == '_') ch = ' ';
  return key;
}

void GroupRows(std::ostream& out, const Group& g, const std::string& prefix) {
  for (const auto& [key, cell] : g.cells)
    Row(out, 4, prefix + Readable(key), CellText(cell));
}

std::string ShareText(const std::optional<Share>& s) {
  return s ? s->Percent() : "suppressed";
}

// "(n of d)", then `more` if any.
std::string ShareNote(const std::optional<Share>& s, const std::string& more) {
  std::string note;
  if (s) {
    note = "(" + std::to_string(s->numerator) + " of " +
           std::to_string(s->denominator) + ")";
  }
  if (!more.empty()) note += (note.empty() ? "" : "  ") + more;
  return note;
}

const Cell& CellOf(const Group& g, const std::string& key) {
  static const Cell kZero{0};
  auto it = g.cells.find(key);
  return it == g.cells.end() ? kZero : it->second;
}

void PrintYear(std::ostream& out, const YearStats& s) {
  out << "Statistics " << s.year
      << " (UTC calendar year; cells under 5 suppressed, ROL-3)\n";
  Row(out, 2, "Concerns reported", CellText(s.concerns.total));
  GroupRows(out, s.concerns, "from ");

  // `assessed` is derived (concerns - not assessed): left blank when hidden,
  // where "<5" beside large outcome counts would only confuse.
  Row(out, 2, "Assessments (latest outcome)",
      s.assessed.value ? std::to_string(*s.assessed.value) : "");
  for (const char* k :
       {"founded", "unfounded", "more_information", "not_assessed"})
    Row(out, 4, Readable(k), CellText(CellOf(s.outcomes, k)));
  Row(out, 4, "founded share", ShareText(s.founded_share),
      ShareNote(s.founded_share, "of the founded and unfounded"));

  Row(out, 2, "Response within 24 hours", ShareText(s.response_24h_share),
      ShareNote(s.response_24h_share,
                "goal: " + std::string(projections::kResponseGoal)));
  Row(out, 4, "within 24 h", CellText(CellOf(s.response_24h, "within_24h")));
  Row(out, 4, "later or none",
      CellText(CellOf(s.response_24h, "later_or_none")));

  Row(out, 2, "Interventions started", CellText(s.interventions.total));
  GroupRows(out, s.interventions, "");

  Row(out, 2, "Progression after 6 months", ShareText(s.progression_share),
      ShareNote(s.progression_share,
                "goal: " + std::string(projections::kProgressionGoal)));
  Row(out, 4, "judged (mentor, relatives coach)",
      CellText(s.progression.total));
  Row(out, 4, "progressed", CellText(CellOf(s.progression, "progressed")));
  Row(out, 4, "not progressed",
      CellText(CellOf(s.progression, "not_progressed")));

  Row(out, 2, "Disclosures made", CellText(s.disclosures_by_recipient.total));
  GroupRows(out, s.disclosures_by_recipient, "to ");
  GroupRows(out, s.disclosures_by_basis, "under ");

  Row(out, 2, "Refused commands", CellText(s.refusals.total));
  GroupRows(out, s.refusals, "");
  out << "\n";
}

}  // namespace

int CmdStats(const std::string& dir, std::optional<int> year, ReportFormat format,
             const std::string& out) {
  auto domain = app::OpenReadOnlyDomain(dir);
  if (!domain.ok()) return Fail(domain.status());
  ledger::LogStore& store = *domain->store;
  const projections::ProjectionDbs& dbs = domain->dbs;
  auto stats = projections::ReadStats(store, dbs, year);
  if (!stats.ok()) return Fail(stats.status());

  std::ostringstream text;
  if (format != ReportFormat::kText) {
    Json years = Json::array();
    for (const YearStats& s : *stats) years.push_back(s.ToJson());
    const Json j{
        {"v", 1}, {"min_cell", projections::kMinCell}, {"years", years}};
    text << (format == ReportFormat::kJson ? ledger::CanonicalJson(j) + "\n" : app::StatsHtml(j));
  } else if (stats->empty()) {
    text << "no statistics: the log has no concerns, interventions, "
            "disclosures or refusals yet\n";
  } else {
    for (const YearStats& s : *stats) PrintYear(text, s);
    text << "\"<5\": suppressed (ROL-3) - a count from 1 to 4, or a cell "
            "hidden so that such a count\ncannot be computed back from the "
            "total. Shares are shown only over published cells\nwith a "
            "denominator of at least 5. Definitions: docs/statistics.md.\n";
  }
  if (Status s = WriteReport(out, "statistics", text.str()); !s.ok()) return Fail(s);
  return kExitOk;
}

}  // namespace caseledger::cli
