// The disclosure register (DESIGN §8, §10; GET /v1/disclosures): every
// disclosure request of a case with what it drew on, who asked, who decided,
// when it was made and reviewed — and the automatic findings a legal reviewer
// starts from. The findings re-check each disclosure step against the state
// of the case just before it (replayed from the case's own history): the
// rules the policy engine refuses at write time (ROL-5 … ROL-15), so the
// register finds them in migrated history (`caseledger import --legacy`) and
// shows their absence everywhere else, and the 30-day legal review
// (FLAG-DISCLOSURE). Clear headers only, never a body: a written balancing
// (dbl-8-2-2) or a necessity statement is for the reviewer to read.
// Finding codes are the catalogue's `disclosure.reviewed` findings, so the
// reviewer can adopt them in a verdict. Codes, rules and the checks:
// docs/disclosures.md. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/canonical_json.h"
#include "ledger/time.h"
#include "projections/case_state.h"
#include "projections/projector.h"

namespace caseledger::projections {

struct RegisterFinding {
  std::string code;    // a `disclosure.reviewed` finding, e.g. "self_approval"
  std::string rule;    // "ROL-5", …, or "FLAG-DISCLOSURE" for late_review
  std::uint64_t seq = 0;  // the step it is about (request, decision, making)
  std::string detail;  // what is wrong: codes and seqs only, nothing personal
  friend bool operator==(const RegisterFinding&, const RegisterFinding&) = default;
};

// One piece of the case's information a request includes (h.includes).
struct DrewOn {
  std::uint64_t seq = 0;
  std::string type;  // "" if the seq is no event of the case
  std::string from, basis;  // of an information.received
  std::vector<std::string> categories;
};

struct RegisterEntry {
  std::string case_id;
  Disclosure disclosure;  // as it stands now (after corrections)
  bool legacy = false;  // any of its steps migrated
  std::vector<DrewOn> drew_on;
  std::vector<RegisterFinding> findings;  // in the order of the checks below
  // The time the register files it under: the first making, or the request
  // if it was never made.
  Micros time() const {
    return disclosure.made.empty() ? disclosure.time : disclosure.made.front().time;
  }
};

// Every finding code the register checks, in the order it reports them, with
// its rule: the list an empty register proves absent.
struct RegisterCheck {
  std::string_view code, rule, what;
};
std::span<const RegisterCheck> RegisterChecks();
// True if `code` is the code of one of RegisterChecks().
bool IsRegisterCheck(std::string_view code);

// The register entries of one case, in request order, from its history (as
// CaseHistory returns it: every event of the case in seq order, envelopes as
// stored) and the time `now` (for the 30-day review).
std::vector<RegisterEntry> CaseRegister(const std::vector<HistoryEntry>& history,
                                        Micros now);

// The register of every case for which `include(view)` holds (the caller's
// listing rule, ROL-3) and that has a disclosure request: ids from one
// snapshot of proj.case_rows, each case's history then read through the per-case
// index (never a scan of the log). In case key order, then request order.
Result<std::vector<RegisterEntry>> ReadRegister(
    ledger::LogStore& log, const ProjectionDbs& dbs, Micros now,
    const std::function<bool(const CaseView&)>& include);

// Every event of one disclosure, ascending: the request `request`, its
// approvals and rejections, makings and legal reviews, and the corrections
// and retractions of any of them — what evidence of "one disclosure" covers
// (docs/formats/evidence.md). Empty if `request` is no disclosure request of
// the case.
std::vector<std::uint64_t> DisclosureSteps(const CaseView& v, std::uint64_t request);

// Canonical-ready JSON of an entry (docs/disclosures.md).
Json RegisterEntryJson(const RegisterEntry& e);

// What a reader selects (GET /v1/disclosures, `caseledger disclosures`);
// empty strings select everything. The period is [from, to) on
// RegisterEntry::time().
struct RegisterFilter {
  Micros from = 0;
  Micros to = std::numeric_limits<Micros>::max();
  std::string recipient, basis, status, finding;
  std::optional<bool> legacy;
  bool Matches(const RegisterEntry& e) const;
};

// The register document: as_of, the registry version, the count of entries
// selected and of those with findings, every check with how often it was
// found (zeros included: what an empty register proves absent), and the
// selected entries.
Json RegisterJson(const std::vector<RegisterEntry>& entries,
                          const RegisterFilter& filter, Micros now);

}  // namespace caseledger::projections
