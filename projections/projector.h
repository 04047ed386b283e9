// Projector: the live projections of DESIGN §8, kept in named DBs of the
// ledger's LMDB environment and updated in the writer's transaction (it is
// the writer's WriteHook: the policy engine checks each command against the
// state it keeps, then the accepted event is folded in). Formats:
// docs/formats/projections.md.
//   proj.meta      "version" -> kProjectionVersion; "built_to" -> 8-byte BE
//                  tree size ‖ 32-byte Merkle root the projections are built to;
//                  "retention_policy" -> canonical JSON of the latest
//                  retention.policy_set (projections/retention.h);
//                  "erase_key/<subject>" -> "" (an erasure's key to destroy)
//   proj.case_rows every case, in one key range per case (so that an
//                  append dirties one leaf page, not one in each of three
//                  trees; docs/formats/projections.md):
//                  case id ‖ 8-byte BE seq -> every event of the case (state
//                  facts, access records, refusals): the per-case index that
//                  history and time travel read; the value is the canonical
//                  JSON of the fact's row, or "" for an event with no row;
//                  case id ‖ 8 bytes 0xff -> the head of the CaseState
//                  (CaseState::HeadCanonical), next to the newest rows
//   proj.subjects  subject id -> canonical JSON of the SubjectState
//   proj.counters  text key -> 8-byte BE count (refusals per year and rule)
//   proj.users     user id -> canonical JSON of the UserState
//   proj.tokens    token hash (base64 text) -> user id: the current token of
//                  every user that is not revoked
// Thread-safety: the WriteHook methods run on the writer thread (Committed on
// the committer thread); the read functions below take their own read txn
// and may be called from any thread. A large catch-up or rebuild folds the
// case states on a thread of its own, joined before it returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/progress.h"
#include "base/result.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "ledger/tables.h"
#include "ledger/writer.h"
#include "projections/case_state.h"
#include "projections/policy.h"

namespace caseledger::projections {

// Bumped when the projections' content or format changes: a data dir built
// by another version is rebuilt from the log when opened.
// "2": proj.users and proj.tokens. "3": proj.meta "retention_policy".
// "4": a case state is a head in proj.cases and a row per fact in
// proj.case_facts. "5": the head, the rows and the per-case index in one
// table, proj.case_rows.
inline constexpr std::string_view kProjectionVersion = "5";

// Limits for parsing the projections' own stored JSON (a long case's state
// holds every fact, so they are wider than request limits).
ledger::JsonLimits StoredJsonLimits();

// The projection tables of one environment (the live ledger's, or a scratch
// one for `rebuild --compare`).
struct ProjectionDbs {
  ledger::Table meta, case_rows, subjects, counters, users, tokens;
  // Opens every projection DB (creating them when `create`). NotFound if one
  // is absent and not created (e.g. a data dir of an older version opened
  // read-only).
  static Result<ProjectionDbs> Open(ledger::Tables& tables, bool create);
  // Every projection DB with its name, for comparisons.
  std::vector<std::pair<std::string, ledger::Table>> All() const;
};

struct BuiltTo {
  std::uint64_t size = 0;
  crypto::Digest root;
};

class Projector : public ledger::WriteHook, private StateView {
 public:
  // Opens the projections in `tables` (creating them), and brings them up to
  // the log in `log`: a missing or other-version projection is rebuilt from
  // seq 1; one behind the log (events written without projections) is caught
  // up. `log` must outlive the Projector; `tables` is usually log.tables().
  //
  // With `keys` (the live ledger), a `subject.erased` destroys the subject's
  // data key once its batch is durable and before the batch is acknowledged
  // (Committed). Until then a marker `erase_key/<subject>` in proj.meta,
  // written in the batch's own txn, keeps the duty across a crash: Open
  // destroys the keys of every marker it finds, then drops the markers.
  //
  // `progress`, if set, is called per transaction of a rebuild or catch-up
  // with the events replayed and the events to replay (base/progress.h).
  static Result<std::unique_ptr<Projector>> Open(ledger::LogStore& log,
                                                 ledger::Tables& tables,
                                                 ledger::Keystore* keys = nullptr,
                                                 const ProgressFn& progress = {});
  ~Projector() override;

  // WriteHook.
  Decision Check(ledger::Command& cmd, Micros time) override;
  // Takes cmd.h into the fact (WriteHook::Apply allows it: no copy).
  void Apply(ledger::Command& cmd, std::uint64_t seq, Micros time) override;
  std::function<Status(ledger::TableWrites&)> TakeWrites(
      std::uint64_t size, const crypto::Digest& root) override;
  void Committed(std::uint64_t size) override;
  // Drops the cache and the batch under construction, reloads the counters,
  // and forgets the erasures of batches that will never be durable.
  // Corruption if the projections on disk are not built to `size`.
  Status Rewind(std::uint64_t size) override;

  // Folds a stored event (rebuild and catch-up).
  Status ApplyEvent(const ledger::Event& e);

  // A cluster follower's projections (issue 19), whose log grows by what the
  // leader ships, not through this writer hook: brings the projection tables
  // up to the log, as Open does. Cached states stay (CatchUp keeps them
  // current) unless the tables were rebuilt below what this projector
  // applied (a dropped tail): then they are all dropped. Called with no
  // command in the writer (a follower's writer forwards every command).
  // Corruption as Open (e.g. built past the log: rebuild first).
  Status Follow();

  const ProjectionDbs& dbs() const { return dbs_; }

 private:
  Projector(ledger::LogStore& log, ledger::Tables& tables, ProjectionDbs dbs,
            ledger::Keystore* keys = nullptr);
  // subject.erased names the subject's own data key.
  Status CheckErasedKid(const ledger::Command& cmd);
  // The identity index (with `keys`): a concern about a new person whose CPR
  // number is already indexed for a live subject is refused (AlreadyExists:
  // two pseudonyms for one person would split their subject access and leave
  // one behind at erasure); otherwise the lookup key the writer indexes with
  // the subject's data key (Decision::index_key), or none.
  Result<std::optional<ledger::Keystore::LookupKey>> IdentityIndexKey(
      const ledger::Command& cmd);
  // ROL-16, no resurrection: no body is recorded for an owner whose data key
  // was destroyed (FailedPrecondition; nothing is stored).
  Status CheckNotErased(const ledger::Command& cmd) const;
  // Destroys the keys of the markers left by a crash, then drops them.
  Status FinishErasures();
  // counters_ from proj.counters.
  Status LoadCounters();
  // The subjects with an erase_key marker on disk.
  Result<std::vector<std::string>> ErasureMarkers();
  // Forgets what the batch under construction changed but its cases (after TakeWrites has
  // taken it, or when Rewind drops it).
  void DropBatch();
  // Folds `f` in; a case's state keeps it (moved, not copied). `h`, if not
  // empty, is the canonical text of a case's state fact's header, as the
  // log holds it; f.h is null if it is still to be parsed (by the fold
  // thread of a catch-up).
  void ApplyFact(Fact&& f, std::string&& h = {});
  // Folds a fact into the state of its case (*f.case_id): here
  // (FoldCaseHere, with f.h parsed), or on the fold thread during a catch-up.
  // FoldCaseHere's `h_canonical`, if not empty, is the header's canonical
  // text (CaseState::Apply).
  void FoldIntoCase(Fact&& f, std::string&& h);
  void FoldCaseHere(Fact&& f, std::string&& h_canonical = {});
  void ApplyUserFact(const Fact& f);
  // StateView over the cache (writer thread).
  const CaseState* Case(std::string_view case_id) override;
  const SubjectState* Subject(std::string_view subject) override;
  const UserState* User(std::string_view user) override;
  const std::string* TokenOwner(std::string_view token_hash) override;
  // Replays events (from, to] of the log into the projections, writing in
  // transactions of bounded size; `progress` after each (of to - from).
  // Large ones fold the cases on a second thread (FoldThread, projector.cc).
  Status CatchUp(std::uint64_t from, std::uint64_t to, const ProgressFn& progress = {});
  // The batch's case rows for TakeWrites, in key order: heads, fact rows and
  // the index entries of case_index_adds_; the dirty cases become clean once
  // `size` is committed.
  std::vector<std::pair<std::string, std::string>> TakeCaseRows(std::uint64_t size);
  // TakeWrites with the case rows already taken. `evicted` (states dropped
  // from the cache) is freed with the writes, on the thread that frees them.
  std::function<Status(ledger::TableWrites&)> TakeWritesWith(
      std::vector<std::pair<std::string, std::string>> case_rows, std::uint64_t size,
      const crypto::Digest& root, std::vector<CaseState> evicted = {});
  // Drops clean cached entries beyond the bound: cases clean at tree size
  // `committed` (EvictCases, which hands them back so that the caller
  // chooses the thread that frees them), and subjects, users and tokens
  // (EvictOthers).
  std::vector<CaseState> EvictCases(std::uint64_t committed);
  void EvictOthers();
  friend Result<std::uint64_t> Rebuild(ledger::LogStore& log,
                                       ledger::Tables& tables,
                                       ledger::Keystore* keys,
                                       const ProgressFn& progress);

  struct CaseEntry {
    CaseState state;
    std::uint64_t dirty_until = 0;  // tree size whose commit makes it clean
  };
  struct SubjectEntry {
    SubjectState state;
    std::uint64_t dirty_until = 0;
  };
  struct UserEntry {
    UserState state;
    std::uint64_t dirty_until = 0;
  };
  struct TokenEntry {
    // nullopt: the hash maps to nobody (its entry is deleted when the batch
    // that dropped it commits).
    std::optional<std::string> user;
    std::uint64_t dirty_until = 0;
  };

  ledger::LogStore& log_;
  ledger::Tables& tables_;
  ProjectionDbs dbs_;
  // Writer-thread cache: every entry changed by a batch not yet committed is
  // pinned (dirty_until > committed_); clean entries are evicted beyond a
  // bound and read again from the DBs.
  std::unordered_map<std::string, CaseEntry> cases_;
  std::unordered_map<std::string, SubjectEntry> subjects_;
  std::unordered_map<std::string, UserEntry> users_;
  std::unordered_map<std::string, TokenEntry> tokens_;  // by token hash
  std::map<std::string, std::uint64_t> counters_;  // all, small
  // What the current batch changed. dirty_cases_: the ids of the cases
  // pinned (dirty_until == kPinned), each once.
  std::vector<std::string> dirty_cases_;
  std::set<std::string> dirty_subjects_, dirty_counters_, dirty_users_, dirty_tokens_;
  // Index entries (case, seq) of the batch: index_adds_ for records that are
  // not state (access records, refusals); case_index_adds_ (with cases_) for
  // state facts a case's state did not take. The others are indexed by their
  // fact rows.
  std::vector<std::pair<std::string, std::uint64_t>> index_adds_, case_index_adds_;
  // Erasures: subjects erased by the batch being built; by batches written
  // but not yet durable (with the batch's tree size); and destroyed, whose
  // markers the next batch drops.
  ledger::Keystore* keys_ = nullptr;
  std::vector<std::string> erased_;
  std::vector<std::pair<std::uint64_t, std::string>> awaiting_destroy_;
  std::vector<std::string> destroyed_markers_;
  std::mutex erase_mu_;  // awaiting_destroy_, destroyed_markers_ (Committed runs on the committer)
  std::optional<std::string> retention_policy_;  // set by this batch
  // Lookup keys indexed by the batch being built (in the keystore once the
  // batch's keys are stored, before TakeWrites).
  std::map<ledger::Keystore::LookupKey, std::string> batch_lookups_;
  // The index key of the command Check accepted last, for its Apply.
  std::optional<ledger::Keystore::LookupKey> checked_index_key_;
  // During a large CatchUp: the thread that owns cases_ and dirty_cases_
  // (and folds into them) until CatchUp joins it; null otherwise.
  class FoldThread;
  std::unique_ptr<FoldThread> fold_thread_;
  std::uint64_t applied_ = 0;  // seq of the last event applied
  std::atomic<std::uint64_t> committed_{0};
};

// --- Reads (any thread; each takes its own read txn) ----------------------

// The live state of a case, with the size and root the projections are built
// to. NotFound for an unknown case.
struct CaseSnapshot {
  CaseState state;
  BuiltTo built_to;
};
Result<CaseSnapshot> ReadCase(ledger::LogStore& log, const ProjectionDbs& dbs,
                              std::string_view case_id);
// ReadCase for readers that keep parsed states (CaseCache): the stored head
// of the case's state (which changes with every fact folded into it, so it
// names the version) with the built_to of the same snapshot, and the state
// itself unless the head is `known_head` (then the caller's parse of that
// head is current). NotFound for an unknown case; Corruption for anything the
// projector could not have written.
struct StoredCase {
  std::string head;
  std::optional<CaseState> state;  // unset: the head is `known_head`
  BuiltTo built_to;
};
Result<StoredCase> ReadStoredCase(ledger::LogStore& log, const ProjectionDbs& dbs,
                                  std::string_view case_id,
                                  std::optional<std::string_view> known_head = std::nullopt);
// The seqs of every event of the case (per-case index), ascending.
Result<std::vector<std::uint64_t>> CaseSeqs(ledger::LogStore& log,
                                            const ProjectionDbs& dbs,
                                            std::string_view case_id);
// Time travel: the state of the case as of seq `as_of_seq` (inclusive) —
// folded from the case's own events through the per-case index, never a scan
// of the log. NotFound if the case did not exist then.
Result<CaseState> CaseAsOfSeq(ledger::LogStore& log, const ProjectionDbs& dbs,
                              std::string_view case_id,
                              std::uint64_t as_of_seq);
// As CaseAsOfSeq, as of time `as_of` (every event with time <= as_of).
Result<CaseState> CaseAsOfTime(ledger::LogStore& log, const ProjectionDbs& dbs,
                               std::string_view case_id, Micros as_of);
// One event in a case's history: the clear envelope as stored (the original,
// even when it was corrected later), and the links between corrections and
// what they correct. Bodies stay with the log (decrypted, where the caller may
// read them, by the API).
struct HistoryEntry {
  Fact fact;                                // as stored
  std::vector<std::uint64_t> corrected_by;  // record.corrected aiming at it
  std::optional<std::uint64_t> retracted_by;
  std::optional<std::uint64_t> target;      // for corrections and retractions
  bool state_fact = false;  // false: access records, refusals
};
// The case's history, every indexed event in seq order (up to `as_of_seq`,
// 0 = all). NotFound for an unknown case.
Result<std::vector<HistoryEntry>> CaseHistory(ledger::LogStore& log,
                                              const ProjectionDbs& dbs,
                                              std::string_view case_id,
                                              std::uint64_t as_of_seq = 0);
Result<BuiltTo> ReadBuiltTo(ledger::LogStore& log, const ProjectionDbs& dbs);
// The identity index key of a CPR number in either written form
// (Keystore::LookupKeyOf of CprIndexText). Precondition: IsCpr(cpr).
ledger::Keystore::LookupKey CprLookupKey(const ledger::Keystore& keys, std::string_view cpr);

// Calls `fn` with the derived view of every case in proj.case_rows, in key
// order, from one snapshot (for whole-register reads: retention, the audit).
// Stops at the first error `fn` returns.
Status ForEachCaseView(ledger::LogStore& log, const ProjectionDbs& dbs,
                       const std::function<Status(const CaseView&)>& fn);
// Calls `fn` with the stored state of every case in proj.case_rows of `txn`,
// in key order. Stops at the first error `fn` returns.
Status ForEachCaseState(const ledger::Snapshot& txn, const ProjectionDbs& dbs,
                        const std::function<Status(const CaseState&)>& fn);
// Every case id in proj.case_rows (a case with a head), in key (byte) order. The ids only: listings
// that show more must filter by what the caller may read (ROL-3, ROL-12).
Result<std::vector<std::string>> ListCaseIds(ledger::LogStore& log,
                                             const ProjectionDbs& dbs);

// The subject's cases and erasure (proj.subjects). NotFound for an unknown
// subject.
Result<SubjectState> ReadSubject(ledger::LogStore& log, const ProjectionDbs& dbs,
                                 std::string_view subject);

// --- Users (any thread; each takes its own read txn) ------------------------

// The user registered under `user` (also when revoked: check is_revoked()).
// NotFound for an id that was never registered (or is not a user id).
Result<UserState> ReadUser(ledger::LogStore& log, const ProjectionDbs& dbs,
                           std::string_view user);
// The user id whose current token has `token_hash` (the text form of
// docs/catalogue.md). NotFound if no current token has it: never issued,
// replaced by a newer token, or its user revoked — or not shaped as a token
// hash. Callers still read the user to learn the role.
Result<std::string> UserOfTokenHash(ledger::LogStore& log,
                                    const ProjectionDbs& dbs,
                                    std::string_view token_hash);
// Every registered user (revoked ones included), in registration (seq) order.
Result<std::vector<UserState>> ListUsers(ledger::LogStore& log,
                                         const ProjectionDbs& dbs);

// --- Rebuild ------------------------------------------------------------------

// Rebuilds every projection in `tables` from the log: clears the projection tables
// and replays events 1..n. Returns the number of events replayed.
// With `keys`, the data key of every erased subject is destroyed as well
// (idempotent; see Open). `progress` as Projector::Open's.
Result<std::uint64_t> Rebuild(ledger::LogStore& log, ledger::Tables& tables,
                              ledger::Keystore* keys = nullptr,
                              const ProgressFn& progress = {});
// For tests: the events per transaction of a rebuild or catch-up (100,000;
// 0 restores that), so that a test log of thousands of events spans many.
// Set it only while no catch-up runs.
void SetCatchUpChunkForTesting(std::uint64_t events);

// Differences between the projection DBs of two environments, as lines
// naming the DB and the key ("proj.case_rows c-… head: differs"); empty if
// equal.
// Keys only, never values (values hold pseudonymous state, but the report
// goes to operators' terminals); a proj.tokens key is shown by its first 8
// characters only. A DB absent from an environment (a data dir of an older
// version) compares as empty.
Result<std::vector<std::string>> CompareProjections(ledger::Tables& a,
                                                    ledger::Tables& b,
                                                    std::size_t max_lines = 100);

}  // namespace caseledger::projections
