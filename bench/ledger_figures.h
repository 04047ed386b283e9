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

namespace caseledger::bench {

struct EventSizes {
  double line_bytes = 0;       // mean stored line (the LMDB value)
  double sign_input_bytes = 0; // mean Ed25519 message: prefix ‖ C
  double body_ct_bytes = 0;    // mean ciphertext ‖ tag of the body
  std::size_t min_line = 0, max_line = 0;
};

// Writes `n` workload events into a fresh data dir `dir` and measures the sizes.
Result<EventSizes> MeasureEventSizes(const std::string& dir, std::size_t n, const WorkloadOptions& workload);

struct AppendFigure {
  double events_per_s = 0;
  std::uint64_t events = 0;
  double seconds = 0;
  double mean_batch = 0;           // events per committed batch (shows batches filled)
  double mean_commit_micros = 0;   // LMDB write txn + commit (fsync) per batch
};

// Durable appends/s through Ledger::Open + Writer on a fresh data dir `dir`
// with Writer::Options::max_batch = `max_batch`: after a warm-up (one event per
// subject), `n` pre-built commands are submitted keeping `window` of them in
// flight, so batches fill. Errors: any refused or failed append.
Result<AppendFigure> LedgerAppendRate(const std::string& dir, std::size_t max_batch, std::size_t n,
                                      std::size_t window, const WorkloadOptions& workload);

// Latency of `n` single durable appends (Submit, wait, repeat) on a fresh dir.
Result<Samples> LedgerAppendLatency(const std::string& dir, std::size_t n, const WorkloadOptions& workload);

struct BuildFigure {
  std::uint64_t events = 0;  // size of the log afterwards
  double seconds = 0;
  double events_per_s = 0;
};

// Grows the log in `dir` (creating the data dir if absent) to `target` events
// with LedgerOptions::no_sync and large batches — fast, NOT durable: only to
// create the input of the read benchmarks. Flushes to disk at the end.
Result<BuildFigure> BuildLog(const std::string& dir, std::uint64_t target, const WorkloadOptions& workload);

struct VerifyFigure {
  bool ok = false;
  std::uint64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  std::uint64_t max_rss_kib = 0;
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
  std::uint64_t events = 0;
  std::vector<SealedBody> sample;  // decoded bodies of the first events, for RawReplay
};

// The ledger's replay path, single-threaded, over every event in `dir`:
// cursor read, DecodeEvent, Keystore::DataKey, body AD, AEAD open, JSON parse
// of the body. Also returns up to `sample` decoded bodies (taken outside the
// timed loop) for the raw limit. The log must not be open elsewhere in this process.
Result<ReplayFigure> LedgerReplay(const std::string& dir, std::size_t sample);

struct ProofFigure {
  std::uint64_t tree_size = 0;
  std::size_t queries = 0;
  double inclusion_json_micros = 0;    // InclusionProofJson(store, random seq, n), mean
  double consistency_json_micros = 0;  // ConsistencyProofJson(store, random m, n), mean
  double inclusion_micros = 0;         // merkle::InclusionProof in one read txn, mean
  double consistency_micros = 0;       // merkle::ConsistencyProof in one read txn, mean
  double inclusion_json_p99 = 0;
  double consistency_json_p99 = 0;
};

// Mean times of `queries` random inclusion and consistency proofs against the
// whole log in `dir`.
Result<ProofFigure> ProofTimes(const std::string& dir, std::size_t queries);

}  // namespace caseledger::bench
