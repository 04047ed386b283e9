// The staff directory (docs/web.md, "Recording on a case"): the users who may
// be assigned to a case, with the display name they were registered with, so
// a form offers people by name rather than by a 26-character id. Staff
// names are not case data: reading them leaves no access record.
// Thread-safety: as the log and keystore (any thread).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "projections/projector.h"

namespace caseledger::app {

struct StaffMember {
  std::string user;          // "u-…"
  std::string role;          // the current role
  std::string display_name;  // "" if the registration's body cannot be read
};

// Every user not revoked whose current role is in `roles`, in registration
// order.
Result<std::vector<StaffMember>> ListStaff(ledger::LogStore& log,
                                           const projections::ProjectionDbs& dbs,
                                           ledger::Keystore& keys,
                                           const std::vector<std::string>& roles);

}  // namespace caseledger::app
