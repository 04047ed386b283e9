// The demo data set end to end: the real binary writes it through the policy
// engine, and the log verifies and rebuilds; the plan (PlanDemo) has the shape
// of DESIGN §1 (sources, founded share, 24-hour responses, interventions),
// refuses only concerns on belief alone, and plants exactly the defects an
// independent evaluation of the flags of DESIGN §5.2 finds in it.
#include "demo/demo.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "ledger/time.h"
#include "projections/policy.h"
#include "projections/vocabulary.h"
#include "tests/e2e/process.h"

namespace caseledger::testing {
namespace {

using demo::DefectKind;
using demo::DemoPlan;
using ledger::Command;
using ledger::Micros;

constexpr Micros kHour = Micros{3600} * 1000000;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kYear = 365 * kDay;

Micros Start() { return ledger::ParseTime("2019-01-01T00:00:00Z").value(); }
// Five full years and a part of a sixth.
Micros End() { return Start() + 5 * kYear + 90 * kDay; }

const DemoPlan& Plan300() {
  static const DemoPlan plan = demo::PlanDemo(300, 7, Start(), End());
  return plan;
}

bool IsRefused(const DemoPlan& plan, std::size_t index) {
  for (const auto& r : plan.refusals)
    if (r.index == index) return true;
  return false;
}

// What the flags need to know about one case, folded from the plan.
struct CaseFacts {
  Micros opened = 0;
  std::uint64_t concern = 0;
  std::string source;
  std::optional<Micros> responded, assessed, founded, informed, closed,
      reviewed;
  std::uint64_t founded_seq = 0;
  std::string outcome;  // the final founded / unfounded outcome
  struct Disclosure {
    std::optional<Micros> made;
    std::vector<std::string> verdicts;
  };
  std::map<std::uint64_t, Disclosure> disclosures;  // by request seq
  std::vector<std::pair<std::uint64_t, Micros>>
      changes;                       // corrections, retractions, restrictions
  std::set<std::uint64_t> notified;  // `about` seqs
};

std::map<std::string, CaseFacts> Fold(const DemoPlan& plan) {
  std::map<std::string, CaseFacts> cases;
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const Command& c = plan.commands[i];
    if (!c.case_id || IsRefused(plan, i)) continue;
    const std::uint64_t seq = plan.first_seq + i;
    const Micros t = *c.time;
    CaseFacts& f = cases[*c.case_id];
    auto first = [&](std::optional<Micros>& slot) {
      if (!slot) slot = t;
    };
    if (c.type == "concern.reported") {
      f.opened = t;
      f.concern = seq;
      f.source = c.h["source"].get<std::string>();
    } else if (c.type == "concern.responded") {
      first(f.responded);
    } else if (c.type == "assessment.recorded") {
      first(f.assessed);
      const std::string outcome = c.h["outcome"].get<std::string>();
      if (outcome == "founded" && !f.founded) {
        f.founded = t;
        f.founded_seq = seq;
      }
      if (outcome != "more_information") f.outcome = outcome;
    } else if (c.type == "subject.informed" ||
               c.type == "subject.information_deferred") {
      first(f.informed);
    } else if (c.type == "case.closed") {
      f.closed = t;
    } else if (c.type == "case.reviewed") {
      f.reviewed = t;
    } else if (c.type == "disclosure.requested") {
      f.disclosures[seq];
    } else if (c.type == "disclosure.made") {
      f.disclosures[c.h["request"].get<std::uint64_t>()].made = t;
    } else if (c.type == "disclosure.reviewed") {
      f.disclosures[c.h["disclosure"].get<std::uint64_t>()].verdicts.push_back(
          c.h["verdict"].get<std::string>());
    } else if (c.type == "record.corrected" || c.type == "record.retracted" ||
               c.type == "processing.restricted") {
      f.changes.push_back({seq, t});
    } else if (c.type == "recipients.notified") {
      f.notified.insert(c.h["about"].get<std::uint64_t>());
    }
  }
  return cases;
}

using Finding = std::tuple<std::string, demo::DefectKind, std::uint64_t>;

// The flags of DESIGN §5.2 as they stand at `end`, computed from the plan.
std::multiset<Finding> Flags(const DemoPlan& plan, Micros end) {
  std::multiset<Finding> out;
  for (const auto& [id, f] : Fold(plan)) {
    if (f.opened + kDay <= end &&
        !(f.responded && *f.responded <= f.opened + kDay))
      out.insert({id, DefectKind::kLateResponse, f.concern});
    if (f.opened + 30 * kDay <= end &&
        !(f.assessed && *f.assessed <= f.opened + 30 * kDay))
      out.insert({id, DefectKind::kNoAssessment, f.concern});
    if (f.founded && *f.founded + 30 * kDay <= end &&
        !(f.informed && *f.informed <= *f.founded + 30 * kDay))
      out.insert({id, DefectKind::kLateInformation, f.founded_seq});
    if (!f.closed && f.reviewed.value_or(f.opened) + kYear <= end)
      out.insert({id, DefectKind::kNoReview, f.concern});
    for (const auto& [request, d] : f.disclosures) {
      if (d.made && d.verdicts.empty() && *d.made + 30 * kDay <= end)
        out.insert({id, DefectKind::kDisclosureUnreviewed, request});
      if (!d.verdicts.empty() && d.verdicts.back() == "deficient")
        out.insert({id, DefectKind::kDisclosureDeficient, request});
    }
    for (const auto& [seq, t] : f.changes) {
      bool disclosed = false;
      for (const auto& [request, d] : f.disclosures)
        disclosed = disclosed || (d.made && *d.made < t);
      if (disclosed && !f.notified.contains(seq))
        out.insert({id, DefectKind::kRecipientsNotNotified, seq});
    }
  }
  return out;
}

TEST_CASE("demo writes a history that verifies and rebuilds", "[e2e][demo]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  auto r = Run({"demo", "--data", dir, "--cases", "300", "--seed", "7"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("refusals by rule (all expected): ROL-1 "));
  CHECK_THAT(r.out, Catch::Contains("planted defects by kind"));
  CHECK_THAT(r.out, Catch::Contains("FLAG-ART19"));
  CHECK_THAT(r.out, Catch::Contains("verified "));
  // Nothing personal is printed, not even the synthetic kind.
  for (const char* personal :
       {"Testperson", "000000-", "Syntetisk", "u-", "c-", "s-"})
    CHECK_THAT(r.out + r.err, !Catch::Contains(personal));
  CHECK(Run({"verify", "--data", dir}).exit_code == 0);
  CHECK(Run({"rebuild", "--data", dir, "--compare"}).exit_code == 0);

  // A second run continues the history after the last event.
  auto again = Run({"demo", "--data", dir, "--cases", "20", "--seed", "7"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(Run({"rebuild", "--data", dir, "--compare"}).exit_code == 0);
}

TEST_CASE("statistics of the demo data set show the figures with suppression",
          "[e2e][demo]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(Run({"demo", "--data", dir}).exit_code == 0);  // the default data set
  auto r = Run({"stats", "--data", dir, "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\"p.") == std::string::npos);  // ROL-3
  auto j = Json::parse(r.out);
  std::vector<int> founded_per_mille;
  bool progression = false, suppressed = false, advice = false;
  for (const auto& y : j["years"]) {
    // Advice without registration since the go-live, with bars to draw.
    advice = advice || y["advice"]["by_outcome"].value("advice_only", Json()).is_number_unsigned();
    if (y["concerns"]["total"].is_null() || y["concerns"]["total"].get<int>() < 50) continue;
    INFO("year " << y["year"]);
    REQUIRE(y["assessments"]["founded_share"].is_object());
    founded_per_mille.push_back(y["assessments"]["founded_share"]["per_mille"].get<int>());
    REQUIRE(y["response_24h"]["share"].is_object());
    CHECK(y["response_24h"]["share"]["per_mille"].get<int>() >= 800);
    CHECK_FALSE(y["interventions"]["by_kind"].empty());
    progression = progression || y["progression_6m"]["share"].is_object();
    for (const auto& [source, n] : y["concerns"]["by_source"].items())
      suppressed = suppressed || n.is_null();
  }
  REQUIRE(founded_per_mille.size() >= 4);  // several full years
  CHECK(founded_per_mille.front() < 170);  // about 10 % in the first year
  CHECK(*std::max_element(founded_per_mille.begin(), founded_per_mille.end()) > 200);  // ~25 % later
  CHECK(progression);
  CHECK(advice);
  CHECK(suppressed);  // small cells are hidden
}

TEST_CASE("demo plan is deterministic in time order with resolvable seqs",
          "[e2e][demo]") {
  const DemoPlan& plan = Plan300();
  const DemoPlan again = demo::PlanDemo(300, 7, Start(), End());
  REQUIRE(again.commands.size() == plan.commands.size());
  CHECK(demo::PlanDemo(300, 8, Start(), End()).commands[0].actor !=
        plan.commands[0].actor);
  std::map<std::uint64_t, std::string> case_of;  // seq -> case
  Micros last = Start();
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const Command& c = plan.commands[i];
    const Command& d = again.commands[i];
    INFO("command " << i << " " << c.type);
    REQUIRE((c.type == d.type && c.actor == d.actor && c.role == d.role &&
             c.case_id == d.case_id && c.subject == d.subject && c.h == d.h &&
             c.body == d.body && c.time == d.time));
    REQUIRE(c.time.has_value());
    CHECK(*c.time >= last);
    CHECK(*c.time <= End());
    last = *c.time;
    const std::uint64_t seq = plan.first_seq + i;
    if (c.case_id) case_of[seq] = *c.case_id;
    // Every seq in a header names an earlier event of the same case.
    for (const char* field : {"intervention", "request", "disclosure", "target",
                              "about", "consent"}) {
      if (!c.h.contains(field)) continue;
      const std::uint64_t ref = c.h[field].get<std::uint64_t>();
      CHECK(ref < seq);
      CHECK(case_of[ref] == *c.case_id);
    }
    for (const Json& ref : c.h.value("includes", Json::array())) {
      CHECK(ref.get<std::uint64_t>() < seq);
      CHECK(case_of[ref.get<std::uint64_t>()] == *c.case_id);
    }
  }
  CHECK(plan.cases == 300);
}

TEST_CASE("demo plan has every source and every intervention kind",
          "[e2e][demo]") {
  const DemoPlan& plan = Plan300();
  std::set<std::string> sources, kinds;
  for (const Command& c : plan.commands) {
    if (c.type == "concern.reported")
      sources.insert(c.h["source"].get<std::string>());
    if (c.type == "intervention.started")
      kinds.insert(c.h["kind"].get<std::string>());
  }
  CHECK(sources == std::set<std::string>{
                       "school", "youth_club", "social_services", "psychiatry",
                       "housing", "police", "prison_probation", "relative",
                       "hotline", "advice_phone", "anonymous", "other"});
  CHECK(kinds == std::set<std::string>{"mentor", "relatives_coach", "exit",
                                       "social_psychiatric", "child_welfare",
                                       "employment_education", "family",
                                       "other"});
}

TEST_CASE("demo plan founded share rises from about 10 to about 25 percent",
          "[e2e][demo]") {
  const DemoPlan& plan = Plan300();
  std::map<std::int64_t, std::pair<int, int>> by_year;  // founded, assessed
  for (const auto& [id, f] : Fold(plan)) {
    if (f.outcome.empty()) continue;
    auto& [founded, assessed] = by_year[(f.opened - Start()) / kYear];
    ++assessed;
    if (f.outcome == "founded") ++founded;
  }
  auto share = [&](std::int64_t year) {
    const auto [founded, assessed] = by_year[year];
    INFO("year " << year << ": " << founded << " of " << assessed
                 << " founded");
    REQUIRE(assessed > 0);
    return 100.0 * founded / assessed;
  };
  const double first = share(0), last_full = share(4);
  CHECK(first >= 5.0);
  CHECK(first <= 16.0);
  CHECK(last_full >= 18.0);
  CHECK(last_full <= 33.0);
}

TEST_CASE("demo plan answers most concerns within 24 hours", "[e2e][demo]") {
  int concerns = 0, on_time = 0;
  for (const auto& [id, f] : Fold(Plan300())) {
    if (f.opened + kDay > End()) continue;
    ++concerns;
    if (f.responded && *f.responded <= f.opened + kDay) ++on_time;
  }
  INFO(on_time << " of " << concerns);
  CHECK(on_time * 100 >= concerns * 85);
  CHECK(on_time < concerns);  // and some are late (FLAG-24H)
}

TEST_CASE("demo plan expects refusals only of concerns on belief alone",
          "[e2e][demo]") {
  const DemoPlan& plan = Plan300();
  CHECK(plan.expected_refusals == plan.refusals.size());
  CHECK(plan.refusals.size() >= 3);
  for (const auto& r : plan.refusals) {
    const Command& c = plan.commands.at(r.index);
    INFO("command " << r.index);
    CHECK(r.rule == "ROL-1");
    CHECK(c.type == "concern.reported");
    REQUIRE(c.h["grounds"].size() >= 1);
    for (const Json& g : c.h["grounds"])
      CHECK(projections::IsProtectedCode(g["code"].get<std::string>()));
  }
  // Every accepted concern cites observed behaviour.
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const Command& c = plan.commands[i];
    if (c.type != "concern.reported" || IsRefused(plan, i)) continue;
    bool behaviour = false;
    for (const Json& g : c.h["grounds"])
      behaviour = behaviour ||
                  projections::IsBehaviourCode(g["code"].get<std::string>());
    CHECK(behaviour);
  }
}

TEST_CASE("demo plan plants exactly the defects the flags find",
          "[e2e][demo]") {
  for (const std::uint64_t seed : {std::uint64_t{7}, std::uint64_t{11}}) {
    const DemoPlan plan =
        seed == 7 ? Plan300() : demo::PlanDemo(750, seed, Start(), End());
    std::multiset<Finding> planted;
    std::map<DefectKind, int> per_kind;
    for (const auto& d : plan.defects) {
      CHECK(d.due <= End());
      planted.insert({d.case_id, d.kind, d.seq});
      ++per_kind[d.kind];
    }
    const std::multiset<Finding> found = Flags(plan, End());
    INFO("seed " << seed << ": " << planted.size() << " planted, "
                 << found.size() << " found");
    CHECK(planted == found);
    for (DefectKind k : demo::kDefectKinds) {
      INFO(demo::NameOf(k));
      CHECK(per_kind[k] >= 1);
    }
  }
}

TEST_CASE(
    "demo plan discloses to PET only on founded society-threatening cases, outside migrated history",
    "[e2e][demo]") {
  const DemoPlan plan = demo::PlanDemo(750, 7, Start(), End());
  const auto cases = Fold(plan);
  std::map<std::string, int> recipients;
  for (const Command& c : plan.commands) {
    if (c.type != "disclosure.requested") continue;
    const std::string recipient = c.h["recipient"].get<std::string>();
    ++recipients[recipient];
    // Migrated history breaks the rules on purpose (the register's planted
    // findings); it is marked, and only disclosure steps carry the mark.
    if (c.h.contains("legacy_ref")) {
      CHECK(projections::OriginOf(c).legacy_import);
      continue;
    }
    CHECK_FALSE(projections::OriginOf(c).legacy_import);
    if (recipient != "pet") continue;
    CHECK(cases.at(*c.case_id).founded.has_value());
    CHECK(c.h["threshold"] == "society_threatening");
    const std::string basis = c.h["basis"].get<std::string>();
    CHECK((basis == "dbl-8-2-2" ||
           (basis == "pet-4" && c.h.contains("request_ref"))));
    if (basis == "dbl-8-2-2") CHECK(c.body->contains("balancing"));
  }
  for (const char* r : {"police", "pet", "prison_probation", "social_services",
                        "child_welfare", "other_municipality"}) {
    INFO(r);
    CHECK(recipients[r] >= 1);
  }
}

}  // namespace
}  // namespace caseledger::testing
