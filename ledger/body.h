// Opening an event's encrypted body (DESIGN §3, §7.1): XChaCha20-Poly1305
// under the data key `kid`, with associated data SHA-256 of the canonical
// envelope without `body` and `sig` (docs/formats/event.md). The plaintext is
// the canonical JSON the writer sealed. A destroyed key (erasure, §7.2) is
// reported as such, never as a failure of the log.
// Thread-safety: as Keystore (any thread).
#pragma once

#include "base/result.h"
#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/keystore.h"

namespace caseledger::ledger {

// The decrypted body of `e`. Returns:
//   NotFound            `e` has no body;
//   FailedPrecondition  the body's data key no longer exists (the subject was
//                       erased: the body can never be read again);
//   Corruption          the ciphertext, nonce or associated data do not
//                       authenticate, or the plaintext is not the canonical
//                       JSON object the writer sealed.
// The message names the kid and seq, never any plaintext.
Result<Json> OpenBody(const Event& e, Keystore& keys);

}  // namespace caseledger::ledger
