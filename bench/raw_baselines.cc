// Raw baselines. This file (with the ledger's own ledger/lmdb/) is the only
// includer of <lmdb.h>: the benchmark measures raw LMDB to have a limit to
// compare the ledger with; nothing here is used by the ledger.
#include "bench/raw_baselines.h"
#include "base/json.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

namespace caseledger::bench {

namespace {

// The flags ledger/lmdb/env.cc opens every env with (durable commits: no
// MDB_NOSYNC, no MDB_NOMETASYNC, no MDB_WRITEMAP).
constexpr unsigned kLedgerEnvFlags = MDB_NOTLS | MDB_NORDAHEAD;

volatile std::uint64_t g_sink = 0;

Status Mdb(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return Status::Ok();
  return IoError(std::string("raw LMDB ") + what + ": " + mdb_strerror(rc));
}

struct EnvCloser {
  void operator()(MDB_env* e) const { mdb_env_close(e); }
};
using EnvPtr = std::unique_ptr<MDB_env, EnvCloser>;

Bytes RandomBytes(std::size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), b.size());
  return b;
}

}  // namespace

RawLmdbLog::RawLmdbLog(MDB_env* env, unsigned dbi, std::size_t value_bytes)
    : env_(env), dbi_(dbi), value_(RandomBytes(value_bytes)) {}

RawLmdbLog::~RawLmdbLog() { mdb_env_close(env_); }

Result<std::unique_ptr<RawLmdbLog>> RawLmdbLog::Create(const std::string& dir,
                                                       std::size_t value_bytes,
                                                       std::size_t capacity) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  MDB_env* raw = nullptr;
  CL_RETURN_IF_ERROR(Mdb(mdb_env_create(&raw), "env create"));
  EnvPtr env(raw);
  const std::size_t bytes = (capacity + 64) * (value_bytes + 64);
  CL_RETURN_IF_ERROR(Mdb(mdb_env_set_maxdbs(raw, 4), "set max dbs"));
  CL_RETURN_IF_ERROR(
      Mdb(mdb_env_set_mapsize(raw, 2 * bytes + (std::size_t{64} << 20)),
          "set map size"));
  CL_RETURN_IF_ERROR(
      Mdb(mdb_env_open(raw, dir.c_str(), kLedgerEnvFlags, 0600), "env open"));
  MDB_txn* txn = nullptr;
  CL_RETURN_IF_ERROR(Mdb(mdb_txn_begin(raw, nullptr, 0, &txn), "begin"));
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn, "events", MDB_CREATE, &dbi);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    return Mdb(rc, "dbi open");
  }
  CL_RETURN_IF_ERROR(Mdb(mdb_txn_commit(txn), "commit"));
  std::unique_ptr<RawLmdbLog> log(
      new RawLmdbLog(env.release(), dbi, value_bytes));
  for (int i = 0; i < 4; ++i)
    CL_RETURN_IF_ERROR(log->AppendBatch(1));  // warm-up
  return log;
}

Status RawLmdbLog::AppendBatch(std::size_t count) {
  MDB_txn* txn = nullptr;
  CL_RETURN_IF_ERROR(Mdb(mdb_txn_begin(env_, nullptr, 0, &txn), "begin"));
  for (std::size_t i = 0; i < count; ++i) {
    auto key = EncodeBigEndian64(next_key_++);
    value_[0] =
        static_cast<std::uint8_t>(next_key_);  // values differ, as events do
    MDB_val k{key.size(), key.data()};
    MDB_val v{value_.size(), value_.data()};
    int rc = mdb_put(txn, dbi_, &k, &v, MDB_APPEND);
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return Mdb(rc, "put");
    }
  }
  return Mdb(mdb_txn_commit(txn), "commit");
}

FsyncFile::FsyncFile(int fd, std::string path, std::size_t bytes)
    : fd_(fd), path_(std::move(path)), block_(RandomBytes(bytes)) {}

FsyncFile::~FsyncFile() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

Result<std::unique_ptr<FsyncFile>> FsyncFile::Create(const std::string& path,
                                                     std::size_t bytes) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return IoError("cannot create " + path + ": " + std::strerror(errno));
  std::unique_ptr<FsyncFile> f(new FsyncFile(fd, path, bytes));
  for (int i = 0; i < 4; ++i) CL_RETURN_IF_ERROR(f->AppendSync());  // warm-up
  return f;
}

Status FsyncFile::AppendSync() {
  if (::pwrite(fd_, block_.data(), block_.size(),
               static_cast<off_t>(offset_)) !=
      static_cast<ssize_t>(block_.size())) {
    return IoError("pwrite " + path_ + ": " + std::strerror(errno));
  }
  offset_ += block_.size();
  if (::fdatasync(fd_) != 0)
    return IoError("fdatasync " + path_ + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<double> SecureAllocMicros(unsigned busy_threads,
                                 std::size_t iterations) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (unsigned t = 0; t < busy_threads; ++t) {
    busy.emplace_back([&] {
      volatile std::uint64_t x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  }
  bool ok = true;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < iterations && ok; ++i) {
    void* p = sodium_malloc(32);
    ok = p != nullptr;
    if (ok) {
      static_cast<volatile std::uint8_t*>(p)[0] = 1;
      sodium_free(p);
    }
  }
  const double micros =
      SecondsSince(start) * 1e6 / static_cast<double>(iterations);
  stop = true;
  for (auto& th : busy) th.join();
  if (!ok) return ResourceExhausted("sodium_malloc failed");
  return micros;
}

Result<Rate> RawSignRate(std::size_t message_bytes, unsigned threads,
                         double seconds) {
  std::vector<Bytes> messages, secret_keys;
  for (unsigned t = 0; t < threads; ++t) {
    Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES);
    crypto_sign_keypair(pk.data(), sk.data());
    secret_keys.push_back(std::move(sk));
    messages.push_back(RandomBytes(message_bytes));
  }
  std::vector<std::array<std::uint8_t, crypto_sign_BYTES>> sigs(threads);
  return RunOnThreads(
      threads, seconds, "crypto_sign_detached", [&](unsigned t) {
        messages[t][0] = static_cast<std::uint8_t>(
            messages[t][0] + 1);  // a different message each time
        return crypto_sign_detached(sigs[t].data(), nullptr, messages[t].data(),
                                    messages[t].size(),
                                    secret_keys[t].data()) == 0;
      });
}

Result<Rate> RawVerifyRate(std::size_t message_bytes, unsigned threads,
                           double seconds) {
  std::vector<Bytes> messages, public_keys, sigs;
  for (unsigned t = 0; t < threads; ++t) {
    Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES),
        sig(crypto_sign_BYTES);
    crypto_sign_keypair(pk.data(), sk.data());
    Bytes m = RandomBytes(message_bytes);
    crypto_sign_detached(sig.data(), nullptr, m.data(), m.size(), sk.data());
    public_keys.push_back(std::move(pk));
    messages.push_back(std::move(m));
    sigs.push_back(std::move(sig));
  }
  return RunOnThreads(
      threads, seconds, "crypto_sign_verify_detached", [&](unsigned t) {
        return crypto_sign_verify_detached(sigs[t].data(), messages[t].data(),
                                           messages[t].size(),
                                           public_keys[t].data()) == 0;
      });
}

Result<RawReplayResult> RawReplay(const std::string& env_dir,
                                  const std::string& db,
                                  const std::vector<SealedBody>& bodies) {
  if (bodies.empty())
    return InvalidArgument("raw replay needs at least one sealed body");
  MDB_env* raw = nullptr;
  CL_RETURN_IF_ERROR(Mdb(mdb_env_create(&raw), "env create"));
  EnvPtr env(raw);
  CL_RETURN_IF_ERROR(Mdb(mdb_env_set_maxdbs(raw, 16), "set max dbs"));
  CL_RETURN_IF_ERROR(Mdb(
      mdb_env_open(raw, env_dir.c_str(), kLedgerEnvFlags | MDB_RDONLY, 0600),
      "env open"));
  MDB_txn* txn = nullptr;
  CL_RETURN_IF_ERROR(
      Mdb(mdb_txn_begin(raw, nullptr, MDB_RDONLY, &txn), "begin read"));
  std::unique_ptr<MDB_txn, void (*)(MDB_txn*)> txn_guard(txn, mdb_txn_abort);
  MDB_dbi dbi = 0;
  CL_RETURN_IF_ERROR(Mdb(mdb_dbi_open(txn, db.c_str(), 0, &dbi), "dbi open"));
  MDB_cursor* cursor = nullptr;
  CL_RETURN_IF_ERROR(Mdb(mdb_cursor_open(txn, dbi, &cursor), "cursor open"));
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cursor_guard(
      cursor, mdb_cursor_close);

  std::vector<std::uint8_t> plain;
  RawReplayResult r;
  std::uint64_t checksum = 0;
  const auto start = Clock::now();
  const double cpu_start = ThreadCpuSeconds();
  MDB_val k{}, v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    // Touch every byte of the value (8 at a time), as reading it would.
    const auto* p = static_cast<const std::uint8_t*>(v.mv_data);
    std::size_t i = 0;
    for (; i + 8 <= v.mv_size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      checksum += w;
    }
    for (; i < v.mv_size; ++i) checksum += p[i];
    r.scanned_bytes += v.mv_size;

    const SealedBody& b = bodies[r.events % bodies.size()];
    plain.resize(b.ciphertext.size() -
                 crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long plain_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &plain_len, nullptr, b.ciphertext.data(),
            b.ciphertext.size(), b.ad.data(), b.ad.size(), b.nonce.data(),
            b.key.data()) != 0) {
      return Internal("raw replay: a sealed body does not open");
    }
    auto body = Json::parse(
        plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(plain_len),
        nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object())
      return Internal("raw replay: a body is not a JSON object");
    ++r.events;
  }
  if (rc != MDB_NOTFOUND) return Mdb(rc, "cursor");
  r.events_per_s = static_cast<double>(r.events) / SecondsSince(start);
  r.cpu_micros_per_event =
      (ThreadCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(r.events);
  g_sink = checksum;  // keeps the scan from being optimised away
  return r;
}

}  // namespace caseledger::bench
