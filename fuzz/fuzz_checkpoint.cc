// Fuzz target: checkpoint and signed-note parsing on arbitrary bytes
// (docs/formats/checkpoint.md, docs/formats/note.md): ledger::ParseCheckpointBody,
// crypto::ParseNote, crypto::NoteVerifier::Parse, crypto::OpenNote and
// ledger::OpenCheckpoint (against a fixed verifier whose real checkpoint is in
// the seed corpus), and crypto::Base64Decode on every line. None may crash.
// Round-trip properties:
// - a parsed checkpoint body re-serialises with CheckpointBody to a prefix of
//   the input; with a valid origin it signs (SignCheckpoint) and opens
//   (OpenCheckpoint) back to the same checkpoint;
// - a parsed note re-serialises to the input byte for byte (text, blank line,
//   "— name base64" lines), its text is a valid note text, and every
//   signature's base64 is the canonical encoding of key id ‖ signature;
// - OpenNote agrees with ParseNote: malformed ⇔ InvalidArgument, no line of
//   the verifier's name and key id ⇔ NotFound; an opened note's text is the
//   parsed text;
// - a parsed verifier key prints (ToString) as the input, key id hex in lower
//   case, and its key id is NoteKeyId(name, key);
// - base64 that decodes re-encodes to the same text (strict decoding).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "crypto/sodium.h"
#include "fuzz_check.h"
#include "ledger/checkpoint.h"

namespace {

using caseledger::Result;
using caseledger::StatusCode;
namespace crypto = caseledger::crypto;
namespace ledger = caseledger::ledger;

// The verifier of fuzz/corpus/fuzz_checkpoint/demo_checkpoint.txt (made by
// `caseledger demo`).
constexpr std::string_view kDemoVerifier =
    "demo.caseledger.invalid/copenhagen+2eb7f173+AXrHBYhzI9xUuyvIHFwKPlA5RlNYpmz4bW6KLZHRD/+E";

struct Fixture {
  crypto::NoteVerifier demo;
  std::optional<crypto::Ed25519SigningKey> signer;  // fixed seed, for sign/open round trips
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    if (!crypto::Init().ok()) std::abort();
    auto* f = new Fixture;
    Result<crypto::NoteVerifier> demo = crypto::NoteVerifier::Parse(kDemoVerifier);
    FUZZ_CHECK(demo.ok(), "demo verifier does not parse: " + demo.status().ToString());
    f->demo = *demo;
    std::array<std::uint8_t, crypto::kEd25519SeedBytes> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i * 37 + 11);
    Result<crypto::Ed25519SigningKey> key = crypto::Ed25519SigningKey::FromSeed(seed);
    FUZZ_CHECK(key.ok(), key.status().ToString());
    f->signer.emplace(std::move(key).value());
    return f;
  }();
  return *fixture;
}

std::string SignatureLine(const crypto::NoteSignature& sig) {
  return "\xE2\x80\x94 " + sig.name + " " + sig.base64 + "\n";
}

void CheckCheckpointBody(std::string_view text) {
  Result<ledger::Checkpoint> c = ledger::ParseCheckpointBody(text);
  if (!c.ok()) {
    FUZZ_CHECK(c.status().code() == StatusCode::kInvalidArgument, c.status().ToString());
    return;
  }
  const std::string body = ledger::CheckpointBody(*c);
  FUZZ_CHECK(text.starts_with(body), "CheckpointBody(ParseCheckpointBody(text)) is not a prefix of text");
  if (!ledger::ValidateOrigin(c->origin).ok()) return;

  const Fixture& f = GetFixture();
  Result<std::string> note = ledger::SignCheckpoint(*c, *f.signer);
  FUZZ_CHECK(note.ok(), "SignCheckpoint failed for a valid origin: " + note.status().ToString());
  const crypto::NoteVerifier verifier = crypto::NoteVerifier::For(c->origin, f.signer->public_key());
  Result<ledger::Checkpoint> opened = ledger::OpenCheckpoint(*note, verifier);
  FUZZ_CHECK(opened.ok(), "own signed checkpoint does not open: " + opened.status().ToString());
  FUZZ_CHECK(opened->origin == c->origin && opened->size == c->size && opened->root == c->root,
             "checkpoint changed in a sign/open round trip");
}

void CheckNote(std::string_view text) {
  const Fixture& f = GetFixture();
  Result<crypto::ParsedNote> note = crypto::ParseNote(text);
  Result<crypto::OpenedNote> opened = crypto::OpenNote(text, f.demo);
  if (!note.ok()) {
    FUZZ_CHECK(note.status().code() == StatusCode::kInvalidArgument, note.status().ToString());
    FUZZ_CHECK(!opened.ok() && opened.status().code() == StatusCode::kInvalidArgument,
               "OpenNote did not refuse a note ParseNote refused: " + opened.status().ToString());
    return;
  }
  std::string rebuilt = note->text + "\n";
  std::size_t by_verifier = 0;
  for (const crypto::NoteSignature& sig : note->signatures) {
    rebuilt += SignatureLine(sig);
    FUZZ_CHECK(crypto::ValidateNoteKeyName(sig.name).ok(), "signature with an invalid key name");
    caseledger::Bytes raw = {static_cast<std::uint8_t>(sig.key_id >> 24), static_cast<std::uint8_t>(sig.key_id >> 16),
                             static_cast<std::uint8_t>(sig.key_id >> 8), static_cast<std::uint8_t>(sig.key_id)};
    raw.insert(raw.end(), sig.signature.begin(), sig.signature.end());
    FUZZ_CHECK(crypto::Base64Encode(raw) == sig.base64, "signature base64 is not canonical");
    if (sig.name == f.demo.name && sig.key_id == f.demo.key_id) ++by_verifier;
  }
  FUZZ_CHECK(rebuilt == text, "ParseNote does not round-trip");
  FUZZ_CHECK(!note->signatures.empty() && note->signatures.size() <= crypto::kNoteMaxSignatures,
             std::to_string(note->signatures.size()) + " signatures accepted");
  const caseledger::Status text_ok = crypto::ValidateNoteText(note->text);
  FUZZ_CHECK(text_ok.ok(), "parsed note text is not a valid note text: " + text_ok.ToString());

  if (by_verifier == 0) {
    FUZZ_CHECK(!opened.ok() && opened.status().code() == StatusCode::kNotFound,
               "no line by the verifier, yet OpenNote gave " + opened.status().ToString());
    return;
  }
  if (!opened.ok()) {
    FUZZ_CHECK(opened.status().code() == StatusCode::kCorruption, opened.status().ToString());
    return;
  }
  FUZZ_CHECK(opened->text == note->text, "opened text differs from the parsed text");
  FUZZ_CHECK(opened->other_signatures.size() <= note->signatures.size() - by_verifier,
             "more other signatures than lines by other keys");
  Result<ledger::Checkpoint> checkpoint = ledger::OpenCheckpoint(text, f.demo);
  Result<ledger::Checkpoint> body = ledger::ParseCheckpointBody(opened->text);
  FUZZ_CHECK(checkpoint.ok() == (body.ok() && body->origin == f.demo.name),
             "OpenCheckpoint disagrees with OpenNote + ParseCheckpointBody: " + checkpoint.status().ToString());
}

void CheckVerifierKey(std::string_view text) {
  Result<crypto::NoteVerifier> v = crypto::NoteVerifier::Parse(text);
  if (!v.ok()) {
    FUZZ_CHECK(v.status().code() == StatusCode::kInvalidArgument, v.status().ToString());
    return;
  }
  FUZZ_CHECK(crypto::NoteKeyId(v->name, v->key) == v->key_id, "key id does not match name and key");
  std::string expected(text);
  const std::size_t hex_at = v->name.size() + 1;
  FUZZ_CHECK(expected.size() >= hex_at + 8, "verifier key too short for its key id");
  std::transform(expected.begin() + static_cast<std::ptrdiff_t>(hex_at),
                 expected.begin() + static_cast<std::ptrdiff_t>(hex_at + 8), expected.begin() + static_cast<std::ptrdiff_t>(hex_at),
                 [](char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); });
  FUZZ_CHECK(v->ToString() == expected, "NoteVerifier::Parse does not round-trip: " + v->ToString());
}

void CheckBase64Lines(std::string_view text) {
  for (int lines = 0; lines < 16 && !text.empty(); ++lines) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // The last word of a signature line is base64 too.
    const std::size_t space = line.rfind(' ');
    for (std::string_view candidate : {line, space == std::string_view::npos ? line : line.substr(space + 1)}) {
      Result<caseledger::Bytes> bytes = crypto::Base64Decode(candidate);
      if (!bytes.ok()) {
        FUZZ_CHECK(bytes.status().code() == StatusCode::kInvalidArgument, bytes.status().ToString());
        continue;
      }
      FUZZ_CHECK(crypto::Base64Encode(*bytes) == candidate, "Base64Decode is not strict");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckCheckpointBody(text);
  CheckNote(text);
  CheckVerifierKey(text);
  CheckBase64Lines(text);
  return 0;
}
