// Witnessing: the node asks its configured witnesses to cosign its newest
// checkpoint over C2SP tlog-witness v1.0.0 (`add-checkpoint`), and keeps the
// cosignatures in the CosignatureStore. One thread per witness, each with at
// most one request in flight: it waits for a checkpoint larger than the one
// the witness last cosigned, sends `old <the witness's size>`, the RFC 9162
// consistency proof and the note; on 409 it learns the witness's size from the
// text/x.tlog.size body and retries at once; other failures (403, 404, 422,
// 5xx, timeouts, bad cosignatures) back off exponentially. Rounds are
// coalesced, at most one per `min_interval` per witness: each joins the
// newest checkpoint another witness cosigned that has no quorum yet (so that
// under a steady write load the witnesses converge on one checkpoint), and
// otherwise takes the newest checkpoint. It only reads the log (its own read
// txns), so appends are never blocked or slowed. Docs: docs/witnessing.md.
// Thread-safety: Start/Stop from one thread; Snapshot from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "crypto/cosignature.h"
#include "ledger/cosignature_store.h"
#include "ledger/log_store.h"

namespace caseledger::app {

// A witness the node asks: its cosigner key and its submission prefix
// (the request goes to `url` + "/add-checkpoint").
struct WitnessEndpoint {
  crypto::CosignerVerifier verifier;
  std::string url;
};

// Parses "<vkey> <url>" (one witness of the node's configuration).
// InvalidArgument if the vkey is not a cosignature/v1 vkey or the URL is not
// http:// or https://.
Result<WitnessEndpoint> ParseWitnessEndpoint(std::string_view spec);

// What the transport returns for one POST.
struct WitnessReply {
  int status = 0;
  std::string content_type;
  std::string body;
};
// POSTs `body` (text/plain) to `url` within `timeout`; Unavailable when the
// witness cannot be reached or does not answer in time.
using WitnessTransport = std::function<Result<WitnessReply>(
    const std::string& url, const std::string& body,
    std::chrono::milliseconds timeout)>;

struct WitnessingOptions {
  std::vector<WitnessEndpoint> witnesses;
  std::size_t quorum = 0;  // k of n; 0: every configured witness
  std::chrono::milliseconds poll{200};           // how often the log is looked at
  std::chrono::milliseconds min_interval{1000};  // between two rounds of a witness
  std::chrono::milliseconds timeout{5000};       // one request
  std::chrono::milliseconds backoff_min{500};
  std::chrono::milliseconds backoff_max{30000};
  // Wall clock, POSIX seconds (tests set it).
  std::function<std::int64_t()> now;
};

// One witness's state as the node sees it.
struct WitnessState {
  std::string name;
  std::uint64_t cosigned_size = 0;  // the size it last cosigned (or told us)
  bool size_known = false;
  // It cosigned this node's own checkpoint of cosigned_size (not just told
  // us, in a 409, that it holds some checkpoint of that size).
  bool confirmed = false;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::string last_failure;  // a stable word: "unreachable", "status_403", …
  std::int64_t last_success_at = 0;
  // The witness reported a size larger than the log or refused the node's
  // checkpoint as a conflict at its own size: someone showed it another
  // history (a fork), or the log was rolled back.
  bool conflict = false;
};

struct WitnessingSnapshot {
  std::vector<WitnessState> witnesses;
  std::uint64_t log_size = 0;        // the newest checkpoint's size
  std::uint64_t witnessed_size = 0;  // the newest with a quorum, 0 if none
  std::int64_t lag_seconds = 0;      // how long the log has been ahead of it
  std::size_t quorum = 0;
};

// The node's witness configuration: the file <data>/witnesses
// (docs/witnessing.md), lines
//   quorum <k>              (default: every witness)
//   alarm <seconds>         (the audit flags a longer time without quorum;
//                            default 3600)
//   witness <vkey> <url>    (one per witness; vkey of type 0x04)
// '#' starts a comment line; blank lines are ignored.
struct WitnessConfig {
  std::vector<WitnessEndpoint> witnesses;
  std::size_t quorum = 0;  // as configured; Quorum() resolves 0
  std::int64_t alarm_seconds = 3600;
  std::size_t Quorum() const { return quorum == 0 ? witnesses.size() : quorum; }
  std::vector<crypto::CosignerVerifier> Verifiers() const;
};
inline constexpr std::string_view kWitnessConfigFile = "witnesses";
// InvalidArgument naming the line: unknown keyword, bad number, bad vkey or
// URL, a witness named twice, quorum above the number of witnesses.
Result<WitnessConfig> ParseWitnessConfig(std::string_view text);
// Reads <data_dir>/witnesses; nullopt when the file does not exist.
Result<std::optional<WitnessConfig>> ReadWitnessConfig(const std::string& data_dir);

// The audit's `integrity.witnessing` (docs/audit.md): the configured quorum,
// the newest witnessed checkpoint and who cosigned it, the events not yet
// covered by one and since when, and "FLAG-WITNESS" when that is longer than
// the configured alarm. `cosignatures` may be null (none collected yet).
Result<Json> WitnessingReport(ledger::LogStore& log, const ledger::CosignatureStore* cosignatures,
                              const WitnessConfig& config, std::int64_t now_seconds);

class Witnessing {
 public:
  Witnessing(ledger::LogStore& log, ledger::CosignatureStore& cosignatures,
             WitnessingOptions options, WitnessTransport transport);
  ~Witnessing();  // Stop()
  Witnessing(const Witnessing&) = delete;
  Witnessing& operator=(const Witnessing&) = delete;

  void Start();
  // Stops the threads (waits for requests in flight, at most `timeout`).
  void Stop();
  // One round for witness `i` on the calling thread (tests; never while
  // started): true when it ended with a stored cosignature.
  bool RoundForTest(std::size_t i);

  WitnessingSnapshot Snapshot() const;
  std::size_t quorum() const { return quorum_; }
  const WitnessingOptions& options() const { return options_; }

 private:
  enum class Outcome { kIdle, kCosigned, kRetryNow, kFailed };
  Outcome Round(std::size_t i);
  void Loop(std::size_t i);
  void Fail(std::size_t i, std::string why, bool conflict = false);

  ledger::LogStore& log_;
  ledger::CosignatureStore& store_;
  WitnessingOptions options_;
  WitnessTransport transport_;
  std::size_t quorum_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<WitnessState> state_;           // guarded by mu_
  std::uint64_t log_size_ = 0;                // guarded by mu_
  std::uint64_t witnessed_size_ = 0;          // guarded by mu_
  std::optional<std::int64_t> ahead_since_;   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace caseledger::app
