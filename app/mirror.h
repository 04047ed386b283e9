// Mirror: a verifying mirror follows a caseledger node over HTTP with an
// auditor's token and keeps its own verified copy of the log
// (ledger/mirror.h; docs/mirror.md). One round (CatchUp): GET
// /v1/log/checkpoint/latest, open it under the log's verifier key, compare it
// with what is held — a smaller or equal size with another root is a FORK:
// both signed notes are kept in <dir>/forks/<unix time>-<size>.txt and the
// mirror stops (ledger::IsFork) — else GET /v1/log/entries pages up to the
// checkpoint's size and store them with ledger::AppendVerified (everything
// verified before anything is stored), then cosign the held checkpoint with
// the mirror's own cosigner key ("mirrored and verified up to N").
// No transport here: the GET is an injected function (http::HttpClient in
// the CLI, the in-process router in tests and the benchmark).
// Thread-safety: CatchUp and Follow from one thread; Stop from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/worker_pool.h"
#include "crypto/note.h"
#include "ledger/cosignature_store.h"
#include "ledger/ledger.h"
#include "ledger/log_store.h"
#include "ledger/mirror.h"

namespace caseledger::app {

// What the transport returns for one GET.
struct MirrorReply {
  int status = 0;
  std::string content_type;
  std::string body;
};
// GETs `target` ("/v1/log/…?…", origin-form) from the node with the extra
// `headers` (lower-case names) within `timeout`; Unavailable when the node
// cannot be reached or does not answer in time.
using MirrorTransport = std::function<Result<MirrorReply>(
    const std::string& target, const std::map<std::string, std::string>& headers,
    std::chrono::milliseconds timeout)>;

inline constexpr std::string_view kForksDir = "forks";

struct MirrorOptions {
  // Bearer token of an auditor (or the DPO): /v1/log/entries is theirs.
  std::string token;
  std::uint64_t page = 1000;  // entries per GET (the node's max_log_entries)
  std::chrono::milliseconds timeout{30000};  // one GET
  unsigned threads = 0;  // signature checks; 0 = all cores
  // Wall clock, POSIX seconds (fork file names, cosignature timestamps).
  std::function<std::int64_t()> now;
  // Optional: the mirror's cosigner and where its cosignatures go. All three
  // set, or none.
  const crypto::Ed25519SigningKey* cosigner_key = nullptr;
  std::string cosigner_name;
  ledger::CosignatureStore* cosignatures = nullptr;
};

struct CatchUpReport {
  std::uint64_t held_before = 0;
  std::uint64_t size = 0;      // held after the round
  std::uint64_t added = 0;     // events stored in this round
  std::uint64_t log_size = 0;  // the size of the node's latest checkpoint
  bool behind = false;         // the node served a smaller size, consistent with ours
  bool cosigned = false;       // this round added the mirror's cosignature
  double seconds = 0;          // wall time of the round
};

// A fork found by a round: both notes are in `file`.
struct ForkRecord {
  std::string file;
  std::uint64_t held_size = 0;  // the size of the held note in the file
  std::uint64_t log_size = 0;   // the size of the node's note
};

class Mirror {
 public:
  // `dir` is the mirror's data dir (for <dir>/forks); `log` its open,
  // writable LogStore (the caller holds the dir's lock).
  Mirror(std::string dir, ledger::LogStore& log, crypto::NoteVerifier verifier,
         MirrorOptions options, MirrorTransport transport);
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  // One round. Errors: Unavailable (the node is unreachable or answered an
  // unexpected status), the checkpoint's (NotFound: not signed by the log's
  // key; Corruption: a bad signature; InvalidArgument: malformed), Corruption
  // naming the seq of a refused line or a root that does not match,
  // FailedPrecondition for a short page, and a fork: Corruption with reason
  // ledger::kForkReason (ledger::IsFork), also for every round after one was
  // recorded in <dir>/forks (remove the file after investigating to resume).
  // Nothing is stored by a failed round.
  Result<CatchUpReport> CatchUp();

  // Runs CatchUp every `interval` (the next round starts `interval` after
  // the previous one ended) until Stop() or a fork; `on_round` sees every
  // round's outcome. Returns the fork's status, or Ok once stopped.
  Status Follow(std::chrono::milliseconds interval,
                const std::function<void(const Result<CatchUpReport>&)>& on_round);
  // Makes Follow return after the round in progress. Thread-safe.
  void Stop();

  // The fork the last round found (or found recorded), if any.
  const std::optional<ForkRecord>& fork() const { return fork_; }

 private:
  Result<MirrorReply> Get(const std::string& target);
  Result<std::vector<std::string>> FetchLines(std::uint64_t from, std::uint64_t to);
  Status RecordFork(const std::string& held_note, std::uint64_t held_size,
                    const std::string& log_note, std::uint64_t log_size,
                    const std::string& problem, const std::string& extra);
  Status ForkRecordedEarlier();
  Result<bool> Cosign();

  std::string dir_;
  ledger::LogStore& log_;
  crypto::NoteVerifier verifier_;
  MirrorOptions options_;
  MirrorTransport transport_;
  std::unique_ptr<WorkerPool> pool_;
  std::optional<ForkRecord> fork_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
};

// `caseledger mirror init`: creates the mirror in `dir` — its cosigner key
// (ledger::CreateMirrorCosigner) named `cosigner_name`, then its empty log
// for the log of `log_vkey` (ledger::InitMirror). Returns the cosigner vkey.
// InvalidArgument for a bad vkey or name, or a cosigner name equal to the
// log's; AlreadyExists if `dir` holds a ledger or a mirror key; errors of
// those functions otherwise. Everything is checked before anything is written.
Result<std::string> InitMirrorDir(const std::string& dir, const std::string& log_vkey,
                                  const std::string& cosigner_name);

// A mirror's data dir opened for following: the lock, the log, the log's
// verifier (<dir>/ledger.pub), the cosigner and its cosignatures (declared
// so that the lock is released last).
struct OpenedMirror {
  std::optional<ledger::DirLock> lock;
  std::unique_ptr<ledger::LogStore> log;
  crypto::NoteVerifier verifier;
  std::optional<ledger::MirrorCosigner> cosigner;
  std::unique_ptr<ledger::CosignatureStore> cosignatures;
};
// Unavailable if another process holds the dir; NotFound if it holds no
// ledger or no mirror key; key file errors as crypto/key_file.h.
Result<OpenedMirror> OpenMirrorDir(const std::string& dir);

}  // namespace caseledger::app
