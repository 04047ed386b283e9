// `caseledger disclosures`: the disclosure register (projections/
// disclosure_register.h) of a data dir, as a summary of the checks and the
// disclosures with findings or, with --json, the whole register as
// GET /v1/disclosures gives it (every case: the CLI's reader holds the data
// dir), or with --html as a self-contained page (app/html.h). Read-only,
// beside a running server too; clear headers only, no secret needed.
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "app/html.h"
#include "projections/disclosure_register.h"

namespace caseledger::cli {

namespace {


void PrintSummary(std::ostream& out, const Json& r) {
  out << "Disclosure register as of " << r["as_of"].get<std::string>() << ": "
      << r["count"].get<std::uint64_t>() << " disclosure requests, "
      << r["with_findings"].get<std::uint64_t>() << " with findings\n";
  out << "Checks (rule, found)\n";
  for (const Json& c : r["checks"]) {
    out << "  " << std::left << std::setw(26) << c["code"].get<std::string>() << std::setw(17)
        << c["rule"].get<std::string>() << std::right << c["found"].get<std::uint64_t>() << "\n";
  }
  out << "Disclosures with findings (case, request seq, recipient, basis, status)\n";
  for (const Json& d : r["disclosures"]) {
    if (d["findings"].empty()) continue;
    out << "  " << d["case"].get<std::string>() << " " << d["request"].get<std::uint64_t>() << " "
        << d["recipient"].get<std::string>() << " " << d["basis"].get<std::string>() << " "
        << d["status"].get<std::string>() << (d["legacy"].get<bool>() ? " migrated" : "") << "\n";
    for (const Json& f : d["findings"])
      out << "      " << f["code"].get<std::string>() << " (" << f["rule"].get<std::string>()
          << ", seq " << f["seq"].get<std::uint64_t>() << "): " << f["detail"].get<std::string>()
          << "\n";
  }
}

}  // namespace

int CmdDisclosures(const std::string& dir, ReportFormat format, const std::string& finding,
                   const std::string& out) {
  if (!finding.empty() && !projections::IsRegisterCheck(finding))
    return Fail(InvalidArgument("--finding: not a finding code of the register"));
  auto domain = app::OpenReadOnlyDomain(dir);
  if (!domain.ok()) return Fail(domain.status());
  const ledger::Micros now = ledger::NowMicros();
  auto entries = projections::ReadRegister(*domain->store, domain->dbs, now,
                                           [](const projections::CaseView&) { return true; });
  if (!entries.ok()) return Fail(entries.status());
  projections::RegisterFilter filter;
  filter.finding = finding;
  const Json r = projections::RegisterJson(*entries, filter, now);
  if (Status s = WriteReport(out, "disclosure register",
                             ReportText(format, r, app::RegisterHtml, PrintSummary));
      !s.ok())
    return Fail(s);
  return kExitOk;
}

}  // namespace caseledger::cli
