// The tlog-witness v1.0.0 witness (witness/): the add-checkpoint wire format,
// every status of Handle in the spec's order, the evidence it keeps, its state
// across a reopen, concurrent requests that must never roll the stored size
// back, the routes without sockets, and the real `caseledger witness` binary
// end to end.
#include "witness/witness.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/base64.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/tree_hash.h"
#include "tests/e2e/process.h"
#include "tests/http/http_client.h"
#include "tests/ledger/merkle/test_tree.h"
#include "tests/ledger/test_util.h"
#include "witness/add_checkpoint.h"
#include "witness/witness_dir.h"
#include "witness/witness_store.h"

namespace caseledger::witness {
namespace {

using crypto::Digest;
using testing::TempDir;

constexpr std::string_view kOrigin = "log.example/caseledger";
constexpr std::string_view kWitnessName = "dpa.example/witness";
constexpr std::uint64_t kStartTime = 1700000000;

// Test helpers used from several threads abort instead of REQUIRE (Catch2's
// assertions are not thread-safe).
template <typename T>
T OrAbort(Result<T> r) {
  if (!r.ok()) std::abort();
  return std::move(r).value();
}

crypto::Ed25519SigningKey SeedKey(std::uint8_t b) {
  std::vector<std::uint8_t> seed(32, b);
  return OrAbort(crypto::Ed25519SigningKey::FromSeed(seed));
}

// A log: a Merkle tree of generated leaves (`salt` makes a different history,
// e.g. a fork) and its signing key (seed byte `seed`).
class TestLog {
 public:
  TestLog(std::string origin, std::uint8_t seed, std::string salt = "")
      : origin_(std::move(origin)), seed_(seed), salt_(std::move(salt)) {
    roots_.push_back(merkle::EmptyRoot());
  }
  crypto::NoteVerifier verifier() const {
    return crypto::NoteVerifier::For(origin_, SeedKey(seed_).public_key());
  }
  const std::string& origin() const { return origin_; }
  void Grow(std::uint64_t to) {
    std::lock_guard lock(mu_);
    while (range_.size() < to) {
      const std::string leaf = salt_ + "leaf " + std::to_string(range_.size());
      range_.Append(merkle::HashLeaf(AsBytes(leaf)),
                    [&](merkle::NodeId id, const Digest& h) {
                      REQUIRE(nodes_.Put(id, h));
                    });
      roots_.push_back(range_.Root());
    }
  }
  Digest Root(std::uint64_t size) {
    std::lock_guard lock(mu_);
    return roots_.at(size);
  }
  // The signed checkpoint note of `size`.
  std::string Note(std::uint64_t size) {
    return OrAbort(
        ledger::SignCheckpoint({origin_, size, Root(size)}, SeedKey(seed_)));
  }
  std::vector<Digest> Proof(std::uint64_t from, std::uint64_t to) {
    if (from == 0 || from == to) return {};
    std::lock_guard lock(mu_);
    return OrAbort(merkle::ConsistencyProof(from, to, nodes_));
  }
  std::string Body(std::uint64_t old_size, std::uint64_t size) {
    return FormatAddCheckpointRequest(old_size, Proof(old_size, size),
                                      Note(size));
  }

 private:
  std::string origin_;
  std::uint8_t seed_;
  std::string salt_;
  std::mutex mu_;
  merkle::testing::MemoryNodeSource nodes_;
  merkle::CompactRange range_;
  std::vector<Digest> roots_;
};

// A witness over a store in a temporary directory, with a test clock.
struct World {
  explicit World(std::vector<crypto::NoteVerifier> logs)
      : logs_(std::move(logs)) {
    Open();
  }
  void Open() {
    auto s = WitnessStore::Open(dir.path(), /*create=*/true);
    REQUIRE(s.ok());
    store = std::move(s).value();
    WitnessConfig config;
    config.name = std::string(kWitnessName);
    config.logs = logs_;
    config.clock = [this] { return now.load(); };
    auto w = Witness::Create(std::move(config), SeedKey(0x77), *store);
    REQUIRE(w.ok());
    witness = std::move(w).value();
  }
  void Close() {
    witness.reset();
    store.reset();
  }
  std::uint64_t LatestSize() {
    auto l = store->Latest(kOrigin);
    REQUIRE(l.ok());
    return *l ? (*l)->size : 0;
  }
  std::vector<EvidenceRecord> Evidence() {
    auto e = store->Evidence();
    REQUIRE(e.ok());
    return *e;
  }

  TempDir dir;
  std::atomic<std::uint64_t> now{kStartTime};
  std::vector<crypto::NoteVerifier> logs_;
  std::unique_ptr<WitnessStore> store;
  std::unique_ptr<Witness> witness;
};

// Verifies the 200 body as the witness's cosignature of `note`; returns its
// timestamp.
std::uint64_t CheckCosignature(const WitnessResponse& r,
                               const std::string& note) {
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/plain; charset=utf-8");
  auto parsed = crypto::ParseNote(note + r.body);
  REQUIRE(parsed.ok());
  const auto verifier =
      crypto::CosignerVerifier::For(kWitnessName, SeedKey(0x77).public_key());
  REQUIRE(parsed->signatures.size() >= 2);
  auto t = crypto::VerifyCosignature(parsed->signatures.back(), parsed->text,
                                     verifier);
  REQUIRE(t.ok());
  return *t;
}

void CheckConflict(const WitnessResponse& r, std::uint64_t latest) {
  CHECK(r.status == 409);
  CHECK(r.content_type == "text/x.tlog.size");
  CHECK(r.body == std::to_string(latest) + "\n");
  auto size = ParseTlogSize(r.body);
  REQUIRE(size.ok());
  CHECK(*size == latest);
}

TEST_CASE("add-checkpoint request: format and strict parse", "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(20);
  const std::string note = log.Note(20);
  const auto proof = log.Proof(7, 20);
  const std::string body = FormatAddCheckpointRequest(7, proof, note);
  CHECK(body.starts_with("old 7\n" + crypto::Base64Encode(proof[0].view()) +
                         "\n"));
  auto r = ParseAddCheckpointRequest(body);
  REQUIRE(r.ok());
  CHECK(r->old_size == 7);
  CHECK(r->proof == proof);
  CHECK(r->note == note);
  CHECK(r->checkpoint.origin == kOrigin);
  CHECK(r->checkpoint.size == 20);
  CHECK(r->checkpoint.root == log.Root(20));
  CHECK(FormatAddCheckpointRequest(0, {}, note) == "old 0\n\n" + note);
  REQUIRE(ParseAddCheckpointRequest("old 0\n\n" + note).ok());

  const std::string hash = crypto::Base64Encode(log.Root(3).view()) + "\n";
  std::string lines63, lines64;
  for (int i = 0; i < 63; ++i) lines63 += hash;
  lines64 = lines63 + hash;
  CHECK(ParseAddCheckpointRequest("old 5\n" + lines63 + "\n" + note).ok());
  const std::vector<std::string> bad = {
      "",
      "old 01\n\n" + note,
      "old 00\n\n" + note,
      "old +1\n\n" + note,
      "old -1\n\n" + note,
      "old 1 \n\n" + note,
      "old  1\n\n" + note,
      "old\n\n" + note,
      "Old 1\n\n" + note,
      "old 18446744073709551616\n\n" + note,
      "old 1x\n\n" + note,
      "old 5\n" + lines64 + "\n" + note,  // 64 proof lines
      "old 5\n" + crypto::Base64Encode(AsBytes("short")) + "\n\n" +
          note,                                        // not 32 bytes
      "old 5\n" + hash.substr(0, 43) + "\n\n" + note,  // no padding
      "old 5\n" + hash + note,                         // no empty line
      "old 5\n" + hash,                                // nothing after
      "old 5\n\n",                                     // no checkpoint
      "old 5\r\n\n" + note,
      "old 0\n\nnot a checkpoint\n\n\xE2\x80\x94 x AAAAAAAAAAAAAAAAAAAA\n",
      "old 0\n\n" +
          note.substr(0, note.size() - 1),  // note without final newline
  };
  for (const std::string& b : bad) {
    INFO(b.substr(0, 40));
    CHECK(!ParseAddCheckpointRequest(b).ok());
  }
  // A well-formed note whose text is not a checkpoint body.
  auto text_note = crypto::SignNote("hello\n", kOrigin, SeedKey(1));
  REQUIRE(text_note.ok());
  CHECK(!ParseAddCheckpointRequest("old 0\n\n" + *text_note).ok());

  CHECK(ParseTlogSize("50\n").value() == 50);
  CHECK(ParseTlogSize("0\n").value() == 0);
  for (std::string_view b :
       {"", "\n", "50", "050\n", "50\n\n", " 50\n", "5 0\n", "-1\n"})
    CHECK(!ParseTlogSize(b).ok());
  CHECK(FormatTlogSize(1234) == "1234\n");
}

TEST_CASE(
    "witness cosigns a first checkpoint with old 0, then consistent growth",
    "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(100);
  World w({log.verifier()});

  const std::string note = log.Note(10);
  WitnessResponse r =
      w.witness->Handle(FormatAddCheckpointRequest(0, {}, note));
  INFO(r.body);
  CHECK(r.reason == "cosigned");
  CHECK(CheckCosignature(r, note) == kStartTime);
  CHECK(r.body.starts_with("\xE2\x80\x94 dpa.example/witness "));
  CHECK(r.body.ends_with("\n"));
  CHECK(w.LatestSize() == 10);

  w.now = kStartTime + 60;
  r = w.witness->Handle(log.Body(10, 37));
  CHECK(CheckCosignature(r, log.Note(37)) == kStartTime + 60);
  CHECK(w.LatestSize() == 37);
  // The same checkpoint again (old = size, same root, empty proof): cosigned.
  r = w.witness->Handle(log.Body(37, 37));
  CheckCosignature(r, log.Note(37));
  r = w.witness->Handle(log.Body(37, 100));
  CheckCosignature(r, log.Note(100));

  auto latest = w.store->Latest(kOrigin);
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->size == 100);
  CHECK((*latest)->root == log.Root(100));
  CHECK((*latest)->note == log.Note(100));
  CHECK((*latest)->time == kStartTime + 60);
  // The cosigned checkpoint as monitors read it.
  auto served = w.witness->CosignedCheckpoint(kOrigin);
  REQUIRE(served.ok());
  REQUIRE(served->has_value());
  auto parsed = crypto::ParseNote(**served);
  REQUIRE(parsed.ok());
  CHECK(ledger::OpenCheckpoint(**served, log.verifier()).ok());
  CHECK(crypto::VerifyCosignature(parsed->signatures.back(), parsed->text,
                                  w.witness->verifier())
            .ok());
  CHECK(w.Evidence().empty());
}

TEST_CASE("witness: a checkpoint with several signatures, unknown keys ignored",
          "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(5);
  World w({log.verifier()});
  // Another key of another name, and an unknown key of the log's own name.
  const std::string text =
      ledger::CheckpointBody({std::string(kOrigin), 5, log.Root(5)});
  auto other = crypto::SignNote(text, "someone.else/key", SeedKey(9));
  auto unknown = crypto::SignNote(text, kOrigin, SeedKey(8));
  REQUIRE(other.ok());
  REQUIRE(unknown.ok());
  auto line = [](const std::string& n) {
    return n.substr(n.rfind("\n\n") + 2);
  };
  const std::string note = log.Note(5) + line(*other) + line(*unknown);
  WitnessResponse r =
      w.witness->Handle(FormatAddCheckpointRequest(0, {}, note));
  CheckCosignature(r, note);
  // Only unknown keys: 403.
  const std::string only_unknown = *unknown + line(*other);
  r = w.witness->Handle(FormatAddCheckpointRequest(5, {}, only_unknown));
  CHECK(r.status == 403);
}

TEST_CASE("witness refusals: every status in the spec's order", "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(64);
  TestLog stranger("stranger.example/log", 2);
  stranger.Grow(4);
  World w({log.verifier()});
  REQUIRE(w.witness->Handle(log.Body(0, 16)).status == 200);

  SECTION("400 malformed, nothing recorded") {
    CHECK(w.witness->Handle("old 16\n").status == 400);
    CHECK(w.witness->Handle("old 016\n\n" + log.Note(20)).status == 400);
    std::string lines;
    for (int i = 0; i < 64; ++i)
      lines += crypto::Base64Encode(log.Root(1).view()) + "\n";
    CHECK(w.witness->Handle("old 16\n" + lines + "\n" + log.Note(20)).status ==
          400);
    CHECK(w.Evidence().empty());
  }
  SECTION("404 unknown origin, nothing recorded") {
    WitnessResponse r = w.witness->Handle(stranger.Body(0, 4));
    CHECK(r.status == 404);
    CHECK(r.reason == "unknown_origin");
    CHECK(w.Evidence().empty());
  }
  SECTION("403 wrong key or altered text, nothing recorded") {
    // Signed as the log's origin by another key.
    auto forged = ledger::SignCheckpoint(
        {std::string(kOrigin), 20, log.Root(20)}, SeedKey(3));
    REQUIRE(forged.ok());
    WitnessResponse r = w.witness->Handle(
        FormatAddCheckpointRequest(16, log.Proof(16, 20), *forged));
    CHECK(r.status == 403);
    CHECK(r.reason == "no_trusted_signature");
    // The log's own signature over another text (the size changed).
    std::string altered = log.Note(20);
    const std::size_t at = altered.find("\n20\n");
    REQUIRE(at != std::string::npos);
    altered.replace(at, 4, "\n21\n");
    r = w.witness->Handle(
        FormatAddCheckpointRequest(16, log.Proof(16, 21), altered));
    CHECK(r.status == 403);
    CHECK(r.reason == "bad_signature");
    CHECK(w.Evidence().empty());
    CHECK(w.LatestSize() == 16);
  }
  SECTION("400 old size above the checkpoint size, recorded") {
    WitnessResponse r =
        w.witness->Handle(FormatAddCheckpointRequest(20, {}, log.Note(16)));
    CHECK(r.status == 400);
    CHECK(r.reason == "old_size_too_large");
    auto e = w.Evidence();
    REQUIRE(e.size() == 1);
    CHECK(e[0].status == 400);
    CHECK(e[0].old_size == 20);
  }
  SECTION("409 stale old size: the latest size and text/x.tlog.size") {
    WitnessResponse r = w.witness->Handle(log.Body(0, 20));
    CheckConflict(r, 16);
    CHECK(r.reason == "stale_old_size");
    r = w.witness->Handle(log.Body(10, 20));
    CheckConflict(r, 16);
    // The client retries with the size it was told.
    CheckCosignature(w.witness->Handle(log.Body(16, 20)), log.Note(20));
    // An older checkpoint can never be cosigned again.
    CheckConflict(w.witness->Handle(log.Body(16, 18)), 20);
    CHECK(w.LatestSize() == 20);
    // The first two refused the same signed checkpoint (size 20) for the same
    // rule: recorded once.
    auto e = w.Evidence();
    REQUIRE(e.size() == 2);
    for (const auto& rec : e) {
      CHECK(rec.status == 409);
      CHECK(rec.reason == "stale_old_size");
      CHECK(!rec.fork);
      CHECK(!rec.conflicting_note);
    }
    CHECK(e[0].seq == 1);
    CHECK(e[1].seq == 2);
    CHECK(e[0].old_size == 0);
  }
  SECTION(
      "422 a consistency proof that does not verify, recorded with the stored "
      "note") {
    auto proof = log.Proof(16, 30);
    proof[0].bytes[0] ^= 1;
    WitnessResponse r =
        w.witness->Handle(FormatAddCheckpointRequest(16, proof, log.Note(30)));
    CHECK(r.status == 422);
    CHECK(r.reason == "bad_proof");
    // Too short, and a proof for other sizes.
    auto short_proof = log.Proof(16, 30);
    short_proof.pop_back();
    CHECK(
        w.witness
            ->Handle(FormatAddCheckpointRequest(16, short_proof, log.Note(30)))
            .status == 422);
    CHECK(w.witness
              ->Handle(FormatAddCheckpointRequest(16, log.Proof(15, 30),
                                                  log.Note(30)))
              .status == 422);
    // A proof where it must be empty: old = size.
    CHECK(w.witness
              ->Handle(FormatAddCheckpointRequest(16, log.Proof(8, 16),
                                                  log.Note(16)))
              .status == 422);
    CHECK(w.LatestSize() == 16);
    // The three bad proofs for one signed checkpoint are recorded once (the
    // proof is unsigned: only the checkpoint is evidence).
    auto e = w.Evidence();
    REQUIRE(e.size() == 2);
    CHECK(e[1].reason == "proof_not_empty");
    CHECK(e[0].status == 422);
    CHECK(e[0].proof.size() == proof.size());
    REQUIRE(e[0].conflicting_note);
    CHECK(*e[0].conflicting_note == log.Note(16));
  }
  SECTION("422 a proof with old size 0") {
    World fresh({log.verifier()});
    WitnessResponse r = fresh.witness->Handle(
        FormatAddCheckpointRequest(0, log.Proof(8, 16), log.Note(16)));
    CHECK(r.status == 422);
    CHECK(r.reason == "proof_not_empty");
    CHECK(fresh.LatestSize() == 0);
  }
}

TEST_CASE("witness: a fork (same size, other root) is 409 and keeps both notes",
          "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  TestLog fork(std::string(kOrigin), 1, "forked ");  // same key, other history
  log.Grow(40);
  fork.Grow(40);
  World w({log.verifier()});
  REQUIRE(w.witness->Handle(log.Body(0, 30)).status == 200);

  // The log shows another tree of size 30 to the witness.
  WitnessResponse r = w.witness->Handle(fork.Body(30, 30));
  CheckConflict(r, 30);
  CHECK(r.reason == "root_mismatch");
  // Asked as if new (old 0): still 409, and still a fork.
  r = w.witness->Handle(fork.Body(0, 30));
  CheckConflict(r, 30);
  // Replayed: recorded once.
  r = w.witness->Handle(fork.Body(30, 30));
  CheckConflict(r, 30);

  auto e = w.Evidence();
  REQUIRE(e.size() == 2);
  for (const auto& rec : e) {
    CHECK(rec.fork);
    CHECK(rec.status == 409);
    CHECK(rec.note == fork.Note(30));
    REQUIRE(rec.conflicting_note);
    CHECK(*rec.conflicting_note == log.Note(30));
    // Both are checkpoints the log signed: the proof of its misbehaviour.
    auto a = ledger::OpenCheckpoint(rec.note, log.verifier());
    auto b = ledger::OpenCheckpoint(*rec.conflicting_note, log.verifier());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->size == b->size);
    CHECK(a->root != b->root);
  }
  CHECK(e[0].reason == "root_mismatch");
  CHECK(e[1].reason == "stale_old_size");
  CHECK(w.LatestSize() == 30);
  // The JSON lines carry both notes.
  auto lines = w.store->EvidenceLines();
  REQUIRE(lines.ok());
  REQUIRE(lines->size() == 2);
  CHECK((*lines)[0].find("\"fork\":true") != std::string::npos);
  CHECK((*lines)[0].find("\"conflicting_note\"") != std::string::npos);
  CHECK((*lines)[0].find('\n') == std::string::npos);
}

TEST_CASE("witness state survives closing and reopening", "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(50);
  World w({log.verifier()});
  REQUIRE(w.witness->Handle(log.Body(0, 12)).status == 200);
  REQUIRE(w.witness->Handle(log.Body(12, 33)).status == 200);
  REQUIRE(w.witness->Handle(log.Body(0, 40)).status == 409);
  w.Close();
  w.Open();
  CHECK(w.LatestSize() == 33);
  CHECK(w.Evidence().size() == 1);
  CheckConflict(w.witness->Handle(log.Body(0, 40)), 33);
  CheckCosignature(w.witness->Handle(log.Body(33, 40)), log.Note(40));
  CHECK(w.Evidence().size() == 1);  // the same 409 again: not recorded twice
}

TEST_CASE("witness store: name, log keys", "[witness]") {
  TempDir dir;
  auto store = WitnessStore::Open(dir.path(), true);
  REQUIRE(store.ok());
  CHECK((*store)->Name().status().code() == StatusCode::kNotFound);
  REQUIRE((*store)->SetName("w.example/1").ok());
  CHECK((*store)->SetName("w.example/2").code() == StatusCode::kAlreadyExists);
  CHECK((*store)->Name().value() == "w.example/1");
  TestLog a("a.example/log", 1), b("b.example/log", 2);
  REQUIRE((*store)->AddLogKey(a.verifier().ToString()).ok());
  REQUIRE((*store)->AddLogKey(b.verifier().ToString()).ok());
  CHECK((*store)->AddLogKey(a.verifier().ToString()).code() ==
        StatusCode::kAlreadyExists);
  CHECK((*store)->AddLogKey("not a key").code() ==
        StatusCode::kInvalidArgument);
  // A cosigner key (type 0x04) is not a log key.
  CHECK((*store)
            ->AddLogKey(crypto::CosignerVerifier::For("c.example/w",
                                                      SeedKey(3).public_key())
                            .ToString())
            .code() == StatusCode::kInvalidArgument);
  auto keys = (*store)->LogKeys();
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  CHECK(!WitnessStore::Open(dir / "missing", false).ok());
}

TEST_CASE("witness: two trusted keys for one origin (key rotation)",
          "[witness]") {
  TestLog old_key(std::string(kOrigin), 1), new_key(std::string(kOrigin), 5);
  old_key.Grow(10);
  new_key.Grow(10);
  World w({old_key.verifier(), new_key.verifier()});
  CheckCosignature(w.witness->Handle(old_key.Body(0, 4)), old_key.Note(4));
  CheckCosignature(w.witness->Handle(new_key.Body(4, 9)), new_key.Note(9));
}

TEST_CASE(
    "witness: concurrent requests from 8 threads never roll the size back",
    "[witness][slow]") {
  constexpr int kThreads = 8;
  constexpr std::uint64_t kMax = 160;
  TestLog log(std::string(kOrigin), 1);
  log.Grow(kMax);
  World w({log.verifier()});
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> cosigned{0};
  std::atomic<std::uint64_t> max_cosigned{0};
  std::mutex failure_mu;
  std::vector<std::string> failure_words;
  auto fail = [&](std::string words) {
    ++failures;
    std::lock_guard lock(failure_mu);
    if (failure_words.size() < 5) failure_words.push_back(std::move(words));
  };

  // A monitor: the stored size read over and over must never decrease.
  std::thread monitor([&] {
    std::uint64_t seen = 0;
    while (!done.load()) {
      auto l = w.store->Latest(kOrigin);
      if (!l.ok()) {
        fail("read failed");
        return;
      }
      const std::uint64_t size = *l ? (*l)->size : 0;
      if (size < seen)
        fail("stored size went back from " + std::to_string(seen) + " to " +
             std::to_string(size));
      seen = std::max(seen, size);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t known = 0;  // what this client believes the witness has
      for (std::uint64_t target = static_cast<std::uint64_t>(t) + 1;
           target <= kMax; target += kThreads) {
        for (int attempt = 0; attempt < 1000; ++attempt) {
          if (known > target)
            break;  // overtaken: this size can no longer be cosigned
          const WitnessResponse r = w.witness->Handle(log.Body(known, target));
          if (r.status == 200) {
            ++cosigned;
            std::uint64_t m = max_cosigned.load();
            while (m < target &&
                   !max_cosigned.compare_exchange_weak(m, target)) {
            }
            // Right after our cosignature the stored size is at least ours.
            auto l = w.store->Latest(kOrigin);
            if (!l.ok() || !*l || (*l)->size < target)
              fail("cosigned size not kept");
            known = target;
            break;
          }
          if (r.status != 409) {
            fail("status " + std::to_string(r.status) + " " + r.reason);
            break;
          }
          auto size = ParseTlogSize(r.body);
          if (!size.ok()) {
            fail("bad 409 body");
            break;
          }
          known = *size;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  monitor.join();
  std::string all_failures;
  for (const auto& words : failure_words) all_failures += words + "; ";
  INFO(all_failures);
  CHECK(failures.load() == 0);
  CHECK(cosigned.load() > 0);
  CHECK(w.LatestSize() == max_cosigned.load());
  CHECK(w.LatestSize() == kMax);  // the thread holding kMax always gets there
  for (const auto& e : w.Evidence()) {
    CHECK(e.status == 409);
    CHECK(!e.fork);
  }
}

TEST_CASE("witness routes without sockets", "[witness]") {
  TestLog log(std::string(kOrigin), 1);
  log.Grow(8);
  World w({log.verifier()});
  CHECK(w.witness->Route("GET", "/add-checkpoint", "").status == 405);
  CHECK(w.witness->Route("GET", "/add-checkpoint", "").headers.at(0).second ==
        "POST");
  CHECK(w.witness->Route("POST", "/nothing", "").status == 404);
  CHECK(w.witness->Route("POST", "/", "").status == 404);
  CHECK(w.witness->Route("GET", "/checkpoint/log.example%2Fcaseledger", "")
            .status == 404);
  const std::string note = log.Note(8);
  WitnessResponse r =
      w.witness->Route("POST", "/add-checkpoint", log.Body(0, 8));
  CheckCosignature(r, note);
  r = w.witness->Route("GET", "/checkpoint/log.example%2Fcaseledger", "");
  CHECK(r.status == 200);
  CHECK(r.body ==
        note +
            w.witness->Route("POST", "/add-checkpoint", log.Body(8, 8)).body);
  CHECK(w.witness->Route("POST", "/checkpoint/log.example%2Fcaseledger", "")
            .status == 405);
  CHECK(w.witness->Route("GET", "/checkpoint/log.example%2", "").status == 400);
  CHECK(w.witness->Route("GET", "/checkpoint/%00", "").status == 400);
  CHECK(PercentDecode("a%2Fb%2fc").value() == "a/b/c");
  CHECK(!PercentDecode("%zz").ok());
  CHECK(!PercentDecode("%ff").ok());  // not UTF-8
}

TEST_CASE("witness dir: init, reopen, refuse to overwrite", "[witness]") {
  TempDir dir;
  TestLog log(std::string(kOrigin), 1);
  log.Grow(3);
  const std::string w = dir / "w";
  CHECK(InitWitnessDir(w, "bad name", {}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(
      InitWitnessDir(w, std::string(kWitnessName), {"nope"}).status().code() ==
      StatusCode::kInvalidArgument);
  auto vkey =
      InitWitnessDir(w, std::string(kWitnessName), {log.verifier().ToString()});
  REQUIRE(vkey.ok());
  CHECK(testing::ReadFile(w + "/witness.pub") == *vkey + "\n");
  CHECK(crypto::CosignerVerifier::Parse(*vkey).ok());
  CHECK(InitWitnessDir(w, "other.example/w", {}).status().code() ==
        StatusCode::kAlreadyExists);
  auto opened = OpenWitnessDir(w, [] { return kStartTime; });
  REQUIRE(opened.ok());
  CHECK(opened->witness->verifier().ToString() == *vkey);
  WitnessResponse r = opened->witness->Handle(log.Body(0, 3));
  REQUIRE(r.status == 200);
  // witness.pub altered: refused.
  testing::WriteFile(
      w + "/witness.pub",
      crypto::CosignerVerifier::For(kWitnessName, SeedKey(4).public_key())
              .ToString() +
          "\n");
  opened = Result<OpenedWitness>(NotFound("closed"));
  CHECK(OpenWitnessDir(w).status().code() == StatusCode::kCorruption);
  CHECK(OpenWitnessDir(dir / "none").status().code() == StatusCode::kNotFound);
}

// The real binary: init, add-log, serve on port 0, POST, GET, evidence, stop.
TEST_CASE("caseledger witness end to end", "[witness][e2e]") {
  using testing::Run;
  TempDir tmp;
  const std::string w = tmp / "witness";
  TestLog log(std::string(kOrigin), 1);
  TestLog second("second.example/log", 2);
  log.Grow(30);
  second.Grow(3);
  auto init =
      Run({"witness", "init", "--data", w, "--name", std::string(kWitnessName),
           "--log", log.verifier().ToString()});
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  const std::string vkey = init.out.substr(0, init.out.find('\n'));
  auto cosigner = crypto::CosignerVerifier::Parse(vkey);
  REQUIRE(cosigner.ok());
  CHECK(Run({"witness", "init", "--data", w, "--name", "x.example/w"})
            .exit_code != 0);
  CHECK(Run({"witness", "add-log", "--data", w, "--vkey",
             second.verifier().ToString()})
            .exit_code == 0);
  CHECK(
      Run({"witness", "add-log", "--data", w, "--vkey", "garbage"}).exit_code !=
      0);

  std::uint16_t port = 0;
  {
    testing::Child server({"witness", "serve", "--data", w, "--port", "0"}, "",
                          tmp / "err");
    std::string line;
    REQUIRE(server.ReadLine(line));
    INFO(line);
    REQUIRE(line.rfind("listening on 127.0.0.1:", 0) == 0);
    port =
        static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    testing::HttpClient client(port);
    REQUIRE(client.connected());

    auto reply = client.Send("POST", "/add-checkpoint", {}, log.Body(0, 20));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->Header("content-type") == "text/plain; charset=utf-8");
    auto parsed = crypto::ParseNote(log.Note(20) + reply->body);
    REQUIRE(parsed.ok());
    CHECK(crypto::VerifyCosignature(parsed->signatures.back(), parsed->text,
                                    *cosigner)
              .ok());

    reply = client.Send("POST", "/add-checkpoint", {}, log.Body(0, 30));
    REQUIRE(reply);
    CHECK(reply->status == 409);
    CHECK(reply->Header("content-type") == "text/x.tlog.size");
    CHECK(reply->body == "20\n");
    reply = client.Send("POST", "/add-checkpoint", {}, log.Body(20, 30));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    // The log added after init is trusted after the (re)start.
    reply = client.Send("POST", "/add-checkpoint", {}, second.Body(0, 3));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    reply = client.Send("POST", "/add-checkpoint", {}, "old 0\n\ngarbage\n");
    REQUIRE(reply);
    CHECK(reply->status == 400);

    reply = client.Send("GET", "/add-checkpoint");
    REQUIRE(reply);
    CHECK(reply->status == 405);
    reply = client.Send("GET", "/elsewhere");
    REQUIRE(reply);
    CHECK(reply->status == 404);
    reply = client.Send("GET", "/checkpoint/log.example%2Fcaseledger");
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body.starts_with(log.Note(30)));
    auto served = crypto::ParseNote(reply->body);
    REQUIRE(served.ok());
    CHECK(crypto::VerifyCosignature(served->signatures.back(), served->text,
                                    *cosigner)
              .ok());
    // Bodies above 1 MiB are refused by the server.
    reply = client.Send("POST", "/add-checkpoint", {},
                        std::string((1 << 20) + 10, 'x'));
    if (reply) CHECK(reply->status == 413);

    server.Signal(SIGTERM);
    CHECK(server.Wait() == 0);
    const std::string log_text = testing::ReadFile(tmp / "err");
    CHECK(log_text.find("route=/add-checkpoint status=409") !=
          std::string::npos);
    // No note content in the log.
    CHECK(log_text.find("log.example/caseledger\n") == std::string::npos);
    CHECK(log_text.find(crypto::Base64Encode(log.Root(30).view())) ==
          std::string::npos);
  }
  auto evidence = Run({"witness", "evidence", "--data", w});
  REQUIRE(evidence.exit_code == 0);
  CHECK(std::count(evidence.out.begin(), evidence.out.end(), '\n') == 1);
  CHECK(evidence.out.find("\"status\":409") != std::string::npos);
  CHECK(evidence.out.find("\"reason\":\"stale_old_size\"") !=
        std::string::npos);

  // Restarted: the state is the one left.
  testing::Child again({"witness", "serve", "--data", w, "--port", "0"}, "",
                       tmp / "err2");
  std::string line;
  REQUIRE(again.ReadLine(line));
  port =
      static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  testing::HttpClient client(port);
  auto reply = client.Send("POST", "/add-checkpoint", {}, log.Body(0, 30));
  REQUIRE(reply);
  CHECK(reply->status == 409);
  CHECK(reply->body == "30\n");
  again.Signal(SIGTERM);
  CHECK(again.Wait() == 0);
}

// The spec's own example bodies (c2sp.org/tlog-witness v1.0.0,
// "add-checkpoint"), byte for byte: the request parses to what it says and
// FormatAddCheckpointRequest rebuilds exactly those bytes; the response's
// three lines are note signature lines whose bytes are timestamped
// signatures.
TEST_CASE("add-checkpoint: the spec's example request and response bodies", "[witness]") {
  const std::string note =
      "example.com/behind-the-sofa\n"
      "20852163\n"
      "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
      "\n"
      "\xE2\x80\x94 example.com/behind-the-sofa "
      "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
      "\xE2\x80\x94 example.com/behind-the-sofa "
      "opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
  const std::vector<std::string> proof_b64 = {
      "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=",
      "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=",
      "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=",
      "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0="};
  std::string body = "old 20852014\n";
  for (const std::string& h : proof_b64) body += h + "\n";
  body += "\n" + note;

  Result<AddCheckpointRequest> r = ParseAddCheckpointRequest(body);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->old_size == 20852014u);
  REQUIRE(r->proof.size() == 4);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(crypto::Base64Encode(r->proof[i].view()) == proof_b64[i]);
  CHECK(r->note == note);
  CHECK(r->checkpoint.origin == "example.com/behind-the-sofa");
  CHECK(r->checkpoint.size == 20852163u);
  CHECK(crypto::Base64Encode(r->checkpoint.root.view()) ==
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  CHECK(r->parsed.signatures.size() == 2);
  CHECK(FormatAddCheckpointRequest(r->old_size, r->proof, r->note) == body);

  const std::string response =
      "\xE2\x80\x94 witness.example/w1 "
      "CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n"
      "\xE2\x80\x94 witness.example/w1 "
      "I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n"
      "\xE2\x80\x94 witness.example/w2 "
      "AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n";
  // As the spec suggests a client parse it: appended to the checkpoint.
  Result<crypto::ParsedNote> n = crypto::ParseNote(note + response);
  REQUIRE(n.ok());
  REQUIRE(n->signatures.size() == 5);
  // Each is a key id and a timestamped_signature's 72 bytes. The example's
  // bytes are placeholders: two of them have a timestamp above 2^63 - 1,
  // which a verifier must refuse (the spec's bound); the third decodes.
  for (std::size_t i = 2; i < 5; ++i)
    CHECK(n->signatures[i].signature.size() == crypto::kTimestampedSignatureBytes);
  CHECK(!crypto::DecodeTimestampedSignature(n->signatures[2].signature).ok());
  CHECK(!crypto::DecodeTimestampedSignature(n->signatures[3].signature).ok());
  CHECK(crypto::DecodeTimestampedSignature(n->signatures[4].signature).ok());
  CHECK(n->signatures[2].name == "witness.example/w1");
  CHECK(n->signatures[4].name == "witness.example/w2");
  // The 409 body: decimal and a newline, nothing else.
  CHECK(FormatTlogSize(20852163) == "20852163\n");
  CHECK(ParseTlogSize("20852163\n").value() == 20852163u);
  CHECK(!ParseTlogSize("20852163").ok());
  CHECK(!ParseTlogSize("020852163\n").ok());
}

}  // namespace
}  // namespace caseledger::witness
