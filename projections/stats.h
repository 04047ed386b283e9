// Statistics per year (DESIGN §8): aggregates of the case states — concerns by
// source, the founded share, the 24-hour response rate, interventions by kind,
// the 6-month progression share of mentor and relatives' coaching,
// disclosures by recipient and basis, refusals by rule, advice without
// registration by outcome — with small cells
// suppressed (ROL-3). Definitions, suppression rules and the JSON shape:
// docs/statistics.md.
// Invariants: nothing is ever grouped or counted by a grounds or context code
// (no p.* code can appear in a statistic); a published YearStats holds no
// count from 1 to 4 and nothing from which one can be computed back.
// Pure computation (CountCase, Suppress, ComputeYearStats) is thread-safe;
// ReadStats takes its own read txn and may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/log_store.h"
#include "projections/case_state.h"
#include "projections/projector.h"

namespace caseledger::projections {

// Cells with a count from 1 to kMinCell - 1 are suppressed (ROL-3).
inline constexpr std::uint64_t kMinCell = 5;
// The progression rule reads the first progress assessment at least this long
// after an intervention started ("after 6 months").
inline constexpr Micros kProgressionDelay = Micros{150} * 86'400'000'000;
// The goals from the source papers, printed beside the figures.
inline constexpr std::string_view kResponseGoal =
    "a reaction within 24 hours on every concern";
inline constexpr std::string_view kProgressionGoal =
    "progression after 6 months";

// The UTC calendar year of `t`.
int YearOf(Micros t);

// --- Exact counts (never published: Suppress them first) ---------------------

// Every figure of one year, exact. Keys of the maps are closed-list codes of
// the clear headers (source, kind, recipient, basis, rule id); a value that
// is empty or not shaped like such a code (any '.', so never a p.* code)
// counts as "unknown".
struct YearCounts {
  int year = 0;
  // Concerns reported in the year (cases whose opening concern is retracted
  // are left out of the concern figures).
  std::uint64_t concerns = 0;
  std::map<std::string, std::uint64_t> concerns_by_source;
  // By the outcome of the latest assessment; together they are `concerns`.
  std::uint64_t founded = 0, unfounded = 0, more_information = 0,
                not_assessed = 0;
  // Concerns with a first response within 24 hours of the report.
  std::uint64_t responded_24h = 0;
  // Interventions started in the year.
  std::uint64_t interventions = 0;
  std::map<std::string, std::uint64_t> interventions_by_kind;
  // Mentor and relatives' coaching interventions started in the year that
  // could be judged, and of those the ones that progressed.
  std::uint64_t progression_judged = 0, progression_progressed = 0;
  // Disclosures whose first disclosure.made is in the year.
  std::uint64_t disclosures = 0;
  std::map<std::string, std::uint64_t> disclosures_by_recipient;
  std::map<std::string, std::uint64_t> disclosures_by_basis;
  // Refused commands of the year, by rule id.
  std::uint64_t refusals = 0;
  std::map<std::string, std::uint64_t> refusals_by_rule;
  // Advice without registration given in the year (advice.given), by
  // outcome (advice_only, referred): contacts, never persons.
  std::uint64_t advice = 0;
  std::map<std::string, std::uint64_t> advice_by_outcome;

  // True if no figure of the year is above zero.
  bool Empty() const;
  friend bool operator==(const YearCounts&, const YearCounts&) = default;
};

// The verdict of the 6-month progression rule on one intervention.
enum class Progression {
  kNotCounted,  // not mentor / relatives_coach
  kNotJudged,   // no progress assessment 150 days on, no baseline, or no
                // dimension scored on both sides
  kProgressed,  // at least one dimension better, none worse
  kNotProgressed,
};
// Compares two sets of factors: nullopt if no dimension is scored in both;
// else true iff at least one common dimension is better (risk lower or
// resources higher) and none is worse (risk higher or resources lower).
std::optional<bool> Progressed(const Factors& baseline, const Factors& later);
// The rule applied to intervention `i` of case `c`: the baseline is the
// factors of the latest assessment before `i` started that scores at least
// one dimension; the comparison is the first progress assessment of `i` at
// least kProgressionDelay after the start.
Progression JudgeProgression(const CaseView& c, const Intervention& i);

// Adds everything `c` contributes to the counts of each year (creating the
// years it touches): its concern in the year it was reported, each
// intervention in the year it started, each disclosure in the year of its
// first disclosure.made. Refusals are not in case views: see ReadStats.
void CountCase(const CaseView& c, std::map<int, YearCounts>& years);

// Adds the counters of proj.counters to the years they name: refusals
// ("refused/<year>/<rule>") and advice without registration
// ("advice/<year>/<outcome>"); other keys are ignored.
void CountCounters(const std::map<std::string, std::uint64_t>& counters,
                   std::map<int, YearCounts>& years);

// --- Published figures
// ---------------------------------------------------------

// A published count: the value, or nullopt when suppressed.
struct Cell {
  std::optional<std::uint64_t> value;
  bool suppressed() const { return !value.has_value(); }
  friend bool operator==(const Cell&, const Cell&) = default;
};

// Cells published with their total. Suppression (ROL-3): every cell (and the
// total) from 1 to 4 is suppressed; then, while exactly one non-zero cell is
// suppressed or the suppressed cells add up to 1..4, the smallest published
// non-zero cell (ties: first key) is suppressed as well, so no suppressed
// cell — nor the sum of them — can be computed back from the total.
struct Group {
  Cell total;
  std::map<std::string, Cell> cells;
  friend bool operator==(const Group&, const Group&) = default;
};

// A published share: numerator / denominator, in per mille rounded half up.
// Published only when both the numerator and the rest (denominator −
// numerator) are published cells and the denominator is at least kMinCell.
struct Share {
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 0;
  std::uint64_t per_mille = 0;
  // "24.0 %" (one decimal, from the per mille; no floating point).
  std::string Percent() const;
  friend bool operator==(const Share&, const Share&) = default;
};

struct YearStats {
  int year = 0;
  // Concerns by source; total = concerns of the year.
  Group concerns;
  // founded / unfounded / more_information / not_assessed; total = concerns.
  Group outcomes;
  // Concerns with an assessment (total − not_assessed), published only when
  // not_assessed and the total are.
  Cell assessed;
  std::optional<Share> founded_share;  // founded ÷ (founded + unfounded)
  // within_24h / later_or_none; total = concerns.
  Group response_24h;
  std::optional<Share> response_24h_share;  // within_24h ÷ concerns
  // Interventions started, by kind; total = interventions started.
  Group interventions;
  // progressed / not_progressed; total = judged.
  Group progression;
  std::optional<Share> progression_share;  // progressed ÷ judged
  // Disclosures made, by recipient and by basis (two groups, same total).
  Group disclosures_by_recipient;
  Group disclosures_by_basis;
  // Refusals by rule id; total = refusals of the year.
  Group refusals;
  // Advice without registration by outcome; total = advice given.
  Group advice;

  // Canonical-ready JSON (docs/statistics.md): integers only, a suppressed
  // cell as null, a suppressed share as null.
  Json ToJson() const;
  friend bool operator==(const YearStats&, const YearStats&) = default;
};

// Applies suppression to one group of exact counts (see Group).
Group SuppressGroup(const std::map<std::string, std::uint64_t>& cells);
// The published figures of `counts`.
YearStats Suppress(const YearCounts& counts);

// The published statistics of `year` over `cases` (every case of the data
// set; each contributes to the year as CountCase says), with the year's
// refusals by rule id. A year with nothing in it gives all zeros.
YearStats ComputeYearStats(
    std::span<const CaseView> cases, int year,
    const std::map<std::string, std::uint64_t>& refusals_by_rule_of_year);

// The published statistics of every year with any figure above zero,
// ascending — or of `year` only (all zeros if nothing happened then) — read
// from proj.case_rows and proj.counters in one snapshot (log.Read()).
// FailedPrecondition if the projections are of another version or not built
// to the log's size (run `caseledger rebuild`); Corruption if a stored state
// or counter does not parse.
Result<std::vector<YearStats>> ReadStats(ledger::LogStore& log,
                                         const ProjectionDbs& dbs,
                                         std::optional<int> year);

}  // namespace caseledger::projections
