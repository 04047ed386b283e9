// Online backup and restore of a data directory (docs/operations.md,
// "Backup and restore"; format: docs/formats/backup.md).
//
// A backup is a directory:
//   ledger/data.mdb        compacting copy of the log environment (one read txn)
//   keystore/data.mdb      compacting copy of the keystore, taken AFTER the log
//   cosignatures/data.mdb  the collected witness cosignatures, if any
//   node.key, ledger.pub   and master.salt, witnesses, and (demo mode only)
//                          master.key, when the data directory has them
//   manifest.json          what the backup holds: origin, log size, root and
//                          checkpoint, keystore epoch and counts, every file
//                          with its size and SHA-256, when it was made and
//                          when it expires
//   manifest.sig           Ed25519 signature of the manifest by the node key
//
// Why the order log-then-keystore: a data key is committed before the first
// event that uses it, so a keystore copied after the log holds the key of
// every event in the log copy, unless that key was destroyed in between —
// which is an erasure, and restore applies every erasure again.
//
// Why the signature: the node key is sealed under the master key, so only
// someone with the master key can make a manifest that restore accepts; an
// older keystore slipped into a newer backup (to bring erased subjects back)
// fails its checksum, and a rewritten manifest fails its signature.
//
// Thread-safety: free functions. MakeBackup runs beside the server (LMDB read
// transactions only; no lock on the data directory); RestoreBackup owns the
// new directory it writes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/secret.h"
#include "crypto/sha256.h"

namespace caseledger::ledger {

inline constexpr std::string_view kBackupFormat = "caseledger-backup/v1";
inline constexpr std::string_view kBackupManifestFile = "manifest.json";
inline constexpr std::string_view kBackupSignatureFile = "manifest.sig";
// The signed message is this prefix ‖ the bytes of manifest.json.
inline constexpr std::string_view kBackupSignaturePrefix = "caseledger-backup/v1 manifest\n";
// Default and largest lifetime of a backup (`backup --keep-days`).
inline constexpr std::int64_t kBackupDefaultKeepDays = 30;
inline constexpr std::int64_t kBackupMaxKeepDays = 3650;

struct BackupFile {
  std::string path;  // relative to the backup directory, '/'-separated
  std::uint64_t bytes = 0;
  crypto::Digest sha256;
};

struct BackupManifest {
  std::string origin;
  std::string verifier;           // the log's note verifier key (ledger.pub)
  std::int64_t created_us = 0;    // microseconds since the epoch (ledger/time.h)
  std::int64_t expires_us = 0;
  std::uint64_t log_size = 0;
  crypto::Digest root;            // of events 1..log_size
  std::string checkpoint;         // the signed checkpoint of log_size
  std::uint32_t keystore_epoch = 0;
  std::uint64_t live_keys = 0;
  std::uint64_t destroyed_keys = 0;  // tombstones: owners whose key was destroyed
  std::vector<BackupFile> files;
};

// The manifest as stored (canonical JSON, docs/formats/backup.md), and back.
// ParseBackupManifest: Corruption naming what is wrong.
std::string BackupManifestText(const BackupManifest& m);
Result<BackupManifest> ParseBackupManifest(std::string_view text);

struct BackupOptions {
  std::int64_t keep_days = kBackupDefaultKeepDays;
  std::int64_t now_us = 0;  // 0: the clock (tests set it)
  unsigned threads = 0;     // for verifying the copy; 0 = all cores
};

// Makes a backup of data directory `data_dir` in `out` (which must not
// exist; the backup is built in `out`.partial and renamed into place only
// once complete, verified and synced). Verifies the copy before returning:
// every event (signature, canonical form, prev, Merkle root against the
// checkpoint, as `verify`), the keystore's KEK opens under the master key.
// Needs the master key (to sign the manifest and open the keystore).
// Errors: AlreadyExists (`out` or its .partial exists), NotFound (no ledger),
// InvalidArgument (keep_days), Corruption (the copy does not verify), key
// and storage errors.
Result<BackupManifest> MakeBackup(const std::string& data_dir, const std::string& out,
                                  const BackupOptions& options = {});

// Checks backup `dir` without changing it: manifest.json parses and its
// signature verifies under the node key unsealed with `master` (whose
// public key must be the manifest's verifier and ledger.pub's); every file
// the manifest lists is present with its size and SHA-256, and no other
// file is; the backup has not expired at `now_us` (0: the clock).
// Errors: NotFound (no manifest: not a backup, or an incomplete one),
// Corruption (a file damaged, missing, extra, or the manifest altered),
// InvalidArgument (expired: exit 65), key errors.
Result<BackupManifest> CheckBackup(const std::string& dir, const crypto::SecretBytes& master,
                                   std::int64_t now_us = 0);

struct RestoreOptions {
  // Ledger directories whose log continues the backup's (a mirror, a
  // follower, the damaged node's own ledger/, a later copy): the restored
  // log is caught up from each in turn, every event verified before it is
  // stored (ledger/mirror.h AppendVerified), so erasures made after the
  // backup are in the log and are applied below.
  std::vector<std::string> log_from;
  std::int64_t now_us = 0;
  unsigned threads = 0;
};

struct RestoreReport {
  BackupManifest manifest;
  std::uint64_t size = 0;  // the restored log's size (>= manifest.log_size)
  struct Source {
    std::string dir;
    std::uint64_t size = 0;     // its log size
    std::uint64_t appended = 0;  // events taken from it
  };
  std::vector<Source> sources;
  std::uint64_t erasures_in_log = 0;   // distinct subjects with subject.erased
  std::uint64_t keys_destroyed = 0;    // of those, keys the backup still held
  // Owners whose key is destroyed but whose subject.erased is not in the log
  // (an erasure whose event never committed): the key stays destroyed; the
  // DPO repeats the erasure to record it.
  std::vector<std::string> destroyed_without_event;
  bool rotated = false;  // the keystore was rotated to make erasures final
};

// Restores backup `backup` into `target`, which must not exist (built in
// `target`.restoring, removed first if an interrupted restore left it, and
// renamed into place by FinishRestore; removed again on failure). CheckBackup first (the master key:
// LoadMasterKey(backup), i.e. $CASELEDGER_MASTER_KEY_FILE, the backup's
// master.salt with the passphrase, or the demo key); then copies the files,
// verifies the copied log against the manifest, catches the log up from
// options.log_from, destroys the key of every subject erased in the log
// (Keystore::Destroy) and, if any key was destroyed or an erasure was pending,
// rotates the keystore (Keystore::Rotate) so no copy of it remains in the file.
// The projections are NOT rebuilt here (they live above ledger/): the caller
// rebuilds them in RestoringDir(target), verifies, then calls FinishRestore.
// Errors: AlreadyExists (`target` exists), CheckBackup's, Corruption with
// reason kForkReason if a source's log is another history, storage errors.
Result<RestoreReport> RestoreBackup(const std::string& backup, const std::string& target,
                                    const RestoreOptions& options = {});
std::string RestoringDir(const std::string& target);
// Syncs RestoringDir(target) and renames it to `target`.
Status FinishRestore(const std::string& target);
// Removes RestoringDir(target) after a failure (RestoreBackup does so itself
// on its own failures; the caller after a failed rebuild or verification).
void AbandonRestore(const std::string& target);

// fsync of a file (directory = false) or a directory.
Status FsyncPath(const std::string& path, bool directory);

}  // namespace caseledger::ledger
