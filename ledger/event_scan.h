// ScanEvent: validates a stored event line in one pass without building a
// JSON DOM, and returns what verification and DecodeEvent need. It accepts
// exactly the lines the DOM decoder DecodeEventReference accepts (canonical
// JSON under docs/formats/event.md, envelope schema) — checked by
// event_scan_test and the fuzz target — at a fraction of its cost, which
// matters as verify and every decode run it per event. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/canonical_json.h"

namespace caseledger::ledger {

struct ScannedEvent {
  std::uint64_t seq = 0;
  crypto::Digest prev;
  crypto::Ed25519Signature sig;
  std::string_view time;        // raw text between the quotes, a view into the line
  // Views into the line: the raw text between the quotes (`has_escapes` says
  // whether any of these five contains a JSON escape), and the header object.
  std::string_view type, actor, role, case_id, subject;  // empty if absent
  std::string_view h;  // the canonical bytes of the header object
  bool has_escapes = false;
  // Which optional members are present: an empty view above may also be a
  // present empty string ("case":"" is a valid line).
  bool has_body = false, has_case = false, has_subject = false;
  // The body's members, raw text between the quotes (may contain escapes);
  // empty if there is no body.
  std::string_view body_ct, body_kid, body_n;
  // The signature input: kEventSignaturePrefix ‖ C, where C is the line
  // without its "sig" member (built once; C is a view into it).
  std::string signature_input;
  std::string_view unsigned_bytes() const;
};

// Corruption naming what is wrong, as DecodeEvent. Without
// `signature_input`, the signature input is not built (replays that only
// need the envelope).
Result<ScannedEvent> ScanEvent(std::string_view line,
                               bool signature_input = true);

// The value of a header the scan accepted (ScannedEvent::h, or a copy of
// those bytes): the same Json value, with the same number types, that
// Json::parse gives for it, read in one pass without a general parser (as
// DecodeEvent reads it). Corruption if it is not an object. Precondition:
// `h` is exactly the `h` of a line ScanEvent accepted, i.e. canonical JSON
// within limits (docs/formats/event.md); other bytes are not checked.
Result<Json> ReadScannedHeader(std::string_view h);

// A JSON object that must be in canonical form (stored bytes this program
// wrote canonically, e.g. a case's head and rows): checked in one pass by
// the scanner above (canonical_json.h's rules under `limits`: sorted unique
// ASCII keys, integers only within ±(2^53 - 1), canonical escapes, valid
// UTF-8, depth and sizes), then read as ReadScannedHeader reads. It accepts
// exactly the texts t for which ParseUntrustedJson(t, limits) gives an
// object whose CanonicalJson is t, and gives the same value; anything else
// is InvalidArgument. A typical stored fact row: 2.4 us, against 5.7 us
// with ParseUntrustedJson.
Result<Json> ParseCanonicalObject(std::string_view text, const JsonLimits& limits);

// One stored event line checked on its own: scanned, its signature verified
// under `key`, its RFC 9162 leaf hash computed from the line itself. The one
// place that checks an event for verify, evidence and a case's history; the
// checks around it (order, `prev`, inclusion) are each caller's.
struct CheckedLine {
  ScannedEvent event;
  bool signature_valid = false;
  crypto::Digest leaf;  // of the line's unsigned bytes, whatever the signature
};
// Corruption (as ScanEvent) if the line is not a valid event.
Result<CheckedLine> CheckEventLine(std::string_view line, const crypto::Ed25519PublicKey& key);

}  // namespace caseledger::ledger
