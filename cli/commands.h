// The CLI's subcommands as functions (argument parsing lives in main.cc).
// Each prints what it did to stdout, problems to stderr (never personal data),
// and returns the process exit code (cli/exit_codes.h). The long ones (verify,
// rebuild, import, keys rotate, audit, demo, export-bundle) show a progress
// line on stderr when it is a terminal, unless `quiet` (base/progress.h;
// docs/cli.md "Progress"): what they print otherwise is the same either way.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/domain_ledger.h"
#include "crypto/cosignature.h"
#include "ledger/ledger.h"
#include "projections/projector.h"

namespace caseledger::cli {

// `--witness` (repeatable) and `--quorum` of the commands that verify a
// checkpoint (verify-bundle, verify-evidence, audit, history), as given:
// verified only if at least `quorum` distinct given witnesses validly
// cosigned the checkpoint note the verification led to
// (ledger/witness_quorum.h; docs/formats/cosignature.md). Nothing given: no
// witness check, output and exit codes as without these options.
struct WitnessArgs {
  std::vector<std::string> keys;      // C2SP vkeys (type 0x04), or "@FILE":
                                      // one vkey per line of FILE
  std::optional<std::size_t> quorum;  // default: the number of distinct keys
};

int CmdInit(const std::string& dir, const std::string& origin);
// How a report is printed (audit, stats, history): a readable summary, one
// line of canonical JSON, or a self-contained HTML page (app/html.h).
enum class ReportFormat { kText, kJson, kHtml };
// Writes a report to `out`, or to stdout if `out` is empty; with a file,
// prints "<what> written to <out>" to stdout. IoError if the file cannot be
// written.
Status WriteReport(const std::string& out, std::string_view what, std::string_view text);
// The text of report `doc` in `format`: one line of canonical JSON, the page
// `html` renders, or the summary `summary` prints.
std::string ReportText(ReportFormat format, const Json& doc,
                       std::string (*html)(const Json&),
                       void (*summary)(std::ostream&, const Json&));
// The compliance audit (app/audit.h) of a data dir: a summary, the report
// as one canonical JSON line, or an HTML page (to `out` if given); with
// `previous_file` (a signed checkpoint note) also its consistency with the
// log. Exit 0 if the log verifies (and is consistent), 1 (kExitVerifyFailed)
// if not — the report is written either way. Implemented in
// audit_command.cc.
// `witnesses`: the latest checkpoint's cosignatures (WitnessArgs); a quorum
// not met is exit 4 (kExitNoWitnessQuorum), an invalid cosignature of a given
// witness exit 1; the witness line goes into the summary, or to stderr with
// --json and --html (the documents stay as documented).
int CmdAudit(const std::string& dir, ReportFormat format,
             const std::optional<std::string>& previous_file, const std::string& out = "",
             const WitnessArgs& witnesses = {}, bool quiet = false);
// `caseledger history`: the case's events with their verification status
// (app/history.h) as a summary, JSON or HTML, to stdout or `out`. Exit 0 if
// every event's signature is valid and it is included in the latest signed
// checkpoint, 1 (kExitVerifyFailed) if not; 65 for a malformed case id, 66
// for an unknown case; with `witnesses`, as CmdAudit for the latest
// checkpoint. Implemented in history_command.cc.
int CmdHistory(const std::string& dir, const std::string& case_id, ReportFormat format,
               const std::string& out, const WitnessArgs& witnesses = {});
// The disclosure register of every case (projections/disclosure_register.h):
// a summary, the register document as JSON, or an HTML page (to `out` if
// given); `finding` selects the disclosures with that finding. Implemented
// in disclosures_command.cc.
int CmdDisclosures(const std::string& dir, ReportFormat format, const std::string& finding,
                   const std::string& out = "");
// Reads JSON-lines commands from `in`; stops at the first bad line. With
// `legacy`, the lines are history migrated from another case system
// (projections::CommandOrigin::legacy_import; docs/formats/import.md).
// `in_bytes`: the size of `in` if known (a file), the progress line's total
// (else it counts events); `print_acks` shows no progress line.
int CmdImport(const std::string& dir, std::istream& in, bool print_acks, bool legacy = false,
              bool quiet = false, std::uint64_t in_bytes = 0);
int CmdVerify(const std::string& dir, bool json, unsigned threads,
              const std::optional<std::string>& trusted_key = std::nullopt, bool quiet = false);
int CmdCheckpoint(const std::string& dir);
int CmdProveInclusion(const std::string& dir, std::uint64_t seq,
                      std::optional<std::uint64_t> size);
int CmdProveConsistency(const std::string& dir, std::uint64_t from,
                        std::optional<std::uint64_t> to);
int CmdExportBundle(const std::string& dir, const std::string& out, bool unwitnessed = false,
                    bool quiet = false);
// Verifies a bundle (ledger::VerifyBundle) and then, with `witnesses`, the
// cosignatures of its checkpoint.txt: exit 0 verified, 1 tampered (also: an
// invalid cosignature of a given witness), 2 incomplete, 3 unknown key, 4 no
// witness quorum, 64 a bad --witness or --quorum.
int CmdVerifyBundle(const std::string& bundle,
                    const std::optional<std::string>& key, unsigned threads,
                    const WitnessArgs& witnesses = {});
// Writes the evidence (ledger/evidence.h) of event `seq`, or of every step of
// the disclosure whose request is `disclosure` (one document per line, all
// against one checkpoint), to `out`, or to stdout if `out` is empty. Exactly
// one of `seq` and `disclosure` is given.
int CmdEvidence(const std::string& dir, std::optional<std::uint64_t> seq,
                std::optional<std::uint64_t> disclosure, const std::string& out);
// Verifies an evidence file: exit 0 verified, 1 tampered, 2 incomplete, 3
// unknown key, 4 no witness quorum (the checkpoint shared by its documents,
// as CmdVerifyBundle), 64 a bad --witness or --quorum.
int CmdVerifyEvidence(const std::string& file, const std::optional<std::string>& key,
                      const WitnessArgs& witnesses = {});

// WitnessArgs resolved: "@FILE" read (one vkey per line; blank lines and
// lines starting with '#' skipped, white space around a key ignored), the
// vkeys parsed with repeats dropped (ledger::DistinctWitnesses), the quorum
// defaulted to their number. InvalidArgument — a usage error, exit 64 — for
// an unreadable file, a bad vkey, two keys of one name, or a quorum above the
// number of distinct witnesses.
struct WitnessPolicy {
  std::vector<crypto::CosignerVerifier> witnesses;
  std::size_t quorum = 0;
  bool active() const { return !witnesses.empty(); }
};
Result<WitnessPolicy> ResolveWitnesses(const WitnessArgs& args);
// Prints "caseledger: <status>" to stderr and returns kExitUsage: how the
// verifying commands refuse a bad --witness or --quorum.
int WitnessUsage(const Status& s);

// The witness check of one checkpoint note (`note`; nullopt: there is no
// checkpoint, so nobody cosigned): exit_code 0 (quorum met), 1 (tampered:
// an invalid cosignature of a given witness, or a malformed note) or 4
// (kExitNoWitnessQuorum); `verdict` is "" when met, else "tampered: <why>"
// or "no witness quorum: <why>"; `summary` names the witnesses that cosigned
// and those that did not (ledger::QuorumReport::Summary).
struct WitnessOutcome {
  int exit_code = 0;
  std::string verdict;
  std::string summary;
};
WitnessOutcome CheckWitnesses(const WitnessPolicy& policy, std::optional<std::string_view> note);
// The latest checkpoint's note as the witnesses cosigned it: `log_note`
// (the log's signed note stored for `size`) with the cosignature lines the
// node collected for that size in <dir>/cosignatures appended
// (ledger/cosignature_store.h), or `log_note` alone if none were collected.
// Corruption if the cosignature store holds another note for that size;
// LMDB errors as the store's.
Result<std::string> CosignedCheckpointNote(const std::string& dir, std::uint64_t size,
                                           const std::string& log_note);
// For the reports (audit, history): the witness check of the report's
// checkpoint `checkpoint` ({"size","note",…}; absent or without a note: no
// checkpoint) with its cosignatures (CosignedCheckpointNote), added to the
// report's `text` as a last section in the text format, or printed to stderr
// with --json and --html (the documents stay as documented). Returns the
// check's exit code (0, 1 or 4), or an error's (Fail) if the cosignatures
// cannot be read.
int ReportWitnesses(const WitnessPolicy& policy, const std::string& dir, const Json& checkpoint,
                    ReportFormat format, std::string& text);
// Rebuilds every projection from the log; with `compare`, rebuilds into a
// scratch environment and reports any difference from the live projections
// (exit 1 if there is one).
int CmdRebuild(const std::string& dir, bool compare, bool quiet = false);
// Prints the statistics per year (DESIGN §8, docs/statistics.md) of every
// year, or of `year`, from the projections of a data dir opened read-only:
// one table per year, one canonical JSON line, or an HTML page (to `out` if
// given). Small cells are
// suppressed (ROL-3). Implemented in stats_command.cc.
int CmdStats(const std::string& dir, std::optional<int> year, ReportFormat format,
             const std::string& out = "");
// Creates (if needed) and fills a data dir with a synthetic history, then
// verifies it.
int CmdDemo(const std::string& dir, std::uint64_t cases, std::uint64_t seed, bool quiet = false);

// The user registry (cli/user_command.cc): users, roles, tokens and
// revocations are events. The operator acts for a DPO: `by`, or the first
// active DPO; the first DPO of a ledger registers itself. A token is printed
// once; the ledger keeps only its keyed hash.
int CmdUserAdd(const std::string& dir, const std::string& role,
               const std::string& name, const std::optional<std::string>& by);
// Issues a new token (the old one stops working) to `user`, or to the first
// active user with `role`. `quiet` prints "<user> <token>" only.
int CmdUserToken(const std::string& dir, const std::optional<std::string>& user,
                 const std::optional<std::string>& role,
                 const std::optional<std::string>& by, bool quiet);
int CmdUserRevoke(const std::string& dir, const std::string& user,
                  const std::optional<std::string>& by);
// Prints every user: id, role, active/revoked, whether a token is set.
int CmdUserList(const std::string& dir);

// `caseledger keys rotate`: Keystore::Rotate under the data dir's lock; prints
// the epochs, the keys re-wrapped, the erasures made final and the file sizes.
int CmdKeysRotate(const std::string& dir, bool quiet = false);

// `caseledger erase`: appends subject.erased for a DPO (`by`, or the first
// active one); the subject's data key is destroyed once it is durable.
int CmdErase(const std::string& dir, const std::string& subject, const std::string& reason,
             const std::optional<std::string>& by);

// `caseledger retention run`: erases every subject due under the retention
// policy (app/retention.h) for a DPO (`by`, or the policy's author, or the
// first active one); prints the report (`json`: one line of canonical JSON).
// Exit 0, or 67 if an erasure was refused.
int CmdRetentionRun(const std::string& dir, const std::optional<std::string>& by, bool json);

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  unsigned handler_threads = 64;
  std::size_t max_in_flight = 1024;
  unsigned request_timeout_ms = 10000;  // the whole request must arrive in this time
  // The daily retention task (app/retention.h): the first run a minute after
  // start (or after this interval, if shorter), then every interval. 0: none.
  unsigned retention_every_s = 86400;
  // Both set: HTTPS only, with this PEM certificate chain and private key
  // (docs/api/server.md, "TLS"), and the workspace's session cookie Secure.
  // Both empty: plain HTTP. main.cc refuses one without the other.
  std::string tls_cert;
  std::string tls_key;
  // Set: run as one node of a replicated cluster described by this file
  // (cluster/node.h, docs/operations.md "Cluster").
  std::string cluster;
};
// Serves the HTTP API (http/service.h) on `listen` until SIGINT or SIGTERM,
// printing "listening on <address>:<port>" to stdout once accepting (with
// port 0 the chosen port: tests read it from there),
// then stops gracefully: in-flight requests finish, then the writer drains.
// Implemented in serve_command.cc (linked with the Beast server).
int CmdServe(const std::string& dir, const ServeOptions& options);

// `caseledger witness …`: a C2SP tlog-witness v1.0.0 witness
// (docs/witness.md), implemented in witness_command.cc. `init` creates the
// witness (key, name, trusted log vkeys) and prints its cosigner vkey;
// `add-log` trusts one more log vkey; `serve` answers add-checkpoint until
// SIGINT or SIGTERM, printing "listening on <address>:<port>"; `evidence`
// prints the recorded evidence, one JSON object per line.
int CmdWitnessInit(const std::string& dir, const std::string& name,
                   const std::vector<std::string>& logs);
int CmdWitnessAddLog(const std::string& dir, const std::string& vkey);
int CmdWitnessServe(const std::string& dir, const std::string& listen, std::uint16_t port);
int CmdWitnessEvidence(const std::string& dir);

}  // namespace caseledger::cli
