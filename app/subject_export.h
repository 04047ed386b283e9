// Subject access (DESIGN §7.4, GDPR Art. 15): everything the ledger holds
// about one subject, for the DPO: every event of the subject's cases with its
// body decrypted (or marked erased), each case's current state, every
// disclosure (recipient, basis, dates, decisions) and every access (who, when,
// purpose). Exemptions are marked, never dropped: information from PET, and a
// deferral of informing the subject (for the DPO to weigh before release).
// References to cases of other subjects are withheld, so the export holds
// nothing of anyone else. Pure reads; thread-safe.
#pragma once

#include <string>

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "projections/projector.h"

namespace caseledger::app {

// The export as JSON, of `subject` whose projected state is `state`
// (projections::ReadSubject).
Result<Json> BuildSubjectExport(ledger::LogStore& log, ledger::Keystore& keys,
                                        const projections::ProjectionDbs& dbs,
                                        const std::string& subject,
                                        const projections::SubjectState& state,
                                        ledger::Micros now);

// The same export as one self-contained, readable HTML document (no scripts,
// no external resources; every value escaped).
std::string SubjectExportHtml(const Json& exported);

}  // namespace caseledger::app
