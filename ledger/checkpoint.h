// Checkpoints: the C2SP tlog-checkpoint body (origin line, decimal tree size,
// base64 root hash, each ending in "\n") signed as a C2SP signed note with the
// node's Ed25519 key under the key name = origin. Pure; thread-safe.
// Format: docs/formats/checkpoint.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "crypto/sha256.h"

namespace caseledger::ledger {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  crypto::Digest root;
};

// Checks an origin: a valid note key name that does not start with
// "caseledger/" (reserved for the domain-separation prefixes of our other
// signatures) and has no whitespace. InvalidArgument otherwise.
Status ValidateOrigin(std::string_view origin);

// "<origin>\n<size>\n<base64 root>\n".
std::string CheckpointBody(const Checkpoint& c);
// Parses a checkpoint body (extension lines after the root are allowed and
// ignored). InvalidArgument if malformed.
Result<Checkpoint> ParseCheckpointBody(std::string_view text);

// The signed note of `c`, signed by `key` as c.origin.
Result<std::string> SignCheckpoint(const Checkpoint& c,
                                   const crypto::Ed25519SigningKey& key);

// Verifies the note's signature by `verifier` and parses its body. Errors as
// crypto::OpenNote (NotFound: not signed by this key; Corruption: bad
// signature) plus InvalidArgument for a malformed body, and Corruption if the
// origin differs from the verifier's key name.
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                  const crypto::NoteVerifier& verifier);

}  // namespace caseledger::ledger
