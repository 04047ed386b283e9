// DomainLedger (app/domain_ledger.h): the ledger opened with the projector
// as its writer's hook, and the read-only view the reporting commands use.
#include "app/domain_ledger.h"

namespace caseledger::app {

Result<ReadOnlyDomain> OpenReadOnlyDomain(const std::string& dir) {
  ReadOnlyDomain d;
  CL_ASSIGN_OR_RETURN(d.store, ledger::LogStore::Open(dir, /*read_only=*/true));
  auto dbs = projections::ProjectionDbs::Open(d.store->tables(), false);
  if (!dbs.ok())
    return dbs.status().WithContext(
        "the data directory has no projections (run `caseledger rebuild`)");
  d.dbs = *dbs;
  return d;
}

Result<std::unique_ptr<DomainLedger>> DomainLedger::Open(const std::string& dir,
                                                        ledger::LedgerOptions options,
                                                        const ProgressFn& progress) {
  projections::Projector* projector = nullptr;
  options.make_hook = [&projector, &progress](ledger::LogStore& store, ledger::Keystore& keys)
      -> Result<std::unique_ptr<ledger::WriteHook>> {
    CL_ASSIGN_OR_RETURN(auto p,
                        projections::Projector::Open(store, store.tables(), &keys, progress));
    projector = p.get();
    return std::unique_ptr<ledger::WriteHook>(std::move(p));
  };
  CL_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> l, ledger::Ledger::Open(dir, std::move(options)));
  if (projector == nullptr) return Internal("the ledger was opened without its projector");
  return std::unique_ptr<DomainLedger>(new DomainLedger(std::move(l), projector));
}

}  // namespace caseledger::app
