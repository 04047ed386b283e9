// Tamper tests on a real data directory: each kind of damage is detected by
// verify, which names the first bad seq and what is wrong.
#include "ledger/verify.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::TempDir;

constexpr int kEvents = 600;

// A data dir with kEvents events in several batches.
void BuildLog(const TempDir& dir) {
  REQUIRE(InitDataDir(dir.path(), "test.invalid/log").ok());
  auto l = Ledger::Open(dir.path()).value();
  for (int b = 0; b < 6; ++b) {
    std::vector<std::future<Result<Appended>>> fs;
    for (int i = 0; i < kEvents / 6; ++i) {
      fs.push_back(l->writer().Submit(
          testing::SyntheticCommand(b * 1000 + i, testing::NewId("s"))));
    }
    for (auto& f : fs) REQUIRE(f.get().ok());
  }
}

std::string Line(LogStore& store, std::uint64_t seq) {
  auto txn = store.env().BeginRead().value();
  return ReadEventLine(txn, store, seq).value();
}

// Runs `edit` on the ledger's LMDB env opened for writing.
void EditStore(const TempDir& dir,
               const std::function<Status(LogStore&, lmdb::WriteTxn&)>& edit) {
  auto store = LogStore::Open(dir.path(), false).value();
  REQUIRE(store->env()
              .Write([&](lmdb::WriteTxn& txn) { return edit(*store, txn); })
              .ok());
}

TEST_CASE("An untouched log verifies clean", "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  auto r = VerifyLedger(dir.path()).value();
  CHECK(r.ok);
  CHECK(r.events == kEvents);
  CHECK(r.problem.empty());
  CHECK(r.latest_checkpoint == kEvents);
}

TEST_CASE("Flipping one byte of a stored event in the data file is detected",
          "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  std::string target;
  {
    auto store = LogStore::Open(dir.path(), true).value();
    target = Line(*store, 250);
  }
  // Flip a byte inside the event's header in every copy LMDB keeps in the file.
  std::string file = dir / "ledger/data.mdb";
  std::string bytes = testing::ReadFile(file);
  std::string needle = target.substr(target.find("\"h\":"), 40);
  std::size_t copies = 0;
  for (std::size_t pos = bytes.find(needle); pos != std::string::npos;
       pos = bytes.find(needle, pos + 1)) {
    bytes[pos + 10] = static_cast<char>(bytes[pos + 10] ^ 0x01);
    ++copies;
  }
  REQUIRE(copies >= 1);
  testing::WriteFile(file, bytes);
  auto r = VerifyLedger(dir.path()).value();
  CHECK_FALSE(r.ok);
  REQUIRE(r.first_bad_seq.has_value());
  CHECK(*r.first_bad_seq == 250);
  CHECK(r.events == 249);
  INFO(r.problem);
  CHECK((r.problem.find("signature") != std::string::npos ||
         r.problem.find("canonical") != std::string::npos ||
         r.problem.find("JSON") != std::string::npos));
}

TEST_CASE("Deleting an event is detected at its seq", "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  EditStore(dir, [](LogStore& s, lmdb::WriteTxn& txn) {
    auto k = EncodeBigEndian64(123);
    return txn.Delete(s.events(), k);
  });
  auto r = VerifyLedger(dir.path()).value();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 123);
  CHECK_THAT(r.problem, Catch::Contains("missing"));
}

TEST_CASE("Swapping two events is detected at the first", "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  std::string a, b;
  {
    auto store = LogStore::Open(dir.path(), true).value();
    a = Line(*store, 300);
    b = Line(*store, 301);
  }
  EditStore(dir, [&](LogStore& s, lmdb::WriteTxn& txn) -> Status {
    auto k300 = EncodeBigEndian64(300), k301 = EncodeBigEndian64(301);
    CL_RETURN_IF_ERROR(txn.Put(s.events(), k300, AsBytes(b)));
    return txn.Put(s.events(), k301, AsBytes(a));
  });
  auto r = VerifyLedger(dir.path()).value();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 300);
  CHECK_THAT(r.problem, Catch::Contains("says seq 301"));
}

TEST_CASE("Removing the newest events is detected against the checkpoint",
          "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  EditStore(dir, [](LogStore& s, lmdb::WriteTxn& txn) -> Status {
    for (std::uint64_t seq = kEvents - 4; seq <= kEvents; ++seq) {
      auto k = EncodeBigEndian64(seq);
      CL_RETURN_IF_ERROR(txn.Delete(s.events(), k));
    }
    return Status::Ok();
  });
  auto r = VerifyLedger(dir.path()).value();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == kEvents - 4);
  CHECK_THAT(r.problem, Catch::Contains("beyond the last stored"));
}

TEST_CASE("Truncating the data file is detected, not a crash",
          "[ledger][fault]") {
  // Cut points: inside the last page, and deep into the file.
  for (double keep : {0.98, 0.75, 0.5, 0.2}) {
    TempDir dir;
    BuildLog(dir);
    std::string file = dir / "ledger/data.mdb";
    auto size = std::filesystem::file_size(file);
    std::filesystem::resize_file(
        file, static_cast<std::uintmax_t>(static_cast<double>(size) * keep));
    auto r = VerifyLedger(dir.path());
    INFO("kept " << keep << " of " << size << " bytes");
    REQUIRE(r.ok());  // a verification failure, not an error
    CHECK_FALSE(r->ok);
    INFO(r->problem);
    CHECK_THAT(r->problem, Catch::Contains("truncated"));
  }
}

TEST_CASE("Replacing the checkpoint is detected", "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  SECTION("signed by another key") {
    auto other = crypto::Ed25519SigningKey::Generate();
    Checkpoint fake{"test.invalid/log", kEvents, crypto::Digest{}};
    std::string note = SignCheckpoint(fake, other).value();
    EditStore(dir, [&](LogStore& s, lmdb::WriteTxn& txn) {
      auto k = EncodeBigEndian64(kEvents);
      return txn.Put(s.checkpoints(), k, AsBytes(note));
    });
    auto r = VerifyLedger(dir.path()).value();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == kEvents);
    CHECK_THAT(r.problem, Catch::Contains("checkpoint of size " +
                                          std::to_string(kEvents)));
  }
  SECTION("same signature, altered root") {
    std::string note;
    {
      auto store = LogStore::Open(dir.path(), true).value();
      auto txn = store->env().BeginRead().value();
      note = CheckpointAt(txn, *store, kEvents).value();
    }
    std::size_t root_pos = note.find('\n', note.find('\n') + 1) + 1;
    note[root_pos] = note[root_pos] == 'A' ? 'B' : 'A';
    EditStore(dir, [&](LogStore& s, lmdb::WriteTxn& txn) {
      auto k = EncodeBigEndian64(kEvents);
      return txn.Put(s.checkpoints(), k, AsBytes(note));
    });
    auto r = VerifyLedger(dir.path()).value();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == kEvents);
    CHECK_THAT(r.problem, Catch::Contains("checkpoint"));
  }
}

TEST_CASE("A tampered stored Merkle node is detected", "[ledger][fault]") {
  TempDir dir;
  BuildLog(dir);
  EditStore(dir, [](LogStore& s, lmdb::WriteTxn& txn) {
    auto k = NodeKey(merkle::NodeId{3, 5});  // leaves 40..47
    crypto::Digest junk;
    junk.bytes.fill(0xab);
    return txn.Put(s.nodes(), k, junk.view());
  });
  auto r = VerifyLedger(dir.path()).value();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 48);
  CHECK_THAT(r.problem, Catch::Contains("(3, 5)"));
}

}  // namespace
}  // namespace caseledger::ledger

namespace caseledger::ledger {
namespace {

TEST_CASE("Verifying with a trusted key refuses a log signed by another key",
          "[ledger][fault]") {
  testing::TempDir dir;
  BuildLog(dir);
  std::string own = testing::ReadFile(dir / "ledger.pub");
  own.pop_back();
  VerifyOptions opts;
  opts.trusted_key = own;
  CHECK(VerifyLedger(dir.path(), opts).value().ok);
  auto other = crypto::Ed25519SigningKey::Generate();
  opts.trusted_key =
      crypto::NoteVerifier::For("test.invalid/log", other.public_key())
          .ToString();
  auto r = VerifyLedger(dir.path(), opts).value();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 1);
  CHECK_THAT(r.problem, Catch::Contains("signature"));
}

}  // namespace
}  // namespace caseledger::ledger
