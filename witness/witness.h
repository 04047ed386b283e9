// Witness: a C2SP tlog-witness v1.0.0 witness (https://c2sp.org/tlog-witness,
// tagged release tlog-witness/v1.0.0) as pure request handling over a
// WitnessStore — no sockets: `caseledger witness serve` puts it behind
// http::Server. It cosigns (C2SP tlog-cosignature, cosignature/v1) a
// checkpoint of a trusted log only if it is consistent with the latest one it
// cosigned for that origin, and records refused, validly signed requests as
// evidence. Rules, status codes and their order: docs/witness.md.
// Invariants: a cosignature is returned only after the new latest checkpoint
// is committed; the latest cosigned size of an origin never decreases.
// Thread-safety: Handle and Route are const and may run on many threads at
// once (the store serialises the check-and-update).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "witness/add_checkpoint.h"
#include "witness/witness_store.h"

namespace caseledger::witness {

// A response, transport-free.
struct WitnessResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow
  // The rule that decided ("cosigned", "stale_old_size", "unknown_origin"…):
  // for the operator's log, which never sees note content.
  std::string reason;
};

// POSIX seconds now (the system clock).
std::uint64_t PosixNow();

struct WitnessConfig {
  // The witness's name (its cosignature key name), a valid note key name.
  std::string name;
  // The trusted log keys; a key's name is the origin it may sign for. Several
  // keys per origin are allowed.
  std::vector<crypto::NoteVerifier> logs;
  // The time of cosignatures and evidence, in POSIX seconds.
  std::function<std::uint64_t()> clock = PosixNow;
};

class Witness {
 public:
  // InvalidArgument if the name is not a valid note key name.
  // `store` must outlive the witness.
  static Result<std::unique_ptr<Witness>> Create(WitnessConfig config,
                                                 crypto::Ed25519SigningKey key,
                                                 WitnessStore& store);
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  // `POST <prefix>/add-checkpoint` with request body `body`: every rule of
  // tlog-witness v1.0.0 in the spec's order (docs/witness.md):
  //   400 malformed body or checkpoint; 404 unknown origin; 403 no signature
  //   by a trusted key verifies (or one by a trusted key fails); 400 old size
  //   > checkpoint size; 409 (text/x.tlog.size, "<latest>\n") old size is not
  //   the latest cosigned size; 422 the consistency proof does not verify (or
  //   is not empty when it must be); 409 (same body) same size as the latest
  //   with another root; 200 with the cosignature line
  //   (text/plain; charset=utf-8) once the checkpoint is stored.
  //   500 if the store fails (nothing cosigned).
  // Refusals after the signature verified are recorded as evidence.
  WitnessResponse Handle(std::string_view body) const;

  // The HTTP routes, transport-free: POST /add-checkpoint (405 with
  // `Allow: POST` for another method), GET /checkpoint/<origin, percent-
  // encoded> (the latest cosigned note with this witness's cosignature line
  // appended; 404 if none; 405 for another method), 404 elsewhere. `target`
  // is the request target (a query is ignored on add-checkpoint and refused
  // elsewhere with 404).
  WitnessResponse Route(std::string_view method, std::string_view target,
                        std::string_view body) const;

  // The latest cosigned note of `origin` followed by this witness's
  // cosignature line, nullopt if it never cosigned one for `origin`.
  Result<std::optional<std::string>> CosignedCheckpoint(
      std::string_view origin) const;

  const std::string& name() const { return config_.name; }
  // The cosigner vkey of this witness (type 0x04).
  const crypto::CosignerVerifier& verifier() const { return verifier_; }

 private:
  Witness(WitnessConfig config, crypto::Ed25519SigningKey key,
          WitnessStore& store);
  // The decision on a request whose signature verified, inside the store's
  // write txn.
  Decision Decide(const AddCheckpointRequest& request,
                  const std::optional<witness::CosignedCheckpoint>& latest,
                  std::uint64_t now) const;

  WitnessConfig config_;
  crypto::Ed25519SigningKey key_;
  crypto::CosignerVerifier verifier_;
  WitnessStore& store_;
  std::map<std::string, std::vector<crypto::NoteVerifier>, std::less<>> logs_;
};

// Strict percent-decoding of a path segment ("%2F" → "/"): '%' must be
// followed by two hex digits; the result must be valid UTF-8 without NUL.
// InvalidArgument otherwise.
Result<std::string> PercentDecode(std::string_view text);

}  // namespace caseledger::witness
