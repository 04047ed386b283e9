#include "app/event_json.h"

#include "ledger/body.h"

namespace caseledger::app {

Json HistoryEntryJson(const projections::HistoryEntry& e) {
  Json o{{"seq", e.fact.seq},   {"time", ledger::FormatTime(e.fact.time)},
                 {"type", e.fact.type}, {"actor", e.fact.actor},
                 {"role", e.fact.role}, {"h", e.fact.h}};
  if (!e.corrected_by.empty()) o["corrected_by"] = e.corrected_by;
  if (e.retracted_by) o["retracted_by"] = *e.retracted_by;
  if (e.target) o["target"] = *e.target;
  return o;
}

Result<Json> ReadableBody(const ledger::Event& e, ledger::Keystore& keys,
                                  std::optional<ledger::Micros> erased) {
  auto body = ledger::OpenBody(e, keys);
  if (body.ok() || body.status().code() != StatusCode::kFailedPrecondition) return body;
  // Crypto-shredded (DESIGN §7.2): say so, with the date, never 500.
  Json marker{{"erased", true}};
  if (erased) {
    const std::string when = ledger::FormatTime(*erased);
    marker["erased_at"] = when;
    marker["note"] = "erased on " + when.substr(0, 10) + "; the body can never be read again";
  } else {
    marker["note"] = "the body's data key was destroyed; it can never be read again";
  }
  return marker;
}

}  // namespace caseledger::app
