// CosignatureStore: the witnesses' cosignatures the node has collected for its
// checkpoints (C2SP tlog-cosignature), in their own LMDB environment
// <dir>/cosignatures/ so that collecting them never takes the log's write
// lock. One DB `cosigned`: 8-byte big-endian tree size -> JSON
//   {"note": <the log's signed checkpoint note>,
//    "cosignatures": {<witness name>: <its newest signature line>},
//    "quorum_at": <unix seconds when `quorum` witnesses had cosigned, or absent>}
// Lines are stored only after crypto::VerifyCosignature accepted them; readers
// verify again against the witnesses they trust (configuration can change).
// Format: docs/formats/storage.md ("cosignatures"). Thread-safety: as
// lmdb::Env (any thread; writes serialised by LMDB).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/result.h"
#include "crypto/cosignature.h"
#include "ledger/lmdb/env.h"

namespace caseledger::ledger {

// One checkpoint and the cosignatures collected for it.
struct CosignedCheckpoint {
  std::uint64_t size = 0;
  std::string log_note;                           // as the log signed it
  std::map<std::string, std::string> cosignatures;  // witness name -> line
  std::optional<std::int64_t> quorum_at;
  // log_note followed by the cosignature lines in name order: the note a
  // client verifies (C2SP signed-note; lines of unknown keys are ignored).
  std::string Note() const;
};

class CosignatureStore {
 public:
  // Opens <data_dir>/cosignatures (created unless read_only). NotFound when
  // read_only and absent (no witness has ever cosigned).
  static Result<std::unique_ptr<CosignatureStore>> Open(const std::string& data_dir,
                                                        bool read_only);

  // Records `lines` (verified cosignature lines, one per witness name) for the
  // checkpoint of `size` whose signed note is `log_note`, replacing an older
  // line of the same witness; sets quorum_at = `now` the first time the entry
  // holds `quorum` lines. Entries below the newest entry with a quorum that
  // have none are deleted (they can no longer be served). Durable on return.
  // Corruption if `log_note` differs from the note stored for that size.
  Status Add(std::uint64_t size, const std::string& log_note,
             const std::map<std::string, std::string>& lines, std::size_t quorum,
             std::int64_t now);

  // The entry for exactly `size`, or nullopt.
  Result<std::optional<CosignedCheckpoint>> At(std::uint64_t size) const;

  // The newest entry that reached the configured quorum when its
  // cosignatures were collected (quorum_at set), or nullopt. Not re-verified:
  // callers that trust particular witnesses use NewestWithQuorum.
  Result<std::optional<CosignedCheckpoint>> NewestReachedQuorum() const;

  // The newest entry that at least `quorum` of `witnesses` validly cosigned
  // (re-verified here), looking back over at most `max_entries` entries; nullopt
  // if none. quorum 0: the newest entry of any kind.
  Result<std::optional<CosignedCheckpoint>> NewestWithQuorum(
      std::span<const crypto::CosignerVerifier> witnesses, std::size_t quorum,
      std::size_t max_entries = 4096) const;

 private:
  CosignatureStore() = default;
  std::unique_ptr<lmdb::Env> env_;
  lmdb::Dbi cosigned_ = 0;
};

}  // namespace caseledger::ledger
