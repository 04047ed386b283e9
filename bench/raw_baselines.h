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
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "bench/measure.h"

namespace caseledger::bench {

// Puts/s of `n` MDB_APPEND puts of `value_bytes`-byte values under 8-byte
// big-endian keys into a fresh LMDB env in `dir` (created), one write txn and
// one durable commit per `batch` puts.
Result<double> RawLmdbAppendRate(const std::string& dir, std::size_t value_bytes, std::size_t batch,
                                 std::size_t n);

// Latency of `n` durable single-put commits (begin, MDB_APPEND put, commit) in
// a fresh env in `dir`.
Result<Samples> RawLmdbSinglePutLatency(const std::string& dir, std::size_t value_bytes, std::size_t n);

// Latency of `n` × (pwrite `bytes` + fdatasync) on a fresh file `path`:
// appending at the end (the file grows, as a log does) or overwriting the
// first block again and again.
Result<Samples> FsyncLatency(const std::string& path, std::size_t bytes, std::size_t n, bool append);

// Ed25519 (crypto_sign_detached) signs/s over `message_bytes`-byte messages
// on `threads` threads for about `seconds`.
Result<double> RawSignRate(std::size_t message_bytes, unsigned threads, double seconds);

// crypto_sign_verify_detached/s of valid signatures, as RawSignRate.
Result<double> RawVerifyRate(std::size_t message_bytes, unsigned threads, double seconds);

// One encrypted body as the ledger stores it, decoded: what AEAD-open needs.
struct SealedBody {
  Bytes ciphertext;  // ciphertext ‖ tag
  Bytes nonce;       // 24 bytes
  Bytes ad;          // the associated data (32-byte digest)
  Bytes key;         // the data key (32 bytes)
};

struct RawReplayResult {
  double events_per_s = 0;
  std::uint64_t events = 0;
  std::uint64_t scanned_bytes = 0;
};

// The raw replay limit, single-threaded: an LMDB cursor scan over every value
// of the named DB `db` in the LMDB env at `env_dir` (opened read-only; the
// caller must not have it open in this process), touching every byte, and for
// each value one XChaCha20-Poly1305 open of bodies[i % bodies.size()] (real
// bodies taken from the same log) and an nlohmann parse of the plaintext.
Result<RawReplayResult> RawReplay(const std::string& env_dir, const std::string& db,
                                  const std::vector<SealedBody>& bodies);

}  // namespace caseledger::bench
