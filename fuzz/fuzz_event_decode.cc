// Fuzz target: ledger::DecodeEvent on arbitrary bytes, as if read from the log
// or a bundle (docs/formats/event.md). It must never crash, and must refuse
// with Corruption only. It must agree with the DOM decoder it replaced,
// DecodeEventReference (ledger/event_reference.h): the same lines accepted,
// decoded to equal events. When it accepts a line, the canonical property holds:
// EncodeSigned(decoded) is the input byte for byte, C with the signature put
// back (InsertSignature) is too, C is the line less the 97 signature bytes,
// A is C without the body, and the line is canonical JSON by
// canonical_json.h's own rules. ScanEvent (verify's one-pass scanner) accepts
// exactly the same lines (as the reference decoder, which does not share its
// scanner) and yields the same C, seq, prev, sig, envelope strings and header
// bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fuzz_check.h"
#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/event_reference.h"
#include "ledger/event_scan.h"

namespace {

using caseledger::Json;
using caseledger::StatusCode;
namespace ledger = caseledger::ledger;

// `,"sig":"` + 88 base64 characters + `"`.
constexpr std::size_t kSigMemberBytes = 8 + 88 + 1;

// The first field in which two decoded events differ, or "" if none does.
// The header is compared with its number types too (two parses of the same
// bytes must agree on them; == alone equates an unsigned and a signed 5).
std::string FirstDifference(const ledger::Event& a, const ledger::Event& b) {
  if (a.seq != b.seq) return "seq";
  if (a.time != b.time) return "time";
  if (a.type != b.type) return "type";
  if (a.actor != b.actor) return "actor";
  if (a.role != b.role) return "role";
  if (a.case_id != b.case_id) return "case";
  if (a.subject != b.subject) return "subject";
  if (a.h != b.h || !ledger::SameJsonTypes(a.h, b.h)) return "h";
  if (a.h_canonical != b.h_canonical) return "h_canonical";
  if (a.body.has_value() != b.body.has_value()) return "body presence";
  if (a.body && (a.body->ct != b.body->ct || a.body->kid != b.body->kid || a.body->n != b.body->n)) return "body";
  if (a.prev != b.prev) return "prev";
  if (a.sig != b.sig) return "sig";
  if (a.v != b.v) return "v";
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  caseledger::Result<ledger::Event> decoded = ledger::DecodeEvent(line);
  // The DOM decoder DecodeEvent replaced accepts exactly the same lines, and
  // decodes them to the same events.
  caseledger::Result<ledger::Event> reference = ledger::DecodeEventReference(line);
  FUZZ_CHECK(reference.ok() == decoded.ok(),
             "DecodeEvent and DecodeEventReference disagree: " +
                 (decoded.ok() ? std::string("reference refused: ") + reference.status().ToString()
                               : std::string("decode refused: ") + decoded.status().ToString()));
  // The one-pass scanner verify uses accepts exactly the same lines.
  caseledger::Result<ledger::ScannedEvent> scanned = ledger::ScanEvent(line);
  FUZZ_CHECK(scanned.ok() == reference.ok(),
             "ScanEvent and DecodeEventReference disagree: " +
                 (reference.ok() ? std::string("scan refused: ") + scanned.status().ToString()
                                 : std::string("reference refused: ") + reference.status().ToString()));
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == StatusCode::kCorruption, decoded.status().ToString());
    FUZZ_CHECK(reference.status().code() == StatusCode::kCorruption, reference.status().ToString());
    return 0;
  }
  const std::string difference = FirstDifference(*decoded, *reference);
  FUZZ_CHECK(difference.empty(), "DecodeEvent and DecodeEventReference decode different " + difference);
  FUZZ_CHECK(scanned->unsigned_bytes() == ledger::EncodeUnsigned(*decoded), "ScanEvent's C differs");
  FUZZ_CHECK(scanned->seq == decoded->seq && scanned->prev == decoded->prev && scanned->sig == *decoded->sig,
             "ScanEvent's fields differ");
  // The envelope views that replays (rebuild) use instead of the decoder.
  if (!scanned->has_escapes) {
    FUZZ_CHECK(scanned->type == decoded->type && scanned->actor == decoded->actor &&
                   scanned->role == decoded->role &&
                   scanned->case_id == decoded->case_id.value_or("") &&
                   scanned->subject == decoded->subject.value_or(""),
               "ScanEvent's envelope views differ");
  }
  FUZZ_CHECK(scanned->h == ledger::CanonicalJson(decoded->h), "ScanEvent's header view differs");
  const ledger::Event& e = *decoded;
  FUZZ_CHECK(e.sig.has_value(), "decoded event without a signature");
  FUZZ_CHECK(e.seq >= 1, "seq 0 accepted");
  FUZZ_CHECK(e.v == ledger::kEventVersion, "version " + std::to_string(e.v) + " accepted");
  FUZZ_CHECK(ledger::CheckCanonicalValue(e.h).ok(), "header not canonical");

  // The canonical property.
  const std::string s = ledger::EncodeSigned(e);
  FUZZ_CHECK(s == line, "EncodeSigned(DecodeEvent(line)) != line");

  // S = C with the signature member inserted at the offset EncodeUnsigned reports.
  std::size_t sig_offset = 0;
  const std::string c = ledger::EncodeUnsigned(e, &sig_offset);
  FUZZ_CHECK(sig_offset <= c.size(), "signature offset past the end of C");
  FUZZ_CHECK(c.size() + kSigMemberBytes == line.size(),
             "C is " + std::to_string(c.size()) + " bytes, line " + std::to_string(line.size()));
  FUZZ_CHECK(ledger::InsertSignature(c, sig_offset, *e.sig) == line,
             "InsertSignature(EncodeUnsigned(e)) != line");

  // A (the body's associated data) is C of the same event without its body.
  ledger::Event without_body = e;
  without_body.body.reset();
  FUZZ_CHECK(ledger::EncodeForBodyAd(e) == ledger::EncodeUnsigned(without_body),
             "EncodeForBodyAd(e) != EncodeUnsigned(e without body)");

  // The line is canonical JSON as canonical_json.h defines it: the strict parser
  // accepts it and CanonicalJson gives it back. (Integers are limited to
  // ±(2^53 - 1) there, so only for seq within that range.)
  if (e.seq <= static_cast<std::uint64_t>(ledger::kMaxSafeInteger)) {
    caseledger::Result<Json> j = ledger::ParseUntrustedJson(line);
    FUZZ_CHECK(j.ok(), "accepted event line refused by ParseUntrustedJson: " + j.status().ToString());
    FUZZ_CHECK(ledger::CanonicalJson(*j) == line, "CanonicalJson(line) != line");
  }

  // Decoding is idempotent.
  caseledger::Result<ledger::Event> again = ledger::DecodeEvent(s);
  FUZZ_CHECK(again.ok() && ledger::EncodeSigned(*again) == s, "re-decoding the re-encoded line failed");
  return 0;
}
