// caseledger_bench: measures, in one run, the raw building blocks on this
// machine (LMDB durable appends and commits, fdatasync, Ed25519 sign/verify on
// all cores, AEAD open + JSON parse) and the ledger built on them, and prints
// each ledger figure with its raw limit, the ratio, the target and PASS/MISS.
// Exit code 0 whether targets pass or miss (a benchmark, not a test); 1 if a
// measurement failed; 2 on bad usage. What the figures mean: docs/performance.md.
//
//   caseledger_bench [--quick] [--dir PARENT] [--keep] [--events N] [--body-bytes N]
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench/ledger_figures.h"
#include "bench/measure.h"
#include "bench/raw_baselines.h"
#include "bench/report.h"
#include "bench/workload.h"
#include "crypto/sodium.h"
#include "ledger/ledger.h"

namespace caseledger::bench {
namespace {

struct Options {
  bool quick = false;
  bool keep = false;
  std::string parent;            // where the temporary bench directory is made
  std::uint64_t big_events = 0;  // 0 = default for the mode
  std::size_t body_bytes = 450;
};

struct Sizes {
  std::size_t calibrate;
  std::vector<std::pair<std::size_t, std::size_t>> appends;  // (batch, events)
  std::size_t latency;
  double crypto_seconds;
  std::uint64_t small_log, big_log;
  std::size_t proof_queries;
};

Sizes SizesFor(const Options& o) {
  Sizes s;
  if (o.quick) {
    s = {256, {{1, 300}, {16, 3000}, {256, 8192}}, 300, 0.5, 2000, 20000, 500};
  } else {
    s = {1024, {{1, 3000}, {16, 24000}, {256, 65536}}, 2000, 3.0, 100000, 1000000, 5000};
  }
  if (o.big_events > 0) {
    s.big_log = o.big_events;
    s.small_log = std::max<std::uint64_t>(2, o.big_events / 10);
  }
  return s;
}

std::string FirstCpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string FileSystemType(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs (fsync figures meaningless!)";
    case 0x794C7630: return "overlayfs";
    case 0x2FC12FC1: return "zfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

std::string Rate(double per_s) { return Num(per_s) + "/s"; }
std::string Micros(double us) { return Num(us, us < 100 ? 1 : 0) + " us"; }
std::string MiB(std::uint64_t kib) { return Num(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }

// Runs every measurement; returns a non-OK status if one of them failed.
Status Run(const Options& o, const std::string& root, Report& report) {
  const Sizes sz = SizesFor(o);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  WorkloadOptions wo;
  wo.body_bytes = o.body_bytes;

  // Event sizes: the raw baselines use the same value and message sizes.
  CL_ASSIGN_OR_RETURN(EventSizes es, MeasureEventSizes(root + "/calibrate", sz.calibrate, wo));
  const auto line_bytes = static_cast<std::size_t>(es.line_bytes + 0.5);
  const auto sign_bytes = static_cast<std::size_t>(es.sign_input_bytes + 0.5);
  report.Section("workload");
  report.Info("event: body object (canonical)", Num(static_cast<double>(o.body_bytes)) + " B",
              "encrypted: ciphertext+tag " + Num(es.body_ct_bytes) + " B, base64 in the line");
  report.Info("stored line (LMDB value), mean", Num(es.line_bytes) + " B",
              "min " + Num(static_cast<double>(es.min_line)) + ", max " + Num(static_cast<double>(es.max_line)));
  report.Info("signature input (prefix + C), mean", Num(es.sign_input_bytes) + " B");

  report.Section("raw building blocks (this machine, this run)");
  CL_ASSIGN_OR_RETURN(double sign_all, RawSignRate(sign_bytes, cores, sz.crypto_seconds));
  report.Raw("Ed25519 sign, " + std::to_string(cores) + " threads", Rate(sign_all),
             "crypto_sign_detached, " + Num(static_cast<double>(sign_bytes)) + " B messages");
  CL_ASSIGN_OR_RETURN(double sign_one, RawSignRate(sign_bytes, 1, sz.crypto_seconds / 2));
  report.Raw("Ed25519 sign, 1 thread", Rate(sign_one));
  CL_ASSIGN_OR_RETURN(double verify_all, RawVerifyRate(sign_bytes, cores, sz.crypto_seconds));
  report.Raw("Ed25519 verify, " + std::to_string(cores) + " threads", Rate(verify_all),
             "crypto_sign_verify_detached");
  CL_ASSIGN_OR_RETURN(double verify_one, RawVerifyRate(sign_bytes, 1, sz.crypto_seconds / 2));
  report.Raw("Ed25519 verify, 1 thread", Rate(verify_one));
  CL_ASSIGN_OR_RETURN(Samples fsync_append, FsyncLatency(root + "/fsync.append", 1024, sz.latency, true));
  report.Raw("append 1 KiB + fdatasync p50 / p99",
             Micros(fsync_append.Percentile(50)) + " / " + Micros(fsync_append.Percentile(99)),
             "file grows, as a log's does");
  CL_ASSIGN_OR_RETURN(Samples fsync_over, FsyncLatency(root + "/fsync.overwrite", 1024, sz.latency, false));
  report.Raw("overwrite 1 KiB + fdatasync p50 / p99",
             Micros(fsync_over.Percentile(50)) + " / " + Micros(fsync_over.Percentile(99)), "same block each time");
  CL_ASSIGN_OR_RETURN(Samples raw_put, RawLmdbSinglePutLatency(root + "/raw-lmdb-latency", line_bytes, sz.latency));
  report.Raw("LMDB 1 put + durable commit p50 / p99",
             Micros(raw_put.Percentile(50)) + " / " + Micros(raw_put.Percentile(99)),
             "MDB_APPEND, " + Num(static_cast<double>(line_bytes)) + " B value");

  report.Section("durable appends of ~1 KiB events (group commit; ledger vs raw, same batch size)");
  report.Raw("", "ledger", "raw limit       ratio   target      result");
  for (const auto& [batch, n] : sz.appends) {
    const std::string b = std::to_string(batch);
    CL_ASSIGN_OR_RETURN(double raw_lmdb, RawLmdbAppendRate(root + "/raw-lmdb-b" + b, line_bytes, batch, n));
    const std::size_t window = std::max<std::size_t>(64, 4 * batch);
    CL_ASSIGN_OR_RETURN(AppendFigure f, LedgerAppendRate(root + "/append-b" + b, batch, n, window, wo));
    const double limit = std::min(raw_lmdb, sign_all);
    report.Compare("durable appends/s, batch " + b, Rate(f.events_per_s), Rate(limit), f.events_per_s / limit,
                   {Goal::kAtLeast, 0.6},
                   "min(raw LMDB MDB_APPEND " + Rate(raw_lmdb) + " at batch " + b + ", raw sign " +
                       std::to_string(cores) + " threads " + Rate(sign_all) + ")");
    report.Info("", "", "ledger: " + Num(static_cast<double>(f.events)) + " events, mean batch " +
                            Num(f.mean_batch, 1) + ", LMDB txn+commit " + Micros(f.mean_commit_micros) +
                            " per batch (" +
                            Num(100.0 * f.mean_commit_micros / f.mean_batch * f.events_per_s / 1e6, 0) +
                            " % of the time)");
  }
  {
    WorkloadOptions fresh = wo;
    fresh.new_subject_every = 5;
    const std::size_t n = sz.appends[1].second;
    CL_ASSIGN_OR_RETURN(AppendFigure f, LedgerAppendRate(root + "/append-b16-new", 16, n, 64, fresh));
    report.Info("(info) batch 16, 1 in 5 events a new subject", Rate(f.events_per_s),
                "a new subject's data key is committed (fsync'd) in the keystore before the batch");
  }

  report.Section("single-event durable append latency (Submit, wait, repeat)");
  CL_ASSIGN_OR_RETURN(Samples lat, LedgerAppendLatency(root + "/latency", sz.latency, wo));
  const double lat50 = lat.Percentile(50), lat99 = lat.Percentile(99);
  const double raw50 = raw_put.Percentile(50), raw99 = raw_put.Percentile(99);
  report.Compare("append latency p50", Micros(lat50), Micros(raw50), lat50 / raw50, {Goal::kAtMost, 2.0},
                 "raw LMDB single put + durable commit p50 (fdatasync append p50 " +
                     Micros(fsync_append.Percentile(50)) + ")");
  report.Info("append latency p99", Micros(lat99),
              "raw LMDB p99 " + Micros(raw99) + ", fdatasync append p99 " + Micros(fsync_append.Percentile(99)) +
                  ", overwrite p99 " + Micros(fsync_over.Percentile(99)));

  report.Section("input of the read benchmarks: a log built with no_sync (NOT durable; input only)");
  const std::string big = root + "/big";
  CL_ASSIGN_OR_RETURN(BuildFigure b1, BuildLog(big, sz.small_log, wo));
  report.Info("built to " + Num(static_cast<double>(b1.events)) + " events", Rate(b1.events_per_s),
              "no_sync, max_batch 4096, " + Num(b1.seconds, 1) + " s");
  CL_ASSIGN_OR_RETURN(VerifyFigure v_small, VerifyInChild(big));
  if (!v_small.ok) return Internal("verify of the built log failed: " + v_small.problem);
  CL_ASSIGN_OR_RETURN(BuildFigure b2, BuildLog(big, sz.big_log, wo));
  report.Info("built to " + Num(static_cast<double>(b2.events)) + " events", Rate(b2.events_per_s),
              "no_sync, max_batch 4096, " + Num(b2.seconds, 1) + " s");
  CL_ASSIGN_OR_RETURN(VerifyFigure v_big, VerifyInChild(big));
  if (!v_big.ok) return Internal("verify of the built log failed: " + v_big.problem);

  report.Section("verify (VerifyLedger in a child process, all cores)");
  report.Compare("verify events/s, " + Num(static_cast<double>(v_big.events)) + " events", Rate(v_big.events_per_s),
                 Rate(verify_all), v_big.events_per_s / verify_all, {Goal::kAtLeast, 0.8},
                 "raw crypto_sign_verify_detached on " + std::to_string(cores) + " threads");
  report.Info("verify events/s, " + Num(static_cast<double>(v_small.events)) + " events",
              Rate(v_small.events_per_s), Num(v_small.seconds, 2) + " s");
  report.Compare("verify peak RSS, " + Num(static_cast<double>(v_big.events)) + " vs " +
                     Num(static_cast<double>(v_small.events)),
                 MiB(v_big.max_rss_kib), MiB(v_small.max_rss_kib),
                 static_cast<double>(v_big.max_rss_kib) / static_cast<double>(v_small.max_rss_kib),
                 {Goal::kWithin, 0.10}, "the same verifier's peak RSS (wait4 ru_maxrss) over the smaller log");

  report.Section("replay: read + decode + data key + AEAD open + parse body (1 thread)");
  CL_ASSIGN_OR_RETURN(ReplayFigure rp, LedgerReplay(big, 1024));
  CL_ASSIGN_OR_RETURN(RawReplayResult rr, RawReplay(big + "/ledger", "events", rp.sample));
  if (rr.events != rp.events) return Internal("raw and ledger replay saw different event counts");
  report.Compare("replay events/s, " + Num(static_cast<double>(rp.events)) + " events", Rate(rp.events_per_s),
                 Rate(rr.events_per_s), rp.events_per_s / rr.events_per_s, {Goal::kAtLeast, 0.5},
                 "raw LMDB cursor scan + crypto_aead_xchacha20poly1305_ietf_decrypt + nlohmann parse, 1 thread");

  report.Section("proofs (mean over random queries against the whole log)");
  CL_ASSIGN_OR_RETURN(ProofFigure pf, ProofTimes(big, sz.proof_queries));
  const std::string at = " at " + Num(static_cast<double>(pf.tree_size)) + " events";
  report.Info("inclusion proof (InclusionProofJson)" , Micros(pf.inclusion_json_micros),
              "p99 " + Micros(pf.inclusion_json_p99) + at + ", " + std::to_string(pf.queries) +
                  " queries; own read txn each");
  report.Info("consistency proof (ConsistencyProofJson)", Micros(pf.consistency_json_micros),
              "p99 " + Micros(pf.consistency_json_p99) + at);
  report.Info("merkle::InclusionProof (one read txn)", Micros(pf.inclusion_micros), "hashes only, no JSON" + at);
  report.Info("merkle::ConsistencyProof (one read txn)", Micros(pf.consistency_micros), "hashes only, no JSON" + at);
  return Status::Ok();
}

int Usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " [--quick] [--dir PARENT] [--keep] [--events N] [--body-bytes N]\n"
            << "  --quick        small sizes (CI): 2x10^4-event log, a few seconds per figure\n"
            << "  --dir PARENT   where to make the temporary data dirs (default $TMPDIR or /var/tmp)\n"
            << "  --keep         keep the temporary data dirs\n"
            << "  --events N     size of the large log (default 10^6, --quick 2x10^4)\n"
            << "  --body-bytes N canonical size of each event's body object (default 450)\n";
  return 2;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--child-verify") return ChildVerifyMain(args[1]);
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--dir") {
      const std::string* v = value();
      if (v == nullptr) return Usage(argv[0]);
      o.parent = *v;
    } else if (a == "--events" || a == "--body-bytes") {
      const std::string* v = value();
      if (v == nullptr) return Usage(argv[0]);
      char* end = nullptr;
      unsigned long long n = std::strtoull(v->c_str(), &end, 10);
      if (end == v->c_str() || *end != '\0' || n < 2) return Usage(argv[0]);
      if (a == "--events") o.big_events = n;
      else o.body_bytes = static_cast<std::size_t>(n);
    } else {
      return Usage(argv[0]);
    }
  }
  if (o.parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    o.parent = (tmp != nullptr && *tmp != '\0') ? tmp : "/var/tmp";
  }
  // Every data dir gets its own demo master key: never touch a configured one.
  ::unsetenv(ledger::kMasterKeyEnv);
  if (!crypto::Init().ok()) {
    std::cerr << "caseledger_bench: libsodium cannot be initialised\n";
    return 1;
  }
  std::string templ = o.parent + "/caseledger-bench-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::cerr << "caseledger_bench: cannot create a temporary directory in " << o.parent << "\n";
    return 1;
  }
  const std::string root = templ;

  const auto start = Clock::now();
  std::cout << "caseledger_bench " << (o.quick ? "--quick" : "(full run)") << "  " << UtcNow() << "\n"
            << "  cpu: " << FirstCpuModel() << ", " << std::thread::hardware_concurrency() << " hardware threads\n"
            << "  data: " << root << " (" << FileSystemType(root) << ")\n"
            << "  load average (1 min) at start: " << Num(LoadAverage1(), 2) << "\n";
  Report report(std::cout);
  Status s = Run(o, root, report);
  int misses = report.Summary();
  std::cout << "\nrun took " << Num(SecondsSince(start), 0) << " s; load average (1 min) at end: "
            << Num(LoadAverage1(), 2) << "; " << misses << " target(s) missed\n";
  if (!o.keep) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  } else {
    std::cout << "kept " << root << "\n";
  }
  if (!s.ok()) {
    std::cerr << "caseledger_bench: measurement failed: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace caseledger::bench

int main(int argc, char** argv) { return caseledger::bench::Main(argc, argv); }
