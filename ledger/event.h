// The event envelope of DESIGN §3 and its canonical encoding. An Event is one
// stored line: canonical JSON with keys actor, body?, case?, h, prev, role,
// seq, sig, subject?, time, type, v. C (the signed and hashed bytes) is the
// same encoding without "sig". Pure; thread-safe.
// Format (normative): docs/formats/event.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/canonical_json.h"

namespace caseledger::ledger {

inline constexpr int kEventVersion = 1;
// Domain-separation prefix of every event signature.
inline constexpr std::string_view kEventSignaturePrefix =
    "caseledger/event/v1\n";

// The encrypted body: base64 ciphertext‖tag, data key id, base64 nonce.
struct EncryptedBody {
  std::string ct;
  std::string kid;
  std::string n;
};

struct Event {
  std::uint64_t seq = 0;
  std::string time;  // canonical time text (ledger/time.h)
  std::string type;
  std::string actor;
  std::string role;
  std::optional<std::string> case_id;
  std::optional<std::string> subject;
  Json h = Json::object();  // clear header; canonical-checked
  // When non-empty: the canonical bytes of the header, used by the encoders
  // instead of re-encoding `h` (the writer serialises each header once).
  std::string h_canonical;
  std::optional<EncryptedBody> body;
  crypto::Digest prev;  // Merkle root of events 1..seq-1
  std::optional<crypto::Ed25519Signature> sig;
  int v = kEventVersion;
};

// Canonical bytes of `e` without "sig" (C). Precondition: e.h passed
// CheckCanonicalValue. If `sig_offset` is given, it receives the byte offset
// at which `,"sig":"…"` belongs (for InsertSignature).
std::string EncodeUnsigned(const Event& e, std::size_t* sig_offset = nullptr);
// The stored line: `unsigned_bytes` with the signature member inserted at
// `sig_offset`; equal to EncodeSigned of the same event with that signature.
std::string InsertSignature(std::string_view unsigned_bytes,
                            std::size_t sig_offset,
                            const crypto::Ed25519Signature& sig);
// Canonical bytes of the whole stored line (with "sig"). Precondition: e.sig
// set.
std::string EncodeSigned(const Event& e);
// Canonical bytes of `e` without "body" and "sig": SHA-256 of this is the
// body's associated data.
std::string EncodeForBodyAd(const Event& e);
// The same bytes, with where the body and the signature belong in them, so
// that the writer encodes an event's envelope once: EncodeUnsignedFrom(
// EncodeForBodyAdParts(e), b, &o) equals EncodeUnsigned of e with body b
// (and o its sig_offset).
struct BodyAdEncoding {
  std::string bytes;           // EncodeForBodyAd(e)
  std::size_t body_at = 0;     // after the "actor" member
  std::size_t sig_offset = 0;  // after the "seq" member
};
BodyAdEncoding EncodeForBodyAdParts(const Event& e);
std::string EncodeUnsignedFrom(const BodyAdEncoding& ad, const EncryptedBody& body,
                               std::size_t* sig_offset = nullptr);

// The signature input: kEventSignaturePrefix ‖ C.
std::string SignatureInput(std::string_view unsigned_bytes);

// Parses a stored line in one scan: the schema (every field, of its type, no
// unknown one) and that the line is exactly the canonical encoding.
// Corruption naming what is wrong otherwise (the caller adds the seq).
Result<Event> DecodeEvent(std::string_view line);

}  // namespace caseledger::ledger
