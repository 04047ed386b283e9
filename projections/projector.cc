#include "projections/projector.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <limits>
#include <thread>
#include <utility>

#include "base/bytes.h"
#include "base/ids.h"
#include "projections/catalogue.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"

namespace caseledger::projections {

using ledger::CanonicalJson;

namespace {

constexpr std::string_view kVersionKey = "version";
constexpr std::string_view kBuiltToKey = "built_to";
// proj.meta "erase_key/<subject>" -> "": the subject's data key is to be
// destroyed (its subject.erased is in the log).
constexpr std::string_view kEraseKeyPrefix = "erase_key/";
constexpr std::string_view kRetentionPolicyKey = "retention_policy";
constexpr std::size_t kCacheLimit = 8192;  // clean cases kept in memory
constexpr std::uint64_t kCatchUpChunk = 100000;  // events per rebuild txn
// kCatchUpChunk, or a test's (SetCatchUpChunkForTesting).
std::atomic<std::uint64_t> catch_up_chunk{kCatchUpChunk};
// A catch-up of at least this many events folds the cases on a second thread.
constexpr std::uint64_t kFoldThreadMin = 1024;
// Facts handed to the fold thread at a time.
constexpr std::size_t kFoldBatch = 512;
constexpr std::uint64_t kPinned = std::numeric_limits<std::uint64_t>::max();

std::string IndexKey(std::string_view case_id, std::uint64_t seq) {
  std::string k(case_id);
  auto be = EncodeBigEndian64(seq);
  k.append(reinterpret_cast<const char*>(be.data()), be.size());
  return k;
}

// proj.case_rows: a case's head sits under this seq, after every event of
// the case (seqs are below 2^53), so an append's row and the head it rewrites
// share a leaf page.
constexpr std::uint64_t kHeadSeq = std::numeric_limits<std::uint64_t>::max();
std::string HeadKey(std::string_view case_id) { return IndexKey(case_id, kHeadSeq); }

std::string EncodeBuiltTo(std::uint64_t size, const crypto::Digest& root) {
  std::string v;
  auto be = EncodeBigEndian64(size);
  v.append(reinterpret_cast<const char*>(be.data()), be.size());
  v.append(reinterpret_cast<const char*>(root.bytes.data()), root.bytes.size());
  return v;
}

Result<BuiltTo> DecodeBuiltTo(ByteView v) {
  if (v.size() != 8 + crypto::kSha256Bytes)
    return Corruption("proj.meta built_to has the wrong length");
  BuiltTo b;
  b.size = DecodeBigEndian64(v.first(8));
  std::memcpy(b.root.bytes.data(), v.data() + 8, b.root.bytes.size());
  return b;
}

// A subject's or user's stored state: canonical JSON by format
// (docs/formats/projections.md), so read as LoadCase reads a case.
template <typename T>
Result<T> ParseStored(ByteView v, std::string_view what) {
  auto j = ledger::ParseCanonicalObject(AsChars(v), StoredJsonLimits());
  if (!j.ok()) return Corruption(std::string(what) + ": " + j.status().message());
  return T::FromJson(*j);
}

// The seq of a proj.case_rows key of case `id` (kHeadSeq for its head), or
// nullopt for a key of another case (a longer id that starts with this one).
std::optional<std::uint64_t> RowSeq(ByteView key, std::string_view id) {
  if (key.size() != id.size() + 8 || AsChars(key.first(id.size())) != id) return std::nullopt;
  return DecodeBigEndian64(key.subspan(id.size()));
}

// The stored state of case `id` whose head (in proj.case_rows) is `head`:
// the head and the case's fact rows, from the same txn. The case's index
// entries without a row (access records, refusals) lie between them and are
// stepped over.
template <typename Txn>
Result<CaseState> LoadCase(const Txn& txn, const ProjectionDbs& dbs, std::string_view id,
                           ByteView head) {
  // The head and the rows are stored canonical (docs/formats/projections.md):
  // bytes in any other form were not written by this program, and are refused
  // as damage.
  auto h = ledger::ParseCanonicalObject(AsChars(head), StoredJsonLimits());
  if (!h.ok()) return Corruption("proj.case_rows head: " + h.status().message());
  std::vector<CaseState::StoredRow> rows;
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs.case_rows));
  CL_ASSIGN_OR_RETURN(auto kv, cur.SeekAtLeast(AsBytes(IndexKey(id, 0))));
  while (kv && AsChars(kv->key).starts_with(id)) {
    const std::optional<std::uint64_t> seq = RowSeq(kv->key, id);
    if (seq == kHeadSeq) break;
    if (seq && !kv->value.empty()) {
      auto row = ledger::ParseCanonicalObject(AsChars(kv->value), StoredJsonLimits());
      if (!row.ok()) return Corruption("proj.case_rows row: " + row.status().message());
      rows.push_back({*seq, std::move(*row), AsChars(kv->value)});
    }
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  return CaseState::FromStored(*h, std::move(rows));
}

// Calls fn(id, head) for every case with a head in proj.case_rows, in key
// order: one seek per case, whatever its length.
template <typename Fn>
Status ForEachCaseHead(const ledger::Snapshot& txn, const ProjectionDbs& dbs, Fn&& fn) {
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs.case_rows));
  CL_ASSIGN_OR_RETURN(auto kv, cur.First());
  while (kv) {
    if (kv->key.size() <= 8) return Corruption("proj.case_rows: a key too short for a case row");
    const std::string id(AsChars(kv->key.first(kv->key.size() - 8)));
    const std::string head_key = HeadKey(id);
    CL_ASSIGN_OR_RETURN(kv, cur.SeekAtLeast(AsBytes(head_key)));
    // Index entries of a case with no state (none today) are skipped.
    if (kv && AsChars(kv->key) == head_key) {
      CL_RETURN_IF_ERROR(fn(id, kv->value));
      CL_ASSIGN_OR_RETURN(kv, cur.Next());
    }
  }
  return Status::Ok();
}

std::string Year(Micros t) { return ledger::FormatTime(t).substr(0, 4); }

// LMDB's default maximum key size: longer keys are never stored.
constexpr std::size_t kMaxKeyBytes = 511;

// A string member of a header, or "" (headers are read defensively).
std::string StringField(const Json& h, const char* key) {
  if (!h.is_object()) return {};
  auto it = h.find(key);
  return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Key text for reports: the printable prefix, then hex of the rest.
std::string PrintableKey(ByteView k) {
  std::size_t n = 0;
  while (n < k.size() && k[n] >= 0x20 && k[n] < 0x7f) ++n;
  std::string out(AsChars(k.first(n)));
  if (n < k.size()) {
    if (k.size() - n == 8 && DecodeBigEndian64(k.subspan(n)) == kHeadSeq) {
      out += " head";
    } else if (k.size() - n == 8) {
      out += " seq " + std::to_string(DecodeBigEndian64(k.subspan(n)));
    } else {
      out += " 0x" + ToHex(k.subspan(n));
    }
  }
  return out;
}

// The header of event `seq`, parsed: Corruption unless it is an object.
// `h` is ScannedEvent::h or a copy of it (canonical: read without a general
// parser, ledger/event_scan.h).
Result<Json> ParseHeader(std::string_view h, std::uint64_t seq) {
  Result<Json> j = ledger::ReadScannedHeader(h);
  if (!j.ok()) return Corruption("event " + std::to_string(seq) + ": header is not an object");
  return j;
}

// Keeps the last of each run of equal keys in sorted `rows`.
void DedupeRows(std::vector<std::pair<std::string, std::string>>& rows) {
  auto out = rows.begin();
  for (auto it = rows.begin(); it != rows.end(); ++it) {
    auto next = std::next(it);
    if (next != rows.end() && next->first == it->first) continue;
    if (out != it) *out = std::move(*it);
    ++out;
  }
  rows.erase(out, rows.end());
}

// Puts `rows` in key order (neighbouring puts land on pages already dirty)
// and keeps one per key. An index entry ("") shares its key with the fact row
// of the same event, which it must not overwrite: the row sorts after it and
// the last of equal keys is kept.
void SortRows(std::vector<std::pair<std::string, std::string>>& rows) {
  std::sort(rows.begin(), rows.end());
  DedupeRows(rows);
}

// SortRows of the rows of `a` and `b`, each already sorted.
std::vector<std::pair<std::string, std::string>> MergeRows(
    std::vector<std::pair<std::string, std::string>> a,
    std::vector<std::pair<std::string, std::string>> b) {
  if (b.empty()) return a;
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(a.size() + b.size());
  std::merge(std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()),
             std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()),
             std::back_inserter(out));
  DedupeRows(out);
  return out;
}

// The fact of a stored line for replays: the DOM-free scanner checks the
// line and finds the envelope; only the header is parsed (a line with escapes
// in its envelope strings takes the full decoder). With `h_text`, the header
// of a case's state fact is also copied to *h_text: the scanner has checked
// it is a canonical JSON object, which the case's state keeps as it is
// (CaseState::Apply). With `defer` too, that header is not parsed here, for
// the fold thread to parse; f.h stays null.
Result<Fact> ReplayFact(std::string_view line, std::string* h_text = nullptr, bool defer = false) {
  CL_ASSIGN_OR_RETURN(ledger::ScannedEvent sc, ledger::ScanEvent(line, /*signature_input=*/false));
  if (sc.has_escapes) {
    CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    return FactOf(e);
  }
  Fact f;
  f.seq = sc.seq;
  CL_ASSIGN_OR_RETURN(f.time, ledger::ParseTime(sc.time));
  f.type = sc.type;
  f.actor = sc.actor;
  f.role = sc.role;
  if (!sc.case_id.empty()) f.case_id = std::string(sc.case_id);
  if (!sc.subject.empty()) f.subject = std::string(sc.subject);
  // Projector::ApplyFact hands such a fact to its case's fold as it is.
  if (h_text != nullptr && f.case_id && f.type != "subject.erased" && IsStateFact(f.type)) {
    h_text->assign(sc.h);
    if (defer) {
      f.h = Json();
      return f;
    }
  }
  CL_ASSIGN_OR_RETURN(f.h, ParseHeader(sc.h, f.seq));
  return f;
}

}  // namespace

// --- ProjectionDbs -------------------------------------------------------------

ledger::JsonLimits StoredJsonLimits() {
  ledger::JsonLimits l;
  l.max_bytes = std::size_t{256} << 20;
  l.max_depth = 32;
  l.max_string_bytes = std::size_t{1} << 20;
  return l;
}

namespace {
// Every projection DB: its name and its member (docs/formats/projections.md).
struct NamedDb {
  std::string_view name;
  ledger::Table ProjectionDbs::*table;
};
constexpr NamedDb kNamedDbs[] = {
    {"proj.meta", &ProjectionDbs::meta},
    {"proj.case_rows", &ProjectionDbs::case_rows},
    {"proj.subjects", &ProjectionDbs::subjects},
    {"proj.counters", &ProjectionDbs::counters},
    {"proj.users", &ProjectionDbs::users},
    {"proj.tokens", &ProjectionDbs::tokens},
};
constexpr std::string_view kTokensDb = "proj.tokens";
// Tables of earlier projection versions, emptied by Rebuild (their pages go
// back to LMDB's free list).
constexpr std::string_view kLegacyDbs[] = {"proj.cases", "proj.case_facts", "proj.case_seqs"};
}  // namespace

Result<ProjectionDbs> ProjectionDbs::Open(ledger::Tables& tables, bool create) {
  ProjectionDbs d;
  for (const NamedDb& n : kNamedDbs) {
    CL_ASSIGN_OR_RETURN(d.*(n.table), tables.Open(n.name, create));
  }
  return d;
}

std::vector<std::pair<std::string, ledger::Table>> ProjectionDbs::All() const {
  std::vector<std::pair<std::string, ledger::Table>> out;
  for (const NamedDb& n : kNamedDbs) out.emplace_back(std::string(n.name), this->*(n.table));
  return out;
}

// --- Projector: open, catch up ---------------------------------------------------

Result<std::unique_ptr<Projector>> Projector::Open(ledger::LogStore& log,
                                                   ledger::Tables& tables,
                                                   ledger::Keystore* keys,
                                                   const ProgressFn& progress) {
  CL_ASSIGN_OR_RETURN(ProjectionDbs dbs, ProjectionDbs::Open(tables, true));
  std::uint64_t log_size = 0;
  std::optional<BuiltTo> built;
  bool current_version = false;
  {
    CL_ASSIGN_OR_RETURN(auto txn, log.Read());
    CL_ASSIGN_OR_RETURN(log_size, ledger::TreeSize(txn, log));
  }
  {
    CL_ASSIGN_OR_RETURN(auto txn, tables.Read());
    CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.meta, AsBytes(kVersionKey)));
    current_version = v && AsChars(*v) == kProjectionVersion;
    CL_ASSIGN_OR_RETURN(auto b, txn.Get(dbs.meta, AsBytes(kBuiltToKey)));
    if (b) {
      CL_ASSIGN_OR_RETURN(built, DecodeBuiltTo(*b));
    }
  }
  if (!current_version || !built) {
    CL_ASSIGN_OR_RETURN(const std::uint64_t rebuilt, Rebuild(log, tables, keys, progress));
    // As after a load below: the counters are the only projection held in
    // memory whole, so they are read back, or the next batch would count
    // from zero and overwrite the rebuilt ones.
    std::unique_ptr<Projector> p(new Projector(log, tables, dbs, keys));
    CL_RETURN_IF_ERROR(p->LoadCounters());
    p->applied_ = rebuilt;
    p->committed_ = rebuilt;
    CL_RETURN_IF_ERROR(p->FinishErasures());
    return p;
  }
  if (built->size > log_size) {
    return Corruption("the projections are built to " +
                      std::to_string(built->size) + " events but the log has " +
                      std::to_string(log_size) +
                      " (run `caseledger rebuild`)");
  }
  {
    CL_ASSIGN_OR_RETURN(auto txn, log.Read());
    CL_ASSIGN_OR_RETURN(auto range,
                        ledger::LoadCompactRange(txn, log, built->size));
    if (range.Root() != built->root) {
      return Corruption(
          "the projections were built to a log with another Merkle root at "
          "size " +
          std::to_string(built->size) + " (run `caseledger rebuild`)");
    }
  }
  std::unique_ptr<Projector> p(new Projector(log, tables, dbs, keys));
  CL_RETURN_IF_ERROR(p->LoadCounters());
  p->applied_ = built->size;
  p->committed_ = built->size;
  if (built->size < log_size) {
    CL_RETURN_IF_ERROR(p->CatchUp(built->size, log_size, progress));
  }
  CL_RETURN_IF_ERROR(p->FinishErasures());
  return p;
}

Status Projector::Follow() {
  std::uint64_t log_size = 0, from = 0;
  {
    CL_ASSIGN_OR_RETURN(auto txn, log_.Read());
    CL_ASSIGN_OR_RETURN(log_size, ledger::TreeSize(txn, log_));
  }
  {
    CL_ASSIGN_OR_RETURN(auto txn, tables_.Read());
    CL_ASSIGN_OR_RETURN(auto b, txn.Get(dbs_.meta, AsBytes(kBuiltToKey)));
    if (b) {
      CL_ASSIGN_OR_RETURN(BuiltTo built, DecodeBuiltTo(*b));
      from = built.size;
    }
  }
  if (from > log_size)
    return Corruption("the projections are built past the log (run `caseledger rebuild`)");
  if (from < applied_) {
    // Rebuilt below what this projector applied (a dropped tail): what it
    // cached may hold events that are gone.
    DropBatch();
    cases_.clear();
    dirty_cases_.clear();
    case_index_adds_.clear();
    subjects_.clear();
    users_.clear();
    tokens_.clear();
    CL_RETURN_IF_ERROR(LoadCounters());
    applied_ = from;
    committed_ = from;
  }
  // Otherwise only CatchUp has written the tables since this projector's
  // states were cached, so they are current.
  if (from < log_size) CL_RETURN_IF_ERROR(CatchUp(from, log_size));
  return Status::Ok();
}

Status Projector::LoadCounters() {
  counters_.clear();
  CL_ASSIGN_OR_RETURN(auto txn, tables_.Read());
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs_.counters));
  CL_ASSIGN_OR_RETURN(auto kv, cur.First());
  while (kv) {
    if (kv->value.size() != 8) return Corruption("proj.counters: bad value");
    counters_[std::string(AsChars(kv->key))] = DecodeBigEndian64(kv->value);
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Projector::ErasureMarkers() {
  std::vector<std::string> subjects;
  CL_ASSIGN_OR_RETURN(auto txn, tables_.Read());
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs_.meta));
  CL_ASSIGN_OR_RETURN(auto kv, cur.SeekAtLeast(AsBytes(kEraseKeyPrefix)));
  while (kv && AsChars(kv->key).starts_with(kEraseKeyPrefix)) {
    subjects.emplace_back(AsChars(kv->key).substr(kEraseKeyPrefix.size()));
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  return subjects;
}

void Projector::DropBatch() {
  // dirty_cases_ is emptied by TakeCaseRows, or with cases_ (it may belong to
  // the fold thread here).
  dirty_subjects_.clear();
  dirty_counters_.clear();
  dirty_users_.clear();
  dirty_tokens_.clear();
  index_adds_.clear();
  erased_.clear();
  retention_policy_.reset();
  batch_lookups_.clear();
}

Status Projector::Rewind(std::uint64_t size) {
  std::optional<BuiltTo> built;
  {
    CL_ASSIGN_OR_RETURN(auto txn, tables_.Read());
    CL_ASSIGN_OR_RETURN(auto b, txn.Get(dbs_.meta, AsBytes(kBuiltToKey)));
    if (b) {
      CL_ASSIGN_OR_RETURN(built, DecodeBuiltTo(*b));
    }
  }
  CL_ASSIGN_OR_RETURN(std::vector<std::string> markers, ErasureMarkers());
  // The projections are written in the same txn as the events.
  if ((built ? built->size : 0) != size) {
    return Corruption("the projections on disk are built to " +
                      std::to_string(built ? built->size : 0) + " events but the log has " +
                      std::to_string(size));
  }
  // Everything cached may hold a batch that never reached the disk: read it
  // all again from the DBs.
  cases_.clear();
  dirty_cases_.clear();
  case_index_adds_.clear();
  subjects_.clear();
  users_.clear();
  tokens_.clear();
  DropBatch();
  CL_RETURN_IF_ERROR(LoadCounters());
  applied_ = size;
  committed_ = size;
  if (keys_ == nullptr) return Status::Ok();
  std::lock_guard lock(erase_mu_);
  // Erasures of batches that failed: their keys stay (the events are not in
  // the log; their markers never reached the disk).
  std::erase_if(awaiting_destroy_, [&](const auto& a) { return a.first > size; });
  // A failed batch may have carried the drop of markers whose keys are
  // destroyed: the next batch drops them.
  for (std::string& subject : markers) {
    if (!keys_->IsDestroyed(subject)) continue;  // Open retries the destroy
    if (std::find(destroyed_markers_.begin(), destroyed_markers_.end(), subject) ==
        destroyed_markers_.end())
      destroyed_markers_.push_back(std::move(subject));
  }
  return Status::Ok();
}

Status Projector::FinishErasures() {
  if (keys_ == nullptr) return Status::Ok();
  CL_ASSIGN_OR_RETURN(std::vector<std::string> subjects, ErasureMarkers());
  if (subjects.empty()) return Status::Ok();
  for (const std::string& s : subjects) {
    auto d = keys_->Destroy(s);
    // NotFound: the subject never had a key; nothing to destroy.
    if (!d.ok() && d.status().code() != StatusCode::kNotFound)
      return d.status().WithContext("destroying an erased subject's data key");
  }
  return tables_.Write([&](ledger::TableWrites& txn) -> Status {
    for (const std::string& s : subjects)
      CL_RETURN_IF_ERROR(txn.Delete(dbs_.meta, AsBytes(std::string(kEraseKeyPrefix) + s)));
    return Status::Ok();
  });
}

// --- The fold thread of a catch-up ------------------------------------------------

// A catch-up's second core (docs/performance.md, "Rebuild, third round" and
// "Rebuild, fifth round"): cases are independent, so their states are folded
// here, each case's facts in seq order (their headers parsed here too,
// ReplayFact's defer_h, unless the thread is Behind and the catch-up's own
// thread parsed them), while the
// catch-up's own thread decodes the log and folds the global projections
// (subjects, users, tokens, counters, the index of records that are not
// state) in seq order, as one thread would. The fold thread owns cases_,
// dirty_cases_ and case_index_adds_ from the first Push until it is
// destroyed; at the end of each chunk, Flush hands back the chunk's case rows
// (TakeCaseRows, sorted here) and the thread then evicts clean cases while
// the chunk is written. Every case sees the same facts in the same order as
// without it, so the projections written are the same bytes.
class Projector::FoldThread {
 public:
  explicit FoldThread(Projector& p) : p_(p), thread_([this] { Run(); }) {}
  // Folds every fact pushed, then stops.
  ~FoldThread() {
    Send();
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_one();
    thread_.join();
  }
  FoldThread(const FoldThread&) = delete;
  FoldThread& operator=(const FoldThread&) = delete;

  // Queues a fact of the case *f.case_id; `h`, if not empty, is its
  // header's canonical text, still to be parsed into f.h if f.h is null.
  void Push(Fact&& f, std::string&& h) {
    batch_.push_back({std::move(f), std::move(h)});
    if (batch_.size() >= kFoldBatch) Send();
  }

  // Whether the thread is behind the catch-up thread: two batches or more
  // wait for it. The catch-up thread then parses headers itself, so that
  // the two threads share the work whichever of them is faster (the bytes
  // written are the same either way).
  bool Behind() const { return queued_.load(std::memory_order_relaxed) >= 2; }

  // Waits until every fact pushed is folded. The first error of a header
  // (Corruption naming its event), or Ok.
  Status Sync() {
    Send();
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
    return error_;
  }

  // Sync, then TakeCaseRows(size); the thread then evicts the cases clean at
  // `committed` (EvictCases).
  Result<std::vector<std::pair<std::string, std::string>>> Flush(std::uint64_t size,
                                                                 std::uint64_t committed) {
    CL_RETURN_IF_ERROR(Sync());
    std::unique_lock lock(mu_);
    flush_ = {size, committed};
    work_cv_.notify_one();
    done_cv_.wait(lock, [&] { return rows_.has_value(); });
    std::vector<std::pair<std::string, std::string>> rows = std::move(*rows_);
    rows_.reset();
    return rows;
  }

 private:
  struct Work {
    Fact fact;
    std::string h;
  };

  // Hands the facts pushed so far to the thread.
  void Send() {
    if (batch_.empty()) return;
    std::vector<Work> next;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(batch_));
      queued_.store(queue_.size(), std::memory_order_relaxed);
      if (!spare_.empty()) {
        next = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    work_cv_.notify_one();
    batch_ = std::move(next);
    batch_.clear();
    batch_.reserve(kFoldBatch);
  }

  void Run() {
    for (;;) {
      std::vector<Work> work;
      std::optional<std::pair<std::uint64_t, std::uint64_t>> flush;
      bool failed = false;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return !queue_.empty() || flush_ || stop_; });
        if (!queue_.empty()) {
          work = std::move(queue_.front());
          queue_.pop_front();
          queued_.store(queue_.size(), std::memory_order_relaxed);
          busy_ = true;
          failed = !error_.ok();
        } else if (flush_) {
          flush = flush_;
          flush_.reset();
        } else {
          return;  // stopped, and every fact folded
        }
      }
      Status error;
      for (Work& w : work) {
        if (failed) break;  // nothing after a damaged header is folded
        if (w.fact.h.is_null() && !w.h.empty()) {  // deferred by ReplayFact
          Result<Json> h = ParseHeader(w.h, w.fact.seq);
          if (!h.ok()) {
            error = h.status();
            failed = true;
            break;
          }
          w.fact.h = std::move(h).value();
        }
        p_.FoldCaseHere(std::move(w.fact), std::move(w.h));  // the log's canonical text
      }
      if (!work.empty()) {
        work.clear();  // moved from: little left to free but the buffer
        std::lock_guard lock(mu_);
        spare_.push_back(std::move(work));
      }
      {
        std::lock_guard lock(mu_);
        if (!error.ok() && error_.ok()) error_ = std::move(error);
        busy_ = false;
      }
      done_cv_.notify_one();
      if (flush) {
        std::vector<std::pair<std::string, std::string>> rows = p_.TakeCaseRows(flush->first);
        {
          std::lock_guard lock(mu_);
          rows_ = std::move(rows);
        }
        done_cv_.notify_one();
        p_.EvictCases(flush->second);  // freed here, beside the catch-up thread's write
      }
    }
  }

  Projector& p_;
  std::vector<Work> batch_;  // the catch-up thread's, not yet sent
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  // Under mu_:
  std::deque<std::vector<Work>> queue_;
  std::vector<std::vector<Work>> spare_;  // emptied batches
  bool busy_ = false;  // folding a batch taken from queue_
  Status error_;       // the first damaged header
  std::optional<std::pair<std::uint64_t, std::uint64_t>> flush_;  // size, committed
  std::optional<std::vector<std::pair<std::string, std::string>>> rows_;
  bool stop_ = false;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), read without mu_ by Behind
  std::thread thread_;  // last: starts once the members above exist
};

Projector::Projector(ledger::LogStore& log, ledger::Tables& tables, ProjectionDbs dbs,
                     ledger::Keystore* keys)
    : log_(log), tables_(tables), dbs_(dbs), keys_(keys) {}

Projector::~Projector() = default;

Status Projector::CatchUp(std::uint64_t from, std::uint64_t to, const ProgressFn& progress) {
  std::uint64_t seq = from;
  if (progress) progress(0, to - from);
  // The fold thread folds what was pushed, even on an error, before it is
  // joined (the cache is then as a single thread would have left it).
  struct JoinFoldThread {
    std::unique_ptr<FoldThread>& t;
    ~JoinFoldThread() { t.reset(); }
  } join{fold_thread_};
  if (to - from >= kFoldThreadMin && std::thread::hardware_concurrency() > 1)
    fold_thread_ = std::make_unique<FoldThread>(*this);
  // With the fold thread, a chunk's writes are committed on a thread of
  // their own while the next chunk is read and folded: the commit (and its
  // fsync) took a third of this thread's time, with the fold thread idle
  // once it had evicted (docs/performance.md, "Facts kept as canonical
  // text"). One chunk at most is in flight; its error is the catch-up's,
  // and it is waited for before any return.
  std::future<Status> writing;
  auto written = [&]() -> Status { return writing.valid() ? writing.get() : Status::Ok(); };
  const std::uint64_t chunk = catch_up_chunk.load();
  while (seq < to) {
    const std::uint64_t end = std::min(to, seq + chunk);
    crypto::Digest root;
    // An error of this chunk, after any the fold thread found in an earlier
    // event's header.
    auto fail = [&](Status s) -> Status {
      if (fold_thread_) {
        Status earlier = fold_thread_->Sync();
        if (!earlier.ok()) return earlier;
      }
      return s;
    };
    {
      CL_ASSIGN_OR_RETURN(auto snap, log_.Read());
      std::uint64_t last = seq;
      std::string h;
      Status s = ledger::ForEachEventLine(
          snap, log_, seq + 1, [&](std::uint64_t at, std::string_view line) -> Result<bool> {
            if (at != last + 1) return false;  // a gap: named below
            h.clear();
            CL_ASSIGN_OR_RETURN(
                Fact f, ReplayFact(line, &h, fold_thread_ && !fold_thread_->Behind()));
            ApplyFact(std::move(f), std::move(h));
            last = at;
            return at < end;
          });
      if (!s.ok()) return fail(std::move(s));
      if (last != end) return fail(Corruption("event " + std::to_string(last + 1) + " is missing"));
      auto range = ledger::LoadCompactRange(snap, log_, end);
      if (!range.ok()) return fail(range.status());
      root = range->Root();
    }
    std::vector<std::pair<std::string, std::string>> case_rows;
    if (fold_thread_) {
      CL_ASSIGN_OR_RETURN(case_rows, fold_thread_->Flush(end, committed_.load()));
    } else {
      case_rows = TakeCaseRows(end);
      EvictCases(committed_.load());
    }
    auto writes = TakeWritesWith(std::move(case_rows), end, root);
    if (fold_thread_) {
      CL_RETURN_IF_ERROR(written());
      if (progress && seq > from) progress(seq - from, to - from);
      writing = std::async(std::launch::async, [this, writes = std::move(writes), end] {
        Status s = tables_.Write(writes);
        if (s.ok()) Committed(end);
        return s;
      });
    } else {
      CL_RETURN_IF_ERROR(tables_.Write(writes));
      Committed(end);
      if (progress) progress(end - from, to - from);
    }
    seq = end;
  }
  if (writing.valid()) {
    CL_RETURN_IF_ERROR(written());
    if (progress) progress(to - from, to - from);
  }
  return Status::Ok();
}

// --- Projector: the writer hook ----------------------------------------------

ledger::WriteHook::Decision Projector::Check(ledger::Command& cmd, Micros time) {
  checked_index_key_.reset();
  Status s = projections::Check(*this, cmd, time);
  if (s.ok()) s = CheckErasedKid(cmd);
  std::optional<ledger::Keystore::LookupKey> index_key;
  if (s.ok()) {
    Result<std::optional<ledger::Keystore::LookupKey>> k = IdentityIndexKey(cmd);
    if (k.ok()) index_key = *k;
    else s = k.status();
  }
  if (s.ok()) s = CheckNotErased(cmd);
  if (s.ok()) {
    checked_index_key_ = index_key;  // Apply follows for this command
    return {Status::Ok(), std::nullopt, index_key};
  }
  if (s.code() != StatusCode::kPolicyRefused) return {std::move(s), std::nullopt};
  const bool case_exists = cmd.type != "concern.reported" && cmd.case_id &&
                           Case(*cmd.case_id) != nullptr;
  ledger::Command record = RefusalRecord(cmd, RuleOf(s), case_exists);
  return {std::move(s), std::move(record)};
}

// Erasure is final: no body is ever encrypted for an owner whose key was
// destroyed (Check has completed the subject by now). Refused here, before
// the writer applies the batch, because a failed EnsureKeys would suspend it.
Status Projector::CheckNotErased(const ledger::Command& cmd) const {
  if (keys_ == nullptr || !cmd.body || !keys_->IsDestroyed(cmd.KeyOwner())) return Status::Ok();
  return FailedPrecondition(
      "the subject was erased (its data key destroyed): no personal data "
      "is recorded about it again (ROL-16)");
}

// subject.erased names the data key it destroys: the subject's own (live,
// or destroyed by an earlier attempt), never an id the caller chose
// (docs/catalogue.md, decision 15).
Status Projector::CheckErasedKid(const ledger::Command& cmd) {
  if (keys_ == nullptr || cmd.type != "subject.erased" || !cmd.subject) return Status::Ok();
  CL_ASSIGN_OR_RETURN(std::optional<std::string> kid, keys_->ErasureKid(*cmd.subject));
  if (!kid) return NotFound("subject: the subject has no data key");
  if (cmd.h.value("kid", std::string()) != *kid)
    return InvalidArgument("h.kid: not the data key of this subject");
  return Status::Ok();
}

Result<std::optional<ledger::Keystore::LookupKey>> Projector::IdentityIndexKey(
    const ledger::Command& cmd) {
  if (keys_ == nullptr || cmd.type != "concern.reported" || !cmd.body ||
      !cmd.subject || !cmd.h.value("new_subject", false))
    return std::optional<ledger::Keystore::LookupKey>();
  const Json& body = *cmd.body;
  if (!body.contains("identity") || !body["identity"].contains("cpr") ||
      !body["identity"]["cpr"].is_string())
    return std::optional<ledger::Keystore::LookupKey>();
  const ledger::Keystore::LookupKey key =
      CprLookupKey(*keys_, body["identity"]["cpr"].get<std::string>());
  std::optional<std::string> owner;
  if (auto it = batch_lookups_.find(key); it != batch_lookups_.end()) {
    owner = it->second;
  } else {
    CL_ASSIGN_OR_RETURN(owner, keys_->OwnerOf(key));
  }
  if (owner && *owner != *cmd.subject) {
    // An entry whose subject never reached the log (its batch failed after
    // the keys were stored) or was erased is no one's: it is replaced.
    const SubjectState* live = Subject(*owner);
    if (live != nullptr && !live->erased) {
      return AlreadyExists(
          "a person with this CPR number is already a subject: find them with "
          "POST /v1/subjects/lookup and report the concern about that subject");
    }
  }
  return std::optional<ledger::Keystore::LookupKey>(key);
}

void Projector::Apply(ledger::Command& cmd, std::uint64_t seq, Micros time) {
  if (checked_index_key_) batch_lookups_.insert_or_assign(*checked_index_key_, cmd.KeyOwner());
  checked_index_key_.reset();
  Fact f;
  f.seq = seq;
  f.time = time;
  f.type = cmd.type;
  f.actor = cmd.actor;
  f.role = cmd.role;
  f.case_id = cmd.case_id;
  f.subject = cmd.subject;
  f.h = std::move(cmd.h);
  ApplyFact(std::move(f));
}

Status Projector::ApplyEvent(const ledger::Event& e) {
  CL_ASSIGN_OR_RETURN(Fact f, FactOf(e));
  ApplyFact(std::move(f));
  return Status::Ok();
}

void Projector::ApplyFact(Fact&& f, std::string&& h) {
  applied_ = f.seq;
  auto touch_subject = [&](const std::string& id) -> SubjectEntry& {
    Subject(id);
    SubjectEntry& e = subjects_[id];
    e.dirty_until = kPinned;
    dirty_subjects_.insert(id);
    return e;
  };

  // A per-year count "<prefix><year>/<code of field>" in proj.counters
  // (read by projections/stats.cc).
  auto count_per_year = [&](std::string_view prefix, const char* field) {
    std::string key = std::string(prefix) + Year(f.time) + "/";
    if (f.h.is_object() && f.h.contains(field) && f.h[field].is_string())
      key += f.h[field].get<std::string>();
    ++counters_[key];
    dirty_counters_.insert(key);
  };
  if (f.type == "policy.refused") {
    count_per_year("refused/", "rule");
    if (f.case_id) index_adds_.emplace_back(*f.case_id, f.seq);
    return;
  }
  if (f.type == "advice.given") {
    // Advice without registration: only counted (docs/statistics.md).
    count_per_year("advice/", "outcome");
    return;
  }
  if (f.type == "subject.erased" && f.subject) {
    if (keys_ != nullptr) erased_.push_back(*f.subject);
    SubjectEntry& s = touch_subject(*f.subject);
    s.state.erased = f.time;
    for (const std::string& c : s.state.cases) {
      Fact per_case = f;
      per_case.case_id = c;
      FoldIntoCase(std::move(per_case), {});
    }
    return;
  }
  if (f.type.starts_with("user.")) {
    ApplyUserFact(f);
    return;
  }
  if (f.type == "retention.policy_set") {
    Json p = f.h.is_object() ? f.h : Json::object();
    p["seq"] = f.seq;
    p["actor"] = f.actor;
    p["time"] = ledger::FormatTime(f.time);
    retention_policy_ = ledger::CanonicalJson(p);
    return;
  }
  if (!f.case_id) return;  // other global events: no projection
  if (!IsStateFact(f.type)) {
    index_adds_.emplace_back(*f.case_id, f.seq);  // access records: indexed only
    return;
  }
  if (f.type == "concern.reported" && f.subject) {
    SubjectEntry& s = touch_subject(*f.subject);
    if (std::find(s.state.cases.begin(), s.state.cases.end(), *f.case_id) ==
        s.state.cases.end())
      s.state.cases.push_back(*f.case_id);
  }
  FoldIntoCase(std::move(f), std::move(h));  // the last use of f
}

void Projector::FoldIntoCase(Fact&& f, std::string&& h) {
  if (fold_thread_) {
    fold_thread_->Push(std::move(f), std::move(h));
  } else {
    FoldCaseHere(std::move(f), std::move(h));  // parsed: ReplayFact defers only with a fold thread
  }
}

void Projector::FoldCaseHere(Fact&& f, std::string&& h_canonical) {
  const std::string& id = *f.case_id;
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    Case(id);  // loads it into the cache if stored
    it = cases_.try_emplace(id).first;
  }
  CaseEntry& e = it->second;
  // Pinned entries are exactly the batch's dirty cases.
  if (e.dirty_until != kPinned) {
    e.dirty_until = kPinned;
    dirty_cases_.push_back(id);
  }
  // Indexed by its fact row, or (a fact the state does not take) by an
  // index entry of its own.
  if (!e.state.Folds(f)) case_index_adds_.emplace_back(id, f.seq);
  e.state.Apply(std::move(f), std::move(h_canonical));
}

// The fold of the user.* events (docs/formats/projections.md, "Users"). The
// policy engine refuses what would be ignored here; a replayed log is read
// just as defensively as case headers are, so a rebuild always gives the
// live result and a stored state always passes UserState::FromJson.
void Projector::ApplyUserFact(const Fact& f) {
  const std::string id = StringField(f.h, "user");
  if (!ValidateId(id, "u", "user").ok()) return;
  auto touch_user = [&]() -> UserEntry& {
    UserEntry& e = users_[id];
    e.dirty_until = kPinned;
    dirty_users_.insert(id);
    return e;
  };
  auto map_token = [&](const std::string& hash, std::optional<std::string> user) {
    TokenEntry& e = tokens_[hash];
    e.user = std::move(user);
    e.dirty_until = kPinned;
    dirty_tokens_.insert(hash);
  };
  // Drops the entry of the user's old token (only if it is still theirs).
  auto drop_token = [&](const std::string& hash) {
    const std::string* owner = TokenOwner(hash);
    if (owner != nullptr && *owner == id) map_token(hash, std::nullopt);
  };
  // A new token's hash, if it is well formed and maps to nobody.
  auto free_hash = [&]() -> std::optional<std::string> {
    std::string hash = StringField(f.h, "token_hash");
    if (!IsTokenHash(hash) || TokenOwner(hash) != nullptr) return std::nullopt;
    return hash;
  };
  const UserState* known = User(id);
  if (f.type == "user.registered") {
    const std::string role = StringField(f.h, "role");
    if (known != nullptr || RoleBitOf(role) == 0) return;  // ids are final
    UserState u;
    u.user = id;
    u.role = role;
    u.registered_seq = f.seq;
    u.registered = f.time;
    if (auto hash = free_hash()) {
      u.token_hash = *hash;
      u.token_seq = f.seq;
      map_token(*hash, id);
    }
    touch_user().state = std::move(u);
    return;
  }
  if (known == nullptr || known->is_revoked()) return;
  if (f.type == "user.role_changed") {
    const std::string role = StringField(f.h, "role");
    if (RoleBitOf(role) == 0 || role == known->role) return;
    touch_user().state.role = role;
  } else if (f.type == "user.token_issued") {
    auto hash = free_hash();
    if (!hash) return;
    UserState& u = touch_user().state;
    if (u.token_hash) drop_token(*u.token_hash);
    u.token_hash = *hash;
    u.token_seq = f.seq;
    map_token(*hash, id);
  } else if (f.type == "user.revoked") {
    UserState& u = touch_user().state;
    u.revoked_seq = f.seq;
    u.revoked = f.time;
    if (u.token_hash) drop_token(*u.token_hash);
    u.token_hash.reset();
    u.token_seq = 0;
  }
}

std::function<Status(ledger::TableWrites&)> Projector::TakeWrites(
    std::uint64_t size, const crypto::Digest& root) {
  std::vector<std::pair<std::string, std::string>> case_rows = TakeCaseRows(size);
  // The evicted states go with the writes: the writer's committer and
  // answerer free them, not the writer thread, which admits every command.
  return TakeWritesWith(std::move(case_rows), size, root, EvictCases(committed_.load()));
}

std::vector<std::pair<std::string, std::string>> Projector::TakeCaseRows(std::uint64_t size) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(2 * dirty_cases_.size() + case_index_adds_.size());
  for (const std::string& id : dirty_cases_) {
    CaseEntry& e = cases_.find(id)->second;  // pinned: cached
    e.dirty_until = size;
    rows.emplace_back(HeadKey(id), e.state.HeadCanonical());
    for (auto& [seq, row] : e.state.TakeChangedRows())
      rows.emplace_back(IndexKey(id, seq), std::move(row));
  }
  for (const auto& [id, seq] : case_index_adds_) rows.emplace_back(IndexKey(id, seq), std::string());
  dirty_cases_.clear();
  case_index_adds_.clear();
  SortRows(rows);
  return rows;
}

std::function<Status(ledger::TableWrites&)> Projector::TakeWritesWith(
    std::vector<std::pair<std::string, std::string>> case_rows, std::uint64_t size,
    const crypto::Digest& root, std::vector<CaseState> evicted) {
  struct Writes {
    // proj.case_rows: heads, fact rows and index entries, in key order.
    std::vector<std::pair<std::string, std::string>> case_rows, subjects, counters, users;
    // token hash -> user id, or nullopt: delete the entry.
    std::vector<std::pair<std::string, std::optional<std::string>>> tokens;
    std::vector<std::string> erase_markers, drop_markers;
    std::optional<std::string> retention_policy;
    std::string built_to;
    std::vector<CaseState> evicted;  // not written: freed with the writes
  };
  auto w = std::make_shared<Writes>();
  w->evicted = std::move(evicted);
  // The index entries of records that are not state (few), beside the case
  // rows already sorted.
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(index_adds_.size());
  for (const auto& [c, seq] : index_adds_) entries.emplace_back(IndexKey(c, seq), std::string());
  SortRows(entries);
  w->case_rows = MergeRows(std::move(case_rows), std::move(entries));
  for (const std::string& id : dirty_subjects_) {
    SubjectEntry& e = subjects_[id];
    e.dirty_until = size;
    w->subjects.emplace_back(id, CanonicalJson(e.state.ToJson()));
  }
  for (const std::string& id : dirty_users_) {
    UserEntry& e = users_[id];
    e.dirty_until = size;
    w->users.emplace_back(id, CanonicalJson(e.state.ToJson()));
  }
  for (const std::string& hash : dirty_tokens_) {
    TokenEntry& e = tokens_[hash];
    e.dirty_until = size;
    w->tokens.emplace_back(hash, e.user);
  }
  for (const std::string& k : dirty_counters_) {
    auto be = EncodeBigEndian64(counters_[k]);
    w->counters.emplace_back(k, std::string(reinterpret_cast<const char*>(be.data()), be.size()));
  }
  w->built_to = EncodeBuiltTo(size, root);
  for (const std::string& subject : erased_)
    w->erase_markers.push_back(std::string(kEraseKeyPrefix) + subject);
  {
    std::lock_guard lock(erase_mu_);
    for (std::string& subject : erased_) awaiting_destroy_.emplace_back(size, std::move(subject));
    for (std::string& subject : destroyed_markers_)
      w->drop_markers.push_back(std::string(kEraseKeyPrefix) + subject);
    destroyed_markers_.clear();
  }
  w->retention_policy = std::move(retention_policy_);
  DropBatch();  // the writer has stored the batch's lookups with its keys
  EvictOthers();
  const ProjectionDbs dbs = dbs_;
  return [w, dbs](ledger::TableWrites& txn) -> Status {
    for (const auto& [k, v] : w->case_rows)
      CL_RETURN_IF_ERROR(txn.Put(dbs.case_rows, AsBytes(k), AsBytes(v)));
    for (const auto& [k, v] : w->subjects)
      CL_RETURN_IF_ERROR(txn.Put(dbs.subjects, AsBytes(k), AsBytes(v)));
    for (const auto& [k, v] : w->counters)
      CL_RETURN_IF_ERROR(txn.Put(dbs.counters, AsBytes(k), AsBytes(v)));
    for (const auto& [k, v] : w->users)
      CL_RETURN_IF_ERROR(txn.Put(dbs.users, AsBytes(k), AsBytes(v)));
    for (const auto& [hash, user] : w->tokens) {
      if (user) {
        CL_RETURN_IF_ERROR(txn.Put(dbs.tokens, AsBytes(hash), AsBytes(*user)));
        continue;
      }
      // A hash set and dropped within this batch was never stored.
      Status s = txn.Delete(dbs.tokens, AsBytes(hash));
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
    for (const auto& k : w->erase_markers)
      CL_RETURN_IF_ERROR(txn.Put(dbs.meta, AsBytes(k), ByteView{}));
    if (w->retention_policy)
      CL_RETURN_IF_ERROR(txn.Put(dbs.meta, AsBytes(kRetentionPolicyKey), AsBytes(*w->retention_policy)));
    for (const auto& k : w->drop_markers) {
      Status s = txn.Delete(dbs.meta, AsBytes(k));
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
    CL_RETURN_IF_ERROR(txn.Put(dbs.meta, AsBytes(kVersionKey), AsBytes(kProjectionVersion)));
    return txn.Put(dbs.meta, AsBytes(kBuiltToKey), AsBytes(w->built_to));
  };
}

void Projector::Committed(std::uint64_t size) {
  committed_ = size;
  if (keys_ == nullptr) return;
  std::vector<std::string> due;
  {
    std::lock_guard lock(erase_mu_);
    auto it = std::stable_partition(awaiting_destroy_.begin(), awaiting_destroy_.end(),
                                    [&](const auto& a) { return a.first > size; });
    for (auto d = it; d != awaiting_destroy_.end(); ++d) due.push_back(std::move(d->second));
    awaiting_destroy_.erase(it, awaiting_destroy_.end());
  }
  for (const std::string& subject : due) {
    // The event is durable: destroy the key before the batch is acknowledged.
    // On failure the marker stays and the next Open retries.
    auto d = keys_->Destroy(subject);
    if (d.ok() || d.status().code() == StatusCode::kNotFound) {
      std::lock_guard lock(erase_mu_);
      destroyed_markers_.push_back(subject);
    } else {
      std::cerr << "caseledger: destroying an erased subject's data key failed ("
                << StatusCodeName(d.status().code())
                << "); it is retried when the data directory is next opened\n";
    }
  }
}

std::vector<CaseState> Projector::EvictCases(std::uint64_t committed) {
  std::vector<CaseState> evicted;
  if (cases_.size() > kCacheLimit) {
    for (auto it = cases_.begin(); it != cases_.end() && cases_.size() > kCacheLimit / 2;) {
      if (it->second.dirty_until <= committed) {
        evicted.push_back(std::move(it->second.state));
        it = cases_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return evicted;
}

void Projector::EvictOthers() {
  const std::uint64_t committed = committed_.load();
  if (subjects_.size() > kCacheLimit) {
    for (auto it = subjects_.begin(); it != subjects_.end() && subjects_.size() > kCacheLimit / 2;) {
      it = it->second.dirty_until <= committed ? subjects_.erase(it) : std::next(it);
    }
  }
  if (users_.size() > kCacheLimit) {
    for (auto it = users_.begin(); it != users_.end() && users_.size() > kCacheLimit / 2;) {
      it = it->second.dirty_until <= committed ? users_.erase(it) : std::next(it);
    }
  }
  if (tokens_.size() > kCacheLimit) {
    for (auto it = tokens_.begin(); it != tokens_.end() && tokens_.size() > kCacheLimit / 2;) {
      it = it->second.dirty_until <= committed ? tokens_.erase(it) : std::next(it);
    }
  }
}

// --- StateView over the cache ---------------------------------------------------

const CaseState* Projector::Case(std::string_view case_id) {
  std::string id(case_id);
  if (auto it = cases_.find(id); it != cases_.end()) {
    return it->second.state.case_id().empty() ? nullptr : &it->second.state;
  }
  // Not cached: the committed state is current (every uncommitted change is
  // pinned in the cache).
  auto txn = tables_.Read();
  if (!txn.ok()) return nullptr;
  auto v = txn->Get(dbs_.case_rows, AsBytes(HeadKey(id)));
  if (!v.ok() || !*v) return nullptr;
  auto state = LoadCase(*txn, dbs_, id, **v);
  if (!state.ok()) return nullptr;
  CaseEntry& e = cases_[id];
  e.state = std::move(state).value();
  e.dirty_until = 0;
  return &e.state;
}

const SubjectState* Projector::Subject(std::string_view subject) {
  std::string id(subject);
  if (auto it = subjects_.find(id); it != subjects_.end()) return &it->second.state;
  auto txn = tables_.Read();
  if (!txn.ok()) return nullptr;
  auto v = txn->Get(dbs_.subjects, AsBytes(id));
  if (!v.ok() || !*v) return nullptr;
  auto state = ParseStored<SubjectState>(**v, "proj.subjects");
  if (!state.ok()) return nullptr;
  SubjectEntry& e = subjects_[id];
  e.state = std::move(state).value();
  e.dirty_until = 0;
  return &e.state;
}

const UserState* Projector::User(std::string_view user) {
  std::string id(user);
  if (auto it = users_.find(id); it != users_.end()) return &it->second.state;
  if (id.empty() || id.size() > kMaxKeyBytes) return nullptr;
  auto txn = tables_.Read();
  if (!txn.ok()) return nullptr;
  auto v = txn->Get(dbs_.users, AsBytes(id));
  if (!v.ok() || !*v) return nullptr;
  auto state = ParseStored<UserState>(**v, "proj.users");
  if (!state.ok()) return nullptr;
  UserEntry& e = users_[id];
  e.state = std::move(state).value();
  e.dirty_until = 0;
  return &e.state;
}

const std::string* Projector::TokenOwner(std::string_view token_hash) {
  std::string hash(token_hash);
  if (auto it = tokens_.find(hash); it != tokens_.end()) {
    return it->second.user ? &*it->second.user : nullptr;
  }
  if (hash.empty() || hash.size() > kMaxKeyBytes) return nullptr;
  auto txn = tables_.Read();
  if (!txn.ok()) return nullptr;
  auto v = txn->Get(dbs_.tokens, AsBytes(hash));
  if (!v.ok() || !*v) return nullptr;
  TokenEntry& e = tokens_[hash];
  e.user = std::string(AsChars(**v));
  e.dirty_until = 0;
  return &*e.user;
}

// --- Reads ---------------------------------------------------------------------

Result<BuiltTo> ReadBuiltTo(ledger::LogStore& log, const ProjectionDbs& dbs) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto b, txn.Get(dbs.meta, AsBytes(kBuiltToKey)));
  if (!b) return NotFound("the projections have not been built");
  return DecodeBuiltTo(*b);
}

Result<StoredCase> ReadStoredCase(ledger::LogStore& log, const ProjectionDbs& dbs,
                                  std::string_view case_id,
                                  std::optional<std::string_view> known_head) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  if (case_id.empty() || case_id.size() + 8 > kMaxKeyBytes) return NotFound("no such case");
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.case_rows, AsBytes(HeadKey(case_id))));
  if (!v) return NotFound("no such case");
  StoredCase stored;
  stored.head = std::string(AsChars(*v));
  CL_ASSIGN_OR_RETURN(auto b, txn.Get(dbs.meta, AsBytes(kBuiltToKey)));
  if (!b) return Corruption("proj.meta has no built_to");
  CL_ASSIGN_OR_RETURN(stored.built_to, DecodeBuiltTo(*b));
  if (known_head && *known_head == stored.head) return stored;
  CL_ASSIGN_OR_RETURN(stored.state, LoadCase(txn, dbs, case_id, *v));
  return stored;
}

Result<CaseSnapshot> ReadCase(ledger::LogStore& log, const ProjectionDbs& dbs,
                              std::string_view case_id) {
  CL_ASSIGN_OR_RETURN(StoredCase stored, ReadStoredCase(log, dbs, case_id));
  CaseSnapshot snap;
  snap.state = std::move(*stored.state);
  snap.built_to = stored.built_to;
  return snap;
}

ledger::Keystore::LookupKey CprLookupKey(const ledger::Keystore& keys, std::string_view cpr) {
  return keys.LookupKeyOf(CprIndexText(cpr));
}

Status ForEachCaseState(const ledger::Snapshot& txn, const ProjectionDbs& dbs,
                        const std::function<Status(const CaseState&)>& fn) {
  return ForEachCaseHead(txn, dbs, [&](const std::string& id, ByteView head) -> Status {
    CL_ASSIGN_OR_RETURN(CaseState state, LoadCase(txn, dbs, id, head));
    return fn(state);
  });
}

Status ForEachCaseView(ledger::LogStore& log, const ProjectionDbs& dbs,
                       const std::function<Status(const CaseView&)>& fn) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  return ForEachCaseHead(txn, dbs, [&](const std::string& id, ByteView head) -> Status {
    CL_ASSIGN_OR_RETURN(CaseState state, LoadCase(txn, dbs, id, head));
    return fn(std::move(state).Derive());
  });
}

Result<std::vector<std::string>> ListCaseIds(ledger::LogStore& log,
                                             const ProjectionDbs& dbs) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  std::vector<std::string> ids;
  CL_RETURN_IF_ERROR(ForEachCaseHead(txn, dbs, [&](const std::string& id, ByteView) -> Status {
    ids.push_back(id);
    return Status::Ok();
  }));
  return ids;
}

Result<SubjectState> ReadSubject(ledger::LogStore& log, const ProjectionDbs& dbs,
                                 std::string_view subject) {
  if (!ValidateId(subject, "s", "subject").ok()) return NotFound("no such subject");
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.subjects, AsBytes(subject)));
  if (!v) return NotFound("subject: no such subject");
  return ParseStored<SubjectState>(*v, "proj.subjects");
}

Result<UserState> ReadUser(ledger::LogStore& log, const ProjectionDbs& dbs,
                           std::string_view user) {
  if (!ValidateId(user, "u", "user").ok()) return NotFound("no such user");
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.users, AsBytes(user)));
  if (!v) return NotFound("no such user");
  CL_ASSIGN_OR_RETURN(UserState u, ParseStored<UserState>(*v, "proj.users"));
  if (u.user != user) return Corruption("proj.users: an entry names another user");
  return u;
}

Result<std::string> UserOfTokenHash(ledger::LogStore& log,
                                    const ProjectionDbs& dbs,
                                    std::string_view token_hash) {
  if (!IsTokenHash(token_hash)) return NotFound("no such token");
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs.tokens, AsBytes(token_hash)));
  if (!v) return NotFound("no such token");
  return std::string(AsChars(*v));
}

Result<std::vector<UserState>> ListUsers(ledger::LogStore& log,
                                         const ProjectionDbs& dbs) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs.users));
  std::vector<UserState> users;
  CL_ASSIGN_OR_RETURN(auto kv, cur.First());
  while (kv) {
    CL_ASSIGN_OR_RETURN(UserState u, ParseStored<UserState>(kv->value, "proj.users"));
    if (u.user != AsChars(kv->key)) return Corruption("proj.users: an entry names another user");
    users.push_back(std::move(u));
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  std::sort(users.begin(), users.end(), [](const UserState& a, const UserState& b) {
    return a.registered_seq < b.registered_seq;
  });
  return users;
}

namespace {
// Calls fn(seq) for every indexed seq of the case, ascending, until fn
// returns false.
template <typename Fn>
Status ForEachCaseSeq(const ledger::Snapshot& txn, const ProjectionDbs& dbs,
                      std::string_view case_id, Fn&& fn) {
  CL_ASSIGN_OR_RETURN(auto cur, txn.Scan(dbs.case_rows));
  std::string start = IndexKey(case_id, 0);
  CL_ASSIGN_OR_RETURN(auto kv, cur.SeekAtLeast(AsBytes(start)));
  std::optional<std::uint64_t> seq;
  while (kv && (seq = RowSeq(kv->key, case_id)) && *seq != kHeadSeq) {
    CL_ASSIGN_OR_RETURN(bool more, fn(*seq));
    if (!more) break;
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  return Status::Ok();
}

// Folds the case's indexed events while keep(fact) holds.
template <typename Keep>
Result<CaseState> FoldCase(ledger::LogStore& log, const ProjectionDbs& dbs,
                           std::string_view case_id, Keep&& keep) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  CaseState state;
  CL_RETURN_IF_ERROR(ForEachCaseSeq(txn, dbs, case_id, [&](std::uint64_t seq) -> Result<bool> {
    CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(txn, log, seq));
    CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    CL_ASSIGN_OR_RETURN(Fact f, FactOf(e));
    if (!keep(f)) return false;
    f.case_id = std::string(case_id);  // subject.erased is indexed per case
    state.Apply(f);
    return true;
  }));
  if (state.case_id().empty()) return NotFound("no such case at that point");
  return state;
}
}  // namespace

Result<std::vector<std::uint64_t>> CaseSeqs(ledger::LogStore& log,
                                            const ProjectionDbs& dbs,
                                            std::string_view case_id) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  std::vector<std::uint64_t> seqs;
  CL_RETURN_IF_ERROR(ForEachCaseSeq(txn, dbs, case_id, [&](std::uint64_t seq) -> Result<bool> {
    seqs.push_back(seq);
    return true;
  }));
  return seqs;
}

Result<std::vector<HistoryEntry>> CaseHistory(ledger::LogStore& log,
                                              const ProjectionDbs& dbs,
                                              std::string_view case_id,
                                              std::uint64_t as_of_seq) {
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  std::vector<HistoryEntry> out;
  std::map<std::uint64_t, std::size_t> at;  // seq -> index in out
  CL_RETURN_IF_ERROR(ForEachCaseSeq(txn, dbs, case_id, [&](std::uint64_t seq) -> Result<bool> {
    if (as_of_seq != 0 && seq > as_of_seq) return false;
    CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(txn, log, seq));
    CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    HistoryEntry h;
    CL_ASSIGN_OR_RETURN(h.fact, FactOf(e));
    h.state_fact = IsStateFact(h.fact.type);
    const bool correction = h.fact.type == "record.corrected";
    const bool retraction = h.fact.type == "record.retracted";
    if ((correction || retraction) && h.fact.h.contains("target") &&
        h.fact.h["target"].is_number_unsigned()) {
      h.target = h.fact.h["target"].get<std::uint64_t>();
      if (auto it = at.find(*h.target); it != at.end()) {
        HistoryEntry& t = out[it->second];
        if (correction) t.corrected_by.push_back(seq);
        if (retraction && !t.retracted_by) t.retracted_by = seq;
      }
    }
    at[seq] = out.size();
    out.push_back(std::move(h));
    return true;
  }));
  if (out.empty()) return NotFound("no such case");
  return out;
}

Result<CaseState> CaseAsOfSeq(ledger::LogStore& log, const ProjectionDbs& dbs,
                              std::string_view case_id,
                              std::uint64_t as_of_seq) {
  return FoldCase(log, dbs, case_id,
                  [&](const Fact& f) { return f.seq <= as_of_seq; });
}

Result<CaseState> CaseAsOfTime(ledger::LogStore& log, const ProjectionDbs& dbs,
                               std::string_view case_id, Micros as_of) {
  return FoldCase(log, dbs, case_id,
                  [&](const Fact& f) { return f.time <= as_of; });
}

// --- Rebuild and compare ------------------------------------------------------------

namespace {
// The table `name` of `tables`, or nullopt if it has none.
Result<std::optional<ledger::Table>> OpenIfPresent(ledger::Tables& tables, std::string_view name) {
  Result<ledger::Table> table = tables.Open(name, /*create=*/false);
  if (table.ok()) return std::optional<ledger::Table>(*table);
  if (table.status().code() == StatusCode::kNotFound) return std::optional<ledger::Table>();
  return table.status();
}

}  // namespace


void SetCatchUpChunkForTesting(std::uint64_t events) {
  catch_up_chunk.store(events == 0 ? kCatchUpChunk : events);
}

Result<std::uint64_t> Rebuild(ledger::LogStore& log, ledger::Tables& tables,
                              ledger::Keystore* keys, const ProgressFn& progress) {
  CL_ASSIGN_OR_RETURN(ProjectionDbs dbs, ProjectionDbs::Open(tables, true));
  std::vector<ledger::Table> legacy;
  for (std::string_view name : kLegacyDbs) {
    CL_ASSIGN_OR_RETURN(auto t, OpenIfPresent(tables, name));
    if (t) legacy.push_back(*t);
  }
  CL_RETURN_IF_ERROR(tables.Write([&](ledger::TableWrites& txn) -> Status {
    for (const auto& [name, table] : dbs.All()) CL_RETURN_IF_ERROR(txn.Clear(table));
    for (const ledger::Table& t : legacy) CL_RETURN_IF_ERROR(txn.Clear(t));
    return Status::Ok();
  }));
  std::uint64_t size = 0;
  {
    CL_ASSIGN_OR_RETURN(auto txn, log.Read());
    CL_ASSIGN_OR_RETURN(size, ledger::TreeSize(txn, log));
  }
  Projector p(log, tables, dbs, keys);
  if (size == 0) {
    // Record the version and the empty tree.
    auto writes = p.TakeWrites(0, crypto::Sha256(ByteView{}));
    CL_RETURN_IF_ERROR(tables.Write(writes));
    return size;
  }
  CL_RETURN_IF_ERROR(p.CatchUp(0, size, progress));
  return size;
}

namespace {
// A cursor over the table, or none (an absent table is empty).
Result<std::optional<ledger::TableCursor>> CursorIfPresent(const ledger::Snapshot& snap,
                                                           std::optional<ledger::Table> table) {
  if (!table) return std::optional<ledger::TableCursor>();
  CL_ASSIGN_OR_RETURN(ledger::TableCursor c, snap.Scan(*table));
  return std::optional<ledger::TableCursor>(std::move(c));
}

Result<std::optional<ledger::TableEntry>> Step(std::optional<ledger::TableCursor>& c, bool first) {
  if (!c) return std::optional<ledger::TableEntry>();
  return first ? c->First() : c->Next();
}

// A key for a report line: token hashes are credentials' digests, shown only
// by their first 8 characters.
std::string ReportKey(std::string_view db, ByteView key) {
  if (db == kTokensDb) {
    return PrintableKey(key.first(std::min<std::size_t>(key.size(), 8))) + "...";
  }
  return PrintableKey(key);
}
}  // namespace

Result<std::vector<std::string>> CompareProjections(ledger::Tables& a, ledger::Tables& b,
                                                    std::size_t max_lines) {
  std::vector<std::pair<std::optional<ledger::Table>, std::optional<ledger::Table>>> tables;
  for (const NamedDb& n : kNamedDbs) {
    CL_ASSIGN_OR_RETURN(auto table_a, OpenIfPresent(a, n.name));
    CL_ASSIGN_OR_RETURN(auto table_b, OpenIfPresent(b, n.name));
    tables.emplace_back(table_a, table_b);
  }
  // One snapshot of each environment for every DB.
  CL_ASSIGN_OR_RETURN(auto ta, a.Read());
  CL_ASSIGN_OR_RETURN(auto tb, b.Read());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(kNamedDbs); ++i) {
    const std::string name(kNamedDbs[i].name);
    CL_ASSIGN_OR_RETURN(auto ca, CursorIfPresent(ta, tables[i].first));
    CL_ASSIGN_OR_RETURN(auto cb, CursorIfPresent(tb, tables[i].second));
    // Erasure markers are duties (keys still to destroy), not projections.
    const bool meta = kNamedDbs[i].name == "proj.meta";
    auto step = [&](std::optional<ledger::TableCursor>& c, bool first) -> Result<std::optional<ledger::TableEntry>> {
      CL_ASSIGN_OR_RETURN(auto kv, Step(c, first));
      while (kv && meta && AsChars(kv->key).starts_with(kEraseKeyPrefix)) {
        CL_ASSIGN_OR_RETURN(kv, Step(c, false));
      }
      return kv;
    };
    CL_ASSIGN_OR_RETURN(auto ka, step(ca, true));
    CL_ASSIGN_OR_RETURN(auto kb, step(cb, true));
    while ((ka || kb) && out.size() < max_lines) {
      int cmp = 0;
      if (!ka) cmp = 1;
      else if (!kb) cmp = -1;
      else cmp = AsChars(ka->key).compare(AsChars(kb->key));
      if (cmp < 0) {
        out.push_back(name + " " + ReportKey(name, ka->key) + ": only in the first");
        CL_ASSIGN_OR_RETURN(ka, step(ca, false));
      } else if (cmp > 0) {
        out.push_back(name + " " + ReportKey(name, kb->key) + ": only in the second");
        CL_ASSIGN_OR_RETURN(kb, step(cb, false));
      } else {
        if (AsChars(ka->value) != AsChars(kb->value))
          out.push_back(name + " " + ReportKey(name, ka->key) + ": differs");
        CL_ASSIGN_OR_RETURN(ka, step(ca, false));
        CL_ASSIGN_OR_RETURN(kb, step(cb, false));
      }
    }
  }
  return out;
}

}  // namespace caseledger::projections
