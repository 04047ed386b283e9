#include "projections/stats.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <set>
#include <utility>

#include "base/bytes.h"

// Definitions and suppression rules: docs/statistics.md.

namespace caseledger::projections {


namespace {

constexpr Micros kMaxMicros = std::numeric_limits<Micros>::max();
constexpr std::string_view kRefusedPrefix = "refused/";
constexpr std::string_view kAdvicePrefix = "advice/";

// The intervention kinds the progression goal is about.
constexpr std::string_view kProgressionKinds[] = {"mentor", "relatives_coach"};

// A grouping key: a closed-list code of a clear header (source, kind,
// recipient, basis, rule id). Anything else — empty, too long, or with a
// character outside [A-Za-z0-9_-], so in particular any "p.*" code — reads
// as "unknown": statistics never group by a grounds or context code (ROL-3).
std::string Key(std::string_view v) {
  if (v.empty() || v.size() > 64) return "unknown";
  for (char ch : v) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    if (!ok) return "unknown";
  }
  return std::string(v);
}

bool Small(std::uint64_t n) { return n > 0 && n < kMinCell; }

YearCounts& At(std::map<int, YearCounts>& years, Micros t) {
  const int y = YearOf(t);
  YearCounts& yc = years[y];
  yc.year = y;
  return yc;
}

// True if the concern that opened the case was retracted (possible only in
// imported history: the policy engine refuses it).
bool ConcernRetracted(const CaseView& c) {
  return std::any_of(c.corrections.begin(), c.corrections.end(),
                     [&](const Correction& r) {
                       return r.retraction && r.target == c.opened_seq;
                     });
}

bool IsProgressionKind(std::string_view kind) {
  return std::find(std::begin(kProgressionKinds), std::end(kProgressionKinds),
                   kind) != std::end(kProgressionKinds);
}

Cell Published(std::uint64_t n) { return Cell{n}; }

std::uint64_t CellValue(const Group& g, const std::string& key) {
  auto it = g.cells.find(key);
  return it == g.cells.end() || !it->second.value ? 0 : *it->second.value;
}
bool CellPublished(const Group& g, const std::string& key) {
  auto it = g.cells.find(key);
  return it != g.cells.end() && !it->second.suppressed();
}

// The share cells[num] ÷ (cells[num] + cells[rest]), if both are published and
// the denominator is at least kMinCell.
std::optional<Share> ShareOf(const Group& g, const std::string& num,
                             const std::string& rest) {
  if (!CellPublished(g, num) || !CellPublished(g, rest)) return std::nullopt;
  Share s;
  s.numerator = CellValue(g, num);
  s.denominator = s.numerator + CellValue(g, rest);
  if (s.denominator < kMinCell) return std::nullopt;
  s.per_mille = (s.numerator * 1000 + s.denominator / 2) / s.denominator;
  return s;
}

Json CellJson(const Cell& c) {
  return c.value ? Json(*c.value) : Json(nullptr);
}

Json CellsJson(const Group& g) {
  Json j = Json::object();
  for (const auto& [k, c] : g.cells) j[k] = CellJson(c);
  return j;
}

Json ShareJson(const std::optional<Share>& s) {
  if (!s) return nullptr;
  return Json{{"numerator", s->numerator},
                      {"denominator", s->denominator},
                      {"per_mille", s->per_mille},
                      {"percent", s->Percent()}};
}

}  // namespace

int YearOf(Micros t) {
  using namespace std::chrono;
  const sys_days d = floor<days>(sys_time<microseconds>(microseconds(t)));
  return static_cast<int>(year_month_day(d).year());
}

bool YearCounts::Empty() const {
  return concerns == 0 && interventions == 0 && disclosures == 0 &&
         refusals == 0 && advice == 0;
}

// --- The progression rule
// -------------------------------------------------------

std::optional<bool> Progressed(const Factors& baseline, const Factors& later) {
  bool common = false, better = false, worse = false;
  for (const auto& [dimension, before] : baseline) {
    auto it = later.find(dimension);
    if (it == later.end()) continue;  // missing on one side: ignored
    common = true;
    const Factor& after = it->second;
    if (after.risk < before.risk || after.resources > before.resources)
      better = true;
    if (after.risk > before.risk || after.resources < before.resources)
      worse = true;
  }
  if (!common) return std::nullopt;
  return better && !worse;
}

Progression JudgeProgression(const CaseView& c, const Intervention& i) {
  if (!IsProgressionKind(i.kind)) return Progression::kNotCounted;
  const Assessment* baseline = nullptr;
  for (const Assessment& a : c.assessments) {  // seq order: the latest wins
    if (a.seq < i.seq && !a.factors.empty()) baseline = &a;
  }
  if (baseline == nullptr) return Progression::kNotJudged;
  if (i.time > kMaxMicros - kProgressionDelay) return Progression::kNotJudged;
  const Micros due = i.time + kProgressionDelay;
  for (const ProgressEntry& p : i.progress) {
    if (p.time < due) continue;
    auto r = Progressed(baseline->factors, p.factors);  // the first one only
    if (!r) return Progression::kNotJudged;
    return *r ? Progression::kProgressed : Progression::kNotProgressed;
  }
  return Progression::kNotJudged;
}

// --- Counting
// -------------------------------------------------------------------

void CountCase(const CaseView& c, std::map<int, YearCounts>& years) {
  if (!ConcernRetracted(c)) {
    YearCounts& y = At(years, c.opened);
    ++y.concerns;
    ++y.concerns_by_source[Key(c.source)];
    const std::string& outcome = c.Outcome();
    if (outcome == "founded")
      ++y.founded;
    else if (outcome == "unfounded")
      ++y.unfounded;
    else if (outcome == "more_information")
      ++y.more_information;
    else
      ++y.not_assessed;
    // response_due = opened + 24 h (saturating).
    if (c.first_response && *c.first_response <= c.response_due)
      ++y.responded_24h;
  }
  for (const Intervention& i : c.interventions) {
    YearCounts& y = At(years, i.time);
    ++y.interventions;
    ++y.interventions_by_kind[Key(i.kind)];
    switch (JudgeProgression(c, i)) {
      case Progression::kProgressed:
        ++y.progression_progressed;
        ++y.progression_judged;
        break;
      case Progression::kNotProgressed:
        ++y.progression_judged;
        break;
      case Progression::kNotCounted:
      case Progression::kNotJudged:
        break;
    }
  }
  for (const Disclosure& d : c.disclosures) {
    if (d.made.empty()) continue;
    YearCounts& y = At(years, d.made.front().time);
    ++y.disclosures;
    ++y.disclosures_by_recipient[Key(d.recipient)];
    ++y.disclosures_by_basis[Key(d.basis)];
  }
}

// The counters "<prefix><year>/<code>" (proj.counters) of one kind, each
// added to its year by `add`.
template <typename Add>
void CountYearCodes(const std::map<std::string, std::uint64_t>& counters, std::string_view prefix,
                    std::map<int, YearCounts>& years, Add add) {
  for (const auto& [key, n] : counters) {
    std::string_view k = key;
    if (!k.starts_with(prefix)) continue;
    k.remove_prefix(prefix.size());
    const auto slash = k.find('/');
    if (slash == std::string_view::npos || slash == 0) continue;
    int year = 0;
    auto [end, ec] = std::from_chars(k.data(), k.data() + slash, year);
    if (ec != std::errc() || end != k.data() + slash) continue;
    YearCounts& y = years[year];
    y.year = year;
    add(y, Key(k.substr(slash + 1)), n);
  }
}

void CountCounters(const std::map<std::string, std::uint64_t>& counters,
                   std::map<int, YearCounts>& years) {
  CountYearCodes(counters, kRefusedPrefix, years,
                 [](YearCounts& y, const std::string& rule, std::uint64_t n) {
                   y.refusals += n;
                   y.refusals_by_rule[rule] += n;
                 });
  CountYearCodes(counters, kAdvicePrefix, years,
                 [](YearCounts& y, const std::string& outcome, std::uint64_t n) {
                   y.advice += n;
                   y.advice_by_outcome[outcome] += n;
                 });
}

// --- Suppression
// ------------------------------------------------------------------

std::string Share::Percent() const {
  return std::to_string(per_mille / 10) + "." + std::to_string(per_mille % 10) +
         " %";
}

Group SuppressGroup(const std::map<std::string, std::uint64_t>& cells) {
  std::uint64_t total = 0;
  std::set<std::string> hidden;
  for (const auto& [k, n] : cells) {
    total += n;
    if (Small(n)) hidden.insert(k);
  }
  // Complementary suppression: one suppressed cell, or suppressed cells that
  // add up to less than kMinCell, could be computed back from the total.
  for (;;) {
    std::uint64_t sum = 0;
    for (const std::string& k : hidden) sum += cells.at(k);
    if (hidden.size() != 1 && !Small(sum)) break;
    const std::string* next = nullptr;
    for (const auto& [k, n] : cells) {
      if (n == 0 || hidden.count(k) != 0) continue;
      if (next == nullptr || n < cells.at(*next)) next = &k;
    }
    if (next == nullptr) break;  // then the total is itself small: hidden
    hidden.insert(*next);
  }
  Group g;
  g.total = Small(total) ? Cell{} : Published(total);
  for (const auto& [k, n] : cells)
    g.cells[k] = hidden.count(k) != 0 ? Cell{} : Published(n);
  return g;
}

YearStats Suppress(const YearCounts& y) {
  YearStats s;
  s.year = y.year;
  s.concerns = SuppressGroup(y.concerns_by_source);
  s.outcomes = SuppressGroup({{"founded", y.founded},
                              {"unfounded", y.unfounded},
                              {"more_information", y.more_information},
                              {"not_assessed", y.not_assessed}});
  if (!s.outcomes.total.suppressed() &&
      CellPublished(s.outcomes, "not_assessed"))
    s.assessed = Published(y.concerns - y.not_assessed);
  s.founded_share = ShareOf(s.outcomes, "founded", "unfounded");
  const std::uint64_t within = std::min(y.responded_24h, y.concerns);
  s.response_24h = SuppressGroup(
      {{"within_24h", within}, {"later_or_none", y.concerns - within}});
  s.response_24h_share = ShareOf(s.response_24h, "within_24h", "later_or_none");
  s.interventions = SuppressGroup(y.interventions_by_kind);
  const std::uint64_t progressed =
      std::min(y.progression_progressed, y.progression_judged);
  s.progression =
      SuppressGroup({{"progressed", progressed},
                     {"not_progressed", y.progression_judged - progressed}});
  s.progression_share = ShareOf(s.progression, "progressed", "not_progressed");
  s.disclosures_by_recipient = SuppressGroup(y.disclosures_by_recipient);
  s.disclosures_by_basis = SuppressGroup(y.disclosures_by_basis);
  s.refusals = SuppressGroup(y.refusals_by_rule);
  s.advice = SuppressGroup(y.advice_by_outcome);
  return s;
}

YearStats ComputeYearStats(
    std::span<const CaseView> cases, int year,
    const std::map<std::string, std::uint64_t>& refusals_by_rule_of_year) {
  std::map<int, YearCounts> years;
  for (const CaseView& c : cases) CountCase(c, years);
  YearCounts y;
  if (auto it = years.find(year); it != years.end()) y = std::move(it->second);
  y.year = year;
  y.refusals = 0;
  y.refusals_by_rule.clear();
  for (const auto& [rule, n] : refusals_by_rule_of_year) {
    y.refusals += n;
    y.refusals_by_rule[Key(rule)] += n;
  }
  return Suppress(y);
}

Json YearStats::ToJson() const {
  Json progression_kinds = Json::array();
  for (std::string_view k : kProgressionKinds)
    progression_kinds.push_back(std::string(k));
  auto cell = [](const Group& g, const char* key) {
    auto it = g.cells.find(key);
    return it == g.cells.end() ? Json(0) : CellJson(it->second);
  };
  return Json{{"year", year},
              {"concerns",
               {{"total", CellJson(concerns.total)},
                {"by_source", CellsJson(concerns)}}},
              {"assessments",
               {{"assessed", CellJson(assessed)},
                {"founded", cell(outcomes, "founded")},
                {"unfounded", cell(outcomes, "unfounded")},
                {"more_information", cell(outcomes, "more_information")},
                {"not_assessed", cell(outcomes, "not_assessed")},
                {"founded_share", ShareJson(founded_share)}}},
              {"response_24h",
               {{"concerns", CellJson(response_24h.total)},
                {"within_24h", cell(response_24h, "within_24h")},
                {"later_or_none", cell(response_24h, "later_or_none")},
                {"share", ShareJson(response_24h_share)},
                {"goal", std::string(kResponseGoal)}}},
              {"interventions",
               {{"total", CellJson(interventions.total)},
                {"by_kind", CellsJson(interventions)}}},
              {"progression_6m",
               {{"kinds", progression_kinds},
                {"judged", CellJson(progression.total)},
                {"progressed", cell(progression, "progressed")},
                {"not_progressed", cell(progression, "not_progressed")},
                {"share", ShareJson(progression_share)},
                {"goal", std::string(kProgressionGoal)}}},
              {"disclosures",
               {{"total", CellJson(disclosures_by_recipient.total)},
                {"by_recipient", CellsJson(disclosures_by_recipient)},
                {"by_basis", CellsJson(disclosures_by_basis)}}},
              {"refusals",
               {{"total", CellJson(refusals.total)},
                {"by_rule", CellsJson(refusals)}}},
              {"advice",
               {{"total", CellJson(advice.total)},
                {"by_outcome", CellsJson(advice)}}}};
}

// --- Reading
// ----------------------------------------------------------------------

Result<std::vector<YearStats>> ReadStats(ledger::LogStore& log,
                                         const ProjectionDbs& dbs,
                                         std::optional<int> year) {
  std::map<int, YearCounts> years;
  {
    CL_ASSIGN_OR_RETURN(auto txn, log.Read());
    // proj.meta (docs/formats/projections.md): the statistics are only as
    // good as the projections they are read from.
    CL_ASSIGN_OR_RETURN(auto version, txn.Get(dbs.meta, AsBytes("version")));
    if (!version || AsChars(*version) != kProjectionVersion)
      return FailedPrecondition(
          "the projections are missing or of another version (run "
          "`caseledger rebuild`)");
    CL_ASSIGN_OR_RETURN(auto built, txn.Get(dbs.meta, AsBytes("built_to")));
    if (!built || built->size() < 8)
      return FailedPrecondition(
          "the projections have not been built (run `caseledger rebuild`)");
    const std::uint64_t built_to = DecodeBigEndian64(built->first(8));
    CL_ASSIGN_OR_RETURN(const std::uint64_t size, ledger::TreeSize(txn, log));
    if (built_to != size)
      return FailedPrecondition(
          "the projections are built to " + std::to_string(built_to) +
          " events but the log has " + std::to_string(size) +
          " (run `caseledger rebuild`)");

    CL_RETURN_IF_ERROR(ForEachCaseState(txn, dbs, [&](const CaseState& state) {
      CountCase(state.View(), years);
      return Status::Ok();
    }));

    std::map<std::string, std::uint64_t> counters;
    CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs.counters));
    CL_ASSIGN_OR_RETURN(auto kv, cur.First());
    while (kv) {
      if (kv->value.size() != 8)
        return Corruption("proj.counters: a count is not 8 bytes");
      counters[std::string(AsChars(kv->key))] = DecodeBigEndian64(kv->value);
      CL_ASSIGN_OR_RETURN(kv, cur.Next());
    }
    CountCounters(counters, years);
  }
  std::vector<YearStats> out;
  if (year) {
    auto it = years.find(*year);
    YearCounts y = it == years.end() ? YearCounts{} : it->second;
    y.year = *year;
    out.push_back(Suppress(y));
    return out;
  }
  for (const auto& [y, counts] : years)
    if (!counts.Empty()) out.push_back(Suppress(counts));
  return out;
}

}  // namespace caseledger::projections
