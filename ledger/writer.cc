#include "ledger/writer.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <limits>
#include <optional>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::ledger {

namespace {
template <typename T>
std::future<T> Ready(T value) {
  std::promise<T> p;
  p.set_value(std::move(value));
  return p.get_future();
}
}  // namespace

Result<std::unique_ptr<Writer>> Writer::Start(
    LogStore& store, Keystore& keys, const crypto::Ed25519SigningKey& key,
    Options options, WriteHook* hook) {
  std::unique_ptr<Writer> w(new Writer(store, keys, key, options, hook));
  CL_RETURN_IF_ERROR(w->LoadTip());
  if (!keys.PoolRecovered()) CL_RETURN_IF_ERROR(w->RecoverPool().WithContext("data key pool"));
  w->key_storer_ = std::thread([p = w.get()] { p->KeyLoop(); });
  w->answerer_ = std::thread([p = w.get()] { p->AnswerLoop(); });
  w->committer_ = std::thread([p = w.get()] { p->CommitLoop(); });
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

Status RecoverKeyPool(LogStore& store, Keystore& keys, bool use_pool) {
  CL_ASSIGN_OR_RETURN(Snapshot snap, store.Read());
  CL_ASSIGN_OR_RETURN(std::uint64_t size, TreeSize(snap, store));
  CL_ASSIGN_OR_RETURN(std::optional<std::uint64_t> from, keys.PoolScanFrom(size));
  std::vector<Keystore::KeyUse> uses;
  if (from && *from < size) {
    // The events after the watermark: a crash may have lost the binding of
    // a pool key that one of them names (docs/formats/storage.md, "Key pool").
    CL_RETURN_IF_ERROR(ForEachEventLine(
        snap, store, *from + 1, [&](std::uint64_t, std::string_view line) -> Result<bool> {
          CL_ASSIGN_OR_RETURN(ScannedEvent e, ScanEvent(line, /*signature_input=*/false));
          if (!e.has_body) return true;
          if (e.has_escapes) {  // ids never need escapes; read them exactly anyway
            CL_ASSIGN_OR_RETURN(Event d, DecodeEvent(line));
            uses.push_back({d.subject ? *d.subject : d.actor, d.body->kid});
          } else {
            uses.push_back({std::string(e.has_subject ? e.subject : e.actor),
                            std::string(e.body_kid)});
          }
          return true;
        }));
  }
  return keys.RecoverPool(uses, size, use_pool);
}

Status Writer::RecoverPool() { return RecoverKeyPool(store_, keys_, options_.key_pool); }

Status Writer::LoadTip() {
  CL_ASSIGN_OR_RETURN(auto txn, store_.env().BeginRead());
  CL_ASSIGN_OR_RETURN(std::uint64_t size, TreeSize(txn, store_));
  CL_ASSIGN_OR_RETURN(merkle::CompactRange tree, LoadCompactRange(txn, store_, size));
  Micros last_time = 0;
  if (size > 0) {
    // The stored frontier must reproduce the latest checkpoint, which the
    // same transaction as the last batch wrote.
    CL_ASSIGN_OR_RETURN(auto latest, LatestCheckpoint(txn, store_));
    if (latest.first != size) {
      return Corruption("latest checkpoint is of size " +
                        std::to_string(latest.first) + " but the log has " +
                        std::to_string(size) + " events");
    }
    auto cp = OpenCheckpoint(
        latest.second,
        crypto::NoteVerifier::For(store_.origin(), key_.public_key()));
    if (!cp.ok())
      return Corruption("latest checkpoint does not open: " +
                        cp.status().message());
    if (cp->root != tree.Root()) {
      return Corruption("stored Merkle nodes give root " + tree.Root().Hex() +
                        " but the latest checkpoint says " + cp->root.Hex());
    }
    CL_ASSIGN_OR_RETURN(auto line, ReadEventLine(txn, store_, size));
    CL_ASSIGN_OR_RETURN(Event last, DecodeEvent(line));
    CL_ASSIGN_OR_RETURN(last_time, ParseTime(last.time));
  }
  tree_ = std::move(tree);
  last_time_ = last_time;
  size_ = size;
  last_time_published_ = last_time;
  return Status::Ok();
}

Writer::~Writer() { Stop(); }

void Writer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();  // drains the queue, then releases the committer
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard lock(answer_mu_);
    answerer_stop_ = true;
  }
  answer_cv_.notify_all();
  if (answerer_.joinable()) answerer_.join();  // every durable command answered
  {
    std::lock_guard lock(mu_);
    key_stop_ = true;
  }
  key_cv_.notify_all();
  if (key_storer_.joinable()) key_storer_.join();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

WriterHealth Writer::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

std::string_view StateName(WriterHealth::State s) {
  switch (s) {
    case WriterHealth::State::kOk:
      return "ok";
    case WriterHealth::State::kDegraded:
      return "degraded";
    case WriterHealth::State::kFailed:
      return "failed";
  }
  return "failed";
}

void Writer::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
    return;
  }
  std::cerr << "caseledger: " << line << "\n";
}

namespace {
// A file system with less room than this, after a short write (which LMDB
// reports as EIO), is full.
constexpr std::uint64_t kNearlyFullBytes = std::uint64_t{4} << 20;

// logfmt value: quoted when it holds a space.
std::string Field(std::string_view v) {
  if (v.empty()) return "-";
  if (v.find(' ') == std::string_view::npos) return std::string(v);
  return "\"" + std::string(v) + "\"";
}

bool StorageFull(const Status& s, const std::optional<lmdb::Failure>& f, const lmdb::Env& env) {
  if (s.code() == StatusCode::kResourceExhausted && (!f || f->rc != ENOMEM)) return true;
  if (!f) return false;
  if (f->rc == ENOSPC || f->rc == EDQUOT || f->rc == EFBIG) return true;
  if (f->rc == EIO) {
    auto free = env.FreeBytes();
    return free.ok() && *free < kNearlyFullBytes;
  }
  return false;
}

bool PowerOfTwo(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }
}  // namespace

Status Writer::SuspendLocked(const Status& s, std::string_view during, std::size_t events,
                             std::size_t batch_bytes) {
  const std::optional<lmdb::Failure> f = lmdb::LastFailure();
  const bool full = StorageFull(s, f, store_.env());
  ++health_.storage_failures;
  const auto free = store_.env().FreeBytes();
  Log("storage failure during=" + std::string(during) + " op=" + Field(f ? f->op : "") +
      " cause=" + Field(f ? f->cause : "") + " status=" + std::string(StatusCodeName(s.code())) +
      " events=" + std::to_string(events) + " log_size=" + std::to_string(size_.load()) +
      " free_bytes=" + (free.ok() ? std::to_string(*free) : std::string("-")));
  Status answer =
      full ? ResourceExhausted(
                 "the disk is full: nothing of this request was recorded; writes resume "
                 "by themselves once space is freed")
           : s.WithContext("a storage failure: nothing of this request was recorded");
  probe_bytes_ = std::clamp<std::size_t>(2 * batch_bytes, std::size_t{64} << 10,
                                         std::size_t{8} << 20);
  if (health_.state != WriterHealth::State::kOk) {
    if (health_.state == WriterHealth::State::kDegraded) recover_ = true;
    return answer;
  }
  health_.reason = full ? "storage-full" : "storage-error";
  health_.op = f ? f->op : "";
  health_.cause = f ? f->cause : "";
  health_.since = NowMicros();
  if (!options_.resume) {
    health_.state = WriterHealth::State::kFailed;
    failed_ = answer.WithContext("the writer refuses further writes until reopened");
    for (Pending& p : queue_) p.Answer(failed_);
    queue_.clear();
    Log("writer state=failed reason=" + health_.reason + " cause=" + Field(health_.cause) +
        " writes=stopped");
    return answer;
  }
  health_.state = WriterHealth::State::kDegraded;
  ++health_.suspensions;
  failed_ = full ? ResourceExhausted(
                       "the disk is full: writes are suspended until space is freed; "
                       "nothing of this request was recorded")
                 : Unavailable(
                       "writes are suspended after a storage failure while the disk is "
                       "checked; nothing of this request was recorded");
  recover_ = true;
  for (Pending& p : queue_) p.Answer(failed_);
  queue_.clear();
  Log("writer state=degraded reason=" + health_.reason + " cause=" + Field(health_.cause) +
      " writes=suspended probe_every_ms=" + std::to_string(options_.probe_every.count()));
  return answer;
}

void Writer::Recover() {
  {
    std::unique_lock lock(mu_);
    // Every reservation of a batch prepared before the failure has been
    // stored or has failed, so none is reused by a later batch unstored.
    commit_cv_.wait(lock, [&] {
      return prepared_.empty() && !committing_ && !key_busy_ && key_done_ >= key_wanted_;
    });
    recover_ = false;
  }
  // Nothing is in flight: what is on disk is all there is.
  Status rewound = options_.fail_rewind ? Corruption("FAILPOINT storage-rewind") : LoadTip();
  if (rewound.ok() && hook_) rewound = hook_->Rewind(size_.load());
  if (!rewound.ok()) {
    std::lock_guard lock(mu_);
    health_.state = WriterHealth::State::kFailed;
    health_.reason = "restart-required";
    health_.since = NowMicros();
    failed_ = Unavailable(
        "writes are stopped after a storage failure; the server must be restarted");
    for (Pending& p : queue_) p.Answer(failed_);
    queue_.clear();
    Log("writer state=failed reason=restart-required rewind=" +
        std::string(StatusCodeName(rewound.code())) + " writes=stopped");
    return;
  }
  for (std::uint64_t attempt = 1;; ++attempt) {
    std::size_t bytes = 0;
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.probe_every, [&] { return stopping_; })) return;
      bytes = probe_bytes_;
      ++health_.probes;
    }
    lmdb::ClearLastFailure();
    Status probe = store_.ProbeWrite(bytes);
    if (probe.ok()) probe = keys_.ProbeWrite(bytes);
    std::lock_guard lock(mu_);
    if (probe.ok()) {
      const Micros suspended = NowMicros() - health_.since;
      health_.state = WriterHealth::State::kOk;
      health_.reason.clear();
      health_.op.clear();
      health_.cause.clear();
      health_.since = NowMicros();
      failed_ = Status::Ok();
      Log("writer state=ok writes=resumed probes=" + std::to_string(attempt) +
          " suspended_ms=" + std::to_string(suspended / 1000) +
          " log_size=" + std::to_string(size_.load()));
      return;
    }
    ++health_.storage_failures;
    const std::optional<lmdb::Failure> f = lmdb::LastFailure();
    if (f) health_.cause = f->cause;
    // Every failure is counted; the log gets probes 1, 2, 4, 8, …
    if (PowerOfTwo(attempt)) {
      Log("storage failure during=probe op=" + Field(f ? f->op : "") +
          " cause=" + Field(f ? f->cause : "") + " status=" +
          std::string(StatusCodeName(probe.code())) + " probes=" + std::to_string(attempt) +
          " probe_bytes=" + std::to_string(bytes));
    }
  }
}

std::future<Result<Appended>> Writer::Submit(Command cmd) {
  if (options_.forward && ValidateCommand(cmd).ok()) return Ready(options_.forward(cmd));
  Pending pending;
  std::future<Result<Appended>> f;
  if (Status s = Enqueue(std::move(cmd), pending, &f); !s.ok()) return Ready(Result<Appended>(s));
  return f;
}

void Writer::Submit(Command cmd, std::function<void(Result<Appended>)> done) {
  if (options_.forward && ValidateCommand(cmd).ok()) {
    done(options_.forward(cmd));
    return;
  }
  Pending pending;
  pending.done = done;
  if (Status s = Enqueue(std::move(cmd), pending, nullptr); !s.ok()) done(Result<Appended>(s));
}

Status Writer::Enqueue(Command cmd, Pending& pending, std::future<Result<Appended>>* future) {
  Result<CanonicalCommand> text = ValidateAndEncode(cmd);
  if (!text.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.refused;
    return text.status();
  }
  pending.h_json = std::move(text->h);
  pending.body_json = std::move(text->body);
  pending.cmd = std::move(cmd);
  std::unique_lock lock(mu_);
  if (!failed_.ok()) return failed_;
  if (stopping_) return Unavailable("the writer is shutting down");
  if (queue_.size() >= options_.max_queue) return Unavailable("write queue is full");
  if (future != nullptr) *future = pending.promise.get_future();
  queue_.push_back(std::move(pending));
  lock.unlock();
  cv_.notify_one();
  return Status::Ok();
}

void Writer::Run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || recover_ || !queue_.empty(); });
      if (recover_) {
        lock.unlock();
        Recover();
        continue;
      }
      if (queue_.empty()) break;  // stopping and drained
      // Reserved once: a Pending is large, and a growing batch moved each
      // one again at every doubling.
      batch.reserve(std::min(queue_.size(), options_.max_batch));
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!failed_.ok()) {
        for (auto& p : batch) p.Answer(failed_);
        batch.clear();
        continue;
      }
    }
    std::optional<Prepared> prepared = Prepare(std::move(batch));
    batch.clear();
    if (!prepared) continue;
    // Hand over to the committer; wait while it already holds
    // kMaxPreparedAhead uncommitted batches.
    std::unique_lock lock(mu_);
    commit_cv_.wait(lock, [&] { return prepared_.size() < kMaxPreparedAhead; });
    prepared_.push_back(std::move(*prepared));
    lock.unlock();
    commit_cv_.notify_all();
  }
  {
    std::lock_guard lock(mu_);
    committer_stop_ = true;
  }
  commit_cv_.notify_all();
}

void Writer::CommitLoop() {
  for (;;) {
    std::vector<Prepared> parts;
    {
      std::unique_lock lock(mu_);
      commit_cv_.wait(lock, [&] { return !prepared_.empty() || committer_stop_; });
      if (prepared_.empty()) return;  // stopping, nothing left
      parts.reserve(prepared_.size());
      for (Prepared& p : prepared_) parts.push_back(std::move(p));
      prepared_.clear();
      committing_ = true;
    }
    commit_cv_.notify_all();  // the writer may prepare the next batches now
    // No event is durable before the data key it is encrypted under.
    std::uint64_t keys_needed = 0;
    for (const Prepared& p : parts) keys_needed = std::max(keys_needed, p.key_ticket);
    if (keys_needed > 0) {
      std::unique_lock lock(mu_);
      commit_cv_.wait(lock, [&] { return key_done_ >= keys_needed; });
    }
    Commit(parts);
    {
      std::lock_guard lock(mu_);
      committing_ = false;
    }
    commit_cv_.notify_all();  // a recovery may wait for the committer to be idle
  }
}

void Writer::AnswerLoop() {
  for (;;) {
    std::deque<Prepared> parts;
    {
      std::unique_lock lock(answer_mu_);
      answer_cv_.wait(lock, [&] { return !answers_.empty() || answerer_stop_; });
      if (answers_.empty()) return;  // stopping, every durable batch answered
      parts.swap(answers_);
    }
    for (Prepared& p : parts) {
      for (std::size_t i = 0; i < p.accepted.size(); ++i) {
        Pending& a = *p.accepted[i];
        if (!a.refusal.ok()) {
          a.Answer(a.refusal);
          continue;
        }
        Appended out;
        out.seq = p.first_seq + i;
        out.time = std::move(p.time_texts[i]);
        out.tree_size = p.size;
        out.checkpoint = p.note;
        a.Answer(std::move(out));
      }
    }
    // `parts` (the commands, their lines and DOMs) is freed here too, off
    // the committer.
  }
}

std::optional<Writer::Prepared> Writer::Prepare(std::vector<Pending> batch_in) {
  lmdb::ClearLastFailure();  // a failure below is reported with its own cause
  Prepared out;
  out.batch = std::move(batch_in);
  // 1. Validate and assign time, in order.
  std::vector<Micros> times;
  const Micros running = Admit(out, times);
  if (out.accepted.empty()) return std::nullopt;
  // From here on, the hook's state (and maybe the keystore) holds this batch:
  // a failure suspends writes, and the writer rewinds to the disk before the
  // next batch.
  // 2. Data keys for every body's owner: new ones reserved here and stored by
  // the key storer while this batch is built; committed before its events.
  auto kids = ReserveDataKeys(out.accepted, out.key_ticket);
  if (!kids.ok()) {
    FailPrepared(out.accepted, kids.status().WithContext("data key"));
    return std::nullopt;
  }
  if (options_.before_chain) options_.before_chain(out.key_ticket);
  // 3 and 4. One sequential pass on this thread (seq, prev, body encryption,
  // C, leaf, tree) while the pool's other threads sign each line as soon as
  // the pass has built it (the signature is not part of the leaf); when the
  // pass ends, this thread signs what is left beside them.
  const std::size_t n = out.accepted.size();
  merkle::CompactRange tree = tree_;
  std::vector<std::string> unsigned_lines(n);
  std::vector<std::size_t> sig_offsets(n);
  std::vector<std::string>& lines = out.lines;
  lines.resize(n);
  // Lines [0, built) are complete; kChainFailed once the pass failed.
  constexpr std::uint32_t kChainFailed = std::numeric_limits<std::uint32_t>::max();
  std::atomic<std::uint32_t> built{0};
  std::atomic<std::size_t> next_to_sign{0};
  auto sign_lines = [&] {
    for (;;) {
      std::size_t i = next_to_sign.load(std::memory_order_relaxed);
      if (i >= n) return;
      const std::uint32_t b = built.load(std::memory_order_acquire);
      if (b == kChainFailed) return;
      if (i >= b) {
        built.wait(b, std::memory_order_acquire);  // until the pass builds the next line
        continue;
      }
      if (!next_to_sign.compare_exchange_weak(i, i + 1, std::memory_order_relaxed)) continue;
      auto sig = key_.Sign(AsBytes(SignatureInput(unsigned_lines[i])));
      lines[i] = InsertSignature(unsigned_lines[i], sig_offsets[i], sig);
    }
  };
  Status chained;
  auto on_built = [&](std::size_t i) {
    built.store(static_cast<std::uint32_t>(i + 1), std::memory_order_release);
    built.notify_all();
  };
  auto chain_and_sign = [&](unsigned k) {
    if (k == 0) {
      chained = Chain(out, times, *kids, tree, unsigned_lines, sig_offsets, on_built);
      if (!chained.ok()) {
        built.store(kChainFailed, std::memory_order_release);
        built.notify_all();
        return;
      }
    }
    sign_lines();
  };
  // A batch of one has nothing to overlap: no worker is woken for it.
  if (n == 1)
    chain_and_sign(0);
  else
    pool_.RunOnEach(chain_and_sign);
  if (!chained.ok()) {
    // A failed key store may have dropped this batch's reservations while
    // Chain ran (a data key then is not found): its commands get the key
    // store's failure, as the committer gives it to a batch that got its
    // keys before the drop.
    Status answer;
    if (out.key_ticket != 0) {
      std::unique_lock lock(mu_);
      commit_cv_.wait(lock, [&] { return key_done_ >= out.key_ticket; });
      if (key_failed_from_ <= out.key_ticket && out.key_ticket <= key_failed_to_)
        answer = key_failure_;
    }
    FailPrepared(out.accepted, chained.WithContext("data key"), answer);
    return std::nullopt;
  }
  // 5. One checkpoint for the batch.
  Checkpoint cp{store_.origin(), tree.size(), tree.Root()};
  auto note = SignCheckpoint(cp, key_);
  if (!note.ok()) {
    FailPrepared(out.accepted, note.status().WithContext("checkpoint"));
    return std::nullopt;
  }
  // Prepared on top of this batch from now on: the next batch is prepared
  // while this one commits. If the commit fails, the writer refuses every
  // later write, so this optimistic state is never used for a durable event.
  out.first_seq = tree_.size() + 1;
  out.size = tree.size();
  out.last_time = running;
  out.note = std::move(note).value();
  if (hook_) out.hook_writes = hook_->TakeWrites(tree.size(), tree.Root());
  tree_ = std::move(tree);
  last_time_ = running;
  return out;
}

Micros Writer::Admit(Prepared& out, std::vector<Micros>& times) {
  const Micros now = NowMicros();
  Micros running = last_time_;
  std::uint64_t refused = 0;
  for (auto& p : out.batch) {
    Status s;  // the command's shape was checked by Submit
    Micros t = std::max(now, running);
    if (p.cmd.time) {
      if (*p.cmd.time < running) {
        s = InvalidArgument(
            "\"time\" is earlier than the previous event's time (" +
            FormatTime(running) + ")");
      } else if (*p.cmd.time > now) {
        s = InvalidArgument("\"time\" lies in the future");
      }
      t = *p.cmd.time;
    }
    if (s.ok() && hook_) {
      WriteHook::Decision d = hook_->Check(p.cmd, t);
      s = std::move(d.status);
      if (s.ok()) p.index_key = d.index_key;
      if (!s.ok() && d.record) {
        // Refused, but the refusal itself is recorded in its place.
        p.refusal = s;
        p.cmd = std::move(*d.record);
        p.h_json = CanonicalJson(p.cmd.h);
        p.body_json.clear();
        p.cmd.body.reset();
        s = Status::Ok();
        ++refused;
      }
    }
    // A destroyed data key is never replaced: no body is encrypted for its
    // owner again. The domain hook refuses such a command in its own words
    // first; this holds for a writer without one. Refused here, before
    // Apply, because a failed EnsureKeys would suspend writes.
    if (s.ok() && p.cmd.body && keys_.IsDestroyed(p.cmd.KeyOwner())) {
      s = FailedPrecondition(
          "the owner's data key was destroyed: no body is encrypted for it again");
    }
    if (!s.ok()) {
      p.Answer(s);
      ++refused;
      continue;
    }
    running = t;
    out.accepted.push_back(&p);
    times.push_back(t);
    if (hook_) hook_->Apply(p.cmd, tree_.size() + out.accepted.size(), t);
  }
  std::lock_guard lock(mu_);
  stats_.refused += refused;
  return running;
}

void Writer::FailPrepared(const std::vector<Pending*>& accepted, const Status& s,
                          const Status& given) {
  Status answer;
  {
    std::lock_guard lock(mu_);
    answer = SuspendLocked(s, "prepare", accepted.size(), 0);
    if (!given.ok()) answer = given;
  }
  cv_.notify_all();
  for (Pending* p : accepted) p->Answer(answer);
}

Result<std::vector<std::string>> Writer::ReserveDataKeys(const std::vector<Pending*>& accepted,
                                                         std::uint64_t& ticket) {
  std::vector<std::string> owners;
  std::vector<Keystore::IndexEntry> index;  // with the keys (identity index)
  for (Pending* p : accepted) {
    if (p->cmd.body) owners.push_back(p->cmd.KeyOwner());
    if (p->cmd.body && p->index_key) index.push_back({*p->index_key, p->cmd.KeyOwner()});
  }
  if (owners.empty()) return std::vector<std::string>{};
  CL_ASSIGN_OR_RETURN(Keystore::Reservation r, keys_.ReserveKeys(owners, index));
  ticket = r.ticket;
  if (ticket != 0) {
    {
      std::lock_guard lock(mu_);
      key_wanted_ = std::max(key_wanted_, ticket);
    }
    key_cv_.notify_one();
  } else if (keys_.PoolWorkDue(options_.pool_bind_after)) {
    key_cv_.notify_one();
  }
  return std::move(r.kids);
}

void Writer::KeyLoop() {
  for (;;) {
    std::uint64_t want = 0;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      // Reservations to store, else the pool's upkeep (checked at least every
      // pool_bind_after, as handed-out keys age; not while writes are
      // suspended, when the probes test the disk).
      auto upkeep = [&] { return failed_.ok() && keys_.PoolWorkDue(options_.pool_bind_after); };
      key_cv_.wait_for(lock, options_.pool_bind_after,
                       [&] { return key_stop_ || key_wanted_ > key_done_ || upkeep(); });
      stop = key_stop_ && key_wanted_ <= key_done_;
      if (!stop && key_wanted_ <= key_done_ && !upkeep()) continue;
      // Only the pool's upkeep: no ticket, so that a ticket an earlier store
      // dropped (answered then) does not fail this store too.
      want = key_wanted_ > key_done_ ? key_wanted_ : 0;
      key_busy_ = true;
    }
    lmdb::ClearLastFailure();
    // Every reservation so far, in one transaction: several batches' keys
    // share an fsync when they arrive during one. The same transaction binds
    // the pool keys handed out so far and tops the pool up; the log's durable
    // size, read first, becomes the pool's watermark (every event up to it
    // has its key bound). When stopping, the committer is done: the whole
    // log is covered, and the next start has nothing to look for.
    const std::uint64_t durable = size_.load();
    Status s = keys_.StoreReserved(want, durable);
    {
      std::lock_guard lock(mu_);
      if (s.ok()) {
        ++stats_.key_stores;
      } else if (stop) {
        // Nothing is lost: the next start finds the bindings in the log.
        Log("writer pool_bind=failed op=stop cause=" + std::string(StatusCodeName(s.code())));
      } else {
        // The batches that need these keys are answered with the failure by
        // the committer (failed_ is set before key_done_ lets it go on).
        key_failure_ = SuspendLocked(s, "data keys", 0, 0);
        if (want > key_done_) {  // else only the pool's upkeep failed: no ticket dropped
          key_failed_from_ = key_done_ + 1;
          key_failed_to_ = want;
        }
      }
      key_done_ = std::max(key_done_, want);
      key_busy_ = false;
    }
    cv_.notify_all();
    commit_cv_.notify_all();
    if (stop) return;
  }
}

Status Writer::Chain(Prepared& out, const std::vector<Micros>& times,
                     const std::vector<std::string>& kids, merkle::CompactRange& tree,
                     std::vector<std::string>& unsigned_lines,
                     std::vector<std::size_t>& sig_offsets,
                     const std::function<void(std::size_t)>& built) {
  std::uint64_t seq = tree.size();
  std::vector<std::pair<merkle::NodeId, crypto::Digest>>& nodes = out.nodes;
  nodes.reserve(out.accepted.size() * 2 + 64);
  std::size_t next_kid = 0;
  // All of the batch's nonces in one call (one system call, not one per event).
  std::vector<std::uint8_t> nonce_bytes(kids.size() * crypto::kAeadNonceBytes);
  crypto::RandomFill(nonce_bytes);
  std::vector<std::string>& time_texts = out.time_texts;
  time_texts.resize(out.accepted.size());
  for (std::size_t i = 0; i < out.accepted.size(); ++i) {
    Pending& p = *out.accepted[i];
    Command& c = p.cmd;  // consumed: only Answer is used after this pass
    Event e;
    e.seq = ++seq;
    time_texts[i] = FormatTime(times[i]);
    e.time = time_texts[i];
    e.type = std::move(c.type);
    e.actor = std::move(c.actor);
    e.role = std::move(c.role);
    e.case_id = std::move(c.case_id);
    e.subject = std::move(c.subject);
    e.h_canonical = std::move(p.h_json);
    e.prev = tree.Root();
    if (c.body) {
      const std::size_t b = next_kid++;
      const std::string& kid = kids[b];
      auto dek = keys_.DataKey(kid);
      if (!dek.ok()) return dek.status();
      // The envelope is encoded once: its bytes without the body are the
      // body's associated data, and the line is them with the body put in.
      const BodyAdEncoding envelope = EncodeForBodyAdParts(e);
      crypto::Digest ad = crypto::Sha256(AsBytes(envelope.bytes));
      crypto::AeadNonce nonce;
      std::memcpy(nonce.bytes.data(), nonce_bytes.data() + b * crypto::kAeadNonceBytes, nonce.bytes.size());
      Bytes ct = crypto::AeadSeal(**dek, nonce, ad.view(), AsBytes(p.body_json));
      unsigned_lines[i] = EncodeUnsignedFrom(
          envelope, EncryptedBody{crypto::Base64Encode(ct), kid, crypto::Base64Encode(nonce.view())},
          &sig_offsets[i]);
    } else {
      unsigned_lines[i] = EncodeUnsigned(e, &sig_offsets[i]);
    }
    tree.Append(merkle::HashLeaf(AsBytes(unsigned_lines[i])),
                [&](merkle::NodeId id, const crypto::Digest& d) { nodes.emplace_back(id, d); });
    built(i);
  }
  return Status::Ok();
}

void Writer::Commit(std::vector<Prepared>& parts) {
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) {  // an earlier batch failed: these were built on it
      for (Prepared& p : parts)
        for (Pending* a : p.accepted) a->Answer(failed_);
      return;
    }
  }
  auto fail_from = [&](std::size_t first_part, const Status& s) {
    for (std::size_t k = first_part; k < parts.size(); ++k)
      for (Pending* a : parts[k].accepted) a->Answer(s);
  };
  lmdb::ClearLastFailure();
  // 6. One write transaction, one fsync, for every batch prepared meanwhile
  // (each with its events, nodes, checkpoint and projection writes, in order).
  auto t0 = std::chrono::steady_clock::now();
  Status s = store_.env().Write([&](lmdb::WriteTxn& txn) -> Status {
    for (Prepared& p : parts) {
      for (std::size_t i = 0; i < p.lines.size(); ++i) {
        auto key = EncodeBigEndian64(p.first_seq + i);
        CL_RETURN_IF_ERROR(txn.Put(store_.events(), key, AsBytes(p.lines[i]),
                                   lmdb::PutMode::kAppend));
      }
      for (const auto& [id, digest] : p.nodes) {
        auto key = NodeKey(id);
        CL_RETURN_IF_ERROR(txn.Put(store_.nodes(), key, digest.view(), lmdb::PutMode::kAppend));
      }
      auto key = EncodeBigEndian64(p.size);
      CL_RETURN_IF_ERROR(txn.Put(store_.checkpoints(), key, AsBytes(p.note),
                                 lmdb::PutMode::kAppend));
      if (p.hook_writes) {
        TableWrites writes(txn);
        CL_RETURN_IF_ERROR(p.hook_writes(writes));
      }
    }
    return Status::Ok();
  });
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
  std::size_t events = 0;
  for (const Prepared& p : parts) events += p.lines.size();
  if (!s.ok()) {
    std::size_t bytes = 0;
    for (const Prepared& p : parts) {
      bytes += p.note.size() + p.nodes.size() * 41;
      for (const std::string& line : p.lines) bytes += line.size();
    }
    Status answer;
    {
      std::lock_guard lock(mu_);
      answer = SuspendLocked(s, "commit", events, bytes);
    }
    cv_.notify_all();
    fail_from(0, answer);
    return;
  }

  // 7. Durable here. A leader acknowledges only what a follower holds too:
  // each batch is replicated in order, and one that is not stops the writer
  // with it and every batch after it unacknowledged.
  std::size_t durable = parts.size();
  Status not_replicated;
  if (options_.replicate) {
    for (std::size_t k = 0; k < parts.size(); ++k) {
      Status r = options_.replicate(parts[k].first_seq, parts[k].lines, parts[k].note);
      if (r.ok()) continue;
      durable = k;
      not_replicated = Unavailable(
          "not acknowledged: the write could not be replicated (" + r.message() +
          "); retry it, the cluster's leader answers");
      std::lock_guard lock(mu_);
      if (health_.state != WriterHealth::State::kFailed) {
        health_.state = WriterHealth::State::kFailed;
        health_.reason = "not-replicated";
        health_.op.clear();
        health_.cause.clear();
        health_.since = NowMicros();
        failed_ = not_replicated;
        for (Pending& q : queue_) q.Answer(failed_);
        queue_.clear();
        Log("writer state=failed reason=not-replicated status=" +
            std::string(StatusCodeName(r.code())) + " unacknowledged_from=" +
            std::to_string(parts[k].first_seq) + " log_size=" +
            std::to_string(parts.back().size) + " writes=stopped");
      }
      break;
    }
  }
  // Publish the new state and acknowledge.
  if (durable > 0) {
    const Prepared& last = parts[durable - 1];
    if (hook_) hook_->Committed(last.size);
    size_ = last.size;
    last_time_published_ = last.last_time;
    std::size_t acked = 0;
    for (std::size_t k = 0; k < durable; ++k) acked += parts[k].accepted.size();
    std::lock_guard lock(mu_);
    stats_.events += acked;
    stats_.batches += 1;
    stats_.checkpoints += durable;
    stats_.commit_micros += static_cast<std::uint64_t>(micros);
    for (std::size_t b = 0; b < stats_.batch_sizes.size(); ++b) {
      if (acked <= WriterStats::kBatchSizeBounds[b]) ++stats_.batch_sizes[b];
      if (static_cast<std::uint64_t>(micros) <= WriterStats::kCommitMicrosBounds[b])
        ++stats_.commit_durations[b];
    }
  }
  // The answerer acknowledges them (AnswerLoop), in this order, while this
  // thread goes on to the next commit: waking each waiting submitter costs
  // about as much as a fifth of a commit.
  {
    std::lock_guard lock(answer_mu_);
    for (std::size_t k = 0; k < durable; ++k) answers_.push_back(std::move(parts[k]));
  }
  answer_cv_.notify_one();
  if (durable < parts.size()) {
    cv_.notify_all();
    fail_from(durable, not_replicated);
  }
}

}  // namespace caseledger::ledger
