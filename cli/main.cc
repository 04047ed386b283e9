// caseledger: the command-line entry point. Argument parsing only; each
// subcommand is a function in commands.h. Exit codes: docs/cli.md.
//
// Each verb group registers its subcommands (in the order `--help` lists
// them) and, as each one's CLI11 callback, what it runs: the callback runs
// once parsing has succeeded and sets `run`, which main then calls.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "cli/backup_command.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/mirror_command.h"
#include "crypto/sodium.h"
#include "ledger/ledger.h"

namespace caseledger::cli {
namespace {

// The values the options are parsed into. One subcommand runs per
// invocation, so some are shared: the data dir, --threads, --json, --key,
// the DPO acting (--by) and the reports' --html and --out.
struct Args {
  std::string dir;
  unsigned threads = 0;
  bool json = false;
  std::optional<std::string> key;
  std::optional<std::string> by;
  bool html = false;
  std::string report_out;
  // init, import, verify
  std::string origin = "caseledger.invalid/demo";
  bool acks = false;
  bool legacy = false;
  std::optional<std::string> verify_key;
  // prove, export-bundle, verify-bundle, evidence, verify-evidence
  std::uint64_t seq = 0;
  std::uint64_t from = 0;
  std::optional<std::uint64_t> size;
  std::optional<std::uint64_t> to;
  std::string out;
  std::string bundle;
  std::string evidence_out;
  std::optional<std::uint64_t> evidence_seq;
  std::optional<std::uint64_t> evidence_disclosure;
  std::string evidence_file;
  bool unwitnessed = false;
  // demo, rebuild, serve, erase, retention
  std::uint64_t cases = 750;  // demo::kDemoDefaultCases (demo/demo.h)
  std::uint64_t seed = 1;
  bool compare = false;
  ServeOptions serve;
  std::string subject;
  std::string reason;
  bool retention_json = false;
  // the reports
  std::optional<int> year;
  std::string finding;
  std::optional<std::string> previous_checkpoint;
  std::string case_id;
  // verify-bundle, verify-evidence, audit, history: --witness, --quorum
  WitnessArgs witnesses;
  // witness init, add-log, serve
  std::string witness_name;
  std::vector<std::string> witness_logs;
  std::string witness_vkey;
  std::string witness_listen = "127.0.0.1";
  std::uint16_t witness_port = 8090;
  // user
  std::string role;
  std::string name;
  std::string user_id;
  std::optional<std::string> token_user;
  std::optional<std::string> token_role;
  // user token: print "<user> <token>" only; the long commands (AddQuiet):
  // no progress line.
  bool quiet = false;
};

using Run = std::function<int()>;

// Sets `run` to `what` once `cmd` has been parsed.
void OnParsed(CLI::App* cmd, Run& run, Run what) {
  cmd->callback([&run, what = std::move(what)] { run = what; });
}

void AddData(CLI::App* cmd, Args& a) {
  cmd->add_option("--data", a.dir, "data directory")->required();
}

// --witness and --quorum of the commands that verify a checkpoint
// (WitnessArgs; docs/formats/cosignature.md).
void AddWitnessOptions(CLI::App* cmd, Args& a) {
  cmd->add_option("--witness", a.witnesses.keys,
                  "a witness's cosigner key (C2SP vkey, type 0x04), or @FILE with one per line; "
                  "repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--quorum", a.witnesses.quorum,
                  "how many distinct given witnesses must have cosigned the checkpoint "
                  "(default: all given; exit 4 if fewer did)");
}

// --quiet/-q of the long commands: no progress line on stderr, which is
// shown only when stderr is a terminal (base/progress.h; docs/cli.md
// "Progress").
void AddQuiet(CLI::App* cmd, Args& a) {
  cmd->add_flag("-q,--quiet", a.quiet, "no progress line on stderr (shown only on a terminal)");
}

// The size of stdin if it is a regular file, else 0.
std::uint64_t StdinBytes() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

int Usage(const char* message) {
  std::cerr << message << "\n";
  return kExitUsage;
}

// init, import, verify, checkpoint, prove: the log and its proofs.
void AddLogVerbs(CLI::App& app, Args& a, Run& run) {
  auto* init = app.add_subcommand("init", "create a data directory: keys, empty log, keystore");
  AddData(init, a);
  init->add_option("--origin", a.origin, "log origin (checkpoint origin line and key name)");
  OnParsed(init, run, [&a] { return CmdInit(a.dir, a.origin); });

  auto* import = app.add_subcommand(
      "import", "append JSON-lines commands read from stdin (docs/formats/import.md)");
  AddData(import, a);
  import->add_flag("--acks", a.acks, "print 'ack <seq>' for each durable event");
  import->add_flag("--legacy", a.legacy,
                   "migrated history: keep disclosure steps with h.legacy_ref as they "
                   "happened, for the disclosure register to report");
  AddQuiet(import, a);
  OnParsed(import, run, [&a] {
    return CmdImport(a.dir, std::cin, a.acks, a.legacy, a.quiet, StdinBytes());
  });

  auto* verify = app.add_subcommand(
      "verify", "verify the whole log: leaves, signatures, prev, nodes, checkpoints");
  AddData(verify, a);
  verify->add_flag("--json", a.json, "print the report as JSON");
  verify->add_option("--threads", a.threads, "threads (0 = all cores)");
  verify->add_option("--key", a.verify_key, "trusted verifier key (default: <data>/ledger.pub)");
  AddQuiet(verify, a);
  OnParsed(verify, run,
           [&a] { return CmdVerify(a.dir, a.json, a.threads, a.verify_key, a.quiet); });

  auto* checkpoint =
      app.add_subcommand("checkpoint", "print the latest signed checkpoint (C2SP note)");
  AddData(checkpoint, a);
  OnParsed(checkpoint, run, [&a] { return CmdCheckpoint(a.dir); });

  auto* prove = app.add_subcommand("prove", "print an inclusion or consistency proof (JSON)");
  prove->require_subcommand(1);
  auto* inclusion = prove->add_subcommand("inclusion", "inclusion proof of one event");
  AddData(inclusion, a);
  inclusion->add_option("--seq", a.seq, "the event's seq (1-based)")->required();
  inclusion->add_option("--size", a.size, "tree size (default: the log's size)");
  OnParsed(inclusion, run, [&a] { return CmdProveInclusion(a.dir, a.seq, a.size); });
  auto* consistency =
      prove->add_subcommand("consistency", "consistency proof between two tree sizes");
  AddData(consistency, a);
  consistency->add_option("--from", a.from, "the smaller tree size")->required();
  consistency->add_option("--to", a.to, "the larger tree size (default: the log's size)");
  OnParsed(consistency, run, [&a] { return CmdProveConsistency(a.dir, a.from, a.to); });
}

// export-bundle, verify-bundle, evidence, verify-evidence: what leaves the
// system for someone to verify offline.
void AddOfflineVerbs(CLI::App& app, Args& a, Run& run) {
  auto* export_bundle =
      app.add_subcommand("export-bundle", "write an offline-verifiable audit bundle");
  AddData(export_bundle, a);
  export_bundle->add_option("--out", a.out, "bundle directory (new or empty)")->required();
  export_bundle->add_flag("--unwitnessed", a.unwitnessed,
                          "cut at the latest checkpoint even when a newer witnessed one is missing "
                          "(default: the newest checkpoint with the witness quorum, if any)");
  AddQuiet(export_bundle, a);
  OnParsed(export_bundle, run,
           [&a] { return CmdExportBundle(a.dir, a.out, a.unwitnessed, a.quiet); });

  auto* verify_bundle = app.add_subcommand("verify-bundle",
                                           "verify an audit bundle offline; exit 0 verified, 1 "
                                           "tampered, 2 incomplete, 3 unknown key, 4 no "
                                           "witness quorum");
  verify_bundle->add_option("bundle", a.bundle, "bundle directory")->required();
  verify_bundle->add_option("--key", a.key,
                            "trusted verifier key (default: trust the bundle's verifier.txt)");
  verify_bundle->add_option("--threads", a.threads, "threads (0 = all cores)");
  AddWitnessOptions(verify_bundle, a);
  OnParsed(verify_bundle, run,
           [&a] { return CmdVerifyBundle(a.bundle, a.key, a.threads, a.witnesses); });

  auto* evidence = app.add_subcommand(
      "evidence", "write the evidence of one event: the event, its inclusion proof, the signed "
                  "checkpoint and the verifier key (docs/formats/evidence.md)");
  AddData(evidence, a);
  auto* seq = evidence->add_option("--seq", a.evidence_seq, "the event's seq");
  auto* disclosure = evidence->add_option(
      "--disclosure", a.evidence_disclosure,
      "the seq of a disclosure.requested: evidence of every step of that disclosure, one per line");
  seq->excludes(disclosure);
  evidence->add_option("--out", a.evidence_out, "file to write (default: stdout)");
  OnParsed(evidence, run, [&a] {
    if (!a.evidence_seq && !a.evidence_disclosure)
      return Usage("caseledger evidence: --seq or --disclosure is required");
    return CmdEvidence(a.dir, a.evidence_seq, a.evidence_disclosure, a.evidence_out);
  });

  auto* verify_evidence = app.add_subcommand(
      "verify-evidence",
      "verify an evidence file offline; exit 0 verified, 1 tampered, 2 incomplete, 3 unknown "
      "key, 4 no witness quorum");
  verify_evidence->add_option("file", a.evidence_file, "the evidence file")->required();
  verify_evidence->add_option("--key", a.key,
                              "trusted verifier key (default: trust the file's own key)");
  AddWitnessOptions(verify_evidence, a);
  OnParsed(verify_evidence, run,
           [&a] { return CmdVerifyEvidence(a.evidence_file, a.key, a.witnesses); });
}

// demo, rebuild.
void AddDataVerbs(CLI::App& app, Args& a, Run& run) {
  auto* demo =
      app.add_subcommand("demo", "fill a data directory with a synthetic history, then verify it");
  AddData(demo, a);
  demo->add_option("--cases", a.cases, "number of concerns (cases opened) over 5 years");
  demo->add_option("--seed", a.seed, "random seed");
  AddQuiet(demo, a);
  OnParsed(demo, run, [&a] {
    ::setenv(ledger::kDemoEnv, "1", 1);  // `demo` writes a demo data set
    return CmdDemo(a.dir, a.cases, a.seed, a.quiet);
  });

  auto* rebuild = app.add_subcommand("rebuild", "rebuild every projection from the log");
  AddData(rebuild, a);
  rebuild->add_flag("--compare", a.compare,
                    "rebuild into a scratch area and report any difference "
                    "from the live projections (exit 1 if any)");
  AddQuiet(rebuild, a);
  OnParsed(rebuild, run, [&a] { return CmdRebuild(a.dir, a.compare, a.quiet); });
}

// stats, disclosures, audit, history: text, --json or --html, to stdout or
// --out FILE.
void AddReportVerbs(CLI::App& app, Args& a, Run& run) {
  auto report_options = [&a](CLI::App* cmd, const std::string& what) {
    auto* j = cmd->add_flag("--json", a.json, "print the " + what + " as JSON");
    cmd->add_flag("--html", a.html,
                  "write the " + what + " as a self-contained HTML page (no JavaScript)")
        ->excludes(j);
    cmd->add_option("--out", a.report_out, "file to write (default: stdout)");
  };
  auto format = [&a] {
    return a.html ? ReportFormat::kHtml : a.json ? ReportFormat::kJson : ReportFormat::kText;
  };

  auto* stats = app.add_subcommand(
      "stats", "statistics per year, cells under 5 suppressed (docs/statistics.md)");
  AddData(stats, a);
  stats->add_option("--year", a.year, "one calendar year (default: every year)");
  report_options(stats, "statistics");
  OnParsed(stats, run, [&a, format] { return CmdStats(a.dir, a.year, format(), a.report_out); });

  auto* disclosures = app.add_subcommand(
      "disclosures", "the disclosure register with its automatic findings (docs/disclosures.md)");
  AddData(disclosures, a);
  report_options(disclosures, "whole register");
  disclosures->add_option("--finding", a.finding, "only the disclosures with this finding code");
  OnParsed(disclosures, run,
           [&a, format] { return CmdDisclosures(a.dir, format(), a.finding, a.report_out); });

  auto* audit = app.add_subcommand(
      "audit", "the compliance audit: integrity, flags, refusals, erasures, retention (docs/audit.md)");
  AddData(audit, a);
  report_options(audit, "whole report");
  audit->add_option("--previous-checkpoint", a.previous_checkpoint,
                    "the previous audit's signed checkpoint note: prove the log still extends it");
  AddWitnessOptions(audit, a);
  AddQuiet(audit, a);
  OnParsed(audit, run, [&a, format] {
    return CmdAudit(a.dir, format(), a.previous_checkpoint, a.report_out, a.witnesses, a.quiet);
  });

  auto* history = app.add_subcommand(
      "history", "the timeline of one case: every event's clear header, the rules checked, and "
                 "its signature and inclusion in the latest checkpoint (docs/history.md)");
  AddData(history, a);
  history->add_option("--case", a.case_id, "the case id (c-...)")->required();
  report_options(history, "history");
  AddWitnessOptions(history, a);
  OnParsed(history, run, [&a, format] {
    return CmdHistory(a.dir, a.case_id, format(), a.report_out, a.witnesses);
  });
}

// serve, keys rotate, erase, retention run.
void AddOperationVerbs(CLI::App& app, Args& a, Run& run) {
  auto* serve = app.add_subcommand(
      "serve", "serve the HTTP API (docs/api/openapi.yaml) until SIGINT/SIGTERM");
  AddData(serve, a);
  serve->add_option("--listen", a.serve.listen, "ADDRESS:PORT (port 0: any free port)");
  serve->add_option("--handler-threads", a.serve.handler_threads,
                    "threads that run requests (they wait for durable appends)");
  serve->add_option("--retention-every", a.serve.retention_every_s,
                    "seconds between retention runs (default 86400: daily; 0: none)");
  serve->add_option("--request-timeout-ms", a.serve.request_timeout_ms,
                    "the whole request (headers and body) must arrive within this time");
  auto* tls_cert = serve->add_option(
      "--tls-cert", a.serve.tls_cert,
      "PEM certificate chain: serve HTTPS only (TLS 1.2 and 1.3; docs/api/server.md)");
  auto* tls_key = serve->add_option(
      "--tls-key", a.serve.tls_key, "PEM private key of --tls-cert, unencrypted");
  serve->add_option("--cluster", a.serve.cluster,
                    "run as one node of a replicated cluster described by this JSON file "
                    "(docs/operations.md \"Cluster\")");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  OnParsed(serve, run, [&a] { return CmdServe(a.dir, a.serve); });

  auto* keys = app.add_subcommand("keys", "the keystore: key rotation (erasure made final)");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "re-wrap every live data key under a new KEK, destroy the old one, compact");
  AddData(rotate, a);
  AddQuiet(rotate, a);
  OnParsed(rotate, run, [&a] { return CmdKeysRotate(a.dir, a.quiet); });

  auto* erase = app.add_subcommand(
      "erase", "erase a subject: subject.erased, then its data key is destroyed (crypto-shredding)");
  AddData(erase, a);
  erase->add_option("--subject", a.subject, "the subject id (s-…)")->required();
  erase->add_option("--reason", a.reason, "retention, unfounded or gdpr_art17")->required();
  erase->add_option("--by", a.by, "the DPO acting (default: the first active DPO)");
  OnParsed(erase, run, [&a] { return CmdErase(a.dir, a.subject, a.reason, a.by); });

  auto* retention = app.add_subcommand("retention", "the retention policy (DESIGN §7.3)");
  retention->require_subcommand(1);
  auto* retention_run = retention->add_subcommand(
      "run", "erase every subject due under the retention policy; report what is held or due soon");
  AddData(retention_run, a);
  retention_run->add_option("--by", a.by,
                            "the DPO acting (default: the policy's author, or the first active DPO)");
  retention_run->add_flag("--json", a.retention_json, "print the report as JSON");
  OnParsed(retention_run, run, [&a] { return CmdRetentionRun(a.dir, a.by, a.retention_json); });
}

// user add, token, revoke, list.
void AddUserVerbs(CLI::App& app, Args& a, Run& run) {
  auto* user =
      app.add_subcommand("user", "the user registry: users, roles, tokens, revocations (all events)");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "register a user and print their token once");
  AddData(add, a);
  add->add_option("--role", a.role, "caseworker, coordinator, legal_reviewer, auditor or dpo")
      ->required();
  add->add_option("--name", a.name, "display name (stored encrypted)")->required();
  add->add_option("--by", a.by, "the DPO acting (default: the first active DPO)");
  OnParsed(add, run, [&a] { return CmdUserAdd(a.dir, a.role, a.name, a.by); });

  auto* token = user->add_subcommand("token", "issue a new token (the old one stops working)");
  AddData(token, a);
  auto* token_user = token->add_option("--user", a.token_user, "the user id");
  token->add_option("--role", a.token_role, "or: the first active user with this role")
      ->excludes(token_user);
  token->add_option("--by", a.by, "the DPO acting (default: the first active DPO)");
  token->add_flag("--quiet", a.quiet, "print '<user> <token>' only");
  OnParsed(token, run, [&a] {
    if (!a.token_user && !a.token_role)
      return Usage("caseledger: user token needs --user or --role");
    return CmdUserToken(a.dir, a.token_user, a.token_role, a.by, a.quiet);
  });

  auto* revoke = user->add_subcommand("revoke", "revoke a user (final)");
  AddData(revoke, a);
  revoke->add_option("--user", a.user_id, "the user id")->required();
  revoke->add_option("--by", a.by, "the DPO acting (default: the first active DPO)");
  OnParsed(revoke, run, [&a] { return CmdUserRevoke(a.dir, a.user_id, a.by); });

  auto* list = user->add_subcommand("list", "list users: id, role, status");
  AddData(list, a);
  OnParsed(list, run, [&a] { return CmdUserList(a.dir); });
}

// witness init, add-log, serve, evidence: a C2SP tlog-witness v1.0.0
// witness (docs/witness.md).
void AddWitnessVerbs(CLI::App& app, Args& a, Run& run) {
  auto* witness = app.add_subcommand(
      "witness", "a C2SP tlog-witness v1.0.0 witness that cosigns consistent checkpoints of "
                 "trusted logs (docs/witness.md)");
  witness->require_subcommand(1);
  auto* init = witness->add_subcommand(
      "init", "create a witness: a new cosigner key, its name and trusted log keys; prints its "
              "vkey (also in <data>/witness.pub)");
  AddData(init, a);
  init->add_option("--name", a.witness_name, "the witness's name (cosignature key name)")
      ->required();
  init->add_option("--log", a.witness_logs, "a trusted log's verifier key (vkey); repeatable")
      ->allow_extra_args(false);
  OnParsed(init, run, [&a] { return CmdWitnessInit(a.dir, a.witness_name, a.witness_logs); });

  auto* add_log = witness->add_subcommand("add-log", "trust one more log verifier key (vkey)");
  AddData(add_log, a);
  add_log->add_option("--vkey", a.witness_vkey, "the log's verifier key")->required();
  OnParsed(add_log, run, [&a] { return CmdWitnessAddLog(a.dir, a.witness_vkey); });

  auto* serve = witness->add_subcommand(
      "serve", "answer POST /add-checkpoint and GET /checkpoint/<origin> until SIGINT/SIGTERM");
  AddData(serve, a);
  serve->add_option("--listen", a.witness_listen, "address to listen on (an IP literal)");
  serve->add_option("--port", a.witness_port, "port (0: any free port)");
  OnParsed(serve, run,
           [&a] { return CmdWitnessServe(a.dir, a.witness_listen, a.witness_port); });

  auto* evidence = witness->add_subcommand(
      "evidence", "print the refused, validly signed requests recorded, as JSON lines");
  AddData(evidence, a);
  OnParsed(evidence, run, [&a] { return CmdWitnessEvidence(a.dir); });
}

}  // namespace
}  // namespace caseledger::cli

int main(int argc, char** argv) {
  using namespace caseledger;
  if (!crypto::Init().ok()) {
    std::cerr << "caseledger: libsodium could not be initialised\n";
    return 70;
  }
  CLI::App app{"caseledger: a signed, provable, privacy-preserving case ledger"};
  app.require_subcommand(1);
  bool demo_mode = false;
  app.add_flag("--demo", demo_mode,
               "demo mode: accept (and let init create) the demo master key in the data dir; "
               "production uses $CASELEDGER_MASTER_KEY_FILE or $CASELEDGER_MASTER_PASSPHRASE_FILE");
  cli::Args args;
  cli::Run run;
  cli::AddLogVerbs(app, args, run);
  cli::AddOfflineVerbs(app, args, run);
  cli::AddDataVerbs(app, args, run);
  cli::AddReportVerbs(app, args, run);
  cli::AddOperationVerbs(app, args, run);
  cli::AddUserVerbs(app, args, run);
  cli::AddWitnessVerbs(app, args, run);
  cli::AddMirrorVerbs(app, [&run](std::function<int()> f) { run = std::move(f); });
  cli::AddBackupVerbs(app, [&run](std::function<int()> f) { run = std::move(f); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }
  // Demo mode travels in the environment, so that every library call (and
  // a child process) sees the same choice.
  if (demo_mode) ::setenv(ledger::kDemoEnv, "1", 1);
  return run ? run() : cli::kExitUsage;
}
