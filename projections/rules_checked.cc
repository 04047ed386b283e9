#include "projections/rules_checked.h"

#include <array>
#include <vector>

namespace caseledger::projections {

namespace {

struct Row {
  std::string_view type;
  std::vector<std::string_view> rules;
};

// One row per type of the catalogue, in DESIGN §6 order. Sources:
//   ROLE     CheckRole, on every command (who may record what, §6)
//   ROL-10   every event: the log is append-only; corrections and
//            retractions are checked by CheckCorrection
//   ROL-11   CheckCaseEvent, on every event of an existing case
//   others   the functions of policy.cc named in docs/rules.md
// Server-written records (access.*, policy.refused) pass the role check
// only; access.* are the records ROL-12 demands before a read is answered.
// consent.recorded lists ROL-9 as DESIGN §5.2 does: the rule's consequence
// (a withdrawal ends active interventions, decision 18) is applied with it.
const std::vector<Row>& Table() {
  static const std::vector<Row> kTable = {
      {"concern.reported", {"ROLE", "ROL-1", "ROL-2", "ROL-10", "ROL-14", "ROL-16"}},
      {"case.assigned", {"ROLE", "ROL-10", "ROL-11"}},
      {"concern.responded", {"ROLE", "ROL-10", "ROL-11"}},
      {"information.received", {"ROLE", "ROL-6", "ROL-10", "ROL-11"}},
      {"assessment.recorded", {"ROLE", "ROL-1", "ROL-4", "ROL-10", "ROL-11", "ROL-14"}},
      {"consent.recorded", {"ROLE", "ROL-9", "ROL-10", "ROL-11"}},
      {"intervention.started", {"ROLE", "ROL-9", "ROL-10", "ROL-11"}},
      {"progress.assessed", {"ROLE", "ROL-10", "ROL-11"}},
      {"intervention.ended", {"ROLE", "ROL-10", "ROL-11"}},
      {"disclosure.requested",
       {"ROLE", "ROL-6", "ROL-7", "ROL-8", "ROL-10", "ROL-11", "ROL-13", "ROL-14", "ROL-15"}},
      {"disclosure.approved", {"ROLE", "ROL-5", "ROL-10", "ROL-11", "ROL-13"}},
      {"disclosure.rejected", {"ROLE", "ROL-5", "ROL-10", "ROL-11"}},
      {"disclosure.made",
       {"ROLE", "ROL-5", "ROL-6", "ROL-8", "ROL-10", "ROL-11", "ROL-13", "ROL-14", "ROL-15"}},
      {"disclosure.reviewed", {"ROLE", "ROL-10", "ROL-11"}},
      {"subject.informed", {"ROLE", "ROL-10", "ROL-11"}},
      {"subject.information_deferred", {"ROLE", "ROL-10", "ROL-11"}},
      {"case.reviewed", {"ROLE", "ROL-10", "ROL-11"}},
      {"processing.restricted", {"ROLE", "ROL-10", "ROL-11"}},
      {"processing.restriction_lifted", {"ROLE", "ROL-10", "ROL-11"}},
      {"legal_hold.set", {"ROLE", "ROL-10", "ROL-11"}},
      {"legal_hold.released", {"ROLE", "ROL-10", "ROL-11"}},
      {"recipients.notified", {"ROLE", "ROL-10", "ROL-11"}},
      {"case.closed", {"ROLE", "ROL-4", "ROL-10", "ROL-11"}},
      // A correction is checked as the event it produces: the header rules of
      // the type it corrects (CheckCorrected, docs/rules.md "Corrections").
      {"record.corrected",
       {"ROLE", "ROL-1", "ROL-2", "ROL-4", "ROL-5", "ROL-6", "ROL-7", "ROL-8", "ROL-9",
        "ROL-10", "ROL-11", "ROL-14", "ROL-15"}},
      {"record.retracted", {"ROLE", "ROL-10", "ROL-11"}},
      {"subject.erased", {"ROLE", "ROL-10", "ROL-16"}},
      {"access.read", {"ROLE", "ROL-10", "ROL-12"}},
      {"access.exported", {"ROLE", "ROL-10", "ROL-12"}},
      {"policy.refused", {"ROLE", "ROL-10"}},
      // Advice without registration: behaviour codes only (ROL-1's own
      // line: no person is ever described by a protected characteristic).
      {"advice.given", {"ROLE", "ROL-1", "ROL-10"}},
      {"user.registered", {"ROLE", "ROL-10"}},
      {"user.role_changed", {"ROLE", "ROL-10"}},
      {"user.revoked", {"ROLE", "ROL-10"}},
      {"user.token_issued", {"ROLE", "ROL-10"}},
      {"retention.policy_set", {"ROLE", "ROL-10"}},
      {"key.rotated", {"ROLE", "ROL-10"}},
  };
  return kTable;
}

}  // namespace

std::span<const std::string_view> RulesCheckedOn(std::string_view type) {
  for (const Row& r : Table())
    if (r.type == type) return r.rules;
  return {};
}

}  // namespace caseledger::projections
