#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <vector>
#include <thread>

#include "ledger/lmdb/env.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger::lmdb {
namespace {

using testing::TempDir;

TEST_CASE("LMDB put, get, cursor order and append mode", "[ledger]") {
  TempDir dir;
  auto env = Env::Open(dir.path(), EnvOptions{}).value();
  Dbi db = env->OpenDb("t", true).value();
  REQUIRE(env->Write([&](WriteTxn& txn) -> Status {
               for (std::uint64_t i = 1; i <= 100; ++i) {
                 auto k = EncodeBigEndian64(i);
                 CL_RETURN_IF_ERROR(txn.Put(db, k,
                                            AsBytes("v" + std::to_string(i)),
                                            PutMode::kAppend));
               }
               return Status::Ok();
             })
              .ok());
  // Appending a smaller key is refused, and the txn's earlier work is not
  // committed.
  Status s = env->Write([&](WriteTxn& txn) -> Status {
    auto k = EncodeBigEndian64(5);
    return txn.Put(db, k, AsBytes("x"), PutMode::kAppend);
  });
  CHECK(s.code() == StatusCode::kInvalidArgument);
  auto txn = env->BeginRead().value();
  auto k7 = EncodeBigEndian64(7);
  CHECK(AsChars(*txn.Get(db, k7).value()) == "v7");
  auto k500 = EncodeBigEndian64(500);
  CHECK_FALSE(txn.Get(db, k500).value().has_value());
  auto c = Cursor::Open(txn, db).value();
  std::uint64_t expect = 1, n = 0;
  for (auto kv = c.First(); kv.ok() && *kv; kv = c.Next()) {
    CHECK(DecodeBigEndian64((*kv)->key) == expect++);
    ++n;
  }
  CHECK(n == 100);
  CHECK(DecodeBigEndian64(c.Last().value()->key) == 100);
}

TEST_CASE("LMDB map grows automatically when full", "[ledger]") {
  TempDir dir;
  EnvOptions opts;
  opts.initial_map_size = 1 << 20;  // 1 MiB
  auto env = Env::Open(dir.path(), opts).value();
  Dbi db = env->OpenDb("t", true).value();
  std::string value(4000, 'x');
  // 8 MiB in total, in batches of 1 MiB: needs several doublings.
  for (int batch = 0; batch < 8; ++batch) {
    REQUIRE(env->Write([&](WriteTxn& txn) -> Status {
                 for (int i = 0; i < 256; ++i) {
                   auto k = EncodeBigEndian64(
                       static_cast<std::uint64_t>(batch * 256 + i));
                   CL_RETURN_IF_ERROR(
                       txn.Put(db, k, AsBytes(value), PutMode::kAppend));
                 }
                 return Status::Ok();
               })
                .ok());
  }
  CHECK(env->Info().value().map_size > (std::size_t{8} << 20));
  auto txn = env->BeginRead().value();
  auto last = EncodeBigEndian64(8 * 256 - 1);
  CHECK(txn.Get(db, last).value().has_value());
}

TEST_CASE("LMDB map growth is not starved by a stream of overlapping readers", "[ledger]") {
  // Growing the map needs every txn of the process to end (an exclusive
  // lock). Readers that keep overlapping must not hold it off: new readers
  // wait for a pending growth. Without that, glibc's reader-preferring rwlock
  // let readers like these hold a growth off for as long as they ran.
  TempDir dir;
  EnvOptions opts;
  opts.initial_map_size = 1 << 20;  // 1 MiB: the writes below need 4 doublings
  auto env = Env::Open(dir.path(), opts).value();
  Dbi db = env->OpenDb("t", true).value();
  Dbi read_db = env->OpenDb("r", true).value();
  auto key = AsBytes("k");
  REQUIRE(env->Write([&](WriteTxn& t) { return t.Put(read_db, key, AsBytes("v")); }).ok());
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0};
  std::atomic<int> gave_up{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 8; ++r) {
    readers.emplace_back([&] {
      // Each reader holds its txn across a yield, so that some txn is open at
      // almost every moment; the readers stop on their own after 60 s.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (!done.load() && std::chrono::steady_clock::now() < give_up) {
        auto txn = env->BeginRead();
        if (!txn.ok()) continue;
        if (txn->Get(read_db, key).ok()) reads.fetch_add(1);
        std::this_thread::yield();
      }
      if (!done.load()) gave_up.fetch_add(1);
    });
  }
  while (reads.load() < 1000) std::this_thread::yield();  // the readers are running
  std::string value(4000, 'x');
  Status written;
  for (int batch = 0; batch < 16 && written.ok(); ++batch) {
    written = env->Write([&](WriteTxn& txn) -> Status {
                       for (int i = 0; i < 256; ++i) {
                         auto k = EncodeBigEndian64(static_cast<std::uint64_t>(batch * 256 + i));
                         CL_RETURN_IF_ERROR(txn.Put(db, k, AsBytes(value), PutMode::kAppend));
                       }
                       return Status::Ok();
                     });
  }
  done.store(true);
  for (auto& t : readers) t.join();
  INFO(written.ToString());
  CHECK(written.ok());
  // The writes finished while the readers were still reading: had growth
  // starved until they gave up, it would have.
  CHECK(gave_up.load() == 0);
  CHECK(env->Info().value().map_size >= (std::size_t{16} << 20));
}

TEST_CASE("A reader keeps its snapshot while the writer commits", "[ledger]") {
  TempDir dir;
  auto env = Env::Open(dir.path(), EnvOptions{}).value();
  Dbi db = env->OpenDb("t", true).value();
  auto key = AsBytes("k");
  REQUIRE(
      env->Write([&](WriteTxn& t) { return t.Put(db, key, AsBytes("old")); })
          .ok());
  auto reader = env->BeginRead().value();
  std::thread writer([&] {
    REQUIRE(
        env->Write([&](WriteTxn& t) { return t.Put(db, key, AsBytes("new")); })
            .ok());
  });
  writer.join();
  CHECK(AsChars(*reader.Get(db, key).value()) == "old");
  auto fresh = env->BeginRead().value();
  CHECK(AsChars(*fresh.Get(db, key).value()) == "new");
}

TEST_CASE("Opening a missing or foreign file fails with a clear status",
          "[ledger]") {
  TempDir dir;
  EnvOptions ro;
  ro.read_only = true;
  auto missing = Env::Open(dir / "nope", ro);
  CHECK_FALSE(missing.ok());
  testing::WriteFile(dir / "data.mdb", std::string(64 * 1024, 'z'));
  auto foreign = Env::Open(dir.path(), ro);
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.status().code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace caseledger::ledger::lmdb
