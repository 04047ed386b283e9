// `caseledger demo`: the demo plan (demo/demo.h) written through a data
// dir's writer, with the policy engine and the projections plugged in; then
// the log is verified and the run summarised.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/progress.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "demo/demo.h"
#include "ledger/ledger.h"
#include "projections/policy.h"

namespace caseledger::cli {
namespace {

using ledger::Command;
using ledger::Micros;

constexpr Micros kYear = 365LL * 24 * 3600 * 1000 * 1000;

std::string Date(Micros t) { return ledger::FormatTime(t).substr(0, 10); }

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What the plan's commands are, kept for the report and for a failure's
// context (the commands themselves move into the writer).
struct PlanIndex {
  std::map<std::string, std::uint64_t> by_type;
  std::vector<std::string> types;
  std::vector<std::string> cases_of;
  std::vector<Micros> times;

  explicit PlanIndex(const demo::DemoPlan& plan) {
    for (const Command& c : plan.commands) {
      ++by_type[c.type];
      types.push_back(c.type);
      cases_of.push_back(c.case_id.value_or(""));
      times.push_back(*c.time);
    }
  }
};

struct Written {
  std::uint64_t accepted = 0;
  std::size_t refused = 0;  // each an expected refusal
  std::map<std::string, std::uint64_t> refusals_by_rule;
  Status failed;
  std::size_t failed_index = 0;  // of the command that failed, if any
};

// Submits the plan's commands, pipelined: at most a window of commands in
// flight (the writer's queue is bounded); results come back in submission
// order. Each answer must be what the plan says: accepted at its planned seq,
// or refused with its planned rule. `progress`: the commands settled.
Written WritePlan(ledger::Writer& writer, demo::DemoPlan& plan, const PlanIndex& index,
                  ProgressLine& progress) {
  struct InFlight {
    std::size_t index;
    std::future<Result<ledger::Appended>> result;
  };
  std::deque<InFlight> in_flight;
  Written w;
  w.failed_index = index.types.size();
  auto settle = [&](InFlight& f) -> Status {
    auto r = f.result.get();
    const bool expected =
        w.refused < plan.refusals.size() && plan.refusals[w.refused].index == f.index;
    const std::string where =
        "demo command " + std::to_string(f.index) + " (" + index.types[f.index] + ")";
    if (r.ok()) {
      if (expected)
        return Internal(where + " was expected to be refused with " +
                        plan.refusals[w.refused].rule + " but was accepted");
      if (r->seq != plan.first_seq + f.index)
        return Internal(where + " became seq " + std::to_string(r->seq) + ", planned as " +
                        std::to_string(plan.first_seq + f.index));
      ++w.accepted;
      return Status::Ok();
    }
    const std::string rule = projections::RuleOf(r.status());
    if (expected && r.status().code() == StatusCode::kPolicyRefused &&
        rule == plan.refusals[w.refused].rule) {
      ++w.refused;
      ++w.refusals_by_rule[rule];
      return Status::Ok();
    }
    return r.status().WithContext(where + (expected ? "" : ", not an expected refusal"));
  };
  auto drain = [&](std::size_t keep) -> Status {
    while (in_flight.size() > keep) {
      InFlight f = std::move(in_flight.front());
      in_flight.pop_front();
      if (Status s = settle(f); !s.ok()) {
        w.failed_index = f.index;
        return s;
      }
    }
    return Status::Ok();
  };
  for (std::size_t i = 0; i < plan.commands.size() && w.failed.ok(); ++i) {
    in_flight.push_back({i, writer.Submit(std::move(plan.commands[i]))});
    w.failed = drain(4096);
    if (i % 1024 == 0) progress.Update(w.accepted + w.refused);  // settled
  }
  if (w.failed.ok()) w.failed = drain(0);
  if (w.failed.ok() && w.refused != plan.refusals.size())
    w.failed = Internal("fewer refusals than expected");
  return w;
}

// A bug of the plan (or a changed rule): the failure, and the case's planned
// history up to it — types and times only, nothing personal.
void PrintFailure(const Written& w, const PlanIndex& index) {
  std::cerr << "caseledger demo: " << w.failed.ToString() << "\n";
  const std::size_t at = w.failed_index;
  if (at >= index.types.size() || index.cases_of[at].empty()) return;
  std::cerr << "the case's planned events up to it:\n";
  for (std::size_t i = 0; i <= at; ++i) {
    if (index.cases_of[i] == index.cases_of[at])
      std::cerr << "  " << i << " " << ledger::FormatTime(index.times[i]) << " "
                << index.types[i] << "\n";
  }
}

// What was written, by kind; what the plan planted for the audit to find.
void PrintReport(const demo::DemoPlan& plan, const PlanIndex& index, const Written& w) {
  auto by_type = index.by_type;  // operator[] below: a missing type counts 0
  std::cout << "cases: " << plan.cases << " opened, "
            << by_type["assessment.recorded"] << " assessments, "
            << by_type["intervention.started"] << " interventions started, "
            << by_type["progress.assessed"] << " progress assessments, "
            << by_type["disclosure.made"] << " disclosures made, "
            << by_type["record.corrected"] << " corrections, "
            << by_type["record.retracted"] << " retractions, "
            << by_type["case.closed"] << " closed\n";
  std::cout << "refusals by rule (all expected):";
  if (w.refusals_by_rule.empty()) std::cout << " none";
  for (const auto& [rule, n] : w.refusals_by_rule) std::cout << " " << rule << " " << n;
  std::cout << "\nplanted defects by kind (for the compliance audit and the "
               "legal review):\n";
  for (demo::DefectKind k : demo::kDefectKinds) {
    const auto n = std::count_if(plan.defects.begin(), plan.defects.end(),
                                 [&](const demo::PlantedDefect& d) { return d.kind == k; });
    std::cout << "  " << std::left << std::setw(16) << demo::FlagOf(k) << std::setw(26)
              << demo::NameOf(k) << std::right << n << "\n";
  }
  std::map<std::string, std::size_t> findings_by_code;
  for (const demo::PlantedFinding& f : plan.findings) ++findings_by_code[f.code];
  std::cout << "planted disclosure register findings (GET /v1/disclosures; "
               "migrated history has legacy_ref):\n";
  for (const auto& [code, n] : findings_by_code)
    std::cout << "  " << std::left << std::setw(42) << code << std::right << n << "\n";
}

}  // namespace

int CmdDemo(const std::string& dir, std::uint64_t cases, std::uint64_t seed, bool quiet) {
  if (!ledger::LogStore::Open(dir, true).ok()) {
    if (int rc = CmdInit(dir, "demo.caseledger.invalid/copenhagen"); rc != kExitOk) return rc;
  }
  auto l = app::OpenDomainLedger(dir);
  if (!l.ok()) {
    std::cerr << "caseledger: " << l.status().ToString() << "\n";
    return ExitCodeFor(l.status());
  }
  ledger::Writer& writer = (*l)->writer();
  const Micros now = ledger::NowMicros();
  const std::uint64_t before = writer.size();
  // A re-run continues the history after the last event, with other people.
  const Micros start = std::max(writer.last_time() + 1,
                                now - static_cast<Micros>(demo::kDemoYears) * kYear);
  const auto t_plan = Clock::now();
  demo::DemoPlan plan = demo::PlanDemo(cases, seed + before, start, now, before + 1);
  const auto t_write = Clock::now();
  std::cout << "planned " << plan.commands.size() << " synthetic commands for "
            << plan.cases << " cases from " << Date(start) << " to "
            << Date(now) << " in " << std::fixed << std::setprecision(2)
            << Seconds(t_write - t_plan) << " s\n";
  const PlanIndex index(plan);
  ProgressLine progress("demo", plan.commands.size(), ProgressLine::ForStderr(quiet));
  const Written w = WritePlan(writer, plan, index, progress);
  if (!w.failed.ok()) {
    progress.Clear();
    PrintFailure(w, index);
    return ExitCodeFor(w.failed);
  }
  progress.Update(plan.commands.size());
  progress.Finish();
  const auto t_done = Clock::now();
  const auto stats = writer.stats();
  const std::uint64_t appended = writer.size() - before;
  std::cout << "appended " << appended << " events (" << w.accepted
            << " accepted, " << w.refused << " policy.refused records) in "
            << stats.batches << " group commits, " << Seconds(t_done - t_write)
            << " s (" << std::setprecision(0)
            << static_cast<double>(appended) / std::max(Seconds(t_done - t_write), 1e-6)
            << " events/s); log size " << writer.size() << "\n";
  PrintReport(plan, index, w);
  l->reset();
  std::cout << "verifying the whole log...\n" << std::flush;
  return CmdVerify(dir, false, 0, std::nullopt, quiet);
}

}  // namespace caseledger::cli
