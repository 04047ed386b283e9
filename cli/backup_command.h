// `caseledger backup` and `caseledger restore` (ledger/backup.h;
// docs/operations.md, "Backup and restore"). main.cc registers the verbs with
// AddBackupVerbs; the commands are exported for tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace caseledger::cli {

// Registers `caseledger backup` and `caseledger restore` under `app`, with
// their own option storage; each callback hands what to run to `set_run`.
void AddBackupVerbs(CLI::App& app, std::function<void(std::function<int()>)> set_run);

// `backup`: an online, verified backup of data dir `dir` in the new
// directory `out`, expiring after `keep_days`. Prints what it holds.
int CmdBackup(const std::string& dir, const std::string& out, std::int64_t keep_days);

// `restore`: checks backup `backup`, restores it into the new directory
// `dir`, catches its log up from each of `log_from`, applies every erasure
// of the log to the keystore again, rebuilds the projections, verifies the
// result and only then moves it into place. Prints each step. Exactly one of
// a non-empty `log_from` and `backup_only` (usage error otherwise): erasures
// made after the backup are only in a newer log.
int CmdRestore(const std::string& backup, const std::string& dir,
               const std::vector<std::string>& log_from, bool backup_only);

}  // namespace caseledger::cli
