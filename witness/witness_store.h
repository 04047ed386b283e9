// WitnessStore: a tlog-witness's durable state in one LMDB environment
// (<data>/state/, through the ledger/lmdb/ wrapper): the trusted log keys, per
// origin the latest checkpoint the witness cosigned, and an append-only
// evidence log of refused requests whose checkpoint carried a valid log
// signature. Layout and record formats: docs/witness.md ("On-disk state").
// Invariants: the latest cosigned size of an origin is checked and replaced
// only inside Decide's one write transaction (LMDB serialises writers), so it
// never goes back; every commit is fsync'd before Decide returns, so what was
// answered is on disk. Evidence is never changed or deleted.
// Thread-safety: all methods may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "crypto/note.h"
#include "crypto/sha256.h"

namespace caseledger::witness {

// The latest checkpoint the witness cosigned for one origin.
struct CosignedCheckpoint {
  std::string origin;
  std::uint64_t size = 0;
  crypto::Digest root;
  std::string note;         // the signed checkpoint note as submitted
  std::string cosignature;  // the witness's cosignature line over its text
  std::uint64_t time = 0;   // POSIX seconds: the cosignature's timestamp
};

// One refused request whose checkpoint had a valid signature by a trusted key
// of a known origin: possible evidence of log misbehaviour.
struct EvidenceRecord {
  std::uint64_t seq = 0;   // 1, 2, …: set by the store
  std::uint64_t time = 0;  // POSIX seconds of the refusal
  int status = 0;          // the HTTP status answered (400, 409, 422)
  std::string reason;      // the rule that refused, e.g. "stale_old_size"
  std::string detail;      // words for the operator
  std::string origin;
  std::uint64_t old_size = 0;
  std::vector<std::string> proof;  // the request's proof lines (base64)
  std::string note;                // the request's signed checkpoint note
  // The request's checkpoint has the size of the stored cosigned one but
  // another root: two signed, conflicting views of the log (a fork).
  bool fork = false;
  // The stored cosigned note the request was judged against, when it matters
  // as evidence (a fork, or a consistency proof that did not verify).
  std::optional<std::string> conflicting_note;
};

// One line of JSON (no newline) for `r`; its fields: docs/witness.md.
std::string EvidenceJson(const EvidenceRecord& r);

// What Decide's callback concluded.
struct Accept {
  CosignedCheckpoint record;  // replaces the stored latest of its origin
};
struct Refuse {
  EvidenceRecord evidence;  // appended (unless an identical one exists)
  // The latest cosigned size of the origin when refused (a 409's body).
  std::uint64_t latest_size = 0;
};
using Decision = std::variant<Accept, Refuse>;

class WitnessStore {
 public:
  // Opens <dir>/state (created with the directory when `create`). NotFound if
  // it does not exist and !create; errors of LMDB otherwise (IoError,
  // Corruption).
  static Result<std::unique_ptr<WitnessStore>> Open(const std::string& dir,
                                                    bool create);
  ~WitnessStore();
  WitnessStore(const WitnessStore&) = delete;
  WitnessStore& operator=(const WitnessStore&) = delete;

  // The witness's name, set once by SetName. NotFound if never set.
  Result<std::string> Name() const;
  // AlreadyExists if a name is set (a witness's name never changes).
  Status SetName(std::string_view name);

  // Adds a trusted log key (a vkey, see crypto::NoteVerifier::Parse; its name
  // is the log's origin). InvalidArgument if it does not parse;
  // AlreadyExists if it is already trusted.
  Status AddLogKey(std::string_view vkey);
  // Every trusted log key, in no particular order. Corruption if a stored one
  // no longer parses.
  Result<std::vector<crypto::NoteVerifier>> LogKeys() const;

  // The latest cosigned checkpoint of `origin`, nullopt if none.
  Result<std::optional<CosignedCheckpoint>> Latest(
      std::string_view origin) const;

  // The atomic check-and-update: in ONE write transaction, reads the latest
  // cosigned checkpoint of `origin`, calls `decide` with it, and stores what
  // it returns (Accept: the new latest; Refuse: an evidence record, skipped
  // if one with the same status, reason, checkpoint text and conflicting note
  // text exists, so replayed requests cannot grow it — docs/witness.md), then
  // commits with fsync. `decide` may run more than once (the map is grown and
  // the txn retried) and must depend only on its argument. Returns the decision
  // that was committed; storage errors otherwise (nothing is committed then).
  Result<Decision> Decide(
      std::string_view origin,
      const std::function<Decision(const std::optional<CosignedCheckpoint>&)>&
          decide);

  // Every evidence record in order.
  Result<std::vector<EvidenceRecord>> Evidence() const;
  // The records as stored: one JSON line each (EvidenceJson), in order.
  Result<std::vector<std::string>> EvidenceLines() const;

 private:
  WitnessStore() = default;
  struct Db;  // the LMDB environment and its DB handles (witness_store.cc)
  std::unique_ptr<Db> db_;
};

}  // namespace caseledger::witness
