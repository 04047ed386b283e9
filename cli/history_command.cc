// `caseledger history`: the timeline of one case with each event's
// verification status (app/history.h) — a summary, the JSON document, or a
// self-contained HTML page rendered from it (app/html.h). Reads the log and
// the projections read-only (beside a running server, too) and needs no
// secret: clear headers only, never a body.
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "app/history.h"
#include "app/html.h"
#include "ledger/verify.h"

namespace caseledger::cli {

namespace {


std::string Text(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

void PrintSummary(std::ostream& out, const Json& doc) {
  const Json& v = doc["verification"];
  const Json& cp = doc["checkpoint"];
  out << "History of case " << Text(doc, "case") << " (clear headers only; times UTC)\n";
  if (v.value("all_verified", false)) {
    out << "all " << v.value("events", 0) << " events verify: signature valid, included in the "
        << "latest signed checkpoint (size " << cp.value("size", 0) << ")\n";
  } else {
    out << "NOT VERIFIED: " << v.value("events", 0) - v.value("verified", 0) << " of "
        << v.value("events", 0) << " events do not verify";
    if (cp.contains("problem")) out << "; checkpoint: " << Text(cp, "problem");
    out << "\n";
  }
  for (const Json& e : doc["entries"]) {
    const Json& ev = e["verification"];
    out << "  " << e.value("seq", 0) << "  " << Text(e, "time") << "  " << Text(e, "type")
        << "  " << Text(e, "actor") << " (" << Text(e, "role") << ")";
    if (e.contains("target")) out << "  target " << e["target"].get<std::uint64_t>();
    if (e.contains("retracted_by"))
      out << "  RETRACTED by " << e["retracted_by"].get<std::uint64_t>();
    out << "  " << (ev.value("signature_valid", false) ? "signature valid" : "SIGNATURE INVALID")
        << ", " << (ev.value("included", false) ? "included" : "NOT INCLUDED") << "\n";
  }
}

}  // namespace

int CmdHistory(const std::string& dir, const std::string& case_id, ReportFormat format,
               const std::string& out, const WitnessArgs& witnesses) {
  auto policy = ResolveWitnesses(witnesses);
  if (!policy.ok()) return WitnessUsage(policy.status());
  auto domain = app::OpenReadOnlyDomain(dir);
  if (!domain.ok()) return Fail(domain.status());
  auto verifier = ledger::ReadVerifierFile(dir + "/ledger.pub");
  if (!verifier.ok()) return Fail(verifier.status());
  auto doc = app::BuildCaseHistory(*domain->store, *verifier, domain->dbs, case_id, ledger::NowMicros());
  if (!doc.ok()) return Fail(doc.status());
  std::string text = ReportText(format, *doc, app::CaseHistoryHtml, PrintSummary);
  // The cosignatures of the latest checkpoint, the one the inclusion proofs
  // lead to.
  int witness_exit = kExitOk;
  if (policy->active())
    witness_exit = ReportWitnesses(*policy, dir, (*doc)["checkpoint"], format, text);
  if (Status s = WriteReport(out, "case history", text); !s.ok()) return Fail(s);
  if (!(*doc)["verification"].value("all_verified", false)) return kExitVerifyFailed;
  return witness_exit;
}

}  // namespace caseledger::cli
