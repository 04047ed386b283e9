// The ledger's own figures, measured through its public API on temporary data
// directories: durable group-commit appends (Ledger::Open + Writer::Submit),
// single-append latency, bulk log building (no_sync: only to create the input
// of the read benchmarks), verify in a child process (throughput and peak
// RSS), replay (read, decode, data key, AEAD open, parse) and proof times.
// Thread-safety: each function owns what it opens; run one at a time (a data
// directory is opened by one of them at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "bench/measure.h"
#include "bench/raw_baselines.h"
#include "bench/workload.h"
#include "ledger/ledger.h"

namespace caseledger::bench {

struct EventSizes {
  double line_bytes = 0;        // mean stored line (the LMDB value)
  double sign_input_bytes = 0;  // mean Ed25519 message: prefix ‖ C
  double body_ct_bytes = 0;     // mean ciphertext ‖ tag of the body
  std::size_t min_line = 0, max_line = 0;
};

// Writes `n` workload events into a fresh data dir `dir` and measures the
// sizes.
Result<EventSizes> MeasureEventSizes(const std::string& dir, std::size_t n,
                                     const WorkloadOptions& workload);

// A fresh data directory opened with Ledger::Open (durable: fsync per
// batch) and Writer::Options::max_batch, warmed up with one concern per
// workload subject so every data key exists before measuring.
class LedgerSession {
 public:
  static Result<std::unique_ptr<LedgerSession>> Open(
      const std::string& dir, std::size_t max_batch,
      const WorkloadOptions& workload);
  ~LedgerSession();

  // `n` new commands, built before any timing starts.
  std::vector<ledger::Command> Prepare(std::size_t n);
  // Submits every command keeping at most `window` in flight (so batches
  // fill) and returns when all are durable. Any refused or failed append is an
  // error.
  Status SubmitAll(std::vector<ledger::Command> commands, std::size_t window);
  // Submits one command and waits until it is durable.
  Status AppendOne(ledger::Command command);
  ledger::WriterStats stats() const;

 private:
  LedgerSession(std::unique_ptr<ledger::Ledger> ledger,
                const WorkloadOptions& workload);
  std::unique_ptr<ledger::Ledger> ledger_;
  Workload workload_;
};

struct BuildFigure {
  std::uint64_t events = 0;  // size of the log afterwards
  double seconds = 0;
  double events_per_s = 0;
};

// Grows the log in `dir` (creating the data dir if absent) to `target` events
// with LedgerOptions::no_sync and large batches — fast, NOT durable: only to
// create the input of the read benchmarks. Flushes to disk at the end.
Result<BuildFigure> BuildLog(const std::string& dir, std::uint64_t target,
                             const WorkloadOptions& workload);

struct VerifyFigure {
  bool ok = false;
  std::uint64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  std::uint64_t max_rss_kib = 0;       // ru_maxrss
  std::uint64_t sampled_anon_kib = 0;  // peak anonymous part (sampled)
  std::uint64_t sampled_file_kib =
      0;  // peak file-backed part (sampled): the LMDB map
  double cpu_seconds = 0;
  std::string problem;
};

// Runs VerifyLedger(dir) in a child process (this executable with the hidden
// flag --child-verify) and returns its report, time and peak RSS.
Result<VerifyFigure> VerifyInChild(const std::string& dir);
// The child's side: verifies `dir`, prints "ok=<0|1> events=<n> seconds=<s>"
// and the problem on stdout, returns the process exit code.
int ChildVerifyMain(const std::string& dir);

struct ReplayFigure {
  double events_per_s = 0;
  double cpu_micros_per_event = 0;  // thread CPU time per event
  std::uint64_t events = 0;
  // Mean microseconds per event of each step (clock read around each).
  double read_decode_micros = 0;  // cursor + DecodeEvent
  double data_key_micros = 0;     // Keystore::DataKey
  double body_prep_micros =
      0;  // base64-decode ct and nonce, AD = SHA-256(EncodeForBodyAd)
  double open_micros = 0;   // AeadOpen
  double parse_micros = 0;  // JSON parse of the body
  std::vector<SealedBody>
      sample;  // decoded bodies of the first events, for RawReplay
};

// The ledger's replay path, single-threaded, over the events in `dir` (the
// first `max_events`, or all if 0): cursor read, DecodeEvent,
// Keystore::DataKey, body AD, AEAD open, JSON parse of the body. Also returns
// up to `sample` decoded bodies (taken outside the timed loop) for RawReplay.
// The log must not be open elsewhere in this process.
Result<ReplayFigure> LedgerReplay(const std::string& dir, std::size_t sample,
                                  std::uint64_t max_events);

struct ProofFigure {
  std::uint64_t tree_size = 0;
  std::size_t queries = 0;
  double inclusion_json_micros =
      0;  // InclusionProofJson(store, random seq, n), mean
  double consistency_json_micros =
      0;  // ConsistencyProofJson(store, random m, n), mean
  double inclusion_micros = 0;  // merkle::InclusionProof in one read txn, mean
  double consistency_micros =
      0;  // merkle::ConsistencyProof in one read txn, mean
  double inclusion_json_p99 = 0;
  double consistency_json_p99 = 0;
};

// Mean times of `queries` random inclusion and consistency proofs against the
// whole log in `dir`.
Result<ProofFigure> ProofTimes(const std::string& dir, std::size_t queries);

}  // namespace caseledger::bench
