// Keystore: the per-subject (or per-owner) data keys (DEKs) of DESIGN §7.1, in
// their own LMDB environment (<dir>/keystore/), each wrapped with
// XChaCha20-Poly1305 under the key-encryption key (KEK) of the current epoch.
// The KEK is random, stored sealed under a key derived from the master key.
// Invariants: an owner has at most one kid; a kid's DEK never changes.
// Thread-safety: all methods may be called from any thread.
// Format: docs/formats/storage.md (keystore).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/progress.h"
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

  // --- The identity index (DESIGN §3) -------------------------------------
  // A subject's CPR number is found only through this index: the keyed hash of
  // the number maps to the subject. It lives here, beside the data keys,
  // because it must go with them: it is written with the subject's first key,
  // dropped by Destroy and wiped from the file by Rotate's compaction (a hash
  // of a number from a space of ~10^9 is no secret to whoever has the pepper,
  // so it must not outlive the erasure in a file that is never compacted).
  using LookupKey = std::array<std::uint8_t, 32>;
  // BLAKE2b-256 of `identity` (normalised by the caller) keyed with the index
  // pepper, a subkey of the master key ("caseledger/lookup-pepper/v1").
  LookupKey LookupKeyOf(std::string_view identity) const;
  struct IndexEntry {
    LookupKey key;
    std::string owner;
  };
  // The owner `key` maps to, or nullopt.
  Result<std::optional<std::string>> OwnerOf(const LookupKey& key);
  // The key `owner` is indexed under, or nullopt.
  Result<std::optional<LookupKey>> LookupKeyOfOwner(std::string_view owner);

  // For each owner, its kid: existing, or a new random DEK wrapped and stored.
  // All new keys, and the `index` entries, are committed (fsync'd) in one
  // transaction before this returns. An index entry replaces the owner's
  // earlier entry, and any other owner's entry for the same key (the caller
  // has decided that the other owner is no live subject). Every index owner
  // must be among `owners`.
  Result<std::vector<std::string>> EnsureKeys(
      std::span<const std::string> owners,
      std::span<const IndexEntry> index = {});

  // EnsureKeys in two steps, for the writer (docs/formats/storage.md,
  // "Keys reserved ahead of their store"): the writer encrypts a batch's
  // bodies while the keystore's fsync of the batch's new keys overlaps the
  // ledger's commit of the batch before it.
  //  * ReserveKeys picks each owner's kid as EnsureKeys does (existing, or
  //    reserved earlier and not stored yet, or a new random DEK) and notes the
  //    new keys and the `index` entries in memory only. A reserved key is
  //    seen at once by DataKey, KidOf, OwnerOf and LookupKeyOfOwner, and a
  //    later reservation for the same owner gets the same kid.
  //  * StoreReserved(ticket) stores every reservation not stored yet in one
  //    transaction (fsync'd); OK once reservation `ticket` is durable.
  // The caller must not make anything that uses a reserved key (an event
  // encrypted under it) durable before StoreReserved(ticket) returned OK.
  struct Reservation {
    std::vector<std::string> kids;  // one per owner, in order
    // What must be stored before the kids may be used: this reservation's
    // ticket, or that of an earlier one whose key it reuses; 0: nothing
    // (every kid and index entry is on disk already).
    std::uint64_t ticket = 0;
  };
  //  * An owner that needs a new key and has no index entry in this
  //    reservation takes a key from the pool instead (below), once
  //    RecoverPool has run: nothing is left to store before its events, and
  //    it adds no ticket.
  Result<Reservation> ReserveKeys(std::span<const std::string> owners,
                                  std::span<const IndexEntry> index = {});
  // If the transaction fails, every reservation it held is dropped: its keys
  // are forgotten (a later reservation for the owner makes a new key), and
  // this call and every later one for those tickets fail. A reserved key of
  // an owner destroyed meanwhile is not stored (its events are as erased).
  // The same transaction binds every pooled key handed out so far to its
  // owner. With `log_size` (the key storer: the durable log's size, read
  // before the call) it also records that size as the pool's watermark and
  // tops the pool up; a failure then leaves the handed-out keys to the next
  // store.
  Status StoreReserved(std::uint64_t ticket,
                       std::optional<std::uint64_t> log_size = std::nullopt);

  // --- Keys stored ahead of need (docs/formats/storage.md, "Key pool") ----
  // The pool holds random DEKs already wrapped and stored (fsync'd) under no
  // owner. ReserveKeys hands one to a new owner in memory; the event that
  // uses it names both kid and owner in the clear (docs/formats/event.md),
  // so the binding can wait: the key storer stores handed-out keys in bulk
  // (kBindEvery keys, or kBindAfter after the first), and after a crash
  // RecoverKeyPool finds every binding the disk lacks in the log itself. The
  // watermark W says: every event up to seq W has its key bound on disk.
  static constexpr std::size_t kPoolTarget = 1024;    // keys after a top-up
  static constexpr std::size_t kPoolLowWater = 512;   // top up below this
  static constexpr std::size_t kBindEvery = 256;      // handed-out keys
  static constexpr std::chrono::milliseconds kBindAfter{1000};
  // The first seq after which the writer must look for pooled keys in use
  // (W, or `log_size` if the log is shorter, after a truncation), or
  // nullopt when the pool is empty on disk (no event can use a pool key).
  Result<std::optional<std::uint64_t>> PoolScanFrom(std::uint64_t log_size);
  struct KeyUse {
    std::string owner, kid;
  };
  // RecoverKeyPool (ledger/writer.h), before anything may destroy a key or
  // hand one out: binds each pool key that `uses` (the owner and kid of the
  // body events after PoolScanFrom's seq, in order) names to its owner,
  // records `log_size` as W, and lets ReserveKeys take pool keys from now
  // on. A key used by an owner destroyed meanwhile is deleted, not bound.
  // Corruption if a pool key is used by two owners, or by an owner that
  // holds another kid. With `use_pool` false, the pool is neither used nor
  // topped up after the recovery (every new key is stored before its batch).
  Status RecoverPool(std::span<const KeyUse> uses, std::uint64_t log_size,
                     bool use_pool = true);
  // Whether the key storer has pool work: the pool below its low water, or
  // handed-out keys to bind (kBindEvery of them, or one older than
  // `bind_after`).
  bool PoolWorkDue(std::chrono::milliseconds bind_after = kBindAfter) const;
  // Whether RecoverPool has run on this keystore (the Ledger runs it before
  // its hook opens, so that the hook's erasures find every key).
  bool PoolRecovered() const;
  // Keys in the pool (stored, not handed out), for tests and metrics.
  std::size_t PoolFree() const;

  // The kid of `owner` (reserved or stored), or NotFound.
  Result<std::string> KidOf(std::string_view owner);

  // The unwrapped DEK `kid`, in secure memory shared with the keystore's cache
  // (no copy per call: allocating secure memory costs system calls). NotFound
  // if no such key (never created, or destroyed); Corruption if it does not
  // unwrap.
  Result<std::shared_ptr<const crypto::SecretBytes>> DataKey(
      std::string_view kid);

  std::uint32_t epoch() const { return epoch_; }

  // --- Replication to cluster followers (docs/cluster-election.md) --------
  // One owner's data key as a leader ships it: the DEK sealed under the
  // cluster's key-transport key (a subkey of the master key, context
  // "caseledger/cluster-key-transport/v1"; XChaCha20-Poly1305 with a random
  // nonce, associated data binding owner and kid), and the owner's identity
  // index key, if it has one. Format: docs/formats/storage.md (keystore).
  struct KeyExport {
    std::string owner;
    std::string kid;
    std::string sealed;  // nonce ‖ ciphertext ‖ tag (binary)
    std::optional<LookupKey> lookup;
  };
  // The live keys of `owners`, in the order of their first mention
  // (duplicates exported once; an owner without a live key — never created,
  // or destroyed — is skipped, not an error). Read-only: never takes the
  // write lock. Corruption if a stored key does not unwrap.
  Result<std::vector<KeyExport>> ExportKeys(std::span<const std::string> owners);
  // Stores each exported key under this keystore's KEK with the same kid and
  // its index entry (as EnsureKeys would: both directions, replacing other
  // entries), all in one transaction, fsync'd before it returns; the stored
  // keys are cached as new local ones are. Already held (same owner, same
  // kid): skipped, its index entry too. Skipped too: an owner whose key was
  // destroyed here (the tombstone wins: an erasure is never undone by
  // replication). Corruption if the owner holds another kid here, if a
  // sealed key does not open (wrong master key, altered, or bound to another
  // owner/kid), if a kid is malformed, or if the kid is held by another
  // owner; then nothing is stored. Returns how many were stored.
  Result<std::size_t> ImportKeys(std::span<const KeyExport> keys);

  // --- Erasure (crypto-shredding, DESIGN §7.2) ---------------------------
  // Destroys the owner's DEK: deletes its wrapped record and its identity
  // index entry, drops the cached copy, and leaves a tombstone so that no key is ever made for the owner
  // again (EnsureKeys refuses it: FailedPrecondition). Returns the destroyed
  // kid; destroying again returns the same kid. NotFound if the owner never
  // had a key. Durable (fsync'd) when it returns. LMDB does not wipe freed
  // pages, so the wrapped record may survive in the file until the next
  // Rotate: until then the owner is listed by PendingErasures.
  Result<std::string> Destroy(std::string_view owner);
  // The kid destroyed for `owner`, or nullopt if the owner's key is live or
  // never existed.
  Result<std::optional<std::string>> DestroyedKid(std::string_view owner);
  // The kid an erasure of `owner` names: the live one, else the destroyed
  // one (an erasure whose event failed after the key was destroyed), else
  // nullopt (the owner never had a key).
  Result<std::optional<std::string>> ErasureKid(std::string_view owner);
  // Whether `owner`'s key was destroyed (in memory: cheap enough for the
  // writer to ask for every body).
  bool IsDestroyed(std::string_view owner) const;
  // Owners destroyed since the last completed rotation (not final on disk).
  Result<std::vector<std::string>> PendingErasures();
  // The erasure records (no secret: owner ids, epochs, kids), for the audit.
  struct ErasureRecords {
    std::set<std::string, std::less<>> destroyed;  // every owner whose key was destroyed
    std::vector<std::string> pending;              // of those, not final on disk yet
  };
  Result<ErasureRecords> Erasures();
  // The same from the keystore in `dir`, opened read-only and without the
  // master key (an auditor's tool needs no secret for it).
  static Result<ErasureRecords> ReadErasures(const std::string& dir);
  // Number of live DEKs.
  Result<std::uint64_t> LiveKeys();

  // The writer's probe after a storage failure: Env::ProbeWrite of `bytes`
  // under meta "probe" (absent again once the probe succeeds).
  Status ProbeWrite(std::size_t bytes);
  // The keystore's environment (tests inject storage faults through it).
  lmdb::Env& env() { return *env_; }

  struct RotateReport {
    std::uint32_t old_epoch = 0, new_epoch = 0;
    std::uint64_t rewrapped = 0;   // live DEKs, now under the new KEK
    std::uint64_t made_final = 0;  // pending erasures made final
    std::uint64_t file_bytes_before = 0, file_bytes_after = 0;
  };
  // `caseledger keys rotate`: makes erasure final on disk. Offline: the
  // caller holds the data directory's lock and nothing has `dir` open.
  //  1. one txn: a new random KEK for epoch+1, every live DEK re-wrapped
  //     under it (same kid, same key), the old KEK record deleted;
  //  2. a compacting copy of the environment (mdb_env_copy2, MDB_CP_COMPACT:
  //     free pages are not copied), fsync'd, renamed over data.mdb, the
  //     directory fsync'd, so no freed page with a destroyed DEK's record or
  //     an old KEK remains in the file;
  //  3. the pending erasures of earlier epochs cleared.
  // A crash between the steps leaves a consistent keystore (of the old epoch
  // before 1 commits, of the new one after); erasures stay pending until a
  // rotation completes, and rotating again finishes the job.
  // `progress`, if set, is called every few thousand keys of step 1 with the
  // keys re-wrapped and the live keys (base/progress.h).
  static Result<RotateReport> Rotate(const std::string& dir,
                                     const crypto::SecretBytes& master,
                                     const ProgressFn& progress = {});

  // At most this many unwrapped keys are kept in memory.
  static constexpr std::size_t kMaxCachedKeys = 1024;

 private:
  struct Dbs {
    lmdb::Dbi owners, deks, meta, destroyed, lookup, lookup_of, pool;
  };
  Keystore(std::unique_ptr<lmdb::Env> env, Dbs dbs, std::uint32_t epoch,
           crypto::SecretBytes kek, crypto::SecretBytes pepper,
           crypto::SecretBytes transport)
      : env_(std::move(env)),
        owners_(dbs.owners),
        deks_(dbs.deks),
        meta_(dbs.meta),
        destroyed_db_(dbs.destroyed),
        lookup_(dbs.lookup),
        lookup_of_(dbs.lookup_of),
        pool_(dbs.pool),
        epoch_(epoch),
        kek_(std::move(kek)),
        pepper_(std::move(pepper)),
        transport_(std::move(transport)) {}
  // The index writes of EnsureKeys, in its txn.
  Status PutIndex(lmdb::WriteTxn& txn, const IndexEntry& e);
  // Deletes `owner`'s index entry (both directions), if any.
  Status DropIndex(lmdb::WriteTxn& txn, std::string_view owner);
  // The txn of Rotate's step 1.
  Result<RotateReport> RewrapAll(const crypto::SecretBytes& master, const ProgressFn& progress);
  // Rotate's step 3: erasures destroyed before `epoch` are final.
  Status MarkFinalBefore(std::uint32_t epoch);

  // Precondition: cache_mu_ held.
  void CacheLocked(std::string kid, std::shared_ptr<const crypto::SecretBytes> dek);
  // Precondition: write_mu_ held. StoreReserved's work; also run by Destroy
  // and ImportKeys first, so that they see every reserved key on disk.
  Status StoreReservedLocked(std::uint64_t ticket,
                             std::optional<std::uint64_t> log_size = std::nullopt);
  // The stored kid of `owner` (the disk only), or NotFound.
  Result<std::string> StoredKidOf(std::string_view owner);

  // Reservations not stored yet (reserve_mu_), oldest first, and what they
  // add, each with the ticket of the reservation that added it.
  struct ReservedKey {
    std::string owner, kid;
    Bytes record;  // the wrapped DEK
    std::shared_ptr<const crypto::SecretBytes> dek;
  };
  struct Reserved {
    std::uint64_t ticket = 0;
    std::vector<ReservedKey> keys;
    std::vector<IndexEntry> index;
  };
  template <typename V>
  struct Ticketed {
    V value;
    std::uint64_t ticket = 0;
  };
  // Precondition: reserve_mu_ held. Forgets the overlay entries of
  // reservations up to `through` (stored, or dropped).
  void ForgetReservedLocked(std::uint64_t through);
  // Precondition: reserve_mu_ held. Whether reservation `ticket` was dropped.
  bool DroppedLocked(std::uint64_t ticket) const;

  std::unique_ptr<lmdb::Env> env_;
  lmdb::Dbi owners_, deks_, meta_, destroyed_db_;
  lmdb::Dbi lookup_;     // lookup key (32 bytes) -> owner
  lmdb::Dbi lookup_of_;  // owner -> lookup key
  lmdb::Dbi pool_;       // kid -> deks record wrapped with the empty owner
  std::uint32_t epoch_;
  crypto::SecretBytes kek_;
  crypto::SecretBytes pepper_;
  crypto::SecretBytes transport_;  // seals DEKs shipped to cluster followers
  std::mutex write_mu_;  // one EnsureKeys, ImportKeys or Destroy at a time
  mutable std::mutex destroyed_mu_;
  std::set<std::string, std::less<>> destroyed_;  // owners, loaded at Open
  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const crypto::SecretBytes>, std::less<>>
      cache_;  // kid -> DEK
  // Lock order: write_mu_, then reserve_mu_, then cache_mu_ or destroyed_mu_.
  mutable std::mutex reserve_mu_;
  std::deque<Reserved> reserved_;
  std::uint64_t next_ticket_ = 0;    // the last ticket handed out
  std::uint64_t stored_through_ = 0;  // every ticket up to it stored or dropped
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dropped_;  // ticket ranges
  std::map<std::string, Ticketed<std::string>, std::less<>> reserved_kid_;  // owner
  std::map<std::string, Ticketed<std::shared_ptr<const crypto::SecretBytes>>, std::less<>>
      reserved_dek_;  // kid
  std::map<LookupKey, Ticketed<std::string>> reserved_lookup_;               // -> owner
  std::map<std::string, Ticketed<LookupKey>, std::less<>> reserved_lookup_of_;  // owner
  // The pool (reserve_mu_): stored keys not handed out (their records are
  // wrapped with the empty owner), and the keys handed out and not bound on
  // disk yet.
  struct PoolKey {
    std::string kid;
    Bytes record;
  };
  struct HandedOut {
    std::string kid;
    std::shared_ptr<const crypto::SecretBytes> dek;
  };
  bool pool_recovered_ = false;  // RecoverPool ran
  bool pool_ready_ = false;      // ... and pool keys may be handed out
  std::deque<PoolKey> pool_free_;
  std::map<std::string, HandedOut, std::less<>> handed_;         // owner ->
  std::map<std::string, std::string, std::less<>> handed_kid_;  // kid -> owner
  std::chrono::steady_clock::time_point first_handed_{};  // oldest of handed_
};

}  // namespace caseledger::ledger
