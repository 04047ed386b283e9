#include "app/disclosure_evidence.h"

#include "ledger/canonical_json.h"
#include "ledger/evidence.h"
#include "ledger/event.h"
#include "projections/disclosure_register.h"

namespace caseledger::app {

Result<std::string> DisclosureCaseOf(ledger::LogStore& store, std::uint64_t request) {
  CL_ASSIGN_OR_RETURN(auto snap, store.Read());
  auto line = ledger::ReadEventLine(snap, store, request);
  if (!line.ok()) return NotFound("no such event");
  CL_ASSIGN_OR_RETURN(ledger::Event event, ledger::DecodeEvent(*line));
  if (event.type != "disclosure.requested" || !event.case_id)
    return InvalidArgument("the seq of a disclosure.requested");
  return *event.case_id;
}

Result<std::optional<ledger::BundleCheckpoint>> WitnessedCheckpoint(
    const ledger::CosignatureStore* cosignatures) {
  if (cosignatures == nullptr) return std::optional<ledger::BundleCheckpoint>();
  CL_ASSIGN_OR_RETURN(auto c, cosignatures->NewestReachedQuorum());
  if (!c) return std::optional<ledger::BundleCheckpoint>();
  return std::optional<ledger::BundleCheckpoint>(ledger::BundleCheckpoint{c->size, c->Note()});
}

Result<DisclosureEvidence> MakeDisclosureEvidence(
    ledger::LogStore& store, const crypto::NoteVerifier& verifier,
    const projections::CaseView& view, std::uint64_t request,
    const std::optional<ledger::BundleCheckpoint>& witnessed) {
  DisclosureEvidence out;
  out.steps = projections::DisclosureSteps(view, request);
  if (out.steps.empty()) return NotFound("not a disclosure request of its case");
  CL_ASSIGN_OR_RETURN(std::vector<Json> set, ledger::MakeEvidenceSet(store, verifier, out.steps, witnessed));
  for (const Json& e : set) out.text += ledger::CanonicalJson(e) + "\n";
  return out;
}

}  // namespace caseledger::app
