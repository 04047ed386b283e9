// DomainLedger: a data directory opened for writing with the domain plugged
// into its writer — the policy engine checks every command and the live
// projections are updated in the writer's transaction — handed out typed:
// the ledger and its projector, never recovered from the writer's hook by a
// cast. Owns the ledger (and through it the projector).
// Thread-safety: as ledger::Ledger.
#pragma once

#include <memory>
#include <string>

#include "base/progress.h"
#include "base/result.h"
#include "ledger/ledger.h"
#include "projections/projector.h"

namespace caseledger::app {

class DomainLedger {
 public:
  // Opens `dir` (ledger::Ledger::Open with the Projector as the writer's
  // hook; `options.make_hook` is replaced). Unavailable if another process
  // owns the data dir. `progress`: the projections' rebuild or catch-up
  // while opening (Projector::Open).
  static Result<std::unique_ptr<DomainLedger>> Open(const std::string& dir,
                                                    ledger::LedgerOptions options = {},
                                                    const ProgressFn& progress = {});

  ledger::Ledger& ledger() { return *ledger_; }
  projections::Projector& projector() { return *projector_; }
  const projections::ProjectionDbs& dbs() const { return projector_->dbs(); }

  // The ledger's parts, as ledger::Ledger names them.
  ledger::Writer& writer() { return ledger_->writer(); }
  ledger::LogStore& store() { return ledger_->store(); }
  ledger::Keystore& keys() { return ledger_->keys(); }
  const std::string& dir() const { return ledger_->dir(); }

 private:
  DomainLedger(std::unique_ptr<ledger::Ledger> ledger, projections::Projector* projector)
      : ledger_(std::move(ledger)), projector_(projector) {}
  std::unique_ptr<ledger::Ledger> ledger_;
  projections::Projector* projector_;  // owned by ledger_ (its writer's hook)
};

// A data dir's log and projections opened read-only (beside a running
// server, too), for the reporting commands (stats, audit). NotFound with a
// hint to rebuild if the projections are missing.
struct ReadOnlyDomain {
  std::unique_ptr<ledger::LogStore> store;
  projections::ProjectionDbs dbs;
};
Result<ReadOnlyDomain> OpenReadOnlyDomain(const std::string& dir);

// DomainLedger::Open, by its older name.
inline Result<std::unique_ptr<DomainLedger>> OpenDomainLedger(
    const std::string& dir, ledger::LedgerOptions options = {}, const ProgressFn& progress = {}) {
  return DomainLedger::Open(dir, std::move(options), progress);
}

}  // namespace caseledger::app
