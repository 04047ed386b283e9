#include "ledger/keystore.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "crypto/aead.h"
#include "crypto/key_file.h"
#include "ledger/lmdb/env.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::TempDir;

crypto::SecretBytes RandomMaster() {
  crypto::SecretBytes m(32);
  m.Randomize();
  return m;
}

TEST_CASE("Keystore gives each owner one data key that survives reopening",
          "[ledger]") {
  TempDir dir;
  auto master = RandomMaster();
  std::string a = NewId("s"), b = NewId("s");
  std::string kid_a;
  std::shared_ptr<const crypto::SecretBytes> dek_a;
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    std::vector<std::string> owners{a, b, a};
    auto kids = ks->EnsureKeys(owners).value();
    REQUIRE(kids.size() == 3);
    CHECK(kids[0] == kids[2]);
    CHECK(kids[0] != kids[1]);
    CHECK(ValidateId(kids[0], "k", "kid").ok());
    kid_a = kids[0];
    dek_a = ks->DataKey(kid_a).value();
    CHECK(ks->KidOf(a).value() == kid_a);
    std::vector<std::string> again{a};
    CHECK(ks->EnsureKeys(again).value()[0] == kid_a);
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  auto dek = ks->DataKey(kid_a).value();
  CHECK(std::equal(dek->view().begin(), dek->view().end(),
                   dek_a->view().begin()));
  CHECK(ks->DataKey(NewId("k")).status().code() == StatusCode::kNotFound);
  CHECK(ks->KidOf(NewId("s")).status().code() == StatusCode::kNotFound);
}

TEST_CASE("A reserved key is usable at once, reused, and durable only once stored",
          "[ledger]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s"), c = NewId("s");
  std::string kid_a, kid_b;
  Keystore::LookupKey key_a{};
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    key_a = ks->LookupKeyOf("cpr/0000002001");
    std::vector<std::string> owners{a, b, a};
    std::vector<Keystore::IndexEntry> index{{key_a, a}};
    auto r1 = ks->ReserveKeys(owners, index).value();
    REQUIRE(r1.kids.size() == 3);
    CHECK(r1.ticket != 0);
    CHECK(r1.kids[0] == r1.kids[2]);
    CHECK(r1.kids[0] != r1.kids[1]);
    kid_a = r1.kids[0];
    kid_b = r1.kids[1];
    // Seen at once, before anything is on disk.
    CHECK(ks->KidOf(a).value() == kid_a);
    CHECK(ks->DataKey(kid_a).ok());
    CHECK(ks->OwnerOf(key_a).value() == std::optional<std::string>(a));
    CHECK(ks->LookupKeyOfOwner(a).value() == std::optional<Keystore::LookupKey>(key_a));
    CHECK(ks->LiveKeys().value() == 0);
    // A later reservation reuses the reserved key and needs the first ticket.
    std::vector<std::string> again{b};
    auto r2 = ks->ReserveKeys(again).value();
    CHECK(r2.kids[0] == kid_b);
    CHECK(r2.ticket == r1.ticket);
    // One with a new key gets a later ticket; storing it stores the first too.
    std::vector<std::string> third{c};
    auto r3 = ks->ReserveKeys(third).value();
    CHECK(r3.ticket > r1.ticket);
    REQUIRE(ks->StoreReserved(r3.ticket).ok());
    CHECK(ks->LiveKeys().value() == 3);
    CHECK(ks->StoreReserved(r1.ticket).ok());  // already durable
    // Stored: nothing to wait for any more.
    CHECK(ks->ReserveKeys(owners).value().ticket == 0);
  }
  {
    auto ks = Keystore::Open(dir.path(), master, false).value();
    CHECK(ks->KidOf(a).value() == kid_a);
    CHECK(ks->KidOf(b).value() == kid_b);
    CHECK(ks->OwnerOf(key_a).value() == std::optional<std::string>(a));
    // Reserved and never stored: gone with the process.
    const std::string d = NewId("s");
    std::vector<std::string> owners_d{d};
    const std::string kid_d = ks->ReserveKeys(owners_d).value().kids[0];
    CHECK(ks->DataKey(kid_d).ok());
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->LiveKeys().value() == 3);
}

TEST_CASE("A failed store drops its reservations, and the owner gets a new key next time",
          "[ledger]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s");
  auto ks = Keystore::Open(dir.path(), master, true).value();
  std::vector<std::string> owners{a};
  auto r1 = ks->ReserveKeys(owners).value();
  ks->env().InjectCommitFailures(EIO, 1);
  CHECK_FALSE(ks->StoreReserved(r1.ticket).ok());
  // Dropped: never stored, never used again, and asking again fails too.
  CHECK(ks->StoreReserved(r1.ticket).code() == StatusCode::kUnavailable);
  CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
  CHECK(ks->DataKey(r1.kids[0]).status().code() == StatusCode::kNotFound);
  auto r2 = ks->ReserveKeys(owners).value();
  CHECK(r2.kids[0] != r1.kids[0]);
  CHECK(r2.ticket > r1.ticket);
  REQUIRE(ks->StoreReserved(r2.ticket).ok());
  CHECK(ks->KidOf(a).value() == r2.kids[0]);
  // EnsureKeys is the two steps at once.
  std::vector<std::string> owners_b{b};
  const std::string kid_b = ks->EnsureKeys(owners_b).value()[0];
  CHECK(ks->LiveKeys().value() == 2);
  CHECK(ks->KidOf(b).value() == kid_b);
}

TEST_CASE("Destroying an owner whose key is only reserved destroys it on disk",
          "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s");
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    std::vector<std::string> owners{a, b};
    auto r = ks->ReserveKeys(owners).value();
    const std::string kid_a = ks->Destroy(a).value();
    CHECK(kid_a == r.kids[0]);
    CHECK(ks->IsDestroyed(a));
    CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
    CHECK(ks->DataKey(kid_a).status().code() == StatusCode::kNotFound);
    CHECK(ks->DestroyedKid(a).value() == std::optional<std::string>(kid_a));
    // The other reservation of the same store is durable, and a destroyed
    // owner is never reserved again.
    CHECK(ks->StoreReserved(r.ticket).ok());
    CHECK(ks->KidOf(b).value() == r.kids[1]);
    std::vector<std::string> owners_a{a};
    CHECK(ks->ReserveKeys(owners_a).status().code() == StatusCode::kFailedPrecondition);
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->IsDestroyed(a));
  CHECK(ks->LiveKeys().value() == 1);
}

TEST_CASE("Keystore does not open under another master key", "[ledger]") {
  TempDir dir;
  { auto ks = Keystore::Open(dir.path(), RandomMaster(), true).value(); }
  auto other = Keystore::Open(dir.path(), RandomMaster(), false);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace caseledger::ledger

namespace caseledger::ledger {
namespace {

TEST_CASE("Keystore keeps working past its in-memory cache bound", "[ledger]") {
  testing::TempDir dir;
  auto master = RandomMaster();
  auto ks = Keystore::Open(dir.path(), master, true).value();
  const std::size_t n = Keystore::kMaxCachedKeys * 3;
  std::vector<std::string> owners;
  for (std::size_t i = 0; i < n; ++i) owners.push_back(testing::NewId("s"));
  auto kids = ks->EnsureKeys(owners).value();
  REQUIRE(kids.size() == n);
  // Every key, cached or evicted, unwraps again, and stays the same key.
  // Evicted keys' buffers are recycled for the next keys (docs/decisions.md
  // #52): a key still held must not change when its cache entry goes, and
  // no key may come back as another's or as a wiped buffer.
  auto first = ks->DataKey(kids.front()).value();
  std::vector<std::shared_ptr<const crypto::SecretBytes>> held;
  std::vector<std::vector<std::uint8_t>> bytes;
  std::set<std::vector<std::uint8_t>> distinct;
  for (std::size_t i = 0; i < n; ++i) {
    auto dek = ks->DataKey(kids[i]);
    REQUIRE(dek.ok());
    bytes.emplace_back((*dek)->view().begin(), (*dek)->view().end());
    distinct.insert(bytes.back());
    if (i % 97 == 0) held.push_back(*dek);
  }
  CHECK(distinct.size() == n);
  CHECK_FALSE(distinct.contains(std::vector<std::uint8_t>(crypto::kAeadKeyBytes, 0)));
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = n; i-- > 0;) {
      auto dek = ks->DataKey(kids[i]);
      REQUIRE(dek.ok());
      REQUIRE(std::equal(bytes[i].begin(), bytes[i].end(), (*dek)->view().begin()));
    }
  }
  for (std::size_t h = 0; h < held.size(); ++h) {
    const auto& want = bytes[h * 97];
    CHECK(std::equal(want.begin(), want.end(), held[h]->view().begin()));
  }
  auto again = ks->DataKey(kids.front()).value();
  CHECK(std::equal(first->view().begin(), first->view().end(), again->view().begin()));
}

}  // namespace
}  // namespace caseledger::ledger

// --- Erasure and rotation (DESIGN §7.2) --------------------------------------

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::TempDir;

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool Contains(const std::string& haystack, ByteView needle) {
  return haystack.find(std::string(AsChars(needle))) != std::string::npos;
}

std::vector<std::uint8_t> Copy(const crypto::SecretBytes& s) {
  return {s.view().begin(), s.view().end()};
}

// The raw records of the keystore file, read with LMDB directly (nothing else
// may have the keystore open): the deks record of `owner`'s kid and the
// sealed KEK of `epoch`.
struct RawRecords {
  Bytes dek_record, kek_record;
};
RawRecords ReadRaw(const std::string& dir, const std::string& owner, std::uint32_t epoch) {
  auto env = lmdb::Env::Open(dir, lmdb::EnvOptions{}).value();
  auto owners = env->OpenDb("owners", false).value();
  auto deks = env->OpenDb("deks", false).value();
  auto meta = env->OpenDb("meta", false).value();
  auto txn = env->BeginRead().value();
  std::string kid(AsChars(txn.Get(owners, AsBytes(owner)).value().value()));
  auto d = txn.Get(deks, AsBytes(kid)).value().value();
  auto k = txn.Get(meta, AsBytes("kek/" + std::to_string(epoch))).value().value();
  return {Bytes(d.begin(), d.end()), Bytes(k.begin(), k.end())};
}

TEST_CASE("Keystore destroys a data key for good and leaves the others alone", "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s");
  std::string kid_a, kid_b;
  std::vector<std::uint8_t> dek_b;
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    std::vector<std::string> owners{a, b};
    auto kids = ks->EnsureKeys(owners).value();
    kid_a = kids[0];
    kid_b = kids[1];
    dek_b = Copy(*ks->DataKey(kid_b).value());
    REQUIRE(ks->DataKey(kid_a).ok());  // cached now
    CHECK_FALSE(ks->IsDestroyed(a));
    CHECK(ks->PendingErasures().value().empty());

    CHECK(ks->Destroy(a).value() == kid_a);
    CHECK(ks->IsDestroyed(a));
    CHECK(ks->DestroyedKid(a).value() == std::optional<std::string>(kid_a));
    CHECK(ks->DataKey(kid_a).status().code() == StatusCode::kNotFound);  // not from the cache either
    CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
    std::vector<std::string> again{a};
    CHECK(ks->EnsureKeys(again).status().code() == StatusCode::kFailedPrecondition);
    CHECK(ks->Destroy(a).value() == kid_a);  // idempotent
    CHECK(ks->Destroy(NewId("s")).status().code() == StatusCode::kNotFound);
    CHECK(Copy(*ks->DataKey(kid_b).value()) == dek_b);
    CHECK(ks->PendingErasures().value() == std::vector<std::string>{a});
    CHECK(ks->LiveKeys().value() == 1);
  }
  // Durable, and final across reopening: no resurrection.
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->IsDestroyed(a));
  std::vector<std::string> again{a, NewId("s")};
  CHECK(ks->EnsureKeys(again).status().code() == StatusCode::kFailedPrecondition);
  CHECK(ks->DataKey(kid_a).status().code() == StatusCode::kNotFound);
  CHECK(Copy(*ks->DataKey(kid_b).value()) == dek_b);
}

TEST_CASE("Key rotation re-wraps the live keys and leaves no destroyed key or old KEK in the file", "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s"), c = NewId("u");
  std::string kid_b, kid_c;
  std::vector<std::uint8_t> dek_b, dek_c;
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    std::vector<std::string> owners{a, b, c};
    auto kids = ks->EnsureKeys(owners).value();
    kid_b = kids[1];
    kid_c = kids[2];
    dek_b = Copy(*ks->DataKey(kid_b).value());
    dek_c = Copy(*ks->DataKey(kid_c).value());
  }
  const RawRecords a_before = ReadRaw(dir.path(), a, 1);
  const RawRecords b_before = ReadRaw(dir.path(), b, 1);
  { CHECK(Keystore::Open(dir.path(), master, false).value()->Destroy(a).ok()); }

  // LMDB does not wipe freed pages: the destroyed record and the KEK are
  // still in the file (which is why rotation exists, and what shows that the
  // search below can find them).
  const std::string file = dir.path() + "/data.mdb";
  std::string bytes = FileBytes(file);
  CHECK(Contains(bytes, a_before.dek_record));
  CHECK(Contains(bytes, a_before.kek_record));
  // Never a DEK in clear.
  CHECK_FALSE(Contains(bytes, dek_b));

  // The wrong master key changes nothing.
  CHECK(Keystore::Rotate(dir.path(), RandomMaster()).status().code() == StatusCode::kCorruption);

  auto r = Keystore::Rotate(dir.path(), master).value();
  CHECK(r.old_epoch == 1);
  CHECK(r.new_epoch == 2);
  CHECK(r.rewrapped == 2);
  CHECK(r.made_final == 1);
  CHECK(r.file_bytes_after > 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() + ".compact"));

  bytes = FileBytes(file);
  // Neither the destroyed key's record (nor its wrapped key alone), nor the
  // old KEK, nor the old wrapping of a live key survives.
  CHECK_FALSE(Contains(bytes, a_before.dek_record));
  CHECK_FALSE(Contains(bytes, ByteView(a_before.dek_record).subspan(8, 24 + 48)));
  CHECK_FALSE(Contains(bytes, a_before.kek_record));
  CHECK_FALSE(Contains(bytes, ByteView(b_before.dek_record).subspan(8, 24 + 48)));
  CHECK_FALSE(Contains(bytes, dek_b));

  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->epoch() == 2);
  CHECK(Copy(*ks->DataKey(kid_b).value()) == dek_b);  // same kid, same key
  CHECK(Copy(*ks->DataKey(kid_c).value()) == dek_c);
  CHECK(ks->IsDestroyed(a));
  CHECK(ks->PendingErasures().value().empty());
  std::vector<std::string> again{a};
  CHECK(ks->EnsureKeys(again).status().code() == StatusCode::kFailedPrecondition);
  const std::string d = NewId("s");
  std::vector<std::string> fresh{d};
  const std::string kid_d = ks->EnsureKeys(fresh).value()[0];
  // An erasure after the rotation is pending until the next one.
  CHECK(ks->Destroy(b).value() == kid_b);
  CHECK(ks->PendingErasures().value() == std::vector<std::string>{b});
  ks.reset();
  auto r2 = Keystore::Rotate(dir.path(), master).value();
  CHECK(r2.new_epoch == 3);
  CHECK(r2.rewrapped == 2);  // c and d
  CHECK(r2.made_final == 1);
  ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->DataKey(kid_d).ok());
  CHECK(Copy(*ks->DataKey(kid_c).value()) == dek_c);
  CHECK(ks->PendingErasures().value().empty());
}

TEST_CASE("The identity index maps a keyed hash to its owner, goes with the owner's key and is gone from the file after rotation", "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s"), c = NewId("s");
  Keystore::LookupKey key_a{}, key_b{};
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    key_a = ks->LookupKeyOf("cpr/0000001001");
    key_b = ks->LookupKeyOf("cpr/0000001002");
    // Keyed: the same text under the same master gives the same key, another
    // text or another master another one, and the text is not in it.
    CHECK(ks->LookupKeyOf("cpr/0000001001") == key_a);
    CHECK(key_a != key_b);
    {
      TempDir other;
      CHECK(Keystore::Open(other.path(), RandomMaster(), true).value()->LookupKeyOf(
                "cpr/0000001001") != key_a);
    }
    CHECK(ks->OwnerOf(key_a).value() == std::nullopt);

    std::vector<std::string> owners{a, b};
    std::vector<Keystore::IndexEntry> index{{key_a, a}, {key_b, b}};
    REQUIRE(ks->EnsureKeys(owners, index).ok());
    CHECK(ks->OwnerOf(key_a).value() == std::optional<std::string>(a));
    CHECK(ks->OwnerOf(key_b).value() == std::optional<std::string>(b));
    CHECK(ks->LookupKeyOfOwner(a).value() == std::optional<Keystore::LookupKey>(key_a));

    // Another owner for a's key (the caller found a to be no live subject):
    // the key now maps to c, and a has no entry left.
    std::vector<std::string> owners_c{c};
    std::vector<Keystore::IndexEntry> index_c{{key_a, c}};
    REQUIRE(ks->EnsureKeys(owners_c, index_c).ok());
    CHECK(ks->OwnerOf(key_a).value() == std::optional<std::string>(c));
    CHECK(ks->LookupKeyOfOwner(a).value() == std::nullopt);
    // An owner re-indexed under another key (existing key: no new DEK) keeps
    // one entry only.
    const Keystore::LookupKey key_c2 = ks->LookupKeyOf("cpr/0000001003");
    std::vector<Keystore::IndexEntry> index_c2{{key_c2, c}};
    REQUIRE(ks->EnsureKeys(owners_c, index_c2).ok());
    CHECK(ks->OwnerOf(key_a).value() == std::nullopt);
    CHECK(ks->OwnerOf(key_c2).value() == std::optional<std::string>(c));
  }
  // Durable; erasure drops the entry with the key.
  {
    auto ks = Keystore::Open(dir.path(), master, false).value();
    CHECK(ks->OwnerOf(key_b).value() == std::optional<std::string>(b));
    REQUIRE(ks->Destroy(b).ok());
    CHECK(ks->OwnerOf(key_b).value() == std::nullopt);
    CHECK(ks->LookupKeyOfOwner(b).value() == std::nullopt);
  }
  // The dropped entry may linger in a freed page until the rotation's
  // compaction; after it, the hash is nowhere in the file.
  const std::string file = dir.path() + "/data.mdb";
  REQUIRE(Keystore::Rotate(dir.path(), master).ok());
  const std::string bytes = FileBytes(file);
  CHECK_FALSE(Contains(bytes, ByteView(key_b)));
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->OwnerOf(key_b).value() == std::nullopt);
  const Keystore::LookupKey key_c2 = ks->LookupKeyOf("cpr/0000001003");
  CHECK(Contains(bytes, ByteView(key_c2)));  // the search finds what is there
  CHECK(ks->OwnerOf(key_c2).value() == std::optional<std::string>(c));
}

}  // namespace
}  // namespace caseledger::ledger

// --- Replication to cluster followers ----------------------------------------

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::TempDir;

// A leader's keystore with three owners (two indexed) and a follower's with
// none: separate directories and KEKs, the same master key.
struct Cluster {
  TempDir leader_dir, follower_dir;
  crypto::SecretBytes master = RandomMaster();
  std::unique_ptr<Keystore> leader, follower;
  std::string s1 = NewId("s"), s2 = NewId("s"), u3 = NewId("u");
  Keystore::LookupKey key1{}, key2{};
  std::vector<std::string> kids;

  Cluster() {
    leader = Keystore::Open(leader_dir.path(), master, true).value();
    follower = Keystore::Open(follower_dir.path(), master, true).value();
    key1 = leader->LookupKeyOf("cpr/0000002001");
    key2 = leader->LookupKeyOf("cpr/0000002002");
    std::vector<std::string> owners{s1, s2, u3};
    std::vector<Keystore::IndexEntry> index{{key1, s1}, {key2, s2}};
    kids = leader->EnsureKeys(owners, index).value();
  }
  std::vector<Keystore::KeyExport> Export(std::vector<std::string> owners) {
    return leader->ExportKeys(owners).value();
  }
  // The follower holds `owner`'s key exactly as the leader does.
  void CheckSame(Keystore& ks, const std::string& owner) {
    const std::string kid = leader->KidOf(owner).value();
    CHECK(ks.KidOf(owner).value() == kid);
    CHECK(Copy(*ks.DataKey(kid).value()) == Copy(*leader->DataKey(kid).value()));
    const auto lk = leader->LookupKeyOfOwner(owner).value();
    CHECK(ks.LookupKeyOfOwner(owner).value() == lk);
    if (lk) CHECK(ks.OwnerOf(*lk).value() == std::optional<std::string>(owner));
  }
};

TEST_CASE("A follower imports a leader's data keys under its own KEK",
          "[keystore][replication]") {
  Cluster c;
  const std::string never = NewId("s");
  auto exports = c.Export({c.s1, c.s2, c.u3, c.s1, never});
  REQUIRE(exports.size() == 3);  // the duplicate once, the keyless owner skipped
  CHECK(exports[0].owner == c.s1);
  CHECK(exports[0].kid == c.kids[0]);
  CHECK(exports[0].lookup == std::optional<Keystore::LookupKey>(c.key1));
  CHECK(exports[1].owner == c.s2);
  CHECK(exports[2].owner == c.u3);
  CHECK(exports[2].lookup == std::nullopt);
  for (const auto& e : exports) {
    CHECK(e.sealed.size() == 24 + 32 + 16);
    CHECK_FALSE(Contains(e.sealed, Copy(*c.leader->DataKey(e.kid).value())));
  }
  // Two exports of one key differ (random nonce).
  CHECK(c.Export({c.s1})[0].sealed != exports[0].sealed);

  CHECK(c.follower->ImportKeys(exports).value() == 3);
  for (const auto& o : {c.s1, c.s2, c.u3}) c.CheckSame(*c.follower, o);
  CHECK(c.follower->LiveKeys().value() == 3);
  // Once stored, not again; nor from a second export of the same keys.
  CHECK(c.follower->ImportKeys(exports).value() == 0);
  CHECK(c.follower->ImportKeys(c.Export({c.s2, c.s1})).value() == 0);
  CHECK(c.follower->ImportKeys(std::span<const Keystore::KeyExport>{}).value() == 0);
  // A follower exports what it imported (it may lead after a failover).
  auto again = c.follower->ExportKeys(std::vector<std::string>{c.s2}).value();
  REQUIRE(again.size() == 1);
  CHECK(again[0].kid == c.kids[1]);
  CHECK(again[0].lookup == std::optional<Keystore::LookupKey>(c.key2));

  // Durable, and stored like local keys: the same record format under the
  // follower's own KEK, re-wrapped by a rotation.
  const std::string follower_dir = c.follower_dir.path();
  c.follower.reset();
  c.leader.reset();
  const RawRecords on_leader = ReadRaw(c.leader_dir.path(), c.s1, 1);
  const RawRecords on_follower = ReadRaw(follower_dir, c.s1, 1);
  CHECK(on_follower.dek_record.size() == on_leader.dek_record.size());
  CHECK(on_follower.kek_record != on_leader.kek_record);
  CHECK(Keystore::Rotate(follower_dir, c.master).value().rewrapped == 3);
  c.leader = Keystore::Open(c.leader_dir.path(), c.master, false).value();
  auto follower = Keystore::Open(follower_dir, c.master, false).value();
  for (const auto& o : {c.s1, c.s2, c.u3}) c.CheckSame(*follower, o);
  CHECK(follower->ImportKeys(exports).value() == 0);
}

TEST_CASE("Replication never undoes an erasure on the follower",
          "[keystore][replication][erasure]") {
  Cluster c;
  auto exports = c.Export({c.s1, c.s2});
  SECTION("destroyed after an import") {
    REQUIRE(c.follower->ImportKeys(exports).value() == 2);
    REQUIRE(c.follower->Destroy(c.s1).value() == c.kids[0]);
    CHECK(c.follower->ImportKeys(exports).value() == 0);
    auto reopened = c.Export({c.s1, c.u3});  // with a key not held yet
    CHECK(c.follower->ImportKeys(reopened).value() == 1);
    CHECK(c.follower->KidOf(c.u3).value() == c.kids[2]);
  }
  SECTION("destroyed under a kid of its own") {
    std::vector<std::string> owners{c.s1};
    const std::string own = c.follower->EnsureKeys(owners).value()[0];
    REQUIRE(own != c.kids[0]);
    REQUIRE(c.follower->Destroy(c.s1).ok());
    CHECK(c.follower->ImportKeys(exports).value() == 1);  // s2 only
  }
  CHECK(c.follower->IsDestroyed(c.s1));
  CHECK(c.follower->KidOf(c.s1).status().code() == StatusCode::kNotFound);
  CHECK(c.follower->DataKey(c.kids[0]).status().code() == StatusCode::kNotFound);
  CHECK(c.follower->OwnerOf(c.key1).value() == std::nullopt);
  CHECK(c.follower->LookupKeyOfOwner(c.s1).value() == std::nullopt);
  c.CheckSame(*c.follower, c.s2);
  // Destroyed on the leader: no longer exported.
  REQUIRE(c.leader->Destroy(c.s2).ok());
  CHECK(c.Export({c.s2}).empty());
  // And across reopening.
  c.follower.reset();
  auto follower = Keystore::Open(c.follower_dir.path(), c.master, false).value();
  CHECK(follower->IsDestroyed(c.s1));
  CHECK(follower->ImportKeys(exports).value() == 0);
  CHECK(follower->KidOf(c.s1).status().code() == StatusCode::kNotFound);
}

void Flip(std::string& bytes, std::size_t at) {
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
}

TEST_CASE("A replicated key that does not belong is refused and nothing of the batch is stored",
          "[keystore][replication][fault]") {
  Cluster c;
  // s2's key first, so that a partial import would show.
  auto exports = c.Export({c.s2, c.s1});
  REQUIRE(exports.size() == 2);
  Keystore* follower = c.follower.get();
  std::unique_ptr<Keystore> other;
  TempDir other_dir;
  std::string expect_in_message;

  SECTION("another master key") {
    other = Keystore::Open(other_dir.path(), RandomMaster(), true).value();
    follower = other.get();
  }
  SECTION("a flipped byte in the ciphertext") { Flip(exports[1].sealed, 30); }
  SECTION("a flipped byte in the nonce") { Flip(exports[1].sealed, 0); }
  SECTION("a truncated sealed key") { exports[1].sealed.pop_back(); }
  SECTION("another owner than the one it is bound to") { exports[1].owner = NewId("s"); }
  SECTION("another kid than the one it is bound to") { exports[1].kid = NewId("k"); }
  SECTION("a malformed kid") { exports[1].kid += "x"; }
  SECTION("the owner holds another kid here") {
    std::vector<std::string> owners{c.s1};
    REQUIRE(c.follower->EnsureKeys(owners).value()[0] != c.kids[0]);
    expect_in_message = "another kid";
  }
  SECTION("the kid is held by another owner here") {
    // The follower holds s1's key; then one names it for a third owner.
    auto s1_only = c.Export({c.s1});
    REQUIRE(c.follower->ImportKeys(s1_only).value() == 1);
    exports[1].owner = NewId("s");
    expect_in_message = "another owner";
  }
  SECTION("two owners named for one kid in a batch") {
    exports.push_back(exports[1]);
    exports.back().owner = NewId("s");
    expect_in_message = "another owner";
  }
  const std::uint64_t live_before = follower->LiveKeys().value();
  auto r = follower->ImportKeys(exports);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  if (!expect_in_message.empty())
    CHECK(r.status().message().find(expect_in_message) != std::string::npos);
  // All or nothing: s2's good key is not stored either.
  CHECK(follower->LiveKeys().value() == live_before);
  CHECK(follower->KidOf(c.s2).status().code() == StatusCode::kNotFound);
  CHECK(follower->DataKey(c.kids[1]).status().code() == StatusCode::kNotFound);
  CHECK(follower->OwnerOf(c.key2).value() == std::nullopt);
}

// --- The key pool (docs/formats/storage.md, "Key pool") ------------------

// A keystore whose pool is ready and full, as the writer leaves it.
std::unique_ptr<Keystore> PooledKeystore(const TempDir& dir, const crypto::SecretBytes& master,
                                         bool create, std::uint64_t log_size = 0) {
  auto ks = Keystore::Open(dir.path(), master, create).value();
  REQUIRE(ks->RecoverPool({}, log_size).ok());
  if (ks->PoolFree() < Keystore::kPoolLowWater) REQUIRE(ks->StoreReserved(0, log_size).ok());
  REQUIRE(ks->PoolFree() == Keystore::kPoolTarget);
  return ks;
}

TEST_CASE("A new owner takes a stored pool key with nothing left to store before its events",
          "[ledger]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s"), c = NewId("s");
  auto ks = PooledKeystore(dir, master, true);
  CHECK_FALSE(ks->PoolWorkDue(std::chrono::hours(1)));
  std::vector<std::string> owners{a, b, a};
  auto r = ks->ReserveKeys(owners).value();
  CHECK(r.ticket == 0);  // nothing to wait for
  CHECK(r.kids[0] == r.kids[2]);
  CHECK(r.kids[0] != r.kids[1]);
  CHECK(ks->PoolFree() == Keystore::kPoolTarget - 2);
  CHECK(ks->KidOf(a).value() == r.kids[0]);
  const auto dek_a = Copy(*ks->DataKey(r.kids[0]).value());
  // An owner with an identity index entry gets a key stored before use.
  std::vector<std::string> owners_c{c};
  std::vector<Keystore::IndexEntry> index{{ks->LookupKeyOf("cpr/0101700001"), c}};
  auto rc = ks->ReserveKeys(owners_c, index).value();
  CHECK(rc.ticket != 0);
  CHECK(ks->PoolFree() == Keystore::kPoolTarget - 2);
  // Binding: one store, which also records the watermark.
  CHECK(ks->StoreReserved(rc.ticket, 7).ok());
  ks.reset();
  auto again = Keystore::Open(dir.path(), master, false).value();
  CHECK(again->KidOf(a).value() == r.kids[0]);
  CHECK(again->KidOf(b).value() == r.kids[1]);
  CHECK(again->KidOf(c).value() == rc.kids[0]);
  CHECK(Copy(*again->DataKey(r.kids[0]).value()) == dek_a);
  CHECK(again->PoolScanFrom(9).value() == std::optional<std::uint64_t>(7));
  CHECK(again->PoolScanFrom(5).value() == std::optional<std::uint64_t>(5));  // a truncated log
  CHECK(again->LiveKeys().value() == 3);  // pool keys are no live keys
  // The bound key's record names its owner: it ships to a follower.
  std::vector<std::string> export_a{a};
  auto shipped = again->ExportKeys(export_a).value();
  REQUIRE(shipped.size() == 1);
  CHECK(shipped[0].kid == r.kids[0]);
}

TEST_CASE("After a crash the writer's recovery binds the pool keys that events name, and only those",
          "[ledger][fault]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("u"), c = NewId("s");
  std::vector<std::string> kids;
  std::vector<std::uint8_t> dek_a;
  {
    auto ks = PooledKeystore(dir, master, true, 3);
    std::vector<std::string> owners{a, b};
    kids = ks->ReserveKeys(owners).value().kids;
    dek_a = Copy(*ks->DataKey(kids[0]).value());
    // The process dies here: nothing bound on disk.
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
  // An offline reader still opens what was encrypted under the pool key.
  CHECK(Copy(*ks->DataKey(kids[0]).value()) == dek_a);
  REQUIRE(ks->PoolScanFrom(10).value() == std::optional<std::uint64_t>(3));
  // Events 4..10 used a's key only (b's batch never reached the log); a
  // non-pool kid is ignored.
  std::vector<Keystore::KeyUse> uses{{a, kids[0]}, {c, NewId("k")}, {a, kids[0]}};
  REQUIRE(ks->RecoverPool(uses, 10).ok());
  CHECK(ks->KidOf(a).value() == kids[0]);
  CHECK(ks->KidOf(b).status().code() == StatusCode::kNotFound);
  CHECK(ks->PoolFree() == Keystore::kPoolTarget - 1);  // b's key is free again
  CHECK(ks->PoolScanFrom(10).value() == std::optional<std::uint64_t>(10));
  // No one else ever gets a's key.
  std::vector<std::string> many;
  for (std::size_t i = 0; i < Keystore::kPoolTarget - 1; ++i) many.push_back(NewId("s"));
  auto r = ks->ReserveKeys(many).value();
  CHECK(r.ticket == 0);
  CHECK(std::find(r.kids.begin(), r.kids.end(), kids[0]) == r.kids.end());
  CHECK(ks->PoolFree() == 0);
  // A dry pool: a new owner's key is made and stored first, as without one.
  std::vector<std::string> one_more{NewId("s")};
  CHECK(ks->ReserveKeys(one_more).value().ticket != 0);
  CHECK(ks->PoolWorkDue());
  ks.reset();
  auto reopened = Keystore::Open(dir.path(), master, false).value();
  CHECK(Copy(*reopened->DataKey(kids[0]).value()) == dek_a);
}

TEST_CASE("A pool key used by two owners, or by an owner holding another kid, is damage",
          "[ledger][fault]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s"), held = NewId("s");
  std::vector<std::string> kids;
  {
    auto ks = PooledKeystore(dir, master, true);
    std::vector<std::string> owners_held{held};
    std::vector<Keystore::IndexEntry> index{{ks->LookupKeyOf("cpr/0101700002"), held}};
    REQUIRE(ks->EnsureKeys(owners_held, index).ok());  // stored, not from the pool
    std::vector<std::string> owners{a};
    kids = ks->ReserveKeys(owners).value().kids;
  }
  {
    auto ks = Keystore::Open(dir.path(), master, false).value();
    std::vector<Keystore::KeyUse> uses{{a, kids[0]}, {b, kids[0]}};
    CHECK(ks->RecoverPool(uses, 2).code() == StatusCode::kCorruption);
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  std::vector<Keystore::KeyUse> uses{{held, kids[0]}};
  CHECK(ks->RecoverPool(uses, 2).code() == StatusCode::kCorruption);
  CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);  // nothing was bound
}

TEST_CASE("An owner destroyed while its pool key is handed out keeps no key, before or after a crash",
          "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s"), b = NewId("s");
  std::vector<std::string> kids;
  {
    auto ks = PooledKeystore(dir, master, true);
    std::vector<std::string> owners{a, b};
    kids = ks->ReserveKeys(owners).value().kids;
    CHECK(ks->Destroy(a).value() == kids[0]);
    CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
    CHECK(ks->DataKey(kids[0]).status().code() == StatusCode::kNotFound);
    // Destroy bound every handed-out key first: b's is on disk.
    CHECK(ks->KidOf(b).value() == kids[1]);
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->DataKey(kids[0]).status().code() == StatusCode::kNotFound);  // not in the pool either
  std::vector<Keystore::KeyUse> uses{{a, kids[0]}, {b, kids[1]}};
  REQUIRE(ks->RecoverPool(uses, 4).ok());
  CHECK(ks->KidOf(a).status().code() == StatusCode::kNotFound);
  CHECK(ks->DataKey(kids[0]).status().code() == StatusCode::kNotFound);
  CHECK(ks->KidOf(b).value() == kids[1]);
}

TEST_CASE("Key rotation re-wraps the pool too: a crash's unbound key still opens and binds after it",
          "[ledger][erasure]") {
  TempDir dir;
  auto master = RandomMaster();
  const std::string a = NewId("s");
  std::vector<std::string> kids;
  std::vector<std::uint8_t> dek_a;
  {
    auto ks = PooledKeystore(dir, master, true);
    std::vector<std::string> owners{a};
    kids = ks->ReserveKeys(owners).value().kids;
    dek_a = Copy(*ks->DataKey(kids[0]).value());
  }
  auto report = Keystore::Rotate(dir.path(), master).value();
  CHECK(report.rewrapped == 0);  // live keys; the pool's are re-wrapped beside them
  auto ks = Keystore::Open(dir.path(), master, false).value();
  CHECK(ks->epoch() == report.new_epoch);
  CHECK(Copy(*ks->DataKey(kids[0]).value()) == dek_a);
  std::vector<Keystore::KeyUse> uses{{a, kids[0]}};
  REQUIRE(ks->RecoverPool(uses, 1).ok());
  CHECK(ks->KidOf(a).value() == kids[0]);
  CHECK(ks->PoolFree() == Keystore::kPoolTarget - 1);
  std::vector<std::string> owners{NewId("s")};
  auto r = ks->ReserveKeys(owners).value();  // a pool key of the old epoch, re-wrapped
  CHECK(r.ticket == 0);
  CHECK(ks->DataKey(r.kids[0]).ok());
}

}  // namespace
}  // namespace caseledger::ledger
