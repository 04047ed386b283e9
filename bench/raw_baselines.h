// Raw building blocks measured on this machine, as the limits the ledger's
// figures are divided by: LMDB MDB_APPEND puts with one durable commit per
// batch, single-put durable commits, write+fdatasync on a plain file, Ed25519
// signs and verifies on N threads, and a scan+AEAD-open+parse replay.
// These call LMDB and libsodium directly (the only code outside ledger/lmdb/
// and crypto/ allowed to), with the same LMDB flags as ledger/lmdb/env.cc so
// the fsync policy is the ledger's.
// Thread-safety: each function is self-contained; run one at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "bench/measure.h"

struct MDB_env;

namespace caseledger::bench {

// A raw LMDB log: a fresh env (created in `dir`) with one named DB, opened
// with the ledger's flags, taking MDB_APPEND puts of `value_bytes`-byte
// values under 8-byte big-endian keys.
class RawLmdbLog {
 public:
  // `capacity` = how many values the map must hold.
  static Result<std::unique_ptr<RawLmdbLog>> Create(const std::string& dir,
                                                    std::size_t value_bytes,
                                                    std::size_t capacity);
  ~RawLmdbLog();
  RawLmdbLog(const RawLmdbLog&) = delete;
  RawLmdbLog& operator=(const RawLmdbLog&) = delete;

  // `count` puts in one write txn, then one durable commit.
  Status AppendBatch(std::size_t count);

 private:
  RawLmdbLog(MDB_env* env, unsigned dbi, std::size_t value_bytes);
  MDB_env* env_;
  unsigned dbi_;
  Bytes value_;
  std::uint64_t next_key_ = 1;
};

// A plain file taking `bytes`-byte appends, each followed by fdatasync.
class FsyncFile {
 public:
  static Result<std::unique_ptr<FsyncFile>> Create(const std::string& path,
                                                   std::size_t bytes);
  ~FsyncFile();  // closes and removes the file
  FsyncFile(const FsyncFile&) = delete;
  FsyncFile& operator=(const FsyncFile&) = delete;
  // pwrite at the end (the file grows, as a log does) + fdatasync.
  Status AppendSync();

 private:
  FsyncFile(int fd, std::string path, std::size_t bytes);
  int fd_;
  std::string path_;
  Bytes block_;
  std::uint64_t offset_ = 0;
};

// Mean microseconds of one sodium_malloc(32) + sodium_free — what every
// crypto::SecretBytes costs (guard pages, mprotect, mlock, munmap) — with
// `busy_threads` other threads of this process spinning meanwhile (page-table
// changes then need TLB shootdowns on their cores, as in the multi-threaded
// writer).
Result<double> SecureAllocMicros(unsigned busy_threads, std::size_t iterations);

// Ed25519 (crypto_sign_detached) signs/s over `message_bytes`-byte messages
// on `threads` threads for about `seconds`.
Result<Rate> RawSignRate(std::size_t message_bytes, unsigned threads,
                         double seconds);

// crypto_sign_verify_detached/s of valid signatures, as RawSignRate.
Result<Rate> RawVerifyRate(std::size_t message_bytes, unsigned threads,
                           double seconds);

// One encrypted body as the ledger stores it, decoded: what AEAD-open needs.
struct SealedBody {
  Bytes ciphertext;  // ciphertext ‖ tag
  Bytes nonce;       // 24 bytes
  Bytes ad;          // the associated data (32-byte digest)
  Bytes key;         // the data key (32 bytes)
};

struct RawReplayResult {
  double events_per_s = 0;
  double cpu_micros_per_event = 0;  // thread CPU time per event
  std::uint64_t events = 0;
  std::uint64_t scanned_bytes = 0;
};

// The raw replay limit, single-threaded: an LMDB cursor scan over every value
// of the named DB `db` in the LMDB env at `env_dir` (opened read-only; the
// caller must not have it open in this process), touching every byte, and for
// each value one XChaCha20-Poly1305 open of bodies[i % bodies.size()] (real
// bodies taken from the same log) and an nlohmann parse of the plaintext.
Result<RawReplayResult> RawReplay(const std::string& env_dir,
                                  const std::string& db,
                                  const std::vector<SealedBody>& bodies);

}  // namespace caseledger::bench
