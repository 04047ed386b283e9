#include "bench/domain_figures.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <future>

#include "app/audit.h"
#include "demo/demo.h"
#include "bench/measure.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "projections/disclosure_register.h"
#include "projections/projector.h"

namespace caseledger::bench {

namespace {
constexpr ledger::Micros kDay = ledger::Micros{86400} * 1000000;
constexpr std::uint64_t kYearCases = 2800;  // concerns planned per year
constexpr std::uint64_t kSliceYears = 5;    // years planned at a time (memory)
}  // namespace

Result<DomainBuildFigure> BuildDomainLog(const std::string& dir,
                                         std::uint64_t target_events) {
  CL_RETURN_IF_ERROR(ledger::InitDataDir(dir, "bench.caseledger.invalid/domain").status());
  ledger::LedgerOptions o;
  o.no_sync = true;  // input for the rebuild figure only: not durable
  o.writer.max_batch = 4096;
  o.make_hook = [](ledger::LogStore& store, ledger::Keystore&)
      -> Result<std::unique_ptr<ledger::WriteHook>> {
    CL_ASSIGN_OR_RETURN(auto p, projections::Projector::Open(store, store.tables()));
    return std::unique_ptr<ledger::WriteHook>(std::move(p));
  };
  CL_ASSIGN_OR_RETURN(auto l, ledger::Ledger::Open(dir, std::move(o)));
  ledger::Writer& writer = l->writer();
  // The demo's history five years at a time (as `caseledger demo` writes
  // it, follow-ups included), at a large city's density (DESIGN §11: a few
  // thousand concerns a year), until the log reaches the target size. Eleven
  // slices of 5 years reach back to 1971: event times start at the Unix
  // epoch (an empty log's "previous time" is 0), and about 10^6 events fit.
  const ledger::Micros end = ledger::NowMicros();
  const ledger::Micros slice = kSliceYears * 365 * kDay;
  const ledger::Micros slices = 11;
  DomainBuildFigure f;
  const auto t0 = Clock::now();
  for (ledger::Micros y = slices; y > 0 && writer.size() < target_events; --y) {
    const ledger::Micros from = std::max(end - y * slice, writer.last_time() + 1);
    const ledger::Micros to = std::max(from, end - (y - 1) * slice);
    demo::DemoPlan plan = demo::PlanDemo(kSliceYears * kYearCases,
                                       1000 + static_cast<std::uint64_t>(y), from, to,
                                       writer.size() + 1);
    std::deque<std::future<Result<ledger::Appended>>> in_flight;
    auto drain = [&](std::size_t keep) -> Status {
      while (in_flight.size() > keep) {
        auto r = in_flight.front().get();
        in_flight.pop_front();
        if (r.status().code() == StatusCode::kPolicyRefused) {
          ++f.refused;
        } else if (!r.ok()) {
          return r.status();
        }
      }
      return Status::Ok();
    };
    for (auto& cmd : plan.commands) {
      in_flight.push_back(writer.Submit(std::move(cmd)));
      CL_RETURN_IF_ERROR(drain(16384));
    }
    CL_RETURN_IF_ERROR(drain(0));
  }
  CL_RETURN_IF_ERROR(l->store().Sync());
  f.events = writer.size();
  f.seconds = SecondsSince(t0);
  f.events_per_s = static_cast<double>(f.events) / f.seconds;
  return f;
}

Result<RebuildFigure> RebuildInto(const std::string& dir,
                                  const std::string& scratch_dir) {
  std::error_code ec;
  std::filesystem::remove_all(scratch_dir, ec);
  std::filesystem::create_directories(scratch_dir);
  RebuildFigure f;
  {
    CL_ASSIGN_OR_RETURN(auto store, ledger::LogStore::Open(dir, /*read_only=*/true));
    CL_ASSIGN_OR_RETURN(auto tables, ledger::Tables::OpenScratch(scratch_dir));
    const auto t0 = Clock::now();
    // The process's CPU: the rebuild folds the cases on a thread of its own.
    const double cpu0 = ProcessCpuSeconds();
    CL_ASSIGN_OR_RETURN(f.events, projections::Rebuild(*store, *tables));
    f.seconds = SecondsSince(t0);
    f.cpu_seconds = ProcessCpuSeconds() - cpu0;
    f.cpu_micros_per_event =
        f.cpu_seconds * 1e6 / static_cast<double>(std::max<std::uint64_t>(f.events, 1));
    f.events_per_s = static_cast<double>(f.events) / f.seconds;
    CL_ASSIGN_OR_RETURN(auto diff, projections::CompareProjections(store->tables(), *tables));
    f.same_as_live = diff.empty();
  }
  std::filesystem::remove_all(scratch_dir, ec);
  return f;
}

Result<AuditFigure> AuditOf(const std::string& dir) {
  AuditFigure f;
  {
    const auto t0 = Clock::now();
    const double cpu0 = ProcessCpuSeconds();
    CL_ASSIGN_OR_RETURN(auto store, ledger::LogStore::Open(dir, /*read_only=*/true));
    CL_ASSIGN_OR_RETURN(auto dbs, projections::ProjectionDbs::Open(store->tables(), false));
    CL_ASSIGN_OR_RETURN(auto verifier, ledger::ReadVerifierFile(dir + "/ledger.pub"));
    CL_ASSIGN_OR_RETURN(auto erasures, ledger::Keystore::ReadErasures(dir + "/keystore"));
    app::AuditOptions o;
    o.now = ledger::NowMicros();
    CL_ASSIGN_OR_RETURN(Json report, app::BuildAudit(*store, verifier, erasures, dbs, o));
    f.seconds = SecondsSince(t0);
    f.cpu_seconds = ProcessCpuSeconds() - cpu0;
    f.verified = report["integrity"]["verified"].get<bool>();
    f.events = report["integrity"].value("events_verified", std::uint64_t{0});
    f.cases = report["cases"].get<std::uint64_t>();
    for (const auto& flag : report["flags"])
      if (flag.contains("cases")) f.findings += flag["count"].get<std::uint64_t>();
    f.events_per_s = static_cast<double>(f.events) / f.seconds;
  }
  const auto t1 = Clock::now();
  CL_ASSIGN_OR_RETURN(ledger::VerifyReport v, ledger::VerifyLedger(dir));
  f.verify_seconds = SecondsSince(t1);
  if (!v.ok) return Internal("verify of the domain log failed: " + v.problem);
  return f;
}

Result<RegisterFigure> RegisterOf(const std::string& dir) {
  RegisterFigure f;
  CL_ASSIGN_OR_RETURN(auto store, ledger::LogStore::Open(dir, /*read_only=*/true));
  CL_ASSIGN_OR_RETURN(auto dbs, projections::ProjectionDbs::Open(store->tables(), false));
  // The baseline, before and after: what the register reads, without the
  // replay and the checks — every case state (to find the cases with a
  // request), then those cases' histories.
  std::vector<std::string> ids;
  auto read_histories = [&]() -> Result<double> {
    const auto t = Clock::now();
    ids.clear();
    CL_RETURN_IF_ERROR(projections::ForEachCaseView(*store, dbs, [&](const projections::CaseView& v) {
      if (!v.disclosures.empty()) ids.push_back(v.case_id);
      return Status::Ok();
    }));
    f.cases = ids.size();
    std::uint64_t events = 0;
    for (const std::string& id : ids) {
      CL_ASSIGN_OR_RETURN(auto history, projections::CaseHistory(*store, dbs, id));
      events += history.size();
    }
    f.events = events;
    return SecondsSince(t);
  };
  CL_ASSIGN_OR_RETURN(const double before, read_histories());
  const auto t0 = Clock::now();
  CL_ASSIGN_OR_RETURN(auto entries,
                      projections::ReadRegister(*store, dbs, ledger::NowMicros(),
                                                [](const projections::CaseView&) { return true; }));
  f.seconds = SecondsSince(t0);
  CL_ASSIGN_OR_RETURN(const double after, read_histories());
  f.history_seconds = (before + after) / 2;
  for (const auto& e : entries) {
    ++f.requests;
    if (!e.findings.empty()) ++f.with_findings;
  }
  return f;
}

}  // namespace caseledger::bench
