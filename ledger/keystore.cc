#include "ledger/keystore.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "base/ids.h"
#include "crypto/aead.h"
#include "crypto/blake2b.h"
#include "crypto/random.h"
#include "ledger/backup.h"  // FsyncPath

namespace caseledger::ledger {

namespace {

constexpr std::string_view kEpochKey = "epoch";
constexpr std::string_view kLookupPepperContext = "caseledger/lookup-pepper/v1";
// The key that seals DEKs shipped to cluster followers (all nodes share the
// master key, not the KEK); also the prefix of the associated data.
constexpr std::string_view kKeyTransportContext = "caseledger/cluster-key-transport/v1";
// The epoch whose rotation completed (compaction included): an erasure
// destroyed in an earlier epoch is final on disk.
constexpr std::string_view kFinalEpochKey = "final_epoch";
// The key pool's watermark W (8, BE): every event up to seq W has its data
// key bound to its owner on disk (Keystore::RecoverPool).
constexpr std::string_view kPoolBoundKey = "pool_bound_through";
// StoreReserved's ticket for "every reservation made so far".
constexpr std::uint64_t kStoreEveryReserved = ~std::uint64_t{0};
constexpr std::size_t kWrappedDekBytes =
    crypto::kAeadKeyBytes + crypto::kAeadTagBytes;

// Secure buffers for data keys, recycled (docs/decisions.md #52). Each
// SecretBytes is its own sodium_malloc region: an mmap, mprotects for its
// guard pages and an mlock to make, an munmap to free, and the munmap makes
// the kernel flush the other cores' TLBs. A writer whose cases span more
// subjects than the key cache holds missed the cache on most events and paid
// that (70-160 us) each time, on the writer thread. A data key's buffer that
// its last user lets go is wiped and kept for the next key instead; at most
// kMaxFreeDekBuffers are kept, the rest freed. Bursts are as large as a
// batch's new keys, which enter the cache together and evict as many, so the
// bound matches the cache's (Keystore::kMaxCachedKeys, and a writer's default
// max_batch): at most 1,024 idle regions, about 8 MiB. Process-wide (a
// keystore's keys may outlive it in the hands of their users), and never
// destroyed, so a key released during exit has a place to go.
constexpr std::size_t kMaxFreeDekBuffers = 1024;

class DekBuffers {
 public:
  // A zeroed buffer of kAeadKeyBytes.
  crypto::SecretBytes* Take() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        crypto::SecretBytes* b = free_.back();
        free_.pop_back();
        return b;
      }
    }
    return new crypto::SecretBytes(crypto::kAeadKeyBytes);
  }
  void Give(crypto::SecretBytes* b) {
    b->Wipe();
    {
      std::lock_guard lock(mu_);
      if (free_.size() < kMaxFreeDekBuffers) {
        free_.push_back(b);
        return;
      }
    }
    delete b;
  }

 private:
  std::mutex mu_;
  std::vector<crypto::SecretBytes*> free_;
};

DekBuffers& Buffers() {
  static DekBuffers* buffers = new DekBuffers;  // never destroyed (above)
  return *buffers;
}

// A wiped recycled buffer for a data key, shared: it goes back to Buffers()
// when the last copy is dropped.
std::shared_ptr<crypto::SecretBytes> NewDekBuffer() {
  return std::shared_ptr<crypto::SecretBytes>(
      Buffers().Take(), [](crypto::SecretBytes* b) { Buffers().Give(b); });
}

std::string KekKey(std::uint32_t epoch) {
  return "kek/" + std::to_string(epoch);
}

std::string KekAd(std::uint32_t epoch) {
  return "caseledger/kek/v1\nepoch=" + std::to_string(epoch);
}
std::string DekAd(std::string_view kid, std::string_view owner) {
  return "caseledger/dek/v1\n" + std::string(kid) + "\n" + std::string(owner);
}

crypto::SecretBytes KekSealingKey(const crypto::SecretBytes& master) {
  return crypto::DeriveSubkey(master, "caseledger/kek-seal/v1");
}

// Sealed KEK record: nonce ‖ AEAD(ciphertext‖tag).
Bytes SealKek(const crypto::SecretBytes& master, std::uint32_t epoch,
              const crypto::SecretBytes& kek) {
  auto nonce = crypto::AeadNonce::Random();
  Bytes ct = crypto::AeadSeal(KekSealingKey(master), nonce,
                              AsBytes(KekAd(epoch)), kek.view());
  Bytes out(nonce.bytes.begin(), nonce.bytes.end());
  out.insert(out.end(), ct.begin(), ct.end());
  return out;
}

Result<crypto::SecretBytes> OpenKek(const crypto::SecretBytes& master,
                                    std::uint32_t epoch, ByteView rec) {
  if (rec.size() != crypto::kAeadNonceBytes + kWrappedDekBytes)
    return Corruption("sealed KEK has the wrong size");
  crypto::AeadNonce nonce;
  std::memcpy(nonce.bytes.data(), rec.data(), nonce.bytes.size());
  auto kek = crypto::AeadOpenSecret(KekSealingKey(master), nonce,
                                    AsBytes(KekAd(epoch)),
                                    rec.subspan(crypto::kAeadNonceBytes));
  if (!kek.ok())
    return Corruption("the keystore's KEK does not open with this master key");
  return kek;
}

// A deks record: epoch (8, BE) ‖ nonce (24) ‖ wrapped DEK (32 + 16) ‖ owner.
constexpr std::size_t kDekHead = 8 + crypto::kAeadNonceBytes + kWrappedDekBytes;

Bytes WrapDek(const crypto::SecretBytes& kek, std::uint32_t epoch,
              std::string_view kid, std::string_view owner,
              const crypto::SecretBytes& dek) {
  auto nonce = crypto::AeadNonce::Random();
  Bytes wrapped = crypto::AeadSeal(kek, nonce, AsBytes(DekAd(kid, owner)), dek.view());
  auto ep = EncodeBigEndian64(epoch);
  Bytes record;
  record.reserve(kDekHead + owner.size());
  record.insert(record.end(), ep.begin(), ep.end());
  record.insert(record.end(), nonce.bytes.begin(), nonce.bytes.end());
  record.insert(record.end(), wrapped.begin(), wrapped.end());
  record.insert(record.end(), owner.begin(), owner.end());
  return record;
}

// Unwraps a deks record of `kid` into `out` (kAeadKeyBytes of secure
// memory); returns the owner it names.
Result<std::string> UnwrapDek(const crypto::SecretBytes& kek, std::uint32_t epoch,
                              std::string_view kid, ByteView record,
                              crypto::SecretBytes& out) {
  if (record.size() < kDekHead) return Corruption("wrapped data key record too short");
  if (static_cast<std::uint32_t>(DecodeBigEndian64(record.first(8))) != epoch)
    return Corruption("wrapped data key is of an unknown KEK epoch");
  crypto::AeadNonce nonce;
  std::memcpy(nonce.bytes.data(), record.data() + 8, nonce.bytes.size());
  std::string owner(AsChars(record.subspan(kDekHead)));
  if (!crypto::AeadOpenInto(kek, nonce, AsBytes(DekAd(kid, owner)),
                            record.subspan(8 + crypto::kAeadNonceBytes, kWrappedDekBytes),
                            out)
           .ok())
    return Corruption("wrapped data key does not unwrap");
  return owner;
}

// A DEK shipped to a follower: nonce (24) ‖ ciphertext (32) ‖ tag (16) under
// the key-transport key, associated data "<context>\n<kid>\n<owner>" (a
// valid kid has no newline, so the text names one kid and owner only).
constexpr std::size_t kSealedTransportBytes =
    crypto::kAeadNonceBytes + kWrappedDekBytes;

std::string TransportAd(std::string_view kid, std::string_view owner) {
  return std::string(kKeyTransportContext) + "\n" + std::string(kid) + "\n" +
         std::string(owner);
}

std::string SealForTransport(const crypto::SecretBytes& key,
                             std::string_view kid, std::string_view owner,
                             const crypto::SecretBytes& dek) {
  auto nonce = crypto::AeadNonce::Random();
  Bytes ct = crypto::AeadSeal(key, nonce, AsBytes(TransportAd(kid, owner)),
                              dek.view());
  std::string out(AsChars(nonce.view()));
  out.append(AsChars(ct));
  return out;
}

// Opens a shipped DEK into `out` (kAeadKeyBytes of secure memory).
Status OpenFromTransport(const crypto::SecretBytes& key, std::string_view kid,
                         std::string_view owner, std::string_view sealed,
                         crypto::SecretBytes& out) {
  if (sealed.size() != kSealedTransportBytes)
    return Corruption("a replicated data key has the wrong size");
  crypto::AeadNonce nonce;
  std::memcpy(nonce.bytes.data(), sealed.data(), nonce.bytes.size());
  if (!crypto::AeadOpenInto(key, nonce, AsBytes(TransportAd(kid, owner)),
                            AsBytes(sealed).subspan(crypto::kAeadNonceBytes),
                            out)
           .ok())
    return Corruption(
        "a replicated data key does not open (another master key, altered, or "
        "bound to another owner or kid)");
  return Status::Ok();
}

// A destroyed record: the epoch it was destroyed in (8, BE) ‖ the kid.
Result<std::pair<std::uint32_t, std::string>> ParseDestroyed(ByteView v) {
  if (v.size() < 9) return Corruption("destroyed-key record too short");
  return std::make_pair(static_cast<std::uint32_t>(DecodeBigEndian64(v.first(8))),
                        std::string(AsChars(v.subspan(8))));
}

}  // namespace

Result<std::unique_ptr<Keystore>> Keystore::Open(
    const std::string& dir, const crypto::SecretBytes& master, bool create) {
  lmdb::EnvOptions opts;
  opts.initial_map_size = std::size_t{16} << 20;
  CL_ASSIGN_OR_RETURN(auto env, lmdb::Env::Open(dir, opts));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi owners, env->OpenDb("owners", create));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi deks, env->OpenDb("deks", create));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi meta, env->OpenDb("meta", create));
  // Added with erasure: created in keystores made before it, too.
  CL_ASSIGN_OR_RETURN(lmdb::Dbi destroyed, env->OpenDb("destroyed", true));
  // Added with the identity index: likewise.
  CL_ASSIGN_OR_RETURN(lmdb::Dbi lookup, env->OpenDb("lookup", true));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi lookup_of, env->OpenDb("lookup_of", true));
  // Added with the key pool: likewise.
  CL_ASSIGN_OR_RETURN(lmdb::Dbi pool, env->OpenDb("pool", true));
  std::uint32_t epoch = 0;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env->BeginRead());
    CL_ASSIGN_OR_RETURN(auto e, txn.Get(meta, AsBytes(kEpochKey)));
    if (e) {
      if (e->size() != 8)
        return Corruption("keystore epoch record has the wrong size");
      epoch = static_cast<std::uint32_t>(DecodeBigEndian64(*e));
    }
  }
  if (epoch == 0) {
    if (!create)
      return NotFound("keystore has no key-encryption key (not initialised)");
    epoch = 1;
    crypto::SecretBytes kek = crypto::NewAeadKey();
    Bytes sealed = SealKek(master, epoch, kek);
    CL_RETURN_IF_ERROR(env->Write([&](lmdb::WriteTxn& txn) -> Status {
      CL_RETURN_IF_ERROR(txn.Put(meta, AsBytes(KekKey(epoch)), sealed));
      auto e = EncodeBigEndian64(epoch);
      return txn.Put(meta, AsBytes(kEpochKey), e);
    }));
  }
  crypto::SecretBytes kek(crypto::kAeadKeyBytes);
  {
    CL_ASSIGN_OR_RETURN(auto txn, env->BeginRead());
    CL_ASSIGN_OR_RETURN(auto rec, txn.Get(meta, AsBytes(KekKey(epoch))));
    if (!rec) return Corruption("keystore lacks the KEK of its current epoch");
    CL_ASSIGN_OR_RETURN(kek, OpenKek(master, epoch, *rec));
  }
  std::set<std::string, std::less<>> gone;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env->BeginRead());
    CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, destroyed));
    for (auto kv = c.First(); ; kv = c.Next()) {
      if (!kv.ok()) return kv.status();
      if (!*kv) break;
      gone.emplace(AsChars((*kv)->key));
    }
  }
  std::unique_ptr<Keystore> ks(new Keystore(
      std::move(env), Dbs{owners, deks, meta, destroyed, lookup, lookup_of, pool},
      epoch, std::move(kek), crypto::DeriveSubkey(master, kLookupPepperContext),
      crypto::DeriveSubkey(master, kKeyTransportContext)));
  ks->destroyed_ = std::move(gone);
  return ks;
}

Keystore::LookupKey Keystore::LookupKeyOf(std::string_view identity) const {
  Bytes h = crypto::Blake2bKeyed(pepper_, AsBytes(identity));
  LookupKey k{};
  std::memcpy(k.data(), h.data(), k.size());
  return k;
}

// Both look-ups see reserved entries first; a stored entry that a reserved
// one replaces (the owner indexed under another key, or the key given to
// another owner) is not seen.
Result<std::optional<std::string>> Keystore::OwnerOf(const LookupKey& key) {
  {
    std::lock_guard lock(reserve_mu_);
    if (auto it = reserved_lookup_.find(key); it != reserved_lookup_.end())
      return std::optional<std::string>(it->second.value);
  }
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(lookup_, ByteView(key)));
  if (!v) return std::optional<std::string>();
  std::string owner(AsChars(*v));
  std::lock_guard lock(reserve_mu_);
  if (auto it = reserved_lookup_of_.find(owner);
      it != reserved_lookup_of_.end() && it->second.value != key)
    return std::optional<std::string>();
  return std::optional<std::string>(std::move(owner));
}

Result<std::optional<Keystore::LookupKey>> Keystore::LookupKeyOfOwner(
    std::string_view owner) {
  {
    std::lock_guard lock(reserve_mu_);
    if (auto it = reserved_lookup_of_.find(owner); it != reserved_lookup_of_.end())
      return std::optional<LookupKey>(it->second.value);
  }
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(lookup_of_, AsBytes(owner)));
  if (!v) return std::optional<LookupKey>();
  if (v->size() != LookupKey{}.size())
    return Corruption("identity index record has the wrong size");
  LookupKey k{};
  std::memcpy(k.data(), v->data(), k.size());
  std::lock_guard lock(reserve_mu_);
  if (auto it = reserved_lookup_.find(k);
      it != reserved_lookup_.end() && it->second.value != owner)
    return std::optional<LookupKey>();
  return std::optional<LookupKey>(k);
}

Status Keystore::DropIndex(lmdb::WriteTxn& txn, std::string_view owner) {
  CL_ASSIGN_OR_RETURN(auto old, txn.Get(lookup_of_, AsBytes(owner)));
  if (!old) return Status::Ok();
  const Bytes old_key(old->begin(), old->end());
  CL_ASSIGN_OR_RETURN(auto mapped, txn.Get(lookup_, old_key));
  if (mapped && AsChars(*mapped) == owner)
    CL_RETURN_IF_ERROR(txn.Delete(lookup_, old_key));
  return txn.Delete(lookup_of_, AsBytes(owner));
}

Status Keystore::PutIndex(lmdb::WriteTxn& txn, const IndexEntry& e) {
  CL_RETURN_IF_ERROR(DropIndex(txn, e.owner));
  CL_ASSIGN_OR_RETURN(auto other, txn.Get(lookup_, ByteView(e.key)));
  if (other) {
    const std::string previous(AsChars(*other));
    CL_RETURN_IF_ERROR(txn.Delete(lookup_of_, AsBytes(previous)));
  }
  CL_RETURN_IF_ERROR(txn.Put(lookup_, ByteView(e.key), AsBytes(e.owner)));
  return txn.Put(lookup_of_, AsBytes(e.owner), ByteView(e.key));
}

Result<std::vector<std::string>> Keystore::EnsureKeys(
    std::span<const std::string> owners, std::span<const IndexEntry> index) {
  CL_ASSIGN_OR_RETURN(Reservation r, ReserveKeys(owners, index));
  if (r.ticket != 0) CL_RETURN_IF_ERROR(StoreReserved(r.ticket));
  // A Destroy between the two steps: its owner's new key was not stored.
  for (const std::string& o : owners) {
    if (IsDestroyed(o)) {
      return FailedPrecondition(
          "the owner's data key was destroyed (erased); no key is ever made "
          "for it again");
    }
  }
  return std::move(r.kids);
}

Result<Keystore::Reservation> Keystore::ReserveKeys(
    std::span<const std::string> owners, std::span<const IndexEntry> index) {
  // Held throughout, so that two reservations never both make a key for the
  // same owner, and a store never forgets an entry this one is reusing.
  std::lock_guard lock(reserve_mu_);
  for (const std::string& o : owners) {
    if (IsDestroyed(o)) {
      return FailedPrecondition(
          "the owner's data key was destroyed (erased); no key is ever made "
          "for it again");
    }
  }
  Reservation out;
  out.kids.resize(owners.size());
  const std::uint64_t ticket = next_ticket_ + 1;
  Reserved r;
  r.ticket = ticket;
  // First every read (which may fail), then the new keys (which cannot), so
  // that a failed reservation leaves nothing behind.
  std::vector<std::size_t> missing;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    for (std::size_t i = 0; i < owners.size(); ++i) {
      if (auto it = reserved_kid_.find(owners[i]); it != reserved_kid_.end()) {
        out.kids[i] = it->second.value;
        out.ticket = std::max(out.ticket, it->second.ticket);
        continue;
      }
      if (auto it = handed_.find(owners[i]); it != handed_.end()) {
        out.kids[i] = it->second.kid;
        continue;
      }
      CL_ASSIGN_OR_RETURN(auto kid, txn.Get(owners_, AsBytes(owners[i])));
      if (kid)
        out.kids[i] = std::string(AsChars(*kid));
      else
        missing.push_back(i);
    }
  }
  // New owners without an index entry here take pool keys: unwrapped first
  // (which may fail), handed out below.
  std::set<std::string_view> indexed;
  for (const IndexEntry& e : index) indexed.insert(e.owner);
  std::vector<std::shared_ptr<crypto::SecretBytes>> pooled;
  if (pool_ready_) {
    std::set<std::string_view> wanting;
    for (std::size_t i : missing)
      if (!indexed.contains(owners[i])) wanting.insert(owners[i]);
    for (std::size_t j = 0; j < wanting.size() && j < pool_free_.size(); ++j) {
      std::shared_ptr<crypto::SecretBytes> dek = NewDekBuffer();
      CL_ASSIGN_OR_RETURN(std::string none, UnwrapDek(kek_, epoch_, pool_free_[j].kid,
                                                      pool_free_[j].record, *dek));
      if (!none.empty()) return Corruption("a pool key's record names an owner");
      pooled.push_back(std::move(dek));
    }
  }
  std::size_t next_pooled = 0;
  for (std::size_t i : missing) {
    if (auto it = reserved_kid_.find(owners[i]); it != reserved_kid_.end()) {
      out.kids[i] = it->second.value;  // named twice in this reservation
      continue;
    }
    if (auto it = handed_.find(owners[i]); it != handed_.end()) {
      out.kids[i] = it->second.kid;  // likewise
      continue;
    }
    if (next_pooled < pooled.size() && !indexed.contains(owners[i])) {
      PoolKey p = std::move(pool_free_.front());
      pool_free_.pop_front();
      if (handed_.empty()) first_handed_ = std::chrono::steady_clock::now();
      handed_kid_.insert_or_assign(p.kid, owners[i]);
      handed_.insert_or_assign(owners[i], HandedOut{p.kid, std::move(pooled[next_pooled++])});
      out.kids[i] = std::move(p.kid);
      continue;
    }
    ReservedKey k{owners[i], FormatId("k", crypto::RandomArray<kIdRandomBytes>()), {}, nullptr};
    std::shared_ptr<crypto::SecretBytes> dek = NewDekBuffer();
    dek->Randomize();  // as crypto_aead_xchacha20poly1305_ietf_keygen
    k.record = WrapDek(kek_, epoch_, k.kid, k.owner, *dek);
    k.dek = std::move(dek);
    reserved_kid_.insert_or_assign(k.owner, Ticketed<std::string>{k.kid, ticket});
    reserved_dek_.insert_or_assign(
        k.kid, Ticketed<std::shared_ptr<const crypto::SecretBytes>>{k.dek, ticket});
    out.kids[i] = k.kid;
    r.keys.push_back(std::move(k));
  }
  for (const IndexEntry& e : index) {
    reserved_lookup_.insert_or_assign(e.key, Ticketed<std::string>{e.owner, ticket});
    reserved_lookup_of_.insert_or_assign(e.owner, Ticketed<LookupKey>{e.key, ticket});
    r.index.push_back(e);
  }
  if (!r.keys.empty() || !r.index.empty()) {
    next_ticket_ = ticket;
    out.ticket = ticket;
    reserved_.push_back(std::move(r));
  }
  return out;
}

Status Keystore::StoreReserved(std::uint64_t ticket, std::optional<std::uint64_t> log_size) {
  std::lock_guard write_lock(write_mu_);
  return StoreReservedLocked(ticket, log_size);
}

bool Keystore::DroppedLocked(std::uint64_t ticket) const {
  return std::any_of(dropped_.begin(), dropped_.end(), [&](const auto& range) {
    return range.first <= ticket && ticket <= range.second;
  });
}

void Keystore::ForgetReservedLocked(std::uint64_t through) {
  auto done = [&](const auto& entry) { return entry.second.ticket <= through; };
  std::erase_if(reserved_kid_, done);
  std::erase_if(reserved_dek_, done);
  std::erase_if(reserved_lookup_, done);
  std::erase_if(reserved_lookup_of_, done);
}

Status Keystore::StoreReservedLocked(std::uint64_t ticket,
                                     std::optional<std::uint64_t> log_size) {
  const Status dropped = Unavailable(
      "the data keys reserved for this write were not stored (an earlier store failed)");
  std::deque<Reserved> take;
  // Handed-out pool keys to bind (owner, kid, key), and new pool keys.
  struct Binding {
    std::string owner, kid;
    std::shared_ptr<const crypto::SecretBytes> dek;
    Bytes record;
  };
  std::vector<Binding> bind;
  std::vector<PoolKey> fill;
  {
    std::lock_guard lock(reserve_mu_);
    if (ticket != 0 && DroppedLocked(ticket)) return dropped;
    if (!reserved_.empty() && reserved_.front().ticket <= ticket)
      take.swap(reserved_);  // every reservation, later ones too: one fsync for all
    for (const auto& [owner, h] : handed_)
      if (!IsDestroyed(owner)) bind.push_back({owner, h.kid, h.dek, {}});
    if (log_size && pool_ready_ && pool_free_.size() < kPoolLowWater)
      fill.resize(kPoolTarget - pool_free_.size());
  }
  if (take.empty() && bind.empty() && fill.empty() && !log_size) return Status::Ok();
  // An owner destroyed since its key was reserved gets no key on disk: what
  // was encrypted under it is as erased.
  std::vector<const ReservedKey*> keep;
  for (const Reserved& r : take)
    for (const ReservedKey& k : r.keys)
      if (!IsDestroyed(k.owner)) keep.push_back(&k);
  for (Binding& b : bind) b.record = WrapDek(kek_, epoch_, b.kid, b.owner, *b.dek);
  if (!fill.empty()) {
    crypto::SecretBytes dek(crypto::kAeadKeyBytes);  // one buffer for all
    for (PoolKey& p : fill) {
      p.kid = FormatId("k", crypto::RandomArray<kIdRandomBytes>());
      dek.Randomize();
      p.record = WrapDek(kek_, epoch_, p.kid, "", dek);
    }
    dek.Wipe();
  }
  Status s = env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    for (const ReservedKey* k : keep) {
      CL_RETURN_IF_ERROR(txn.Put(owners_, AsBytes(k->owner), AsBytes(k->kid),
                                 lmdb::PutMode::kNoOverwrite));
      CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(k->kid), k->record,
                                 lmdb::PutMode::kNoOverwrite));
    }
    // After the keys, in reservation order: a later entry for the same
    // lookup key or owner replaces an earlier one.
    for (const Reserved& r : take)
      for (const IndexEntry& e : r.index)
        if (!IsDestroyed(e.owner)) CL_RETURN_IF_ERROR(PutIndex(txn, e));
    // A handed-out key of an owner destroyed meanwhile was bound before the
    // owner's destruction (Destroy stores first); it is never in `bind`.
    for (const Binding& b : bind) {
      CL_RETURN_IF_ERROR(txn.Put(owners_, AsBytes(b.owner), AsBytes(b.kid),
                                 lmdb::PutMode::kNoOverwrite));
      CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(b.kid), b.record, lmdb::PutMode::kNoOverwrite));
      CL_RETURN_IF_ERROR(txn.Delete(pool_, AsBytes(b.kid)));
    }
    for (const PoolKey& p : fill)
      CL_RETURN_IF_ERROR(txn.Put(pool_, AsBytes(p.kid), p.record, lmdb::PutMode::kNoOverwrite));
    if (log_size) {
      auto w = EncodeBigEndian64(*log_size);
      CL_RETURN_IF_ERROR(txn.Put(meta_, AsBytes(kPoolBoundKey), w));
    }
    return Status::Ok();
  });
  if (s.ok()) {
    std::lock_guard cache_lock(cache_mu_);
    for (const ReservedKey* k : keep) CacheLocked(k->kid, k->dek);
    for (const Binding& b : bind) CacheLocked(b.kid, b.dek);
  }
  std::lock_guard lock(reserve_mu_);
  if (s.ok()) {
    // Keys handed out after the snapshot above stay for the next store.
    for (const Binding& b : bind) {
      handed_.erase(b.owner);
      handed_kid_.erase(b.kid);
    }
    if (!handed_.empty()) first_handed_ = std::chrono::steady_clock::now();
    for (PoolKey& p : fill) pool_free_.push_back(std::move(p));
  }
  if (take.empty()) return s;
  const std::uint64_t first = take.front().ticket, last = take.back().ticket;
  if (!s.ok()) dropped_.emplace_back(first, last);
  stored_through_ = std::max(stored_through_, last);
  ForgetReservedLocked(last);
  return s;
}

Result<std::optional<std::uint64_t>> Keystore::PoolScanFrom(std::uint64_t log_size) {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, pool_));
  CL_ASSIGN_OR_RETURN(auto any, c.First());
  if (!any) return std::optional<std::uint64_t>();
  CL_ASSIGN_OR_RETURN(auto w, txn.Get(meta_, AsBytes(kPoolBoundKey)));
  std::uint64_t from = 0;
  if (w) {
    if (w->size() != 8) return Corruption("keystore pool watermark has the wrong size");
    from = DecodeBigEndian64(*w);
  }
  return std::optional<std::uint64_t>(std::min(from, log_size));
}

Status Keystore::RecoverPool(std::span<const KeyUse> uses, std::uint64_t log_size,
                             bool use_pool) {
  std::lock_guard write_lock(write_mu_);
  // Every pool record on disk; nothing is handed out before this returns.
  std::map<std::string, Bytes, std::less<>> on_disk;
  std::optional<std::uint64_t> watermark;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    CL_ASSIGN_OR_RETURN(auto w, txn.Get(meta_, AsBytes(kPoolBoundKey)));
    if (w && w->size() == 8) watermark = DecodeBigEndian64(*w);
    CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, pool_));
    for (auto kv = c.First();; kv = c.Next()) {
      if (!kv.ok()) return kv.status();
      if (!*kv) break;
      on_disk.emplace(std::string(AsChars((*kv)->key)),
                      Bytes((*kv)->value.begin(), (*kv)->value.end()));
    }
  }
  struct Found {
    std::string owner;
    Bytes record;  // wrapped for the owner; empty: delete (owner destroyed)
  };
  std::map<std::string, Found, std::less<>> found;  // kid ->
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    crypto::SecretBytes dek(crypto::kAeadKeyBytes);
    for (const KeyUse& u : uses) {
      auto rec = on_disk.find(u.kid);
      if (rec == on_disk.end()) continue;  // bound already, or not a pool key
      if (auto f = found.find(u.kid); f != found.end()) {
        if (f->second.owner != u.owner)
          return Corruption("a pool data key is used by events of two owners");
        continue;
      }
      Found f{u.owner, {}};
      if (!IsDestroyed(u.owner)) {
        CL_ASSIGN_OR_RETURN(auto held, txn.Get(owners_, AsBytes(u.owner)));
        if (held) return Corruption("a pool data key is used by an owner that holds another kid");
        CL_ASSIGN_OR_RETURN(std::string none, UnwrapDek(kek_, epoch_, u.kid, rec->second, dek));
        if (!none.empty()) return Corruption("a pool key's record names an owner");
        f.record = WrapDek(kek_, epoch_, u.kid, u.owner, dek);
      }
      found.emplace(u.kid, std::move(f));
    }
    dek.Wipe();
  }
  // Nothing to bind and the watermark in place (a clean stop, or a second
  // call): no write.
  if (!found.empty() || watermark != log_size) {
    CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
      for (const auto& [kid, f] : found) {
        if (!f.record.empty()) {
          CL_RETURN_IF_ERROR(txn.Put(owners_, AsBytes(f.owner), AsBytes(kid),
                                     lmdb::PutMode::kNoOverwrite));
          CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(kid), f.record, lmdb::PutMode::kNoOverwrite));
        }
        CL_RETURN_IF_ERROR(txn.Delete(pool_, AsBytes(kid)));
      }
      auto w = EncodeBigEndian64(log_size);
      return txn.Put(meta_, AsBytes(kPoolBoundKey), w);
    }));
  }
  std::lock_guard lock(reserve_mu_);
  pool_free_.clear();
  for (auto& [kid, record] : on_disk)
    if (!found.contains(kid)) pool_free_.push_back(PoolKey{kid, std::move(record)});
  pool_ready_ = use_pool;
  pool_recovered_ = true;
  return Status::Ok();
}

bool Keystore::PoolRecovered() const {
  std::lock_guard lock(reserve_mu_);
  return pool_recovered_;
}

bool Keystore::PoolWorkDue(std::chrono::milliseconds bind_after) const {
  std::lock_guard lock(reserve_mu_);
  if (!pool_ready_) return false;
  if (pool_free_.size() < kPoolLowWater || handed_.size() >= kBindEvery) return true;
  return !handed_.empty() && std::chrono::steady_clock::now() - first_handed_ >= bind_after;
}

std::size_t Keystore::PoolFree() const {
  std::lock_guard lock(reserve_mu_);
  return pool_free_.size();
}

Result<std::vector<Keystore::KeyExport>> Keystore::ExportKeys(
    std::span<const std::string> owners) {
  struct Held {
    std::string owner, kid;
    Bytes record;
    std::optional<LookupKey> lookup;
    std::shared_ptr<const crypto::SecretBytes> handed;  // a pool key not bound yet
  };
  std::vector<Held> held;
  {
    std::set<std::string_view> seen;
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    for (const std::string& o : owners) {
      if (!seen.insert(o).second) continue;
      Held h{o, {}, {}, std::nullopt, nullptr};
      {
        std::lock_guard lock(reserve_mu_);
        if (auto it = handed_.find(o); it != handed_.end()) {
          h.kid = it->second.kid;
          h.handed = it->second.dek;
        }
      }
      if (!h.handed) {
        CL_ASSIGN_OR_RETURN(auto kid, txn.Get(owners_, AsBytes(o)));
        if (!kid) continue;  // never created, or destroyed
        h.kid = std::string(AsChars(*kid));
        CL_ASSIGN_OR_RETURN(auto rec, txn.Get(deks_, AsBytes(h.kid)));
        if (!rec)
          return Corruption("an owner's kid has no wrapped data key record");
        h.record.assign(rec->begin(), rec->end());
      }
      CL_ASSIGN_OR_RETURN(auto lk, txn.Get(lookup_of_, AsBytes(o)));
      if (lk) {
        if (lk->size() != LookupKey{}.size())
          return Corruption("identity index record has the wrong size");
        h.lookup.emplace();
        std::memcpy(h.lookup->data(), lk->data(), h.lookup->size());
      }
      held.push_back(std::move(h));
    }
  }
  std::vector<KeyExport> out;
  out.reserve(held.size());
  crypto::SecretBytes dek(crypto::kAeadKeyBytes);  // one buffer for all unwraps
  for (Held& h : held) {
    if (h.handed) {
      if (IsDestroyed(h.owner)) continue;
      out.push_back(KeyExport{h.owner, h.kid, SealForTransport(transport_, h.kid, h.owner, *h.handed),
                              h.lookup});
      continue;
    }
    CL_ASSIGN_OR_RETURN(std::string named,
                        UnwrapDek(kek_, epoch_, h.kid, h.record, dek));
    if (named != h.owner)
      return Corruption(
          "a wrapped data key record names another owner than its owners "
          "entry");
    // A Destroy that committed after the read above: no longer live.
    if (IsDestroyed(h.owner)) continue;
    out.push_back(KeyExport{std::move(h.owner), h.kid,
                            SealForTransport(transport_, h.kid, named, dek),
                            h.lookup});
  }
  return out;
}

Result<std::size_t> Keystore::ImportKeys(std::span<const KeyExport> keys) {
  std::lock_guard write_lock(write_mu_);
  // Checked against the disk below: reserved keys go there first.
  CL_RETURN_IF_ERROR(StoreReservedLocked(kStoreEveryReserved));
  // Every key is checked and opened before anything is written, so a batch
  // is stored whole or not at all. With write_mu_ held, nothing in this
  // process changes the DBs or the destroyed set meanwhile.
  struct NewKey {
    const KeyExport* from;
    Bytes record;
    crypto::SecretBytes dek;
  };
  std::vector<NewKey> stored;
  std::map<std::string_view, std::string_view, std::less<>>
      batch_kid_of;  // owner -> kid
  std::set<std::string_view, std::less<>> batch_kids;
  crypto::SecretBytes scratch(crypto::kAeadKeyBytes);  // for keys not stored
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    for (const KeyExport& k : keys) {
      if (!ValidateId(k.kid, "k", "kid").ok())
        return Corruption("a replicated data key has a malformed kid");
      // The tombstone wins; the key is still checked below.
      bool store = !IsDestroyed(k.owner);
      if (store) {
        std::optional<std::string> have;
        CL_ASSIGN_OR_RETURN(auto kid, txn.Get(owners_, AsBytes(k.owner)));
        if (kid) {
          have.emplace(AsChars(*kid));
        } else if (auto it = batch_kid_of.find(k.owner);
                   it != batch_kid_of.end()) {
          have.emplace(it->second);
        }
        if (have && *have != k.kid)
          return Corruption(
              "a replicated data key's owner holds another kid here");
        store = !have;
      }
      if (store) {
        CL_ASSIGN_OR_RETURN(auto rec, txn.Get(deks_, AsBytes(k.kid)));
        if (rec || batch_kids.contains(k.kid))
          return Corruption(
              "a replicated data key's kid is held by another owner here");
      }
      if (!store) {
        CL_RETURN_IF_ERROR(
            OpenFromTransport(transport_, k.kid, k.owner, k.sealed, scratch));
        continue;
      }
      NewKey n{&k, {}, crypto::SecretBytes(crypto::kAeadKeyBytes)};
      CL_RETURN_IF_ERROR(
          OpenFromTransport(transport_, k.kid, k.owner, k.sealed, n.dek));
      n.record = WrapDek(kek_, epoch_, k.kid, k.owner, n.dek);
      batch_kid_of.emplace(k.owner, k.kid);
      batch_kids.insert(k.kid);
      stored.push_back(std::move(n));
    }
  }
  scratch.Wipe();
  if (stored.empty()) return std::size_t{0};
  CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    for (const NewKey& n : stored) {
      const KeyExport& k = *n.from;
      CL_RETURN_IF_ERROR(txn.Put(owners_, AsBytes(k.owner), AsBytes(k.kid),
                                 lmdb::PutMode::kNoOverwrite));
      CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(k.kid), n.record,
                                 lmdb::PutMode::kNoOverwrite));
    }
    // After the keys, as in EnsureKeys: a later entry for the same lookup
    // key replaces an earlier one.
    for (const NewKey& n : stored) {
      if (n.from->lookup)
        CL_RETURN_IF_ERROR(
            PutIndex(txn, IndexEntry{*n.from->lookup, n.from->owner}));
    }
    return Status::Ok();
  }));
  std::lock_guard cache_lock(cache_mu_);
  for (NewKey& n : stored)
    CacheLocked(n.from->kid,
                std::make_shared<const crypto::SecretBytes>(std::move(n.dek)));
  return stored.size();
}

Status Keystore::ProbeWrite(std::size_t bytes) {
  std::lock_guard write_lock(write_mu_);
  return env_->ProbeWrite(meta_, "probe", bytes);
}

void Keystore::CacheLocked(std::string kid, std::shared_ptr<const crypto::SecretBytes> dek) {
  // Every cached key is its own sodium_malloc region (guard pages, mlock), and
  // the kernel limits how many mappings a process may have: keep the cache
  // bounded. Evicting an arbitrary entry is enough; a miss costs one unwrap.
  while (cache_.size() >= kMaxCachedKeys) cache_.erase(cache_.begin());
  cache_.insert_or_assign(std::move(kid), std::move(dek));
}

Result<std::string> Keystore::KidOf(std::string_view owner) {
  {
    std::lock_guard lock(reserve_mu_);
    if (auto it = reserved_kid_.find(owner); it != reserved_kid_.end()) return it->second.value;
    if (auto it = handed_.find(owner); it != handed_.end()) return it->second.kid;
  }
  return StoredKidOf(owner);
}

Result<std::string> Keystore::StoredKidOf(std::string_view owner) {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto kid, txn.Get(owners_, AsBytes(owner)));
  if (!kid) return NotFound("no data key for this owner");
  return std::string(AsChars(*kid));
}

Result<std::shared_ptr<const crypto::SecretBytes>> Keystore::DataKey(
    std::string_view kid) {
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(kid);
    if (it != cache_.end()) return it->second;
  }
  {
    std::lock_guard lock(reserve_mu_);
    if (auto it = reserved_dek_.find(kid); it != reserved_dek_.end()) return it->second.value;
    if (auto it = handed_kid_.find(kid); it != handed_kid_.end())
      return handed_.find(it->second)->second.dek;
  }
  Bytes record;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    CL_ASSIGN_OR_RETURN(auto rec, txn.Get(deks_, AsBytes(kid)));
    // A pool key used by events whose binding a crash lost and no writer
    // has recovered yet (an offline reader of the data directory).
    if (!rec) {
      CL_ASSIGN_OR_RETURN(rec, txn.Get(pool_, AsBytes(kid)));
    }
    if (!rec)
      return NotFound("data key not found (never created or destroyed)");
    record.assign(rec->begin(), rec->end());
  }
  std::shared_ptr<crypto::SecretBytes> dek = NewDekBuffer();
  CL_ASSIGN_OR_RETURN(std::string owner, UnwrapDek(kek_, epoch_, kid, record, *dek));
  std::shared_ptr<const crypto::SecretBytes> shared = std::move(dek);
  std::lock_guard lock(cache_mu_);
  // A Destroy that committed after the read above: never cache its key.
  if (IsDestroyed(owner)) return NotFound("data key not found (never created or destroyed)");
  CacheLocked(std::string(kid), shared);
  return shared;
}

bool Keystore::IsDestroyed(std::string_view owner) const {
  std::lock_guard lock(destroyed_mu_);
  return destroyed_.find(owner) != destroyed_.end();
}

Result<std::optional<std::string>> Keystore::DestroyedKid(std::string_view owner) {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(destroyed_db_, AsBytes(owner)));
  if (!v) return std::optional<std::string>();
  CL_ASSIGN_OR_RETURN(auto d, ParseDestroyed(*v));
  return std::optional<std::string>(std::move(d.second));
}

Result<std::optional<std::string>> Keystore::ErasureKid(std::string_view owner) {
  auto live = KidOf(owner);
  if (live.ok()) return std::optional<std::string>(std::move(*live));
  if (live.status().code() != StatusCode::kNotFound) return live.status();
  return DestroyedKid(owner);
}

Result<std::string> Keystore::Destroy(std::string_view owner) {
  std::lock_guard write_lock(write_mu_);
  // A key reserved for the owner is destroyed on disk like any other.
  CL_RETURN_IF_ERROR(StoreReservedLocked(kStoreEveryReserved));
  CL_ASSIGN_OR_RETURN(std::optional<std::string> gone, DestroyedKid(owner));
  if (gone) return *gone;
  CL_ASSIGN_OR_RETURN(std::string kid, StoredKidOf(owner));
  std::optional<std::string> late_pool_kid;
  CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    CL_RETURN_IF_ERROR(txn.Delete(deks_, AsBytes(kid)));
    CL_RETURN_IF_ERROR(txn.Delete(owners_, AsBytes(owner)));
    CL_RETURN_IF_ERROR(DropIndex(txn, owner));
    auto ep = EncodeBigEndian64(epoch_);
    Bytes rec;
    rec.reserve(ep.size() + kid.size());
    rec.insert(rec.end(), ep.begin(), ep.end());
    rec.insert(rec.end(), kid.begin(), kid.end());
    return txn.Put(destroyed_db_, AsBytes(owner), rec, lmdb::PutMode::kNoOverwrite);
  }));
  {
    std::lock_guard lock(reserve_mu_);
    {
      std::lock_guard destroyed_lock(destroyed_mu_);
      destroyed_.emplace(owner);
    }
    // A key reserved for the owner after the store above is never stored
    // (StoreReservedLocked skips destroyed owners); forget it now.
    if (auto it = reserved_kid_.find(owner); it != reserved_kid_.end()) {
      reserved_dek_.erase(it->second.value);
      reserved_kid_.erase(it);
    }
    if (auto it = reserved_lookup_of_.find(owner); it != reserved_lookup_of_.end()) {
      if (auto k = reserved_lookup_.find(it->second.value);
          k != reserved_lookup_.end() && k->second.value == owner)
        reserved_lookup_.erase(k);
      reserved_lookup_of_.erase(it);
    }
    // Likewise a pool key handed out to the owner after that store: never
    // bound, and never handed out again (its record is deleted below).
    if (auto it = handed_.find(owner); it != handed_.end()) {
      late_pool_kid = it->second.kid;
      handed_kid_.erase(it->second.kid);
      handed_.erase(it);
    }
  }
  if (late_pool_kid) {
    CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
      return txn.Delete(pool_, AsBytes(*late_pool_kid));
    }));
  }
  {
    // The cached copy is wiped when its last user lets go (SecretBytes).
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(kid); it != cache_.end()) cache_.erase(it);
  }
  return kid;
}

namespace {

Result<Keystore::ErasureRecords> ReadErasureRecords(const lmdb::ReadTxn& txn, lmdb::Dbi meta,
                                                    lmdb::Dbi destroyed) {
  std::uint32_t final_epoch = 0;
  CL_ASSIGN_OR_RETURN(auto f, txn.Get(meta, AsBytes(kFinalEpochKey)));
  if (f) {
    if (f->size() != 8) return Corruption("keystore final_epoch record has the wrong size");
    final_epoch = static_cast<std::uint32_t>(DecodeBigEndian64(*f));
  }
  Keystore::ErasureRecords out;
  CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, destroyed));
  for (auto kv = c.First();; kv = c.Next()) {
    if (!kv.ok()) return kv.status();
    if (!*kv) break;
    CL_ASSIGN_OR_RETURN(auto d, ParseDestroyed((*kv)->value));
    out.destroyed.emplace(AsChars((*kv)->key));
    if (d.first >= final_epoch) out.pending.emplace_back(AsChars((*kv)->key));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> Keystore::PendingErasures() {
  CL_ASSIGN_OR_RETURN(ErasureRecords r, Erasures());
  return std::move(r.pending);
}

Result<Keystore::ErasureRecords> Keystore::Erasures() {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  return ReadErasureRecords(txn, meta_, destroyed_db_);
}

Result<Keystore::ErasureRecords> Keystore::ReadErasures(const std::string& dir) {
  lmdb::EnvOptions opts;
  opts.read_only = true;
  CL_ASSIGN_OR_RETURN(auto env, lmdb::Env::Open(dir, opts));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi meta, env->OpenDb("meta", false));
  auto destroyed = env->OpenDb("destroyed", false);
  // A keystore made before erasure existed has no such DB: nothing destroyed.
  if (!destroyed.ok() && destroyed.status().code() == StatusCode::kNotFound)
    return ErasureRecords{};
  if (!destroyed.ok()) return destroyed.status();
  CL_ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  return ReadErasureRecords(txn, meta, *destroyed);
}

Result<std::uint64_t> Keystore::LiveKeys() {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, deks_));
  std::uint64_t n = 0;
  for (auto kv = c.First();; kv = c.Next()) {
    if (!kv.ok()) return kv.status();
    if (!*kv) break;
    ++n;
  }
  return n;
}

Result<Keystore::RotateReport> Keystore::RewrapAll(const crypto::SecretBytes& master,
                                                   const ProgressFn& progress) {
  std::lock_guard write_lock(write_mu_);
  RotateReport r;
  r.old_epoch = epoch_;
  r.new_epoch = epoch_ + 1;
  // Read every record first (the txn below rewrites the DB it would iterate).
  // The pool's keys too (owner ""): a crash may have left events under
  // them whose binding only the next writer recovers.
  std::vector<std::pair<std::string, Bytes>> records, pool_records;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    for (auto [db, into] : {std::pair{deks_, &records}, std::pair{pool_, &pool_records}}) {
      CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, db));
      for (auto kv = c.First();; kv = c.Next()) {
        if (!kv.ok()) return kv.status();
        if (!*kv) break;
        into->emplace_back(std::string(AsChars((*kv)->key)),
                           Bytes((*kv)->value.begin(), (*kv)->value.end()));
      }
    }
  }
  crypto::SecretBytes new_kek = crypto::NewAeadKey();
  crypto::SecretBytes dek(crypto::kAeadKeyBytes);  // one buffer for all unwraps
  std::uint64_t done = 0;
  if (progress) progress(0, records.size());
  for (auto& [kid, record] : records) {
    CL_ASSIGN_OR_RETURN(std::string owner, UnwrapDek(kek_, epoch_, kid, record, dek));
    record = WrapDek(new_kek, r.new_epoch, kid, owner, dek);
    if (progress && ++done % 4096 == 0) progress(done, records.size());
  }
  for (auto& [kid, record] : pool_records) {
    CL_ASSIGN_OR_RETURN(std::string owner, UnwrapDek(kek_, epoch_, kid, record, dek));
    record = WrapDek(new_kek, r.new_epoch, kid, owner, dek);
  }
  dek.Wipe();
  const Bytes sealed = SealKek(master, r.new_epoch, new_kek);
  CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    for (const auto& [kid, record] : records)
      CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(kid), record));
    for (const auto& [kid, record] : pool_records)
      CL_RETURN_IF_ERROR(txn.Put(pool_, AsBytes(kid), record));
    CL_RETURN_IF_ERROR(txn.Put(meta_, AsBytes(KekKey(r.new_epoch)), sealed));
    CL_RETURN_IF_ERROR(txn.Delete(meta_, AsBytes(KekKey(r.old_epoch))));
    auto e = EncodeBigEndian64(r.new_epoch);
    return txn.Put(meta_, AsBytes(kEpochKey), e);
  }));
  {
    std::lock_guard lock(cache_mu_);
    cache_.clear();
  }
  epoch_ = r.new_epoch;
  kek_ = std::move(new_kek);
  r.rewrapped = records.size();
  if (progress) progress(r.rewrapped, r.rewrapped);
  return r;
}

Result<Keystore::RotateReport> Keystore::Rotate(const std::string& dir,
                                                const crypto::SecretBytes& master,
                                                const ProgressFn& progress) {
  namespace fs = std::filesystem;
  const std::string file = dir + "/data.mdb";
  std::error_code ec;
  RotateReport r;
  r.file_bytes_before = fs::file_size(file, ec);
  std::size_t pending_before = 0;
  const std::string copy_dir = dir + ".compact";
  {
    CL_ASSIGN_OR_RETURN(auto ks, Open(dir, master, /*create=*/false));
    CL_ASSIGN_OR_RETURN(auto pending, ks->PendingErasures());
    pending_before = pending.size();
    // 1. Re-wrap under a new KEK; the old KEK's record is deleted.
    const std::uint64_t size_before = r.file_bytes_before;
    CL_ASSIGN_OR_RETURN(r, ks->RewrapAll(master, progress));
    r.file_bytes_before = size_before;
    // 2. A compacting copy: only pages in use are copied.
    fs::remove_all(copy_dir, ec);
    if (!fs::create_directory(copy_dir, ec) || ec)
      return IoError("cannot create " + copy_dir);
    CL_RETURN_IF_ERROR(ks->env_->CopyCompact(copy_dir));
  }
  CL_RETURN_IF_ERROR(FsyncPath(copy_dir + "/data.mdb", false));
  if (::rename((copy_dir + "/data.mdb").c_str(), file.c_str()) != 0)
    return IoError("cannot move the compacted keystore into place");
  CL_RETURN_IF_ERROR(FsyncPath(dir, true));
  fs::remove_all(copy_dir, ec);
  r.file_bytes_after = fs::file_size(file, ec);
  // 3. The erasures of earlier epochs are final now.
  CL_ASSIGN_OR_RETURN(auto ks, Open(dir, master, /*create=*/false));
  CL_RETURN_IF_ERROR(ks->MarkFinalBefore(r.new_epoch));
  CL_ASSIGN_OR_RETURN(auto still, ks->PendingErasures());
  r.made_final = pending_before - std::min(pending_before, still.size());
  return r;
}

Status Keystore::MarkFinalBefore(std::uint32_t epoch) {
  return env_->Write([&](lmdb::WriteTxn& txn) {
    auto e = EncodeBigEndian64(epoch);
    return txn.Put(meta_, AsBytes(kFinalEpochKey), e);
  });
}

}  // namespace caseledger::ledger
