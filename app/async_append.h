// AsyncAppender: submits commands to the ledger's writer and hands each
// one's answer to a function once the command is durable (or refused,
// failed, or not confirmed within the timeout), so that no thread waits per
// command (the HTTP API answers its appends from here: docs/performance.md,
// "HTTP appends, third round"). One waiter thread takes the writer's futures
// in submission order: the committer acknowledges a batch at once, so the
// waiter wakes about once per group commit, not once per command. (The
// writer's own completion callback, Writer::Submit with a function, runs
// under the writer's lock: building and posting an HTTP answer there would
// hold up the committer, and it has no timeout.)
// Invariants: every submitted command's function is called exactly once,
// at the latest `timeout` after its Submit (then with Unavailable: it may
// still land, but it was not acknowledged), and before the destructor
// returns. The durable-before-acknowledge guarantee is the writer's: an OK
// answer comes only from a future the writer made ready after the commit.
// Thread-safety: Submit may be called from any number of threads. The
// functions run on the waiter thread, or on the submitting thread inside
// Submit when the writer answered at once (a malformed command, a full
// queue, a failed writer, a follower's forwarded command); they must not
// block, and must not destroy the AsyncAppender.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "ledger/writer.h"

namespace caseledger::app {

class AsyncAppender {
 public:
  using Done = std::function<void(Result<ledger::Appended>)>;
  // `writer` must outlive the AsyncAppender. Starts the waiter thread.
  AsyncAppender(ledger::Writer& writer, std::chrono::milliseconds timeout);
  AsyncAppender(const AsyncAppender&) = delete;
  AsyncAppender& operator=(const AsyncAppender&) = delete;
  // Waits until every submitted command has been answered (each within its
  // timeout), then joins the waiter thread.
  ~AsyncAppender();

  // Submits `cmd` (ledger::Writer::Submit: its checks and serialisation run
  // on the calling thread) and calls `done` with the writer's answer, or
  // with Unavailable ("the ledger did not confirm the write in time; it was
  // not acknowledged", as app::AppendAndWait) after the timeout.
  void Submit(ledger::Command cmd, Done done);

 private:
  struct Waiting {
    std::future<Result<ledger::Appended>> future;
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  void Run();

  ledger::Writer& writer_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiting> waiting_;  // in submission order (mu_)
  bool stopping_ = false;        // (mu_)
  std::thread thread_;
};

}  // namespace caseledger::app
