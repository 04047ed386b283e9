#include "app/async_append.h"

#include <utility>
#include <vector>

namespace caseledger::app {

namespace {
Status NotConfirmed() {
  return Unavailable("the ledger did not confirm the write in time; it was not acknowledged");
}

// Calls `done` with the answer of `future` (ready, or its deadline passed).
// Nothing thrown leaves: a broken promise is an answer that never came; a
// function that throws has its own captures to answer (an http Answer
// destroyed unanswered answers 500).
void Answer(std::future<Result<ledger::Appended>>& future, const AsyncAppender::Done& done) {
  try {
    if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      done(NotConfirmed());
      return;
    }
    Result<ledger::Appended> r = NotConfirmed();
    try {
      r = future.get();
    } catch (const std::future_error&) {
    }
    done(std::move(r));
  } catch (...) {
  }
}
}  // namespace

AsyncAppender::AsyncAppender(ledger::Writer& writer, std::chrono::milliseconds timeout)
    : writer_(writer), timeout_(timeout), thread_([this] { Run(); }) {}

AsyncAppender::~AsyncAppender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void AsyncAppender::Submit(ledger::Command cmd, Done done) {
  auto future = writer_.Submit(std::move(cmd));
  // Answered at once (refused before queueing, or forwarded): no waiting.
  if (future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    Answer(future, done);
    return;
  }
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = waiting_.empty();
    waiting_.push_back(
        Waiting{std::move(future), std::chrono::steady_clock::now() + timeout_, std::move(done)});
  }
  // The waiter sleeps on the condition only while nothing waits; otherwise
  // it is waiting on the oldest future, and comes back for this one.
  if (was_empty) cv_.notify_one();
}

void AsyncAppender::Run() {
  std::vector<Waiting> ready;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, and everything answered
    // Wait on the oldest without the lock; the commands behind it are
    // usually in the same group commit or the next one.
    Waiting head = std::move(waiting_.front());
    waiting_.pop_front();
    lock.unlock();
    (void)head.future.wait_until(head.deadline);
    Answer(head.future, head.done);
    head = {};  // release its captures before the others
    // Then every one already answered, without sleeping again.
    lock.lock();
    while (!waiting_.empty()) {
      Waiting& next = waiting_.front();
      if (next.future.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
          std::chrono::steady_clock::now() < next.deadline)
        break;
      ready.push_back(std::move(next));
      waiting_.pop_front();
    }
    lock.unlock();
    for (Waiting& w : ready) Answer(w.future, w.done);
    ready.clear();  // the functions (and what they captured) go here
    lock.lock();
  }
}

}  // namespace caseledger::app
