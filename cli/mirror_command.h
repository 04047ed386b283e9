// `caseledger mirror init|follow|serve`: a verifying mirror of a caseledger
// log (app/mirror.h, ledger/mirror.h; docs/mirror.md). main.cc registers the
// verb group with AddMirrorVerbs; the commands and the read-only router of
// `mirror serve` are exported for tests.
// Thread-safety: the router's handler may run on any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/router.h"
#include "ledger/cosignature_store.h"
#include "ledger/log_store.h"

namespace CLI {
class App;
}  // namespace CLI

namespace caseledger::cli {

// `mirror follow`: the log showed the mirror another history (a fork). Both
// signed notes are in <data>/forks/. Documented in docs/mirror.md.
inline constexpr int kExitMirrorFork = 3;

// Registers `caseledger mirror init|follow|serve` under `app`, with their own
// option storage; each subcommand's callback hands what to run to `set_run`.
void AddMirrorVerbs(CLI::App& app, std::function<void(std::function<int()>)> set_run);

// `mirror init`: the mirror's cosigner key and its empty log for the log of
// `log_vkey`; prints the cosigner vkey (also in <data>/mirror.pub).
int CmdMirrorInit(const std::string& dir, const std::string& log_vkey, const std::string& name);

// `mirror follow`: rounds against the node at `from_url` (http://host:port)
// with the bearer token in `token_file`; one round with `once`, else one
// every `interval_ms` until SIGINT/SIGTERM. Prints a line per round. Exit 0,
// kExitMirrorFork on a fork, otherwise the exit code of the failure (with
// `once`; a long-running follow reports failures and goes on).
int CmdMirrorFollow(const std::string& dir, const std::string& from_url,
                    const std::string& token_file, bool once, std::uint64_t interval_ms);

// `mirror serve`: the read-only routes of MirrorRouter on `listen`
// ("ADDR:PORT"; IPv6 as "[::1]:PORT") until SIGINT/SIGTERM. With
// `token_file`, /v1/log/entries answers requests bearing that token.
int CmdMirrorServe(const std::string& dir, const std::string& listen,
                   const std::optional<std::string>& token_file);

// The routes of `mirror serve` over the mirror's log (opened read-only):
//   GET /v1/log/checkpoint, /v1/log/checkpoint/latest  the held checkpoint
//       with the mirror's cosignature appended (text/plain; 404 before any)
//   GET /v1/log/entries?from=&count=   as the node's, only with `token` set
//       and `Authorization: Bearer <token>` (compared in constant time):
//       401 without or with another token, 403 when no token is configured
//   GET /v1/log/proof/inclusion?seq=&size=, /v1/log/proof/consistency?from=&to=
//       as the node's (ledger/proofs.h), no authentication
//   GET /healthz
// `cosignatures_dir`: the mirror's data dir, whose cosignatures/ is opened
// when it first exists. `log` must outlive the router.
std::unique_ptr<http::Router> MirrorRouter(ledger::LogStore& log, const std::string& cosignatures_dir,
                                           std::optional<std::string> token,
                                           std::size_t max_entries = 1000);

}  // namespace caseledger::cli
