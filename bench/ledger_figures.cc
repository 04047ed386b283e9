#include "bench/ledger_figures.h"

#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <random>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/sha256.h"
#include "crypto/sodium.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/lmdb/env.h"
#include "ledger/log_store.h"
#include "ledger/merkle/proof.h"
#include "ledger/proofs.h"
#include "ledger/verify.h"

namespace caseledger::bench {

namespace {

using ledger::Command;

constexpr const char* kOrigin = "bench.caseledger.invalid/ledger";

Result<std::unique_ptr<ledger::Ledger>> OpenFresh(
    const std::string& dir, ledger::LedgerOptions options) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  CL_RETURN_IF_ERROR(ledger::InitDataDir(dir, kOrigin).status());
  return ledger::Ledger::Open(dir, std::move(options));
}

// Submits `next()` `n` times keeping at most `window` appends in flight, and
// waits for all. Any refused or failed append is an error.
template <typename Next>
Status SubmitWindowed(ledger::Writer& writer, std::size_t n, std::size_t window,
                      Next&& next) {
  std::deque<std::future<Result<ledger::Appended>>> in_flight;
  auto wait_oldest = [&]() -> Status {
    auto r = in_flight.front().get();
    in_flight.pop_front();
    if (!r.ok()) return r.status().WithContext("append");
    return Status::Ok();
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (in_flight.size() >= window) CL_RETURN_IF_ERROR(wait_oldest());
    in_flight.push_back(writer.Submit(next()));
  }
  while (!in_flight.empty()) CL_RETURN_IF_ERROR(wait_oldest());
  return Status::Ok();
}

Status SubmitCommands(ledger::Writer& writer, std::vector<Command> commands,
                      std::size_t window) {
  std::size_t i = 0;
  return SubmitWindowed(writer, commands.size(), window,
                        [&] { return std::move(commands[i++]); });
}

// Visits every stored event line of `store` in seq order (one snapshot).
template <typename Fn>
Status ForEachLine(ledger::LogStore& store, Fn&& fn) {
  CL_ASSIGN_OR_RETURN(auto snap, store.Read());
  return ledger::ForEachEventLine(snap, store, 1,
                                  [&](std::uint64_t, std::string_view line) -> Result<bool> {
                                    bool more = true;
                                    CL_RETURN_IF_ERROR(fn(line, more));
                                    return more;
                                  });
}

// The data key behind what Keystore::DataKey returns (a SecretBytes, or a
// shared pointer to one: works with either form of the keystore's API).
template <typename K>
const crypto::SecretBytes& KeyRef(const K& k) {
  if constexpr (std::is_same_v<K, crypto::SecretBytes>) {
    return k;
  } else {
    return *k;
  }
}

// What AEAD-open of the body of `e` needs (ciphertext, nonce, AD).
struct BodyParts {
  Bytes ct;
  crypto::AeadNonce nonce;
  crypto::Digest ad;
};

Result<BodyParts> DecodeBody(const ledger::Event& e) {
  BodyParts p;
  CL_ASSIGN_OR_RETURN(p.ct, crypto::Base64Decode(e.body->ct));
  CL_ASSIGN_OR_RETURN(Bytes n, crypto::Base64Decode(e.body->n));
  if (n.size() != crypto::kAeadNonceBytes)
    return Corruption("body nonce has the wrong size");
  std::memcpy(p.nonce.bytes.data(), n.data(), n.size());
  p.ad = crypto::Sha256(AsBytes(ledger::EncodeForBodyAd(e)));
  return p;
}

}  // namespace

Result<EventSizes> MeasureEventSizes(const std::string& dir, std::size_t n,
                                     const WorkloadOptions& workload) {
  {
    ledger::LedgerOptions o;
    o.no_sync = true;
    CL_ASSIGN_OR_RETURN(auto l, OpenFresh(dir, std::move(o)));
    Workload w(workload);
    CL_RETURN_IF_ERROR(SubmitCommands(l->writer(), w.WarmUp(), 1024));
    CL_RETURN_IF_ERROR(
        SubmitWindowed(l->writer(), n, 1024, [&] { return w.Next(); }));
  }
  CL_ASSIGN_OR_RETURN(auto store,
                      ledger::LogStore::Open(dir, /*read_only=*/true));
  EventSizes s;
  std::size_t count = 0;
  double line = 0, input = 0, ct = 0;
  s.min_line = SIZE_MAX;
  CL_RETURN_IF_ERROR(
      ForEachLine(*store, [&](std::string_view text, bool&) -> Status {
        CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(text));
        if (e.seq <= workload.subjects)
          return Status::Ok();  // skip the warm-up concerns
        ++count;
        line += static_cast<double>(text.size());
        input += static_cast<double>(
            ledger::SignatureInput(ledger::EncodeUnsigned(e)).size());
        if (e.body) {
          CL_ASSIGN_OR_RETURN(Bytes b, crypto::Base64Decode(e.body->ct));
          ct += static_cast<double>(b.size());
        }
        s.min_line = std::min(s.min_line, text.size());
        s.max_line = std::max(s.max_line, text.size());
        return Status::Ok();
      }));
  if (count == 0) return Internal("no events to measure");
  const auto c = static_cast<double>(count);
  s.line_bytes = line / c;
  s.sign_input_bytes = input / c;
  s.body_ct_bytes = ct / c;
  return s;
}

LedgerSession::LedgerSession(std::unique_ptr<ledger::Ledger> ledger,
                             const WorkloadOptions& workload)
    : ledger_(std::move(ledger)), workload_(workload) {}

LedgerSession::~LedgerSession() = default;

Result<std::unique_ptr<LedgerSession>> LedgerSession::Open(
    const std::string& dir, std::size_t max_batch,
    const WorkloadOptions& workload) {
  ledger::LedgerOptions o;
  o.writer.max_batch = max_batch;
  CL_ASSIGN_OR_RETURN(auto l, OpenFresh(dir, std::move(o)));
  std::unique_ptr<LedgerSession> s(new LedgerSession(std::move(l), workload));
  CL_RETURN_IF_ERROR(s->SubmitAll(s->workload_.WarmUp(), 1024));
  return s;
}

std::vector<Command> LedgerSession::Prepare(std::size_t n) {
  std::vector<Command> commands;
  commands.reserve(n);
  for (std::size_t i = 0; i < n; ++i) commands.push_back(workload_.Next());
  return commands;
}

Status LedgerSession::SubmitAll(std::vector<Command> commands,
                                std::size_t window) {
  return SubmitCommands(ledger_->writer(), std::move(commands), window);
}

Status LedgerSession::AppendOne(Command command) {
  auto r = ledger_->writer().Submit(std::move(command)).get();
  if (!r.ok()) return r.status().WithContext("append");
  return Status::Ok();
}

ledger::WriterStats LedgerSession::stats() const {
  return ledger_->writer().stats();
}

Result<BuildFigure> BuildLog(const std::string& dir, std::uint64_t target,
                             const WorkloadOptions& workload) {
  const bool fresh = !std::filesystem::exists(dir + "/ledger");
  if (fresh) CL_RETURN_IF_ERROR(ledger::InitDataDir(dir, kOrigin).status());
  ledger::LedgerOptions o;
  o.no_sync = true;  // input for the read benchmarks only: not durable
  o.writer.max_batch = 4096;
  CL_ASSIGN_OR_RETURN(auto l, ledger::Ledger::Open(dir, std::move(o)));
  ledger::Writer& writer = l->writer();
  WorkloadOptions wo = workload;
  wo.seed = workload.seed + 7;  // the same pool of subjects on every call
  Workload w(wo);
  const auto start = Clock::now();
  const std::uint64_t before = writer.size();
  if (fresh) CL_RETURN_IF_ERROR(SubmitCommands(writer, w.WarmUp(), 4096));
  const std::uint64_t have = writer.size();
  if (have < target) {
    CL_RETURN_IF_ERROR(SubmitWindowed(writer,
                                      static_cast<std::size_t>(target - have),
                                      16384, [&] { return w.Next(); }));
  }
  CL_RETURN_IF_ERROR(l->store().Sync());
  BuildFigure f;
  f.events = writer.size();
  f.seconds = SecondsSince(start);
  f.events_per_s = static_cast<double>(f.events - before) / f.seconds;
  return f;
}

int ChildVerifyMain(const std::string& dir) {
  if (!crypto::Init().ok()) return 2;
  const auto start = Clock::now();
  auto r = ledger::VerifyLedger(dir);
  const double seconds = SecondsSince(start);
  if (!r.ok()) {
    std::cout << "ok=0 events=0 seconds=" << seconds << "\n"
              << r.status().ToString() << "\n";
    return 2;
  }
  // The verifier's own peak RSS: VmHWM belongs to this process image (it
  // starts anew at exec), whereas wait4's ru_maxrss also counts the bench
  // parent's pages that the forked child held before exec.
  std::uint64_t hwm_kib = 0;
  {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
      if (key == "VmHWM:" && status >> hwm_kib) break;
    }
  }
  std::cout << "ok=" << (r->ok ? 1 : 0) << " events=" << r->events
            << " seconds=" << seconds << "\n"
            << r->problem << "\n"
            << "vmhwm_kib=" << hwm_kib << "\n";
  return r->ok ? 0 : 1;
}

Result<VerifyFigure> VerifyInChild(const std::string& dir) {
  CL_ASSIGN_OR_RETURN(ChildResult c, RunSelf({"--child-verify", dir}));
  VerifyFigure f;
  int ok = 0;
  std::istringstream in(c.out);
  std::string first;
  std::getline(in, first);
  if (std::sscanf(first.c_str(), "ok=%d events=%lu seconds=%lf", &ok, &f.events,
                  &f.seconds) != 3) {
    return Internal("the verify child (exit " + std::to_string(c.exit_code) +
                    ") printed: " + c.out);
  }
  std::getline(in, f.problem);
  f.ok = ok == 1 && c.exit_code == 0;
  f.max_rss_kib = c.max_rss_kib;
  std::string hwm_line;
  unsigned long hwm = 0;
  if (std::getline(in, hwm_line) && std::sscanf(hwm_line.c_str(), "vmhwm_kib=%lu", &hwm) == 1 && hwm > 0) {
    f.max_rss_kib = hwm;  // the verifier's own peak, not inherited from the parent
  }
  f.sampled_anon_kib = c.sampled_anon_kib;
  f.sampled_file_kib = c.sampled_file_kib;
  f.cpu_seconds = c.cpu_seconds;
  f.events_per_s =
      f.seconds > 0 ? static_cast<double>(f.events) / f.seconds : 0;
  return f;
}

Result<ReplayFigure> LedgerReplay(const std::string& dir, std::size_t sample,
                                  std::uint64_t max_events) {
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
  CL_ASSIGN_OR_RETURN(
      auto keys,
      ledger::Keystore::Open(dir + "/keystore", master, /*create=*/false));
  CL_ASSIGN_OR_RETURN(auto store,
                      ledger::LogStore::Open(dir, /*read_only=*/true));
  ReplayFigure f;
  double t_decode = 0, t_key = 0, t_prep = 0, t_open = 0, t_parse = 0;
  const auto start = Clock::now();
  const double cpu_start = ThreadCpuSeconds();
  auto last = start;
  // Adds the time since the previous lap to `acc`.
  auto lap = [&](double& acc) {
    const auto now = Clock::now();
    acc += std::chrono::duration<double, std::micro>(now - last).count();
    last = now;
  };
  CL_RETURN_IF_ERROR(
      ForEachLine(*store, [&](std::string_view line, bool& more) -> Status {
        CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
        lap(t_decode);
        if (e.body) {
          CL_ASSIGN_OR_RETURN(auto dek, keys->DataKey(e.body->kid));
          lap(t_key);
          CL_ASSIGN_OR_RETURN(BodyParts p, DecodeBody(e));
          lap(t_prep);
          CL_ASSIGN_OR_RETURN(
              Bytes plain,
              crypto::AeadOpen(KeyRef(dek), p.nonce, p.ad.view(), p.ct));
          lap(t_open);
          Json body = Json::parse(
              plain.begin(), plain.end(), nullptr, /*allow_exceptions=*/false);
          if (body.is_discarded() || !body.is_object())
            return Corruption("a body is not a JSON object");
          lap(t_parse);
        }
        ++f.events;
        more = max_events == 0 || f.events < max_events;
        return Status::Ok();
      }));
  f.events_per_s = static_cast<double>(f.events) / SecondsSince(start);
  if (f.events > 0) {
    f.cpu_micros_per_event =
        (ThreadCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(f.events);
    const auto n = static_cast<double>(f.events);
    f.read_decode_micros = t_decode / n;
    f.data_key_micros = t_key / n;
    f.body_prep_micros = t_prep / n;
    f.open_micros = t_open / n;
    f.parse_micros = t_parse / n;
  }
  // Outside the timed loop: real bodies of this log for the raw limit.
  if (sample == 0) return f;
  CL_RETURN_IF_ERROR(
      ForEachLine(*store, [&](std::string_view line, bool& more) -> Status {
        CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
        if (!e.body) return Status::Ok();
        CL_ASSIGN_OR_RETURN(auto dek, keys->DataKey(e.body->kid));
        CL_ASSIGN_OR_RETURN(BodyParts p, DecodeBody(e));
        SealedBody b;
        b.ciphertext = std::move(p.ct);
        b.nonce.assign(p.nonce.bytes.begin(), p.nonce.bytes.end());
        b.ad.assign(p.ad.bytes.begin(), p.ad.bytes.end());
        b.key.assign(KeyRef(dek).view().begin(), KeyRef(dek).view().end());
        f.sample.push_back(std::move(b));
        more = f.sample.size() < sample;
        return Status::Ok();
      }));
  return f;
}

Result<ProofFigure> ProofTimes(const std::string& dir, std::size_t queries) {
  CL_ASSIGN_OR_RETURN(auto store,
                      ledger::LogStore::Open(dir, /*read_only=*/true));
  ProofFigure f;
  f.queries = queries;
  {
    CL_ASSIGN_OR_RETURN(auto txn, store->Read());
    CL_ASSIGN_OR_RETURN(f.tree_size, ledger::TreeSize(txn, *store));
  }
  const std::uint64_t n = f.tree_size;
  if (n < 2)
    return InvalidArgument("proof times need a log of at least 2 events");
  std::mt19937_64 rng(42);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  Samples inclusion_json, consistency_json, inclusion, consistency;
  for (std::size_t q = 0; q < queries; ++q) {
    const std::uint64_t seq = uniform(1, n);
    auto t0 = Clock::now();
    auto j = ledger::InclusionProofJson(*store, seq, n);
    inclusion_json.Add(SecondsSince(t0) * 1e6);
    if (!j.ok()) return j.status().WithContext("inclusion proof");
    const std::uint64_t from = uniform(1, n - 1);
    t0 = Clock::now();
    auto c = ledger::ConsistencyProofJson(*store, from, n);
    consistency_json.Add(SecondsSince(t0) * 1e6);
    if (!c.ok()) return c.status().WithContext("consistency proof");
  }
  {
    CL_ASSIGN_OR_RETURN(auto txn, store->Read());
    ledger::TxnNodeSource source(txn, *store);
    for (std::size_t q = 0; q < queries; ++q) {
      const std::uint64_t index = uniform(0, n - 1);
      auto t0 = Clock::now();
      auto p = merkle::InclusionProof(index, n, source);
      inclusion.Add(SecondsSince(t0) * 1e6);
      if (!p.ok()) return p.status().WithContext("inclusion proof");
      const std::uint64_t from = uniform(1, n - 1);
      t0 = Clock::now();
      auto c = merkle::ConsistencyProof(from, n, source);
      consistency.Add(SecondsSince(t0) * 1e6);
      if (!c.ok()) return c.status().WithContext("consistency proof");
    }
  }
  f.inclusion_json_micros = inclusion_json.Mean();
  f.consistency_json_micros = consistency_json.Mean();
  f.inclusion_micros = inclusion.Mean();
  f.consistency_micros = consistency.Mean();
  f.inclusion_json_p99 = inclusion_json.Percentile(99);
  f.consistency_json_p99 = consistency_json.Percentile(99);
  return f;
}

}  // namespace caseledger::bench
