#include "app/staff.h"

#include <algorithm>

#include "ledger/body.h"
#include "ledger/event.h"

namespace caseledger::app {

Result<std::vector<StaffMember>> ListStaff(ledger::LogStore& log,
                                           const projections::ProjectionDbs& dbs,
                                           ledger::Keystore& keys,
                                           const std::vector<std::string>& roles) {
  CL_ASSIGN_OR_RETURN(std::vector<projections::UserState> users, projections::ListUsers(log, dbs));
  CL_ASSIGN_OR_RETURN(auto snap, log.Read());
  std::vector<StaffMember> out;
  for (const projections::UserState& u : users) {
    if (u.is_revoked() || std::find(roles.begin(), roles.end(), u.role) == roles.end()) continue;
    StaffMember m{u.user, u.role, ""};
    // The name is a convenience: a body that cannot be read leaves it empty.
    if (auto line = ledger::ReadEventLine(snap, log, u.registered_seq); line.ok()) {
      if (auto e = ledger::DecodeEvent(*line); e.ok() && e->body) {
        if (auto body = ledger::OpenBody(*e, keys); body.ok() && body->contains("display_name") &&
                                                    (*body)["display_name"].is_string())
          m.display_name = (*body)["display_name"].get<std::string>();
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace caseledger::app
