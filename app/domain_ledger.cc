// DomainLedger (app/domain_ledger.h): the ledger opened with the projector
// as its writer's hook, and the read-only view the reporting commands use.
#include "app/domain_ledger.h"

namespace caseledger::app {

Result<ReadOnlyDomain> OpenReadOnlyDomain(const std::string& dir) {
  ReadOnlyDomain d;
  CL_ASSIGN_OR_RETURN(d.store, ledger::LogStore::Open(dir, /*read_only=*/true));
  auto dbs = projections::ProjectionDbs::Open(d.store->tables(), false);
  if (!dbs.ok())
    return FailedPrecondition(
        "the data directory has no projections of this version (run `caseledger "
        "rebuild`, or start the server once: docs/formats/projections.md)");
  d.dbs = *dbs;
  // Read-only, the projections cannot be rebuilt here: another version's
  // would be misread (docs/formats/projections.md, "Versions").
  CL_ASSIGN_OR_RETURN(auto txn, d.store->Read());
  CL_ASSIGN_OR_RETURN(auto version, txn.Get(d.dbs.meta, AsBytes(std::string_view("version"))));
  if (!version || AsChars(*version) != projections::kProjectionVersion)
    return FailedPrecondition(
        "the data directory's projections are of another version (run `caseledger "
        "rebuild`, or start the server once: docs/formats/projections.md)");
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
