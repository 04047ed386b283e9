// Figures of the domain layer: a realistic case-work log written through the
// policy engine and the live projections (the demo data set's generator, at
// benchmark scale), and `rebuild` of every projection from that log.
// Thread-safety: used from one thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace caseledger::bench {

struct DomainBuildFigure {
  std::uint64_t events = 0;    // log size after the build
  std::uint64_t refused = 0;   // expected policy refusals (stored as records)
  double seconds = 0;
  double events_per_s = 0;     // with policy checks and projection updates
};

// Creates `dir` and writes about `target_events` events of synthetic case
// work (demo::PlanDemo, in chunks of time) through a ledger with the domain
// hook, no_sync (input for the rebuild figure; NOT durable).
Result<DomainBuildFigure> BuildDomainLog(const std::string& dir,
                                         std::uint64_t target_events);

struct RebuildFigure {
  std::uint64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  double cpu_seconds = 0;           // the process's, during the rebuild
  double cpu_micros_per_event = 0;  // cpu_seconds per event
  bool same_as_live = false;  // CompareProjections(live, rebuilt) was empty
};

// Rebuilds the projections of the log in `dir` into a scratch environment at
// `scratch_dir` (timed), then compares them with the live ones (not timed).
// The data dir must not be open elsewhere in this process.
Result<RebuildFigure> RebuildInto(const std::string& dir,
                                  const std::string& scratch_dir);

struct AuditFigure {
  std::uint64_t events = 0;      // verified by the audit
  std::uint64_t cases = 0;
  std::uint64_t findings = 0;    // per-case flags raised
  bool verified = false;
  double seconds = 0;            // the whole audit (BuildAudit)
  double events_per_s = 0;
  double verify_seconds = 0;     // of which: VerifyLedger alone, same log
  double cpu_seconds = 0;        // process CPU of the audit
};

// The compliance audit (app::BuildAudit) of the data dir `dir`, as
// `caseledger audit` runs it (read-only, no secret), timed; and a VerifyLedger
// of the same log alone, for its share. The dir must not be open elsewhere in
// this process.
Result<AuditFigure> AuditOf(const std::string& dir);

struct RegisterFigure {
  std::uint64_t requests = 0;       // disclosure requests in the register
  std::uint64_t with_findings = 0;
  std::uint64_t cases = 0;          // cases with a disclosure request
  std::uint64_t events = 0;         // events of those cases' histories
  double seconds = 0;               // projections::ReadRegister, all cases
  double history_seconds = 0;       // what it reads, alone: every case state
                                    // and these cases' histories (mean of a
                                    // pass before and one after)
};

// The disclosure register (projections::ReadRegister, as GET
// /v1/disclosures and `caseledger disclosures`) of the data dir `dir`, timed
// beside its baseline: reading what it reads (every case state, then the
// histories of the cases with a request) without the replay and the checks.
Result<RegisterFigure> RegisterOf(const std::string& dir);

}  // namespace caseledger::bench
