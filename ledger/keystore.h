// Keystore: the per-subject (or per-owner) data keys (DEKs) of DESIGN §7.1, in
// their own LMDB environment (<dir>/keystore/), each wrapped with
// XChaCha20-Poly1305 under the key-encryption key (KEK) of the current epoch.
// The KEK is random, stored sealed under a key derived from the master key.
// Invariants: an owner has at most one kid; a kid's DEK never changes.
// Thread-safety: all methods may be called from any thread.
// Format: docs/formats/storage.md (keystore).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/secret.h"
#include "ledger/lmdb/env.h"

namespace caseledger::ledger {

class Keystore {
 public:
  // Opens (creating when `create`) the keystore in directory `dir` and unseals
  // the current KEK with `master`. Corruption if the KEK does not open under
  // this master key.
  static Result<std::unique_ptr<Keystore>> Open(
      const std::string& dir, const crypto::SecretBytes& master, bool create);

  // For each owner, its kid: existing, or a new random DEK wrapped and stored.
  // All new keys are committed (fsync'd) in one transaction before this
  // returns.
  Result<std::vector<std::string>> EnsureKeys(
      std::span<const std::string> owners);

  // The kid of `owner`, or NotFound.
  Result<std::string> KidOf(std::string_view owner);

  // The unwrapped DEK `kid`, in secure memory shared with the keystore's cache
  // (no copy per call: allocating secure memory costs system calls). NotFound
  // if no such key (never created, or destroyed); Corruption if it does not
  // unwrap.
  Result<std::shared_ptr<const crypto::SecretBytes>> DataKey(
      std::string_view kid);

  std::uint32_t epoch() const { return epoch_; }

  // At most this many unwrapped keys are kept in memory.
  static constexpr std::size_t kMaxCachedKeys = 1024;

 private:
  Keystore(std::unique_ptr<lmdb::Env> env, lmdb::Dbi owners, lmdb::Dbi deks,
           std::uint32_t epoch, crypto::SecretBytes kek)
      : env_(std::move(env)),
        owners_(owners),
        deks_(deks),
        epoch_(epoch),
        kek_(std::move(kek)) {}

  // Precondition: cache_mu_ held.
  void CacheLocked(std::string kid, std::shared_ptr<const crypto::SecretBytes> dek);

  std::unique_ptr<lmdb::Env> env_;
  lmdb::Dbi owners_, deks_;
  std::uint32_t epoch_;
  crypto::SecretBytes kek_;
  std::mutex write_mu_;  // one EnsureKeys at a time
  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const crypto::SecretBytes>, std::less<>>
      cache_;  // kid -> DEK
};

}  // namespace caseledger::ledger
