// `caseledger backup` and `caseledger restore` (docs/operations.md, "Backup
// and restore"): argument parsing and the two commands over ledger/backup.h.
#include "cli/backup_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/exit_codes.h"
#include "ledger/backup.h"
#include "ledger/ledger.h"
#include "ledger/time.h"
#include "ledger/verify.h"
#include "projections/projector.h"

namespace caseledger::cli {

namespace {

std::uint64_t TotalBytes(const ledger::BackupManifest& m) {
  std::uint64_t n = 0;
  for (const auto& f : m.files) n += f.bytes;
  return n;
}

}  // namespace

int CmdBackup(const std::string& dir, const std::string& out, std::int64_t keep_days) {
  ledger::BackupOptions options;
  options.keep_days = keep_days;
  auto m = ledger::MakeBackup(dir, out, options);
  if (!m.ok()) return Fail(m.status());
  std::cout << "backup of " << m->origin << " in " << out << ": log of " << m->log_size
            << " events (root " << m->root.Hex() << ") verified; keystore epoch "
            << m->keystore_epoch << " with " << m->live_keys << " live keys and "
            << m->destroyed_keys << " destroyed; " << m->files.size() << " files, "
            << TotalBytes(*m) << " bytes; made " << ledger::FormatTime(m->created_us)
            << ", expires " << ledger::FormatTime(m->expires_us) << "\n";
  return kExitOk;
}

int CmdRestore(const std::string& backup, const std::string& dir,
               const std::vector<std::string>& log_from, bool backup_only) {
  // Erasures recorded after the backup are only in a newer copy of the log:
  // restoring without one must be a decision, never a default.
  if (log_from.empty() != backup_only) {
    std::cerr << "caseledger restore: give --log-from with a newer copy of the log (a mirror, a "
                 "follower, the old data directory), or --backup-only if the backup is the "
                 "newest copy that exists (events and erasures after it are then lost); not both\n";
    return kExitUsage;
  }
  ledger::RestoreOptions options;
  options.log_from = log_from;
  auto r = ledger::RestoreBackup(backup, dir, options);
  if (!r.ok()) return Fail(r.status());
  const ledger::BackupManifest& m = r->manifest;
  std::cout << "backup checked: " << m.origin << ", log of " << m.log_size << " events, made "
            << ledger::FormatTime(m.created_us) << ", expires " << ledger::FormatTime(m.expires_us)
            << "; every file's SHA-256 and the manifest's signature verified\n";
  for (const auto& s : r->sources)
    std::cout << "caught up from " << s.dir << ": " << s.appended << " events verified and "
              << "appended (its log: " << s.size << ")\n";
  if (backup_only)
    std::cerr << "caseledger: --backup-only: the restored log ends where the backup does; "
                 "events and erasures recorded after "
              << ledger::FormatTime(m.created_us)
              << " are not in it (docs/operations.md, \"Backup and restore\")\n";
  std::cout << "erasures: " << r->erasures_in_log << " subjects erased in the log; "
            << r->keys_destroyed << " of their data keys were still in the backup and are "
            << "destroyed again" << (r->rotated ? "; keystore rotated, so no copy remains" : "")
            << "\n";
  if (!r->destroyed_without_event.empty())
    std::cout << "note: " << r->destroyed_without_event.size()
              << " destroyed data keys have no subject.erased in the log (an erasure whose "
                 "event was never recorded); they stay destroyed\n";

  // Nothing is left half-restored: on any failure below the work dir goes.
  const std::string work = ledger::RestoringDir(dir);
  auto fail = [&](const Status& s) {
    ledger::AbandonRestore(dir);
    return Fail(s);
  };
  {
    auto l = ledger::Ledger::Open(work);
    if (!l.ok()) return fail(l.status());
    auto n = projections::Rebuild((*l)->store(), (*l)->store().tables());
    if (!n.ok()) return fail(n.status());
    std::cout << "projections rebuilt from " << *n << " events\n";
  }
  ledger::VerifyOptions vo;
  vo.trusted_key = m.verifier;
  auto v = ledger::VerifyLedger(work, vo);
  if (!v.ok()) return fail(v.status());
  if (!v->ok || v->events != r->size) {
    ledger::AbandonRestore(dir);
    std::cout << "FAILED: the restored log does not verify: " << v->problem << "\n";
    return kExitVerifyFailed;
  }
  if (Status s = ledger::FinishRestore(dir); !s.ok()) return fail(s);
  std::cout << "restored into " << dir << ": " << v->events << " events and " << v->checkpoints
            << " checkpoints verified; root " << v->root.Hex() << "\n";
  return kExitOk;
}

void AddBackupVerbs(CLI::App& app, std::function<void(std::function<int()>)> set_run) {
  struct BackupArgs {
    std::string dir;
    std::string out;
    std::string backup;
    std::int64_t keep_days = ledger::kBackupDefaultKeepDays;
    std::vector<std::string> log_from;
    bool backup_only = false;
  };
  static BackupArgs a;
  auto set = std::make_shared<std::function<void(std::function<int()>)>>(std::move(set_run));

  auto* backup = app.add_subcommand(
      "backup", "an online backup of a data directory (while the server runs), verified before "
                "it counts (docs/operations.md)");
  backup->add_option("--data", a.dir, "data directory")->required();
  backup->add_option("--out", a.out, "the new backup directory (must not exist)")->required();
  backup->add_option("--keep-days", a.keep_days,
                     "days until the backup expires and is no longer restored (default " +
                         std::to_string(ledger::kBackupDefaultKeepDays) + ")");
  backup->callback([set] { (*set)([] { return CmdBackup(a.dir, a.out, a.keep_days); }); });

  auto* restore = app.add_subcommand(
      "restore", "restore a backup into a new data directory: checked, caught up, every erasure "
                 "applied again, verified (docs/operations.md)");
  restore->add_option("backup", a.backup, "the backup directory")->required();
  restore->add_option("--data", a.dir, "the new data directory (must not exist)")->required();
  restore->add_option("--log-from", a.log_from,
                      "a newer copy of the log to catch up from (a mirror's or a follower's "
                      "directory, the old data directory); repeatable")
      ->allow_extra_args(false);
  restore->add_flag("--backup-only", a.backup_only,
                    "the backup is the newest copy of the log there is: restore it alone (events "
                    "and erasures recorded after it are lost)");
  restore->callback(
      [set] { (*set)([] { return CmdRestore(a.backup, a.dir, a.log_from, a.backup_only); }); });
}

}  // namespace caseledger::cli
