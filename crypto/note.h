// C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only (signature
// type 0x01), byte-compatible with golang.org/x/mod/sumdb/note: a text ending
// in
// "\n", a blank line, then lines "— <key name> base64(key id ‖ signature)\n".
// Used for the log's checkpoints (DESIGN §4) and the bundle's verifier.txt
// (DESIGN §10.1); the format as we use it is specified in docs/formats/note.md.
// All functions are pure and thread-safe; returned values own their memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/status.h"
#include "crypto/ed25519.h"

namespace caseledger::crypto {

// Signature type byte of Ed25519 note keys (c2sp.org/signed-note).
inline constexpr std::uint8_t kNoteEd25519Type = 0x01;
// Notes with more signature lines than this are rejected as malformed (as in
// Go's note.Open; the spec asks verifiers to accept at least 16).
inline constexpr std::size_t kNoteMaxSignatures = 100;

// Key id = first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey).
std::uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& key);
// The same for any signature type byte (0x04: cosignature/v1):
// SHA-256(name ‖ 0x0A ‖ type ‖ pubkey)[:4], big-endian.
std::uint32_t NoteKeyIdOfType(std::string_view name, std::uint8_t type,
                              const Ed25519PublicKey& key);

// A C2SP verifier key ("vkey") of an Ed25519-based signature type, parsed:
// "<name>+<8 hex key id>+<base64(type ‖ 32-byte key)>".
struct VerifierKey {
  std::string name;
  std::uint32_t key_id = 0;
  std::uint8_t type = 0;
  Ed25519PublicKey key;
};
// "<name>+<8 lower-hex key id>+<base64(type ‖ key)>".
std::string FormatVerifierKey(std::string_view name, std::uint32_t key_id,
                              std::uint8_t type, const Ed25519PublicKey& key);
// Parses a vkey as Go's note.NewVerifier does (hex key id in either case) and
// requires signature type `want_type` and key id =
// NoteKeyIdOfType(name, want_type, key). InvalidArgument otherwise, saying
// which part is wrong.
Result<VerifierKey> ParseVerifierKey(std::string_view vkey,
                                     std::uint8_t want_type);

// Checks a key name per the spec: non-empty, valid UTF-8, no '+', no Unicode
// white space (Go's unicode.IsSpace), and — since a note containing one is
// malformed — no ASCII control character. InvalidArgument otherwise, saying
// why.
Status ValidateNoteKeyName(std::string_view name);

// Checks a note text as SignNote needs it: non-empty, ends in '\n', valid
// UTF-8, no ASCII control character other than '\n'. InvalidArgument otherwise.
Status ValidateNoteText(std::string_view text);

// An Ed25519 note verifier key: who signs (name), and with which public key.
struct NoteVerifier {
  std::string name;
  std::uint32_t key_id = 0;
  Ed25519PublicKey key;

  // The verifier for `name` and `key`, key_id derived with NoteKeyId.
  // Precondition: ValidateNoteKeyName(name).ok() (asserted).
  static NoteVerifier For(std::string_view name, const Ed25519PublicKey& key);

  // "<name>+<8 lower-hex key id>+<base64(0x01 ‖ pubkey)>", Go's verifier key
  // encoding (note.NewEd25519VerifierKey).
  std::string ToString() const;

  // Parses a verifier key as Go's note.NewVerifier does (the hex key id may be
  // in either case). InvalidArgument if malformed, the type byte is not 0x01,
  // the key is not 32 bytes, or the key id does not match name and key.
  static Result<NoteVerifier> Parse(std::string_view vkey);
};

// Signs `text` (see ValidateNoteText) as `name` (see ValidateNoteKeyName) with
// `key` and returns the whole signed note:
//   text ‖ "\n" ‖ "— " ‖ name ‖ " " ‖ base64(key_id_be32 ‖ Ed25519(text)) ‖
//   "\n".
// Ed25519 is deterministic, so the same inputs give the same bytes.
// InvalidArgument if the text or the name is not acceptable.
// No context prefix is added (notes must stay interoperable); note texts always
// end in '\n' and event signing inputs never do (DESIGN §3), so the two
// kinds of signed message cannot be confused.
Result<std::string> SignNote(std::string_view text, std::string_view name,
                             const Ed25519SigningKey& key);

// One signature line of a note, decoded but not verified.
struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  Bytes signature;     // the bytes after the 4-byte key id (64 for Ed25519)
  std::string base64;  // the line's base64 text as written (key id included)
};

// A note split into its text and signature lines. Nothing is verified.
struct ParsedNote {
  std::string text;  // includes its final '\n', not the separating blank line
  std::vector<NoteSignature> signatures;  // in order, duplicates kept
};

// Parses a signed note's syntax as Go's note.Open does: the whole note valid
// UTF-8 without control characters other than '\n'; the text ends at the last
// blank line; every line after it is "— <valid name> <base64>\n" with at least
// 5 decoded bytes; at most kNoteMaxSignatures lines. Base64 is decoded strictly
// (padding required, unused bits zero). InvalidArgument otherwise.
Result<ParsedNote> ParseNote(std::string_view signed_note);

struct OpenedNote {
  std::string text;  // the verified text, final '\n' included
  // Signature lines by other keys (other name or other key id), unverified, in
  // order; identical lines are reported once (as Go does).
  std::vector<NoteSignature> other_signatures;
};

// Parses `signed_note` and verifies every signature line whose name AND key id
// are the verifier's (the spec requires verifying each line of a known key, so
// this is stricter than Go, which checks only the first). Other lines are
// ignored (returned as other_signatures).
// Errors: InvalidArgument — malformed note (see ParseNote); NotFound — no line
// by this verifier's name+key id ("unknown key"); Corruption — such a line does
// not verify (wrong length or bad signature: text or signature altered).
Result<OpenedNote> OpenNote(std::string_view signed_note,
                            const NoteVerifier& verifier);

}  // namespace caseledger::crypto
