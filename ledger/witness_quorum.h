// Witness quorum (DESIGN §11): whether at least K distinct given witnesses
// validly cosigned (C2SP cosignature/v1, crypto/cosignature.h) the checkpoint
// note a verification led to. The one place where verify-bundle,
// verify-evidence, audit and history count a quorum; the rules are in
// docs/formats/cosignature.md ("Counting a quorum"). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/cosignature.h"
#include "crypto/note.h"

namespace caseledger::ledger {

enum class QuorumVerdict {
  kMet,                  // at least `quorum` given witnesses validly cosigned
  kNotMet,               // fewer did (and no given witness's line is invalid)
  kInvalidCosignature,   // a line by a given witness does not verify: the note
                         // or the cosignature was altered (tampered)
};

struct QuorumReport {
  QuorumVerdict verdict = QuorumVerdict::kNotMet;
  std::size_t quorum = 0;     // K
  std::size_t witnesses = 0;  // distinct given witnesses
  // Names of the given witnesses, in the order given (duplicates once):
  // those with at least one valid cosignature line ...
  std::vector<std::string> cosigned;
  // ... and those without one (no line, or only invalid ones).
  std::vector<std::string> not_cosigned;
  // Those with a line that does not verify (each is also in one of the two
  // lists above).
  std::vector<std::string> invalid;

  // One line without "\n" naming the witnesses, e.g.
  // "witnesses (quorum 2 of 3): cosigned: w1, w2; not cosigned: w3", with
  // "; invalid cosignature: w4" appended when any, and "none" for an empty
  // list. Identical in tools/verify_bundle.py.
  std::string Summary() const;
  // The verdict's message without the witness names, e.g. "only 1 of the 3
  // given witnesses cosigned the checkpoint; the quorum is 2", "the
  // cosignature of witness w4 does not verify", or "2 of the 3 given
  // witnesses cosigned the checkpoint; the quorum is 2". Identical in
  // tools/verify_bundle.py.
  std::string Message() const;
};

// The distinct witnesses of `vkeys` (C2SP vkeys of type 0x04), in order;
// identical keys count once. InvalidArgument, naming the vkey, if one does
// not parse (CosignerVerifier::Parse), or if two different keys have the
// same name (one witness must not count twice, and reports name witnesses
// by name only).
Result<std::vector<crypto::CosignerVerifier>> DistinctWitnesses(
    std::span<const std::string> vkeys);

// Counts the valid cosignatures of `signed_note` by `verifiers` (every line
// of each given witness is verified over the note's text; lines of other keys,
// including the log's own signature, are ignored; a witness counts once
// however many valid lines it has). The verdict is kInvalidCosignature if any
// line of a given witness does not verify, else kMet if at least `k` distinct
// witnesses cosigned, else kNotMet. Cosignature timestamps are not compared
// with the clock. Errors: InvalidArgument — the note is malformed
// (crypto::ParseNote), `k` exceeds the number of distinct verifiers, or two
// verifiers share a name with different keys.
Result<QuorumReport> CheckWitnessQuorum(std::string_view signed_note,
                                        std::span<const crypto::CosignerVerifier> verifiers,
                                        std::size_t k);
// The same for a note already parsed; a default ParsedNote (no checkpoint at
// all) has no cosigner.
Result<QuorumReport> CheckWitnessQuorum(const crypto::ParsedNote& note,
                                        std::span<const crypto::CosignerVerifier> verifiers,
                                        std::size_t k);

}  // namespace caseledger::ledger
