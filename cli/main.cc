// caseledger: the command-line entry point. Argument parsing only; each
// subcommand is a function in commands.h. Exit codes: docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "crypto/sodium.h"
#include "ledger/ledger.h"

int main(int argc, char** argv) {
  using namespace caseledger;
  if (!crypto::Init().ok()) {
    std::cerr << "caseledger: libsodium could not be initialised\n";
    return 70;
  }
  CLI::App app{
      "caseledger: a signed, provable, privacy-preserving case ledger"};
  app.require_subcommand(1);
  bool demo_mode = false;
  app.add_flag("--demo", demo_mode,
               "demo mode: accept (and let init create) the demo master key in the data dir; "
               "production uses $CASELEDGER_MASTER_KEY_FILE or $CASELEDGER_MASTER_PASSPHRASE_FILE");
  std::string dir;
  unsigned threads = 0;

  auto* init = app.add_subcommand(
      "init", "create a data directory: keys, empty log, keystore");
  std::string origin = "caseledger.invalid/demo";
  init->add_option("--data", dir, "data directory")->required();
  init->add_option("--origin", origin,
                   "log origin (checkpoint origin line and key name)");

  auto* import = app.add_subcommand(
      "import",
      "append JSON-lines commands read from stdin (docs/formats/import.md)");
  bool acks = false;
  import->add_option("--data", dir, "data directory")->required();
  import->add_flag("--acks", acks, "print 'ack <seq>' for each durable event");
  bool legacy = false;
  import->add_flag("--legacy", legacy,
                   "migrated history: keep disclosure steps with h.legacy_ref as they "
                   "happened, for the disclosure register to report");

  auto* verify = app.add_subcommand(
      "verify",
      "verify the whole log: leaves, signatures, prev, nodes, checkpoints");
  bool json = false;
  verify->add_option("--data", dir, "data directory")->required();
  verify->add_flag("--json", json, "print the report as JSON");
  verify->add_option("--threads", threads, "threads (0 = all cores)");
  std::optional<std::string> verify_key;
  verify->add_option("--key", verify_key,
                     "trusted verifier key (default: <data>/ledger.pub)");

  auto* checkpoint = app.add_subcommand(
      "checkpoint", "print the latest signed checkpoint (C2SP note)");
  checkpoint->add_option("--data", dir, "data directory")->required();

  auto* prove = app.add_subcommand(
      "prove", "print an inclusion or consistency proof (JSON)");
  prove->require_subcommand(1);
  std::uint64_t seq = 0, from = 0;
  std::optional<std::uint64_t> size, to;
  auto* inclusion =
      prove->add_subcommand("inclusion", "inclusion proof of one event");
  inclusion->add_option("--data", dir, "data directory")->required();
  inclusion->add_option("--seq", seq, "the event's seq (1-based)")->required();
  inclusion->add_option("--size", size, "tree size (default: the log's size)");
  auto* consistency = prove->add_subcommand(
      "consistency", "consistency proof between two tree sizes");
  consistency->add_option("--data", dir, "data directory")->required();
  consistency->add_option("--from", from, "the smaller tree size")->required();
  consistency->add_option("--to", to,
                          "the larger tree size (default: the log's size)");

  auto* export_bundle = app.add_subcommand(
      "export-bundle", "write an offline-verifiable audit bundle");
  std::string out;
  export_bundle->add_option("--data", dir, "data directory")->required();
  export_bundle->add_option("--out", out, "bundle directory (new or empty)")
      ->required();

  auto* verify_bundle =
      app.add_subcommand("verify-bundle",
                         "verify an audit bundle offline; exit 0 verified, 1 "
                         "tampered, 2 incomplete, 3 unknown key");
  std::string bundle;
  std::optional<std::string> key;
  verify_bundle->add_option("bundle", bundle, "bundle directory")->required();
  verify_bundle->add_option(
      "--key", key,
      "trusted verifier key (default: trust the bundle's verifier.txt)");
  verify_bundle->add_option("--threads", threads, "threads (0 = all cores)");

  auto* evidence = app.add_subcommand(
      "evidence", "write the evidence of one event: the event, its inclusion proof, the signed "
                  "checkpoint and the verifier key (docs/formats/evidence.md)");
  std::string evidence_out;
  evidence->add_option("--data", dir, "data directory")->required();
  std::optional<std::uint64_t> evidence_seq, evidence_disclosure;
  auto* evidence_seq_opt = evidence->add_option("--seq", evidence_seq, "the event's seq");
  auto* evidence_disclosure_opt = evidence->add_option(
      "--disclosure", evidence_disclosure,
      "the seq of a disclosure.requested: evidence of every step of that disclosure, one per line");
  evidence_seq_opt->excludes(evidence_disclosure_opt);
  evidence->add_option("--out", evidence_out, "file to write (default: stdout)");
  auto* verify_evidence = app.add_subcommand(
      "verify-evidence",
      "verify an evidence file offline; exit 0 verified, 1 tampered, 2 incomplete, 3 unknown key");
  std::string evidence_file;
  verify_evidence->add_option("file", evidence_file, "the evidence file")->required();
  verify_evidence->add_option("--key", key,
                              "trusted verifier key (default: trust the file's own key)");

  auto* demo = app.add_subcommand(
      "demo", "fill a data directory with a synthetic history, then verify it");
  std::uint64_t cases = 750, seed = 1;  // demo::kDemoDefaultCases (demo/demo.h)
  demo->add_option("--data", dir, "data directory")->required();
  demo->add_option("--cases", cases,
                   "number of concerns (cases opened) over 5 years");
  demo->add_option("--seed", seed, "random seed");

  auto* rebuild = app.add_subcommand(
      "rebuild", "rebuild every projection from the log");
  bool compare = false;
  rebuild->add_option("--data", dir, "data directory")->required();
  rebuild->add_flag("--compare", compare,
                    "rebuild into a scratch area and report any difference "
                    "from the live projections (exit 1 if any)");

  // The reports (stats, audit, history): text, --json or --html, to stdout
  // or --out FILE.
  bool html = false;
  std::string report_out;
  auto report_options = [&](CLI::App* cmd, const std::string& what) {
    auto* j = cmd->add_flag("--json", json, "print the " + what + " as JSON");
    cmd->add_flag("--html", html,
                  "write the " + what + " as a self-contained HTML page (no JavaScript)")
        ->excludes(j);
    cmd->add_option("--out", report_out, "file to write (default: stdout)");
  };

  auto* stats = app.add_subcommand(
      "stats",
      "statistics per year, cells under 5 suppressed (docs/statistics.md)");
  std::optional<int> year;
  stats->add_option("--data", dir, "data directory")->required();
  stats->add_option("--year", year, "one calendar year (default: every year)");
  report_options(stats, "statistics");

  auto* disclosures = app.add_subcommand(
      "disclosures", "the disclosure register with its automatic findings (docs/disclosures.md)");
  std::string finding;
  disclosures->add_option("--data", dir, "data directory")->required();
  report_options(disclosures, "whole register");
  disclosures->add_option("--finding", finding, "only the disclosures with this finding code");

  auto* audit = app.add_subcommand(
      "audit", "the compliance audit: integrity, flags, refusals, erasures, retention (docs/audit.md)");
  std::optional<std::string> previous_checkpoint;
  audit->add_option("--data", dir, "data directory")->required();
  report_options(audit, "whole report");
  audit->add_option("--previous-checkpoint", previous_checkpoint,
                    "the previous audit's signed checkpoint note: prove the log still extends it");

  auto* history = app.add_subcommand(
      "history", "the timeline of one case: every event's clear header, the rules checked, and "
                 "its signature and inclusion in the latest checkpoint (docs/history.md)");
  std::string case_id;
  history->add_option("--data", dir, "data directory")->required();
  history->add_option("--case", case_id, "the case id (c-...)")->required();
  report_options(history, "history");

  auto* serve = app.add_subcommand(
      "serve", "serve the HTTP API (docs/api/openapi.yaml) until SIGINT/SIGTERM");
  cli::ServeOptions serve_options;
  serve->add_option("--data", dir, "data directory")->required();
  serve->add_option("--listen", serve_options.listen, "ADDRESS:PORT (port 0: any free port)");
  serve->add_option("--handler-threads", serve_options.handler_threads,
                    "threads that run requests (they wait for durable appends)");
  serve->add_option("--retention-every", serve_options.retention_every_s,
                    "seconds between retention runs (default 86400: daily; 0: none)");
  serve->add_option("--request-timeout-ms", serve_options.request_timeout_ms,
                    "the whole request (headers and body) must arrive within this time");

  auto* keys = app.add_subcommand("keys", "the keystore: key rotation (erasure made final)");
  keys->require_subcommand(1);
  auto* keys_rotate = keys->add_subcommand(
      "rotate", "re-wrap every live data key under a new KEK, destroy the old one, compact");
  keys_rotate->add_option("--data", dir, "data directory")->required();

  auto* erase = app.add_subcommand(
      "erase", "erase a subject: subject.erased, then its data key is destroyed (crypto-shredding)");
  std::string subject, reason;
  // The DPO acting, for erase, retention run and the user commands (one
  // subcommand runs, so they share it).
  std::optional<std::string> by;
  erase->add_option("--data", dir, "data directory")->required();
  erase->add_option("--subject", subject, "the subject id (s-…)")->required();
  erase->add_option("--reason", reason, "retention, unfounded or gdpr_art17")->required();
  erase->add_option("--by", by, "the DPO acting (default: the first active DPO)");

  auto* retention = app.add_subcommand("retention", "the retention policy (DESIGN §7.3)");
  retention->require_subcommand(1);
  auto* retention_run = retention->add_subcommand(
      "run", "erase every subject due under the retention policy; report what is held or due soon");
  bool retention_json = false;
  retention_run->add_option("--data", dir, "data directory")->required();
  retention_run->add_option("--by", by,
                            "the DPO acting (default: the policy's author, or the first active DPO)");
  retention_run->add_flag("--json", retention_json, "print the report as JSON");

  auto* user = app.add_subcommand(
      "user", "the user registry: users, roles, tokens, revocations (all events)");
  user->require_subcommand(1);
  std::string role, name, user_id;
  std::optional<std::string> token_user, token_role;
  bool quiet = false;
  auto* user_add = user->add_subcommand("add", "register a user and print their token once");
  user_add->add_option("--data", dir, "data directory")->required();
  user_add->add_option("--role", role, "caseworker, coordinator, legal_reviewer, auditor or dpo")
      ->required();
  user_add->add_option("--name", name, "display name (stored encrypted)")->required();
  user_add->add_option("--by", by, "the DPO acting (default: the first active DPO)");
  auto* user_token = user->add_subcommand("token", "issue a new token (the old one stops working)");
  user_token->add_option("--data", dir, "data directory")->required();
  auto* token_user_opt = user_token->add_option("--user", token_user, "the user id");
  user_token->add_option("--role", token_role, "or: the first active user with this role")
      ->excludes(token_user_opt);
  user_token->add_option("--by", by, "the DPO acting (default: the first active DPO)");
  user_token->add_flag("--quiet", quiet, "print '<user> <token>' only");
  auto* user_revoke = user->add_subcommand("revoke", "revoke a user (final)");
  user_revoke->add_option("--data", dir, "data directory")->required();
  user_revoke->add_option("--user", user_id, "the user id")->required();
  user_revoke->add_option("--by", by, "the DPO acting (default: the first active DPO)");
  auto* user_list = user->add_subcommand("list", "list users: id, role, status");
  user_list->add_option("--data", dir, "data directory")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : cli::kExitUsage;
  }
  // Demo mode travels in the environment, so that every library call (and
  // a child process) sees the same choice. `demo` writes a demo data set.
  if (demo_mode || *demo) ::setenv(ledger::kDemoEnv, "1", 1);
  if (*init) return cli::CmdInit(dir, origin);
  if (*import) return cli::CmdImport(dir, std::cin, acks, legacy);
  if (*verify) return cli::CmdVerify(dir, json, threads, verify_key);
  if (*checkpoint) return cli::CmdCheckpoint(dir);
  if (*inclusion) return cli::CmdProveInclusion(dir, seq, size);
  if (*consistency) return cli::CmdProveConsistency(dir, from, to);
  if (*export_bundle) return cli::CmdExportBundle(dir, out);
  if (*verify_bundle) return cli::CmdVerifyBundle(bundle, key, threads);
  if (*evidence) {
    if (!evidence_seq && !evidence_disclosure) {
      std::cerr << "caseledger evidence: --seq or --disclosure is required\n";
      return cli::kExitUsage;
    }
    return cli::CmdEvidence(dir, evidence_seq, evidence_disclosure, evidence_out);
  }
  if (*verify_evidence) return cli::CmdVerifyEvidence(evidence_file, key);
  if (*rebuild) return cli::CmdRebuild(dir, compare);
  const cli::ReportFormat format = html   ? cli::ReportFormat::kHtml
                                   : json ? cli::ReportFormat::kJson
                                          : cli::ReportFormat::kText;
  if (*stats) return cli::CmdStats(dir, year, format, report_out);
  if (*disclosures) return cli::CmdDisclosures(dir, format, finding, report_out);
  if (*audit) return cli::CmdAudit(dir, format, previous_checkpoint, report_out);
  if (*history) return cli::CmdHistory(dir, case_id, format, report_out);
  if (*demo) return cli::CmdDemo(dir, cases, seed);
  if (*serve) return cli::CmdServe(dir, serve_options);
  if (*keys_rotate) return cli::CmdKeysRotate(dir);
  if (*erase) return cli::CmdErase(dir, subject, reason, by);
  if (*retention_run) return cli::CmdRetentionRun(dir, by, retention_json);
  if (*user_add) return cli::CmdUserAdd(dir, role, name, by);
  if (*user_token) {
    if (!token_user && !token_role) {
      std::cerr << "caseledger: user token needs --user or --role\n";
      return cli::kExitUsage;
    }
    return cli::CmdUserToken(dir, token_user, token_role, by, quiet);
  }
  if (*user_revoke) return cli::CmdUserRevoke(dir, user_id, by);
  if (*user_list) return cli::CmdUserList(dir);
  return cli::kExitUsage;
}
