// Ledger: a data directory opened for writing (DESIGN §2). Owns the exclusive
// lock on the directory, the master key, the node signing key, the log store,
// the keystore and the group-commit writer. One process owns a data dir at a
// time; read-only tools (verify, proofs, export) open LogStore directly.
//   <dir>/ledger/      LMDB log (LogStore)
//   <dir>/keystore/    LMDB keystore (Keystore)
//   <dir>/node.key     node Ed25519 seed, sealed with the master key
//   <dir>/master.key   demo only; production sets CASELEDGER_MASTER_KEY_FILE
//   <dir>/ledger.pub   the C2SP note verifier key (public)
//   <dir>/LOCK         flock'd by the owning process
// Thread-safety: the accessors may be used from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/progress.h"
#include "base/result.h"
#include "crypto/ed25519.h"
#include "crypto/secret.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "ledger/writer.h"

namespace caseledger::ledger {

// Where the master key comes from (docs/formats/keyfile.md, docs/privacy.md):
//   $CASELEDGER_MASTER_KEY_FILE         a 32-byte key file, mode 0600, outside
//                                       the data dir;
//   $CASELEDGER_MASTER_PASSPHRASE_FILE  a passphrase file (mode 0600): the key
//                                       is Argon2id(passphrase, salt) with the
//                                       salt and limits in <dir>/master.salt;
//   <dir>/master.key                    the demo key, only in demo mode.
inline constexpr const char* kMasterKeyEnv = "CASELEDGER_MASTER_KEY_FILE";
inline constexpr const char* kPassphraseEnv = "CASELEDGER_MASTER_PASSPHRASE_FILE";
// "1": demo mode (`caseledger --demo …`, and `caseledger demo` itself): the
// demo key file in the data dir is accepted, and `init` creates one.
inline constexpr const char* kDemoEnv = "CASELEDGER_DEMO";
// Argon2id limits for a new master.salt: interactive, moderate (default) or
// sensitive (libsodium's crypto_pwhash_*_INTERACTIVE/_MODERATE/_SENSITIVE).
inline constexpr const char* kArgon2Env = "CASELEDGER_ARGON2";
bool DemoMode();

struct InitResult {
  std::string origin;
  std::string
      verifier;  // the note verifier key string, also in <dir>/ledger.pub
};

// Creates a new data directory: keys, an empty log and keystore. The master
// key: $CASELEDGER_MASTER_KEY_FILE (created if missing), or a passphrase
// ($CASELEDGER_MASTER_PASSPHRASE_FILE; writes <dir>/master.salt), or, in demo
// mode only, a new <dir>/master.key. FailedPrecondition if none is
// configured; AlreadyExists if `dir` already holds a ledger; InvalidArgument
// for a bad origin.
Result<InitResult> InitDataDir(const std::string& dir,
                               const std::string& origin);

// Writes a public file (a verifier key, a salt): `text` and "\n", replacing
// the file. IoError if it cannot be written.
Status WritePublicFile(const std::string& path, const std::string& text);
// The first line of a small text file (without its "\n"). NotFound if it
// cannot be read.
Result<std::string> ReadFirstLine(const std::string& path);

// Makes sure the master key source for a new directory `dir` exists (the data
// dir, and also a witness's or a mirror's): creates the key file of
// $CASELEDGER_MASTER_KEY_FILE if missing, writes <dir>/master.salt for a
// passphrase, or, in demo mode only, creates <dir>/master.key. Then
// LoadMasterKey(dir) reads it. FailedPrecondition if none is configured or
// the key file would lie inside `dir` outside demo mode.
Status PrepareMasterKey(const std::string& dir);

// The master key, from the first source above that is configured. Refused
// (FailedPrecondition) outside demo mode: the demo key file in the data dir,
// and a $CASELEDGER_MASTER_KEY_FILE inside the data dir. PermissionDenied for
// a key or passphrase file accessible by group or others. NotFound if no
// source is configured. A wrong passphrase yields a key under which the
// keystore and node key do not open (Corruption there).
Result<crypto::SecretBytes> LoadMasterKey(const std::string& dir);

// Sealed key file purpose of <dir>/node.key (crypto/key_file.h).
inline constexpr std::string_view kNodeKeyPurpose = "node-signing-key";
// The node signing key of data dir (or backup) `dir`, unsealed with `master`.
// Key file errors as crypto/key_file.h (Corruption under another master key).
Result<crypto::Ed25519SigningKey> LoadNodeKey(const std::string& dir,
                                              const crypto::SecretBytes& master);

// The exclusive flock on <dir>/LOCK: one process writes to a data dir at a
// time. Released when destroyed.
class DirLock {
 public:
  // Unavailable if another process holds it; IoError if LOCK cannot be opened.
  static Result<DirLock> Acquire(const std::string& dir);
  DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirLock& operator=(DirLock&& o) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// `caseledger keys rotate`: Keystore::Rotate on <dir>/keystore under the data
// dir's lock (so the server must be stopped: Unavailable otherwise), with
// `progress` as Rotate's.
Result<Keystore::RotateReport> RotateKeys(const std::string& dir, const ProgressFn& progress = {});

struct LedgerOptions {
  Writer::Options writer;
  // Makes the writer's domain hook (policy engine and live projections) once
  // the stores are open; null for a bare log. The Ledger owns the hook.
  std::function<Result<std::unique_ptr<WriteHook>>(LogStore&, Keystore&)>
      make_hook;
  bool no_sync = false;  // benchmarks only: commits are not fsync'd
};

class Ledger {
 public:
  // Opens `dir` for writing. Unavailable if another process owns it.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                              LedgerOptions options = {});
  ~Ledger();

  Writer& writer() { return *writer_; }
  LogStore& store() { return *store_; }
  Keystore& keys() { return *keys_; }
  WriteHook* hook() { return hook_.get(); }
  const crypto::Ed25519SigningKey& signing_key() const { return *node_key_; }
  const std::string& dir() const { return dir_; }

 private:
  Ledger() = default;
  std::optional<DirLock> lock_;  // first member: released last
  std::string dir_;
  std::unique_ptr<crypto::Ed25519SigningKey> node_key_;
  std::unique_ptr<LogStore> store_;
  std::unique_ptr<Keystore> keys_;
  std::unique_ptr<WriteHook> hook_;
  std::unique_ptr<Writer> writer_;
};

}  // namespace caseledger::ledger
