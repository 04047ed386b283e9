#include "ledger/keystore.h"

#include <cstring>

#include "base/ids.h"
#include "crypto/aead.h"
#include "crypto/blake2b.h"
#include "crypto/random.h"

namespace caseledger::ledger {

namespace {

constexpr std::string_view kEpochKey = "epoch";
constexpr std::size_t kWrappedDekBytes =
    crypto::kAeadKeyBytes + crypto::kAeadTagBytes;

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

}  // namespace

Result<std::unique_ptr<Keystore>> Keystore::Open(
    const std::string& dir, const crypto::SecretBytes& master, bool create) {
  lmdb::EnvOptions opts;
  opts.initial_map_size = std::size_t{16} << 20;
  CL_ASSIGN_OR_RETURN(auto env, lmdb::Env::Open(dir, opts));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi owners, env->OpenDb("owners", create));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi deks, env->OpenDb("deks", create));
  CL_ASSIGN_OR_RETURN(lmdb::Dbi meta, env->OpenDb("meta", create));
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
  return std::unique_ptr<Keystore>(
      new Keystore(std::move(env), owners, deks, epoch, std::move(kek)));
}

Result<std::vector<std::string>> Keystore::EnsureKeys(
    std::span<const std::string> owners) {
  std::lock_guard write_lock(write_mu_);
  std::vector<std::string> kids(owners.size());
  std::vector<std::size_t> missing;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    for (std::size_t i = 0; i < owners.size(); ++i) {
      CL_ASSIGN_OR_RETURN(auto kid, txn.Get(owners_, AsBytes(owners[i])));
      if (kid)
        kids[i] = std::string(AsChars(*kid));
      else
        missing.push_back(i);
    }
  }
  if (missing.empty()) return kids;
  // New keys: one record per distinct owner.
  struct NewKey {
    std::string owner, kid;
    Bytes record;
    crypto::SecretBytes dek;
  };
  std::vector<NewKey> created;
  std::map<std::string, std::string, std::less<>> by_owner;
  for (std::size_t i : missing) {
    auto it = by_owner.find(owners[i]);
    if (it != by_owner.end()) {
      kids[i] = it->second;
      continue;
    }
    NewKey k{owners[i],
             FormatId("k", crypto::RandomArray<kIdRandomBytes>()),
             {},
             crypto::NewAeadKey()};
    auto nonce = crypto::AeadNonce::Random();
    Bytes wrapped = crypto::AeadSeal(
        kek_, nonce, AsBytes(DekAd(k.kid, k.owner)), k.dek.view());
    auto ep = EncodeBigEndian64(epoch_);
    k.record.assign(ep.begin(), ep.end());
    k.record.insert(k.record.end(), nonce.bytes.begin(), nonce.bytes.end());
    k.record.insert(k.record.end(), wrapped.begin(), wrapped.end());
    k.record.insert(k.record.end(), k.owner.begin(), k.owner.end());
    by_owner.emplace(k.owner, k.kid);
    kids[i] = k.kid;
    created.push_back(std::move(k));
  }
  CL_RETURN_IF_ERROR(env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    for (const auto& k : created) {
      CL_RETURN_IF_ERROR(txn.Put(owners_, AsBytes(k.owner), AsBytes(k.kid),
                                 lmdb::PutMode::kNoOverwrite));
      CL_RETURN_IF_ERROR(txn.Put(deks_, AsBytes(k.kid), k.record,
                                 lmdb::PutMode::kNoOverwrite));
    }
    return Status::Ok();
  }));
  std::lock_guard cache_lock(cache_mu_);
  for (auto& k : created)
    CacheLocked(k.kid, std::make_shared<const crypto::SecretBytes>(std::move(k.dek)));
  return kids;
}

void Keystore::CacheLocked(std::string kid, std::shared_ptr<const crypto::SecretBytes> dek) {
  // Every cached key is its own sodium_malloc region (guard pages, mlock), and
  // the kernel limits how many mappings a process may have: keep the cache
  // bounded. Evicting an arbitrary entry is enough; a miss costs one unwrap.
  while (cache_.size() >= kMaxCachedKeys) cache_.erase(cache_.begin());
  cache_.insert_or_assign(std::move(kid), std::move(dek));
}

Result<std::string> Keystore::KidOf(std::string_view owner) {
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
  Bytes record;
  {
    CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
    CL_ASSIGN_OR_RETURN(auto rec, txn.Get(deks_, AsBytes(kid)));
    if (!rec)
      return NotFound("data key not found (never created or destroyed)");
    record.assign(rec->begin(), rec->end());
  }
  constexpr std::size_t kHead = 8 + crypto::kAeadNonceBytes + kWrappedDekBytes;
  if (record.size() < kHead)
    return Corruption("wrapped data key record too short");
  auto epoch =
      static_cast<std::uint32_t>(DecodeBigEndian64(ByteView(record).first(8)));
  if (epoch != epoch_)
    return Corruption("wrapped data key is of an unknown KEK epoch");
  crypto::AeadNonce nonce;
  std::memcpy(nonce.bytes.data(), record.data() + 8, nonce.bytes.size());
  std::string owner(AsChars(ByteView(record).subspan(kHead)));
  auto dek = crypto::AeadOpenSecret(
      kek_, nonce, AsBytes(DekAd(kid, owner)),
      ByteView(record).subspan(8 + crypto::kAeadNonceBytes, kWrappedDekBytes));
  if (!dek.ok()) return Corruption("wrapped data key does not unwrap");
  auto shared =
      std::make_shared<const crypto::SecretBytes>(std::move(dek).value());
  std::lock_guard lock(cache_mu_);
  CacheLocked(std::string(kid), shared);
  return shared;
}

}  // namespace caseledger::ledger
