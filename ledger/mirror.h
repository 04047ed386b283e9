// A verifying mirror's storage (docs/mirror.md): an auditor's own copy of a
// caseledger log, in the same layout as a node's ledger (<dir>/ledger/ with
// events, nodes, checkpoints, meta; <dir>/ledger.pub), so verify, prove,
// checkpoint and export-bundle work on it unchanged; but no node key and no
// keystore (bodies stay ciphertext). Its own cosigner key (a C2SP
// cosignature/v1 key saying "mirrored and verified up to N") is kept as the
// node's key is: <dir>/mirror.key sealed under the master key, <dir>/mirror.pub.
// Invariant: events are only ever stored by AppendVerified, after every line
// verified and the signed checkpoint's root matched, in one write transaction
// with their Merkle nodes and that checkpoint — so the store always meets the
// invariant of docs/formats/storage.md.
// Thread-safety: free functions; one process appends to a mirror at a time
// (the caller holds ledger::DirLock).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/worker_pool.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/log_store.h"

namespace caseledger::ledger {

// Sealed key file purpose of the mirror's cosigner key (crypto/key_file.h).
inline constexpr std::string_view kMirrorKeyPurpose = "mirror-cosigner";
inline constexpr std::string_view kMirrorKeyFile = "mirror.key";
inline constexpr std::string_view kMirrorPubFile = "mirror.pub";
// Status::reason() of a fork: the log showed this mirror another history
// (docs/mirror.md, "Forks").
inline constexpr std::string_view kForkReason = "MIRROR-FORK";

// True iff `s` reports a fork (reason kForkReason).
bool IsFork(const Status& s);

// Creates the mirror's log in `dir` (created if missing): <dir>/ledger/ with
// origin = the verifier key's name, and <dir>/ledger.pub = `verifier_vkey`.
// Returns the parsed verifier. InvalidArgument for a vkey that is not a
// type-0x01 note verifier key or whose name is not a valid origin;
// AlreadyExists if `dir` already holds a ledger; IoError otherwise.
Result<crypto::NoteVerifier> InitMirror(const std::string& dir, std::string_view verifier_vkey);

// Creates the mirror's cosigner key in `dir`: a fresh Ed25519 key sealed
// under the master key ($CASELEDGER_MASTER_KEY_FILE, created if missing; in
// demo mode <dir>/master.key) as <dir>/mirror.key, and <dir>/mirror.pub =
// the cosigner vkey (type 0x04), which is returned. InvalidArgument for a bad
// name; AlreadyExists if mirror.key exists; FailedPrecondition without a
// master key source (or with only a passphrase, not supported here).
Result<std::string> CreateMirrorCosigner(const std::string& dir, std::string_view name);

// The mirror's cosigner: its key (unsealed with the master key) and its
// verifier (checked against <dir>/mirror.pub: Corruption if they differ).
// NotFound if `dir` has no mirror.key; key file errors as crypto/key_file.h.
struct MirrorCosigner {
  crypto::Ed25519SigningKey key;
  crypto::CosignerVerifier verifier;
};
Result<MirrorCosigner> LoadMirrorCosigner(const std::string& dir);

// `note` with only the signature lines of `verifier` kept (a node may serve
// its checkpoint with witness cosignatures appended; the log stores its own
// note alone). InvalidArgument if the note is malformed.
Result<std::string> LogSignedNote(std::string_view note, const crypto::NoteVerifier& verifier);

// What the mirror holds: the number of events, the latest stored checkpoint
// note (empty if none) and the root of all held events.
struct Held {
  std::uint64_t size = 0;
  std::string note;
  crypto::Digest root;
};
Result<Held> ReadHeld(LogStore& store);

// How a signed checkpoint relates to what the mirror holds.
enum class Relation {
  kAhead,   // larger than held: catch up (its lines decide; AppendVerified)
  kSame,    // the held size with the held root
  kBehind,  // a smaller size whose root equals the held root at that size
  kFork,    // size <= held and another root than held at that size
};
struct Comparison {
  Relation relation = Relation::kAhead;
  Checkpoint checkpoint;  // the opened new checkpoint
  std::uint64_t held_size = 0;
  // The held note to keep beside the new one as evidence of a fork: the one
  // stored at the new checkpoint's size if there is one, else the latest
  // (its size then proves the held root at the smaller size: prove
  // consistency). Empty unless kFork.
  std::string held_note;
  std::uint64_t held_note_size = 0;  // the size held_note is of
  std::string problem;  // for kFork: the two roots, in words
};
// Opens `note` under `verifier` (errors as OpenCheckpoint: InvalidArgument
// malformed, NotFound unknown key, Corruption bad signature or origin) and
// compares it with what `store` holds.
Result<Comparison> CompareWithHeld(LogStore& store, const crypto::NoteVerifier& verifier,
                                   std::string_view note);

struct MirrorAppend {
  std::uint64_t first_seq = 0;  // held + 1
  std::uint64_t size = 0;       // the new size N = the checkpoint's size
};

// Appends the event lines `lines` (seqs held+1 .. N, each without "\n") to the
// mirror, where N is the size of `signed_checkpoint_note`. First verifies
// everything, resumed from the held tree: each line's canonical form, schema,
// signature under `verifier`, seq, prev and time (StreamVerifier), then that
// the root of 1..N equals the checkpoint's; only then writes, in ONE write
// transaction, the lines byte for byte, every Merkle node they complete
// (NodeKey, as the writer stores them) and the checkpoint note (its log
// signature lines only, LogSignedNote). Nothing is stored on any error.
// Errors: the checkpoint's (as CompareWithHeld); FailedPrecondition if N is not
// held + lines.size(); Corruption naming the seq of the first bad line
// ("seq 17: …"); Corruption with reason kForkReason if line held+1 is validly
// signed by the log but its prev is not the held root (the log signed another
// history of the held prefix); Corruption if the root of 1..N differs from
// the checkpoint's; storage errors. `pool`: threads for the signature checks
// (null: a pool of all cores for this call).
Result<MirrorAppend> AppendVerified(LogStore& store, const crypto::NoteVerifier& verifier,
                                    const std::vector<std::string>& lines,
                                    std::string_view signed_checkpoint_note,
                                    WorkerPool* pool = nullptr);

}  // namespace caseledger::ledger
