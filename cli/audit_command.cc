// `caseledger audit`: the compliance audit (app/audit.h) of a data dir, as a
// readable summary, with --json the whole report as one canonical JSON line,
// or with --html a self-contained page rendered from that JSON (app/html.h). Reads the log, the projections and the keystore's erasure records
// read-only (beside a running server, too), and needs no secret: not the
// master key, nor any data key.
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "app/audit.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "app/html.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"

namespace caseledger::cli {

namespace {


std::string Str(const Json& j, const char* key, const std::string& fallback = "") {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

// One line: the clear headers today's schema refuses, by type (their seqs
// are in --json), and the corrections that would break a rule.
void PrintHeaders(std::ostream& out, const Json& hd) {
  if (!hd.is_object()) return;
  out << "Headers: " << hd.value("checked", 0) << " checked, " << hd.value("failing", 0)
      << " fail today's schema";
  if (hd.contains("by_type") && !hd["by_type"].empty()) {
    out << " (";
    bool first = true;
    for (const Json& t : hd["by_type"]) {
      out << (first ? "" : ", ") << Str(t, "type") << " " << t.value("count", 0);
      first = false;
    }
    out << "; seqs in --json)";
  }
  const Json& rb = hd.contains("rule_breaking") ? hd["rule_breaking"] : Json::object();
  const std::uint64_t n = rb.value("count", std::uint64_t{0});
  out << "; " << n << (n == 1 ? " correction breaks" : " corrections break") << " a rule";
  if (n > 0 && rb.contains("seqs")) {
    out << " (seqs ";
    std::size_t shown = 0;
    for (const Json& s : rb["seqs"]) {
      if (shown == 10) {
        out << ", ...";
        break;
      }
      out << (shown++ == 0 ? "" : ", ") << s.get<std::uint64_t>();
    }
    out << ")";
  }
  out << "\n";
}

void PrintSummary(std::ostream& out, const Json& r) {
  out << "Compliance audit of " << Str(r, "origin") << " at " << Str(r, "generated_at")
      << " (clear headers only: no case content was read)\n";
  const Json& in = r["integrity"];
  out << "Integrity\n";
  if (in.value("verified", false)) {
    out << "  the log verifies: " << in.value("events_verified", 0) << " events, "
        << in.value("checkpoints_verified", 0) << " checkpoints\n";
  } else {
    out << "  THE LOG DOES NOT VERIFY";
    if (in.contains("first_bad_seq")) out << ": first bad seq " << in["first_bad_seq"].get<std::uint64_t>();
    out << "\n    " << Str(in, "problem") << "\n";
  }
  if (in.contains("latest_checkpoint"))
    out << "  latest checkpoint: size " << in["latest_checkpoint"].value("size", 0) << ", root "
        << Str(in["latest_checkpoint"], "root", "(unverified)") << "\n";
  if (in.contains("consistency")) {
    const Json& c = in["consistency"];
    out << "  consistent with the previous audit's checkpoint (size "
        << c.value("previous_size", 0) << "): "
        << (c.value("consistent", false) ? "yes" : "NO - " + Str(c, "problem")) << "\n";
  }
  out << "  projections built to " << r.value("projections_built_to", 0) << " events\n";
  out << "Flags (DESIGN §5.2; cases by pseudonymous id in --json)\n";
  for (const Json& f : r["flags"]) {
    std::ostringstream label;
    label << "  " << Str(f, "flag") << " " << Str(f, "kind");
    out << label.str() << std::string(label.str().size() < 44 ? 44 - label.str().size() : 1, ' ')
        << f.value("count", 0) << "\n";
  }
  const Json& rf = r["refusals"];
  out << "Refusals: " << rf.value("total", 0);
  if (!rf["by_rule"].empty()) {
    out << " (";
    bool first = true;
    for (const auto& [rule, n] : rf["by_rule"].items()) {
      out << (first ? "" : ", ") << rule << " " << n.get<std::uint64_t>();
      first = false;
    }
    out << ")";
  }
  out << " by " << rf["by_user"].size() << " users\n";
  PrintHeaders(out, r["headers"]);
  const Json& e = r["erasures"];
  out << "Erasures: " << e.value("keys_destroyed", 0) << " keys destroyed, "
      << e.value("made_final", 0) << " final on disk, " << e.value("pending", 0)
      << " pending";
  if (!e["erased_but_key_live"].empty())
    out << "; " << e["erased_but_key_live"].size() << " ERASED SUBJECTS WITH A LIVE KEY";
  out << "\n  " << Str(e, "advice") << "\n";
  const Json& rt = r["retention"];
  out << "Retention: " << rt.value("due", 0) << " subjects due, " << rt["held"].size()
      << " held by a legal hold, " << rt["due_within_30_days"].size() << " due within 30 days\n";
  const Json& rs = r["response_24h"];
  out << "24-hour response: " << (rs["percent"].is_string() ? rs["percent"].get<std::string>() + " %" : "-")
      << " (" << rs.value("within_24h", 0) << " of " << rs.value("concerns_due", 0)
      << " concerns; goal: " << Str(rs, "goal") << ")\n";
  for (const Json& n : r["not_covered"]) out << "Not covered: " << n.get<std::string>() << "\n";
}

}  // namespace

int CmdAudit(const std::string& dir, ReportFormat format,
             const std::optional<std::string>& previous_file, const std::string& out,
             const WitnessArgs& witnesses, bool quiet) {
  auto policy = ResolveWitnesses(witnesses);
  if (!policy.ok()) return WitnessUsage(policy.status());
  auto domain = app::OpenReadOnlyDomain(dir);
  if (!domain.ok()) return Fail(domain.status());
  ledger::LogStore& store = *domain->store;
  const projections::ProjectionDbs& dbs = domain->dbs;
  auto verifier = ledger::ReadVerifierFile(dir + "/ledger.pub");
  if (!verifier.ok()) return Fail(verifier.status());
  auto erasures = ledger::Keystore::ReadErasures(dir + "/keystore");
  if (!erasures.ok()) return Fail(erasures.status().WithContext("keystore erasure records"));
  app::AuditOptions o;
  o.now = ledger::NowMicros();
  if (previous_file) {
    std::ifstream in(*previous_file, std::ios::binary);
    if (!in) return Fail(NotFound("cannot read the previous checkpoint file"));
    std::stringstream text;
    text << in.rdbuf();
    auto prev = app::PreviousFromNote(text.str(), *verifier);
    if (!prev.ok()) return Fail(prev.status());
    o.previous = *prev;
  }
  // The verify of the log is the long part: its events are the progress.
  ProgressLine progress("audit", 0, ProgressLine::ForStderr(quiet));
  o.progress = progress.Fn();
  auto report = app::BuildAudit(store, *verifier, *erasures, dbs, o);
  if (!report.ok()) {
    progress.Clear();
    return Fail(report.status());
  }
  progress.Finish();
  const Json& in = (*report)["integrity"];
  std::string text = ReportText(format, *report, app::AuditHtml, PrintSummary);
  // The cosignatures of the latest stored checkpoint, the one the audit
  // verified the log against.
  int witness_exit = kExitOk;
  if (policy->active()) {
    witness_exit = ReportWitnesses(
        *policy, dir, in.contains("latest_checkpoint") ? in["latest_checkpoint"] : Json(), format,
        text);
  }
  if (Status s = WriteReport(out, "audit report", text); !s.ok()) return Fail(s);
  const bool consistent =
      !in.contains("consistency") || in["consistency"].value("consistent", false);
  if (!in.value("verified", false) || !consistent) return kExitVerifyFailed;
  return witness_exit;
}

}  // namespace caseledger::cli
