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
#include <string>

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

}  // namespace

int CmdDemo(const std::string& dir, std::uint64_t cases, std::uint64_t seed) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::duration d) {
    return std::chrono::duration<double>(d).count();
  };
  if (!ledger::LogStore::Open(dir, true).ok()) {
    if (int rc = CmdInit(dir, "demo.caseledger.invalid/copenhagen");
        rc != kExitOk)
      return rc;
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
            << seconds(t_write - t_plan) << " s\n";

  // Pipelined: at most a window of commands in flight (the writer's queue
  // is bounded); results come back in submission order.
  struct InFlight {
    std::size_t index;
    std::future<Result<ledger::Appended>> result;
  };
  std::deque<InFlight> in_flight;
  std::uint64_t accepted = 0;
  std::size_t next_refusal = 0;
  std::map<std::string, std::uint64_t> refusals_by_rule;
  // Kept for the report (the commands themselves move into the writer).
  std::map<std::string, std::uint64_t> by_type;
  std::vector<std::string> types, cases_of;
  std::vector<Micros> times;
  for (const Command& c : plan.commands) {
    ++by_type[c.type];
    types.push_back(c.type);
    cases_of.push_back(c.case_id.value_or(""));
    times.push_back(*c.time);
  }
  auto settle = [&](InFlight& f) -> Status {
    auto r = f.result.get();
    const std::string& type = types[f.index];
    const bool expected = next_refusal < plan.refusals.size() &&
                          plan.refusals[next_refusal].index == f.index;
    const std::string where =
        "demo command " + std::to_string(f.index) + " (" + type + ")";
    if (r.ok()) {
      if (expected)
        return Internal(where + " was expected to be refused with " +
                        plan.refusals[next_refusal].rule + " but was accepted");
      if (r->seq != plan.first_seq + f.index)
        return Internal(where + " became seq " + std::to_string(r->seq) +
                        ", planned as " +
                        std::to_string(plan.first_seq + f.index));
      ++accepted;
      return Status::Ok();
    }
    const std::string rule = projections::RuleOf(r.status());
    if (expected && r.status().code() == StatusCode::kPolicyRefused &&
        rule == plan.refusals[next_refusal].rule) {
      ++next_refusal;
      ++refusals_by_rule[rule];
      return Status::Ok();
    }
    return r.status().WithContext(
        where + (expected ? "" : ", not an expected refusal"));
  };
  std::size_t failed_index = types.size();
  auto drain = [&](std::size_t keep) -> Status {
    while (in_flight.size() > keep) {
      InFlight f = std::move(in_flight.front());
      in_flight.pop_front();
      if (Status s = settle(f); !s.ok()) {
        failed_index = f.index;
        return s;
      }
    }
    return Status::Ok();
  };
  Status failed;
  for (std::size_t i = 0; i < plan.commands.size() && failed.ok(); ++i) {
    in_flight.push_back({i, writer.Submit(std::move(plan.commands[i]))});
    failed = drain(4096);
  }
  if (failed.ok()) failed = drain(0);
  if (failed.ok() && next_refusal != plan.refusals.size())
    failed = Internal("fewer refusals than expected");
  if (!failed.ok()) {
    std::cerr << "caseledger demo: " << failed.ToString() << "\n";
    // A bug of the plan (or a changed rule): show the case's planned history
    // up to the failure — types and times only, nothing personal.
    if (failed_index < types.size() && !cases_of[failed_index].empty()) {
      std::cerr << "the case's planned events up to it:\n";
      for (std::size_t i = 0; i <= failed_index; ++i) {
        if (cases_of[i] == cases_of[failed_index])
          std::cerr << "  " << i << " " << ledger::FormatTime(times[i]) << " "
                    << types[i] << "\n";
      }
    }
    return ExitCodeFor(failed);
  }
  const auto t_done = Clock::now();
  const auto stats = writer.stats();
  const std::uint64_t appended = writer.size() - before;
  std::cout << "appended " << appended << " events (" << accepted
            << " accepted, " << next_refusal << " policy.refused records) in "
            << stats.batches << " group commits, " << seconds(t_done - t_write)
            << " s (" << std::setprecision(0)
            << static_cast<double>(appended) /
                   std::max(seconds(t_done - t_write), 1e-6)
            << " events/s); log size " << writer.size() << "\n";
  std::cout << "cases: " << plan.cases << " opened, "
            << by_type["assessment.recorded"] << " assessments, "
            << by_type["intervention.started"] << " interventions started, "
            << by_type["progress.assessed"] << " progress assessments, "
            << by_type["disclosure.made"] << " disclosures made, "
            << by_type["record.corrected"] << " corrections, "
            << by_type["record.retracted"] << " retractions, "
            << by_type["case.closed"] << " closed\n";
  std::cout << "refusals by rule (all expected):";
  if (refusals_by_rule.empty()) std::cout << " none";
  for (const auto& [rule, n] : refusals_by_rule)
    std::cout << " " << rule << " " << n;
  std::cout << "\nplanted defects by kind (for the compliance audit and the "
               "legal review):\n";
  for (demo::DefectKind k : demo::kDefectKinds) {
    const auto n =
        std::count_if(plan.defects.begin(), plan.defects.end(),
                      [&](const demo::PlantedDefect& d) { return d.kind == k; });
    std::cout << "  " << std::left << std::setw(16) << demo::FlagOf(k)
              << std::setw(26) << demo::NameOf(k) << std::right << n << "\n";
  }
  std::map<std::string, std::size_t> findings_by_code;
  for (const demo::PlantedFinding& f : plan.findings) ++findings_by_code[f.code];
  std::cout << "planted disclosure register findings (GET /v1/disclosures; "
               "migrated history has legacy_ref):\n";
  for (const auto& [code, n] : findings_by_code)
    std::cout << "  " << std::left << std::setw(42) << code << std::right << n << "\n";
  l->reset();
  std::cout << "verifying the whole log...\n" << std::flush;
  return CmdVerify(dir, false, 0);
}

}  // namespace caseledger::cli
