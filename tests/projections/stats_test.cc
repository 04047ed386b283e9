// Statistics per year (DESIGN §8, docs/statistics.md): every figure, year
// attribution, the 6-month progression rule, suppression of small cells
// (primary, complementary, shares) and ROL-3 — no p.* code in any statistic.
#include "projections/stats.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <random>
#include <tuple>

#include "projections/vocabulary.h"
#include "tests/projections/domain_fixture.h"

namespace caseledger::projections {
namespace {

constexpr Micros kHour = Micros{3'600'000'000};
constexpr Micros kDay = 24 * kHour;

Micros At(const char* text) { return ledger::ParseTime(text).value(); }

using Scores = std::vector<std::tuple<const char*, int, int>>;
Json FactorsJson(const Scores& scores) {
  Json j = Json::object();
  for (const auto& [dimension, risk, resources] : scores)
    j[dimension] = Json{{"risk", risk}, {"resources", resources}};
  return j;
}

Json BGround() {
  return Json{{"code", "b.threat"}, {"observed_on", "2018-03-02"}};
}

// Every protected code of the vocabulary.
std::vector<std::string> ProtectedCodes() {
  std::vector<std::string> out;
  for (const GroundCode& g : GroundCodes())
    if (g.kind == CodeKind::kProtected) out.emplace_back(g.code);
  return out;
}

// One case built from facts, as the projections fold them.
class CaseBuilder {
 public:
  explicit CaseBuilder(Micros opened, std::string source = "school",
                       Json context = Json::array({"p.religion"}),
                       Json grounds = Json::array({BGround()})) {
    static int next_id = 0;
    id_ = "c-" + std::to_string(++next_id);
    Add("concern.reported", opened,
        Json{{"source", std::move(source)},
             {"subject_kind", "person"},
             {"grounds", std::move(grounds)},
             {"context", std::move(context)},
             {"minor", false},
             {"new_subject", true}});
  }
  std::uint64_t Add(std::string type, Micros time, Json h) {
    Fact f;
    f.seq = ++seq_;
    f.time = time;
    f.type = std::move(type);
    f.actor = "u-worker";
    f.role = "caseworker";
    f.case_id = id_;
    f.subject = "s-" + id_;
    f.h = std::move(h);
    state_.Apply(f);
    return f.seq;
  }
  CaseBuilder& Respond(Micros t) {
    Add("concern.responded", t, Json{{"channel", "phone"}});
    return *this;
  }
  CaseBuilder& Assess(const std::string& outcome, Micros t,
                      const Scores& factors = {}) {
    Add("assessment.recorded", t,
        Json{{"outcome", outcome},
             {"grounds",
              outcome == "founded" ? Json::array({BGround()}) : Json::array()},
             {"panel", "infohus"},
             {"factors", FactorsJson(factors)}});
    return *this;
  }
  std::uint64_t Start(const std::string& kind, Micros t) {
    return Add("intervention.started", t,
               Json{{"kind", kind}, {"provider", "municipality"}});
  }
  CaseBuilder& Progress(std::uint64_t intervention, Micros t,
                        const Scores& factors) {
    Add("progress.assessed", t,
        Json{{"intervention", intervention},
             {"factors", FactorsJson(factors)}});
    return *this;
  }
  // Requested two days before `made`, approved the day before, made at `made`.
  CaseBuilder& Disclose(const std::string& recipient, const std::string& basis,
                        Micros made) {
    auto req = Add("disclosure.requested", made - 2 * kDay,
                   Json{{"recipient", recipient},
                        {"basis", basis},
                        {"registry_version", "2026-1"},
                        {"purpose", "prevention"},
                        {"categories", Json::array({"identity", "concern"})}});
    Add("disclosure.approved", made - kDay, Json{{"request", req}});
    Add("disclosure.made", made,
        Json{{"request", req},
             {"channel", "secure_mail"},
             {"document_sha256", std::string(64, 'a')}});
    return *this;
  }
  CaseView View() const { return state_.Derive(); }
  const std::string& id() const { return id_; }

 private:
  std::string id_;
  std::uint64_t seq_ = 0;
  CaseState state_;
};

std::map<int, YearCounts> CountAll(const std::vector<CaseView>& cases) {
  std::map<int, YearCounts> years;
  for (const CaseView& c : cases) CountCase(c, years);
  return years;
}

Cell C(std::uint64_t n) { return Cell{n}; }
const Cell kHidden{};

// --- Year, shares, suppression of one group -------------------------------

TEST_CASE("YearOf gives the UTC calendar year", "[projections][stats]") {
  CHECK(YearOf(At("2019-12-31T23:59:59.999999Z")) == 2019);
  CHECK(YearOf(At("2020-01-01T00:00:00Z")) == 2020);
  CHECK(YearOf(At("2024-02-29T12:00:00Z")) == 2024);
  CHECK(YearOf(0) == 1970);
  CHECK(YearOf(-1) == 1969);
}

TEST_CASE("Share Percent prints one decimal from the per mille",
          "[projections][stats]") {
  CHECK(Share{1, 8, 125}.Percent() == "12.5 %");
  CHECK(Share{0, 7, 0}.Percent() == "0.0 %");
  CHECK(Share{7, 7, 1000}.Percent() == "100.0 %");
  CHECK(Share{2, 3, 667}.Percent() == "66.7 %");
}

TEST_CASE("SuppressGroup shows 0 and counts of 5 or more",
          "[projections][stats]") {
  Group g = SuppressGroup({{"a", 0}, {"b", 5}, {"c", 17}});
  CHECK(g.total == C(22));
  CHECK(g.cells.at("a") == C(0));
  CHECK(g.cells.at("b") == C(5));
  CHECK(g.cells.at("c") == C(17));
  Group empty = SuppressGroup({});
  CHECK(empty.total == C(0));
  CHECK(empty.cells.empty());
}

TEST_CASE("SuppressGroup hides every count from 1 to 4",
          "[projections][stats]") {
  for (std::uint64_t n = 1; n < 5; ++n) {
    Group g = SuppressGroup({{"a", n}});
    CHECK(g.total == kHidden);
    CHECK(g.cells.at("a") == kHidden);
  }
  Group g = SuppressGroup({{"a", 1}, {"b", 3}});  // total 4: hidden too
  CHECK(g.total == kHidden);
  CHECK(g.cells.at("a") == kHidden);
  CHECK(g.cells.at("b") == kHidden);
}

TEST_CASE("SuppressGroup hides the next smallest cell beside a lone small one",
          "[projections][stats]") {
  // One small cell with its total published: the next smallest non-zero cell
  // goes too, so the small one cannot be computed back.
  Group g = SuppressGroup({{"a", 0}, {"b", 3}, {"c", 10}, {"d", 20}});
  CHECK(g.total == C(33));
  CHECK(g.cells.at("a") == C(0));
  CHECK(g.cells.at("b") == kHidden);
  CHECK(g.cells.at("c") == kHidden);
  CHECK(g.cells.at("d") == C(20));
  // Ties: the first key.
  Group t = SuppressGroup({{"a", 3}, {"b", 8}, {"c", 8}});
  CHECK(t.cells.at("a") == kHidden);
  CHECK(t.cells.at("b") == kHidden);
  CHECK(t.cells.at("c") == C(8));
  CHECK(t.total == C(19));
  // Two small cells whose sum is still small: a third goes.
  Group s = SuppressGroup({{"a", 2}, {"b", 2}, {"c", 50}, {"d", 60}});
  CHECK(s.cells.at("a") == kHidden);
  CHECK(s.cells.at("b") == kHidden);
  CHECK(s.cells.at("c") == kHidden);
  CHECK(s.cells.at("d") == C(60));
  CHECK(s.total == C(114));
  // Two small cells adding up to 5 or more: nothing else goes.
  Group f = SuppressGroup({{"a", 2}, {"b", 3}, {"c", 50}});
  CHECK(f.cells.at("a") == kHidden);
  CHECK(f.cells.at("b") == kHidden);
  CHECK(f.cells.at("c") == C(50));
}

TEST_CASE("SuppressGroup never lets a small cell be computed back",
          "[projections][stats]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::map<std::string, std::uint64_t> cells;
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i)
      cells["k" + std::to_string(i)] = rng() % 3 == 0 ? rng() % 5 : rng() % 30;
    const Group g = SuppressGroup(cells);
    std::uint64_t total = 0, hidden_sum = 0, published_sum = 0;
    int hidden = 0;
    for (const auto& [k, v] : cells) {
      total += v;
      const Cell& c = g.cells.at(k);
      if (c.value) {
        CHECK(*c.value == v);
        CHECK_FALSE((v > 0 && v < 5));
        published_sum += v;
      } else {
        CHECK(v > 0);
        ++hidden;
        hidden_sum += v;
      }
    }
    if (g.total.value) {
      CHECK(*g.total.value == total);
      CHECK_FALSE((total > 0 && total < 5));
      // What can be computed from the total: the sum of the hidden cells.
      CHECK(hidden != 1);
      CHECK_FALSE((hidden_sum > 0 && hidden_sum < 5));
    } else {
      CHECK(total > 0);
      CHECK(total < 5);
    }
  }
}

// --- Every figure ---------------------------------------------------------

// A small history over 2019 and 2020 whose exact counts are known.
std::vector<CaseView> SmallHistory() {
  std::vector<CaseView> cases;
  {  // founded, quick response, mentor with progress, one disclosure
    CaseBuilder c(At("2019-03-01T10:00:00Z"), "school");
    c.Respond(At("2019-03-01T12:00:00Z"));
    c.Assess("founded", At("2019-03-05T10:00:00Z"), {{"family", 2, 1}});
    c.Add("consent.recorded", At("2019-03-06T10:00:00Z"),
          Json{{"decision", "given"}, {"by", "subject"}});
    auto i = c.Start("mentor", At("2019-04-01T10:00:00Z"));
    c.Progress(i, At("2019-10-01T10:00:00Z"), {{"family", 1, 1}});
    c.Disclose("police", "rpl-115-ssp", At("2019-05-01T10:00:00Z"));
    cases.push_back(c.View());
  }
  {  // unfounded, late response (30 h)
    CaseBuilder c(At("2019-06-01T10:00:00Z"), "youth_club");
    c.Respond(At("2019-06-02T16:00:00Z"));
    c.Assess("unfounded", At("2019-06-10T10:00:00Z"));
    cases.push_back(c.View());
  }
  {  // no response, no assessment
    CaseBuilder c(At("2019-07-01T10:00:00Z"), "school");
    cases.push_back(c.View());
  }
  {  // reported on New Year's Eve, answered in the next year within 24 h
    CaseBuilder c(At("2019-12-31T23:30:00Z"), "police");
    c.Respond(At("2020-01-01T01:00:00Z"));
    c.Assess("more_information", At("2020-01-05T10:00:00Z"));
    cases.push_back(c.View());
  }
  {  // 2020: relatives' coaching that got worse; a disclosure
    CaseBuilder c(At("2020-01-10T10:00:00Z"), "hotline");
    c.Assess("founded", At("2020-01-12T10:00:00Z"), {{"family", 2, 1}});
    auto i = c.Start("relatives_coach", At("2020-02-01T10:00:00Z"));
    c.Progress(i, At("2020-03-01T10:00:00Z"), {{"family", 0, 3}});  // too early
    c.Progress(i, At("2020-08-15T10:00:00Z"), {{"family", 3, 1}});  // worse
    c.Disclose("social_services", "dbl-8-2-3", At("2020-03-01T10:00:00Z"));
    cases.push_back(c.View());
  }
  {  // 2019, founded with p.* context; an exit programme (no progression goal)
    // that starts in 2019 and a disclosure made only in 2021
    CaseBuilder c(At("2019-09-01T10:00:00Z"), "school",
                  Json::array({"p.religion", "p.political_opinion"}));
    c.Respond(At("2019-09-01T11:00:00Z"));
    c.Assess("founded", At("2019-09-02T10:00:00Z"), {{"family", 2, 1}});
    auto i = c.Start("exit", At("2019-12-01T10:00:00Z"));
    c.Progress(i, At("2020-06-01T10:00:00Z"), {{"family", 1, 2}});
    c.Disclose("police", "rpl-115-ssp", At("2021-01-05T10:00:00Z"));
    cases.push_back(c.View());
  }
  return cases;
}

TEST_CASE("CountCase counts every figure in the year it belongs to",
          "[projections][stats]") {
  const auto years = CountAll(SmallHistory());
  REQUIRE(years.size() == 3);

  YearCounts y2019;
  y2019.year = 2019;
  y2019.concerns = 5;
  y2019.concerns_by_source = {{"school", 3}, {"youth_club", 1}, {"police", 1}};
  y2019.founded = 2;
  y2019.unfounded = 1;
  y2019.more_information = 1;
  y2019.not_assessed = 1;
  y2019.responded_24h = 3;  // 12:00 same day, 01:00 next year, 11:00 same day
  y2019.interventions = 2;
  y2019.interventions_by_kind = {{"mentor", 1}, {"exit", 1}};
  y2019.progression_judged = 1;
  y2019.progression_progressed = 1;
  y2019.disclosures = 1;
  y2019.disclosures_by_recipient = {{"police", 1}};
  y2019.disclosures_by_basis = {{"rpl-115-ssp", 1}};
  CHECK(years.at(2019) == y2019);

  YearCounts y2020;
  y2020.year = 2020;
  y2020.concerns = 1;
  y2020.concerns_by_source = {{"hotline", 1}};
  y2020.founded = 1;
  y2020.interventions = 1;
  y2020.interventions_by_kind = {{"relatives_coach", 1}};
  y2020.progression_judged = 1;
  y2020.progression_progressed = 0;
  y2020.disclosures = 1;
  y2020.disclosures_by_recipient = {{"social_services", 1}};
  y2020.disclosures_by_basis = {{"dbl-8-2-3", 1}};
  CHECK(years.at(2020) == y2020);

  YearCounts y2021;
  y2021.year = 2021;
  y2021.disclosures = 1;
  y2021.disclosures_by_recipient = {{"police", 1}};
  y2021.disclosures_by_basis = {{"rpl-115-ssp", 1}};
  CHECK(years.at(2021) == y2021);
  CHECK_FALSE(y2021.Empty());
  CHECK(YearCounts{}.Empty());
}

TEST_CASE("the 24-hour response counts a response at exactly 24 hours",
          "[projections][stats]") {
  const Micros t = At("2019-03-01T10:00:00Z");
  CaseBuilder on_time(t), late(t), none(t), retracted(t);
  on_time.Respond(t + 24 * kHour);
  late.Respond(t + 24 * kHour + 1);
  // A retracted response does not count.
  auto r =
      retracted.Add("concern.responded", t + kHour, Json{{"channel", "phone"}});
  retracted.Add("record.retracted", t + 2 * kHour,
                Json{{"target", r}, {"reason", "wrong_case"}});
  const auto years =
      CountAll({on_time.View(), late.View(), none.View(), retracted.View()});
  CHECK(years.at(2019).concerns == 4);
  CHECK(years.at(2019).responded_24h == 1);
}

TEST_CASE("a retracted concern is not counted as a concern",
          "[projections][stats]") {
  CaseBuilder c(At("2019-03-01T10:00:00Z"), "school");
  c.Add("record.retracted", At("2019-03-02T10:00:00Z"),
        Json{{"target", 1}, {"reason", "duplicate"}});
  const auto years = CountAll({c.View()});
  CHECK(years.empty());
}

TEST_CASE("the founded share counts only founded and unfounded outcomes",
          "[projections][stats]") {
  std::vector<CaseView> cases;
  const Micros t = At("2021-02-01T10:00:00Z");
  for (int i = 0; i < 6; ++i) {
    CaseBuilder c(t);
    c.Assess("founded", t + kDay);
    cases.push_back(c.View());
  }
  for (int i = 0; i < 5; ++i) {
    CaseBuilder c(t);
    c.Assess("unfounded", t + kDay);
    cases.push_back(c.View());
  }
  for (int i = 0; i < 5; ++i) {  // founded, then unfounded: the latest counts
    CaseBuilder c(t);
    c.Assess("founded", t + kDay);
    c.Assess("more_information", t + 2 * kDay);
    cases.push_back(c.View());
  }
  const YearStats s = ComputeYearStats(cases, 2021, {});
  CHECK(s.outcomes.cells.at("founded") == C(6));
  CHECK(s.outcomes.cells.at("unfounded") == C(5));
  CHECK(s.outcomes.cells.at("more_information") == C(5));
  CHECK(s.outcomes.cells.at("not_assessed") == C(0));
  CHECK(s.assessed == C(16));
  REQUIRE(s.founded_share);
  CHECK(*s.founded_share == Share{6, 11, 545});
  CHECK(s.founded_share->Percent() == "54.5 %");
}

// --- The 6-month progression rule -------------------------------------------

struct ProgressionCase {
  CaseBuilder c{At("2020-01-06T10:00:00Z")};
  std::uint64_t intervention = 0;
  Micros start = At("2020-02-01T10:00:00Z");

  explicit ProgressionCase(const Scores& baseline,
                           const std::string& kind = "mentor") {
    c.Assess("founded", At("2020-01-10T10:00:00Z"), baseline);
    intervention = c.Start(kind, start);
  }
  ProgressionCase& After(Micros after_start, const Scores& f) {
    c.Progress(intervention, start + after_start, f);
    return *this;
  }
  Progression Verdict() const {
    const CaseView v = c.View();
    return JudgeProgression(v, v.interventions.at(0));
  }
};

const Scores kBaseline = {{"family", 2, 1}, {"personality", 2, 1}};

TEST_CASE("progression needs one dimension better and none worse",
          "[projections][stats]") {
  const Micros later = 160 * kDay;
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 1, 1}, {"personality", 2, 1}})
            .Verdict() == Progression::kProgressed);  // risk lower
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 2, 3}, {"personality", 2, 1}})
            .Verdict() == Progression::kProgressed);  // resources higher
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 3, 1}, {"personality", 2, 1}})
            .Verdict() == Progression::kNotProgressed);  // worse
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 1, 1}, {"personality", 2, 0}})
            .Verdict() == Progression::kNotProgressed);  // mixed
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 1, 0}, {"personality", 2, 1}})
            .Verdict() ==
        Progression::kNotProgressed);  // mixed in one dimension
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 2, 1}, {"personality", 2, 1}})
            .Verdict() == Progression::kNotProgressed);  // unchanged
  // A dimension scored on one side only is ignored.
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"family", 1, 1}, {"network_leisure", 3, 0}})
            .Verdict() == Progression::kProgressed);
  // No dimension on both sides: cannot be judged.
  CHECK(ProgressionCase(kBaseline)
            .After(later, {{"network_leisure", 0, 3}})
            .Verdict() == Progression::kNotJudged);
  // Relatives' coaching counts too; other kinds do not.
  CHECK(ProgressionCase(kBaseline, "relatives_coach")
            .After(later, {{"family", 1, 1}})
            .Verdict() == Progression::kProgressed);
  CHECK(ProgressionCase(kBaseline, "exit")
            .After(later, {{"family", 1, 1}})
            .Verdict() == Progression::kNotCounted);
}

TEST_CASE("progression reads the first progress at least 150 days on",
          "[projections][stats]") {
  const Scores better = {{"family", 1, 1}};
  const Scores worse = {{"family", 3, 1}};
  // Too early: only progress before 150 days.
  CHECK(ProgressionCase(kBaseline)
            .After(30 * kDay, better)
            .After(150 * kDay - 1, better)
            .Verdict() == Progression::kNotJudged);
  CHECK(ProgressionCase(kBaseline).Verdict() == Progression::kNotJudged);
  // Exactly 150 days counts.
  CHECK(ProgressionCase(kBaseline).After(150 * kDay, better).Verdict() ==
        Progression::kProgressed);
  // The first one at 150 days or later decides; earlier and later ones do
  // not.
  CHECK(ProgressionCase(kBaseline)
            .After(30 * kDay, worse)
            .After(160 * kDay, better)
            .After(300 * kDay, worse)
            .Verdict() == Progression::kProgressed);
  CHECK(ProgressionCase(kBaseline)
            .After(160 * kDay, worse)
            .After(300 * kDay, better)
            .Verdict() == Progression::kNotProgressed);
}

TEST_CASE("progression needs a baseline assessment before the start",
          "[projections][stats]") {
  const Micros start = At("2020-02-01T10:00:00Z");
  {  // no assessment with factors before the start
    CaseBuilder c(At("2020-01-06T10:00:00Z"));
    c.Assess("founded", At("2020-01-10T10:00:00Z"));  // no factors
    auto i = c.Start("mentor", start);
    c.Assess("founded", start + kDay, {{"family", 3, 0}});  // after the start
    c.Progress(i, start + 200 * kDay, {{"family", 1, 1}});
    const CaseView v = c.View();
    CHECK(JudgeProgression(v, v.interventions.at(0)) ==
          Progression::kNotJudged);
    // Counted as an intervention, not as judged.
    const auto years = CountAll({v});
    CHECK(years.at(2020).interventions == 1);
    CHECK(years.at(2020).progression_judged == 0);
  }
  {  // the latest assessment with factors before the start is the baseline
    CaseBuilder c(At("2020-01-06T10:00:00Z"));
    c.Assess("founded", At("2020-01-10T10:00:00Z"), {{"family", 3, 0}});
    c.Assess("founded", At("2020-01-20T10:00:00Z"), {{"family", 1, 1}});
    c.Assess("founded", At("2020-01-25T10:00:00Z"));  // no factors: skipped
    auto i = c.Start("mentor", start);
    c.Progress(i, start + 200 * kDay, {{"family", 2, 1}});
    const CaseView v = c.View();
    // Better than the first (3, 0), worse than the latest (1, 1).
    CHECK(JudgeProgression(v, v.interventions.at(0)) ==
          Progression::kNotProgressed);
  }
}

TEST_CASE("Progressed compares common dimensions only",
          "[projections][stats]") {
  Factors base{{"family", {2, 1}}, {"personality", {1, 1}}};
  CHECK(Progressed(base, {{"family", {1, 1}}}) == std::optional<bool>(true));
  CHECK(Progressed(base, {{"family", {2, 1}}}) == std::optional<bool>(false));
  CHECK(Progressed(base, {{"family", {2, 0}}}) == std::optional<bool>(false));
  CHECK(Progressed(base, {{"education_work", {0, 3}}}) == std::nullopt);
  CHECK(Progressed({}, {{"family", {0, 3}}}) == std::nullopt);
}

// --- Suppression in the published figures ------------------------------------

// 16 concerns in 2021 with every figure 0 or at least 5.
std::vector<CaseView> LargeYear() {
  std::vector<CaseView> cases;
  const Micros t0 = At("2021-01-04T09:00:00Z");
  for (int i = 0; i < 16; ++i) {
    const Micros t = t0 + i * kDay;
    CaseBuilder c(t, i < 10 ? "school" : "youth_club");
    if (i < 11)
      c.Respond(t + 2 * kHour);
    else if (i < 14)
      c.Respond(t + 48 * kHour);
    if (i < 6) {
      c.Assess("founded", t + kDay, kBaseline);
      c.Add("consent.recorded", t + kDay,
            Json{{"decision", "given"}, {"by", "subject"}});
      for (int k = 0; k < 2; ++k) {
        const bool better = (i * 2 + k) % 2 == 0;
        const Micros start = t + 2 * kDay + k * kHour;
        auto iv = c.Start(k == 0 ? "mentor" : "relatives_coach", start);
        c.Progress(
            iv, start + 180 * kDay,
            better ? Scores{{"family", 1, 1}} : Scores{{"family", 3, 1}});
      }
    } else if (i < 11) {
      c.Assess("unfounded", t + kDay);
    }
    if (i < 10) {
      c.Disclose(i < 5 ? "police" : "social_services",
                 i < 5 ? "rpl-115-ssp" : "dbl-8-2-3", t + 3 * kDay);
    }
    cases.push_back(c.View());
  }
  return cases;
}

TEST_CASE("statistics of a year with no small cell show every figure",
          "[projections][stats]") {
  const auto cases = LargeYear();
  const YearStats s =
      ComputeYearStats(cases, 2021, {{"ROL-1", 7}, {"ROL-5", 5}});
  CHECK(s.year == 2021);
  CHECK(s.concerns.total == C(16));
  CHECK(s.concerns.cells ==
        std::map<std::string, Cell>{{"school", C(10)}, {"youth_club", C(6)}});
  CHECK(s.outcomes.cells ==
        std::map<std::string, Cell>{{"founded", C(6)},
                                    {"unfounded", C(5)},
                                    {"more_information", C(0)},
                                    {"not_assessed", C(5)}});
  CHECK(s.assessed == C(11));
  CHECK(s.founded_share == Share{6, 11, 545});
  CHECK(s.response_24h.cells ==
        std::map<std::string, Cell>{{"within_24h", C(11)},
                                    {"later_or_none", C(5)}});
  CHECK(s.response_24h_share == Share{11, 16, 688});
  CHECK(s.interventions.total == C(12));
  CHECK(
      s.interventions.cells ==
      std::map<std::string, Cell>{{"mentor", C(6)}, {"relatives_coach", C(6)}});
  CHECK(s.progression.total == C(12));
  CHECK(s.progression.cells ==
        std::map<std::string, Cell>{{"progressed", C(6)},
                                    {"not_progressed", C(6)}});
  CHECK(s.progression_share == Share{6, 12, 500});
  CHECK(s.disclosures_by_recipient.total == C(10));
  CHECK(
      s.disclosures_by_recipient.cells ==
      std::map<std::string, Cell>{{"police", C(5)}, {"social_services", C(5)}});
  CHECK(
      s.disclosures_by_basis.cells ==
      std::map<std::string, Cell>{{"dbl-8-2-3", C(5)}, {"rpl-115-ssp", C(5)}});
  CHECK(s.refusals.total == C(12));
  CHECK(s.refusals.cells ==
        std::map<std::string, Cell>{{"ROL-1", C(7)}, {"ROL-5", C(5)}});

  // The JSON: integers only, shares with their parts, the goals beside.
  const Json j = s.ToJson();
  CHECK(ledger::CheckCanonicalValue(j).ok());
  CHECK(j["year"] == 2021);
  CHECK(j["concerns"]["total"] == 16);
  CHECK(j["concerns"]["by_source"]["school"] == 10);
  CHECK(j["assessments"]["founded_share"] == Json{{"numerator", 6},
                                                  {"denominator", 11},
                                                  {"per_mille", 545},
                                                  {"percent", "54.5 %"}});
  CHECK(j["response_24h"]["share"]["per_mille"] == 688);
  CHECK(j["response_24h"]["goal"] == std::string(kResponseGoal));
  CHECK(j["interventions"]["by_kind"]["mentor"] == 6);
  CHECK(j["progression_6m"]["judged"] == 12);
  CHECK(j["progression_6m"]["share"]["percent"] == "50.0 %");
  CHECK(j["progression_6m"]["goal"] == "progression after 6 months");
  CHECK(j["progression_6m"]["kinds"] ==
        Json::array({"mentor", "relatives_coach"}));
  CHECK(j["disclosures"]["by_basis"]["rpl-115-ssp"] == 5);
  CHECK(j["refusals"]["by_rule"]["ROL-1"] == 7);

  // Another year of the same cases: all zeros, nothing suppressed.
  const YearStats none = ComputeYearStats(cases, 2018, {});
  CHECK(none.concerns.total == C(0));
  CHECK(none.assessed == C(0));
  CHECK_FALSE(none.founded_share);
  CHECK_FALSE(none.response_24h_share);
  CHECK(none.ToJson()["assessments"]["founded_share"].is_null());
}

TEST_CASE("small cells are suppressed with their complements and shares",
          "[projections][stats]") {
  std::vector<CaseView> cases = LargeYear();
  const Micros t = At("2021-06-01T09:00:00Z");
  // One police concern (a small cell), answered late, assessed unfounded.
  CaseBuilder c(t, "police");
  c.Assess("unfounded", t + kDay);
  cases.push_back(c.View());
  const YearStats s =
      ComputeYearStats(cases, 2021, {{"ROL-1", 7}, {"ROL-9", 2}});
  // Sources: police (1) hidden, and the next smallest (youth_club, 6).
  CHECK(s.concerns.total == C(17));
  CHECK(s.concerns.cells.at("police") == kHidden);
  CHECK(s.concerns.cells.at("youth_club") == kHidden);
  CHECK(s.concerns.cells.at("school") == C(10));
  // Outcomes: unfounded 6, not assessed 5, founded 6: no small cell.
  CHECK(s.founded_share == Share{6, 12, 500});
  // Response: 11 within, 6 later or none: published.
  CHECK(s.response_24h_share == Share{11, 17, 647});
  // Refusals: ROL-9 (2) hidden, and so ROL-1 (7): only the total is shown.
  CHECK(s.refusals.total == C(9));
  CHECK(s.refusals.cells.at("ROL-9") == kHidden);
  CHECK(s.refusals.cells.at("ROL-1") == kHidden);
  const Json j = s.ToJson();
  CHECK(j["concerns"]["by_source"]["police"].is_null());
  CHECK(j["refusals"]["by_rule"]["ROL-1"].is_null());
}

TEST_CASE("a share is suppressed when its numerator or its rest is small",
          "[projections][stats]") {
  auto year = [](std::uint64_t founded, std::uint64_t unfounded,
                 std::uint64_t within, std::uint64_t concerns,
                 std::uint64_t more_information = 0) {
    YearCounts y;
    y.year = 2021;
    y.concerns = concerns;
    y.concerns_by_source = {{"school", concerns}};
    y.founded = founded;
    y.unfounded = unfounded;
    y.more_information = more_information;
    y.not_assessed = concerns - founded - unfounded - more_information;
    y.responded_24h = within;
    return Suppress(y);
  };
  // Numerator 1..4 over a large denominator.
  YearStats a = year(3, 40, 2, 60);
  CHECK_FALSE(a.founded_share);
  CHECK(a.outcomes.cells.at("founded") == kHidden);
  CHECK(a.outcomes.cells.at("not_assessed") == kHidden);  // complement (17)
  CHECK(a.outcomes.cells.at("unfounded") == C(40));
  CHECK_FALSE(a.response_24h_share);
  // The rest 1..4: the numerator would give it away.
  YearStats b = year(40, 3, 58, 60);
  CHECK_FALSE(b.founded_share);
  CHECK(b.outcomes.cells.at("unfounded") == kHidden);
  CHECK(b.outcomes.cells.at("founded") == C(40));  // published, but the rest
                                                   // is not: no share
  CHECK_FALSE(b.response_24h_share);
  CHECK(b.response_24h.cells.at("within_24h") == kHidden);
  CHECK(b.response_24h.total == C(60));
  // A share of zero over 5 or more is shown; over fewer it is not.
  YearStats c = year(0, 7, 0, 7);
  CHECK(c.founded_share == Share{0, 7, 0});
  CHECK(c.response_24h_share == Share{0, 7, 0});
  YearStats d = year(0, 0, 0, 0);
  CHECK_FALSE(d.founded_share);
  CHECK_FALSE(d.response_24h_share);
  // The derived number assessed hides with not_assessed; the complement is
  // the smallest other cell (more_information, 6), so the share stays.
  YearStats e = year(20, 20, 40, 49, 6);
  CHECK(e.outcomes.cells.at("not_assessed") == kHidden);
  CHECK(e.outcomes.cells.at("more_information") == kHidden);
  CHECK(e.assessed == kHidden);
  CHECK(e.founded_share == Share{20, 40, 500});
  // When the complement is a part of the share, the share goes too.
  YearStats g = year(20, 21, 40, 44);
  CHECK(g.outcomes.cells.at("founded") == kHidden);
  CHECK(g.outcomes.cells.at("unfounded") == C(21));
  CHECK_FALSE(g.founded_share);
  // Small totals hide everything.
  YearStats f = year(1, 1, 2, 3);
  CHECK(f.concerns.total == kHidden);
  CHECK(f.outcomes.total == kHidden);
  CHECK(f.assessed == kHidden);
  CHECK_FALSE(f.founded_share);
}

TEST_CASE("refusal counters are read per year and rule",
          "[projections][stats]") {
  std::map<int, YearCounts> years;
  CountCounters({{"refused/2019/ROL-1", 6},
                 {"refused/2019/ROL-5", 2},
                 {"refused/2020/ROL-1", 9},
                 {"refused/2020/", 1},
                 {"refused//ROL-1", 5},
                 {"refused/20x0/ROL-1", 5},
                 {"other/2019/x", 5}},
                years);
  REQUIRE(years.size() == 2);
  CHECK(years.at(2019).refusals == 8);
  CHECK(years.at(2019).refusals_by_rule ==
        std::map<std::string, std::uint64_t>{{"ROL-1", 6}, {"ROL-5", 2}});
  CHECK(years.at(2020).refusals == 10);
  CHECK(years.at(2020).refusals_by_rule ==
        std::map<std::string, std::uint64_t>{{"ROL-1", 9}, {"unknown", 1}});
}

TEST_CASE("advice counters are read per year and outcome, apart from refusals",
          "[projections][stats][advice]") {
  std::map<int, YearCounts> years;
  CountCounters({{"advice/2021/advice_only", 7},
                 {"advice/2021/referred", 2},
                 {"advice/2022/referred", 5},
                 {"refused/2021/ROL-1", 3},
                 {"advice//advice_only", 5},
                 {"advice/20x1/advice_only", 5}},
                years);
  REQUIRE(years.size() == 2);
  CHECK(years.at(2021).advice == 9);
  CHECK(years.at(2021).advice_by_outcome ==
        std::map<std::string, std::uint64_t>{{"advice_only", 7}, {"referred", 2}});
  CHECK(years.at(2021).refusals == 3);
  CHECK(years.at(2022).advice == 5);
  CHECK_FALSE(years.at(2022).Empty());  // a year with only advice is published
  // Published: a cell of 2 is suppressed, and so is the one it could be
  // computed back from.
  const Json j = Suppress(years.at(2021)).ToJson();
  CHECK(j["advice"]["total"] == 9);
  CHECK(j["advice"]["by_outcome"]["referred"].is_null());
  CHECK(j["advice"]["by_outcome"]["advice_only"].is_null());
  CHECK(Suppress(years.at(2022)).ToJson()["advice"]["by_outcome"]["referred"] == 5);
}

// --- ROL-3
// -----------------------------------------------------------------------

TEST_CASE("no p code appears in any statistic", "[projections][stats]") {
  const auto protected_codes = ProtectedCodes();
  REQUIRE(protected_codes.size() == 10);
  Json every_protected = Json::array();
  for (const std::string& p : protected_codes) every_protected.push_back(p);
  std::vector<CaseView> cases;
  const Micros t0 = At("2022-01-03T09:00:00Z");
  for (int i = 0; i < 30; ++i) {
    const Micros t = t0 + i * kDay;
    // Every protected code as context, and (as imported history may hold)
    // as grounds beside the behaviour that grounds the concern.
    Json grounds = Json::array({BGround()});
    grounds.push_back(Json{
        {"code",
         protected_codes[static_cast<std::size_t>(i) % protected_codes.size()]},
        {"observed_on", "2021-12-01"}});
    CaseBuilder c(t, i % 3 == 0 ? "school" : "housing", every_protected,
                  grounds);
    c.Respond(t + kHour);
    c.Assess("founded", t + kDay, kBaseline);
    auto iv = c.Start("mentor", t + 2 * kDay);
    c.Progress(iv, t + 200 * kDay, {{"family", 1, 1}});
    c.Disclose("police", "rpl-115-ssp", t + 3 * kDay);
    cases.push_back(c.View());
  }
  // Defective imported history: a p.* code where a closed-list code belongs
  // is counted as "unknown", never under its own name.
  {
    CaseBuilder c(t0, "p.religion", every_protected);
    c.Assess("founded", t0 + kDay, kBaseline);
    c.Start("p.political_opinion", t0 + 2 * kDay);
    c.Disclose("p.ethnicity", "p.health", t0 + 3 * kDay);
    cases.push_back(c.View());
  }
  std::string dumped;
  for (int year : {2021, 2022, 2023}) {
    const YearStats s = ComputeYearStats(cases, year, {{"p.health", 6}});
    const Json j = s.ToJson();
    REQUIRE(ledger::CheckCanonicalValue(j).ok());
    dumped += ledger::CanonicalJson(j);
  }
  for (const std::string& p : protected_codes) {
    INFO(p);
    CHECK(dumped.find(p) == std::string::npos);
  }
  CHECK(dumped.find("\"p.") == std::string::npos);
  CHECK(dumped.find("unknown") != std::string::npos);
  // The figures are there: 31 concerns in 2022.
  CHECK(ComputeYearStats(cases, 2022, {}).concerns.total == C(31));
}

// --- End to end: a real ledger
// ------------------------------------------------

using testing::Actor;
using testing::CaseEvent;
using testing::Command;
using testing::Domain;
using testing::Ground;

TEST_CASE("ReadStats agrees with the statistics of the case views",
          "[projections][stats]") {
  Domain d;
  // A script of commands in time order; later steps read seqs of earlier ones.
  std::vector<std::pair<Micros, std::function<void()>>> script;
  auto at = [&](Micros t, std::function<void()> step) {
    script.emplace_back(t, std::move(step));
  };
  auto submit = [&](Command c, Micros t) -> std::uint64_t {
    c.time = t;
    return d.Must(std::move(c));
  };
  std::vector<std::string> ids(12);
  std::vector<std::uint64_t> interventions(12), requests(12);
  Json context = Json::array({"p.religion", "p.political_opinion"});
  Json grounds = Json::array({Ground("b.threat"), Ground("p.religion")});
  const Json baseline = Json{{"family", {{"risk", 2}, {"resources", 1}}},
                             {"personality", {{"risk", 2}, {"resources", 1}}}};
  auto factors = [](int family_risk, int personality_risk) {
    return Json{
        {"family", {{"risk", family_risk}, {"resources", 1}}},
        {"personality", {{"risk", personality_risk}, {"resources", 1}}}};
  };

  // 2021: eight concerns (5 school, 3 youth club).
  const Micros t2021 = At("2021-01-04T09:00:00Z");
  for (int k = 0; k < 8; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const Micros t = t2021 + 2 * k * kDay;
    at(t, [&, i, k, t] {
      auto c = testing::Concern(d.cw, grounds, false, "person", context);
      c.h["source"] = k < 5 ? "school" : "youth_club";
      ids[i] = *c.case_id;
      submit(c, t);
    });
    if (k < 6)
      at(t + 2 * kHour, [&, i, t] {
        submit(CaseEvent(d.cw, ids[i], "concern.responded",
                         Json{{"channel", "phone"}}),
               t + 2 * kHour);
      });
    if (k == 6)
      at(t + 30 * kHour, [&, i, t] {
        submit(CaseEvent(d.cw, ids[i], "concern.responded",
                         Json{{"channel", "letter"}}),
               t + 30 * kHour);
      });
    at(t + 3 * kHour, [&, i, k, t] {
      const bool founded = k < 6;
      auto a = testing::Assessment(
          d.co, ids[i], founded ? "founded" : "unfounded",
          founded ? Json::array({Ground("b.threat")}) : Json::array());
      if (founded) a.h["factors"] = baseline;
      submit(a, t + 3 * kHour);
    });
    if (k >= 6) continue;
    at(t + 4 * kHour, [&, i, t] {
      submit(CaseEvent(d.cw, ids[i], "consent.recorded",
                       Json{{"decision", "given"}, {"by", "subject"}}),
             t + 4 * kHour);
      interventions[i] =
          submit(CaseEvent(d.cw, ids[i], "intervention.started",
                           Json{{"kind", i < 5 ? "mentor" : "relatives_coach"},
                                {"provider", "municipality"}},
                           Json{{"plan", "synthetic plan"}}),
                 t + 5 * kHour);
    });
    // Progress: 0-2 better, 3 worse, 4 mixed (after 160 days); 5 too early.
    const Micros when = t + 5 * kHour + (k == 5 ? 100 : 160) * kDay;
    at(when, [&, i, k, when, factors] {
      const Json f = k < 3    ? factors(1, 2)
                     : k == 3 ? factors(3, 2)
                     : k == 4 ? factors(1, 3)
                              : factors(1, 1);
      submit(CaseEvent(d.cw, ids[i], "progress.assessed",
                       Json{{"intervention", interventions[i]}, {"factors", f}},
                       Json{{"note", "synthetic note"}}),
             when);
    });
    if (k >= 5) continue;
    const Micros disclose = t + 3 * kDay;
    at(disclose, [&, i, disclose] {
      requests[i] = submit(
          CaseEvent(d.cw, ids[i], "disclosure.requested",
                    Json{{"recipient", "police"},
                         {"basis", "rpl-115-ssp"},
                         {"registry_version", "2026-1"},
                         {"purpose", "prevention"},
                         {"categories", Json::array({"identity", "concern"})}},
                    Json{{"purpose_text", "synthetic purpose"},
                         {"summary", "synthetic summary"}}),
          disclose);
      submit(CaseEvent(d.co, ids[i], "disclosure.approved",
                       Json{{"request", requests[i]}}),
             disclose + kHour);
      submit(CaseEvent(d.cw, ids[i], "disclosure.made",
                       Json{{"request", requests[i]},
                            {"channel", "secure_mail"},
                            {"document_sha256", std::string(64, 'a')}}),
             disclose + 2 * kHour);
    });
  }
  // 2022: four hotline concerns, all answered at once; two founded.
  const Micros t2022 = At("2022-03-01T09:00:00Z");
  for (int k = 8; k < 12; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const Micros t = t2022 + 2 * (k - 8) * kDay;
    at(t, [&, i, k, t] {
      auto c = testing::Concern(d.cw, Json::array({Ground("b.violence")}));
      c.h["source"] = "hotline";
      ids[i] = *c.case_id;
      submit(c, t);
      submit(CaseEvent(d.cw, ids[i], "concern.responded",
                       Json{{"channel", "phone"}}),
             t + kHour);
      if (k < 10)
        submit(testing::Assessment(d.co, ids[i], "founded",
                                   Json::array({Ground("b.violence")})),
               t + 2 * kHour);
    });
  }
  // 2022: three concerns citing only p.* codes, refused (ROL-1).
  const Micros refused_at = At("2022-06-01T09:00:00Z");
  at(refused_at, [&] {
    for (int k = 0; k < 3; ++k) {
      auto c = testing::Concern(d.cw, Json::array({Ground("p.religion")}));
      c.time = refused_at + k * kHour;
      auto r = d.Submit(c);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kPolicyRefused);
    }
  });
  std::stable_sort(
      script.begin(), script.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [t, step] : script) step();

  // The exact counts of the case views.
  std::vector<CaseView> views;
  for (const std::string& id : ids) views.push_back(d.View(id));
  const auto years = CountAll(views);
  REQUIRE(years.size() == 2);
  const YearCounts& y2021 = years.at(2021);
  CHECK(y2021.concerns == 8);
  CHECK(y2021.concerns_by_source ==
        std::map<std::string, std::uint64_t>{{"school", 5}, {"youth_club", 3}});
  CHECK(y2021.founded == 6);
  CHECK(y2021.unfounded == 2);
  CHECK(y2021.responded_24h == 6);
  CHECK(y2021.interventions == 6);
  CHECK(y2021.progression_judged == 5);
  CHECK(y2021.progression_progressed == 3);
  CHECK(y2021.disclosures == 5);
  const YearCounts& y2022 = years.at(2022);
  CHECK(y2022.concerns == 4);
  CHECK(y2022.founded == 2);
  CHECK(y2022.not_assessed == 2);
  CHECK(y2022.responded_24h == 4);

  // ReadStats: every year with figures, and one year asked for.
  auto all = ReadStats(d.store(), d.dbs(), std::nullopt);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK(all->at(0) == ComputeYearStats(views, 2021, {}));
  CHECK(all->at(1) == ComputeYearStats(views, 2022, {{"ROL-1", 3}}));
  CHECK(all->at(0).ToJson() == ComputeYearStats(views, 2021, {}).ToJson());
  // Published: 2021's sources (5, 3) hide each other; disclosures (5) show.
  const YearStats& s2021 = all->at(0);
  CHECK(s2021.concerns.total == C(8));
  CHECK(s2021.concerns.cells.at("youth_club") == kHidden);
  CHECK(s2021.concerns.cells.at("school") == kHidden);
  CHECK(s2021.disclosures_by_recipient.cells.at("police") == C(5));
  CHECK(s2021.disclosures_by_basis.cells.at("rpl-115-ssp") == C(5));
  CHECK(s2021.progression.total == C(5));
  CHECK(s2021.progression.cells.at("progressed") == kHidden);
  CHECK_FALSE(s2021.progression_share);
  CHECK(s2021.interventions.total == C(6));
  const YearStats& s2022 = all->at(1);
  CHECK(s2022.concerns.total == kHidden);
  CHECK(s2022.refusals.total == kHidden);
  CHECK(s2022.refusals.cells.at("ROL-1") == kHidden);

  auto one = ReadStats(d.store(), d.dbs(), 2021);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(one->at(0) == s2021);
  auto empty = ReadStats(d.store(), d.dbs(), 2030);
  REQUIRE(empty.ok());
  REQUIRE(empty->size() == 1);
  CHECK(empty->at(0).year == 2030);
  CHECK(empty->at(0).concerns.total == C(0));

  // ROL-3 through the real write path: no p.* code in the statistics.
  std::string dumped;
  for (const YearStats& s : *all) dumped += ledger::CanonicalJson(s.ToJson());
  for (const std::string& p : ProtectedCodes()) {
    INFO(p);
    CHECK(dumped.find(p) == std::string::npos);
  }
}

}  // namespace
}  // namespace caseledger::projections
