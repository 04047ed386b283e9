// C2SP tlog-cosignature v1 (Ed25519 `cosignature/v1`): a cosigner's
// timestamped statement that a checkpoint is the largest consistent tree head
// it has seen for the log. A cosignature is a signed-note signature line
// (crypto/note.h) whose key id uses type byte 0x04 and whose signature bytes
// are a `timestamped_signature` (8-byte big-endian POSIX time ‖ Ed25519 over
// "cosignature/v1\ntime <t>\n" ‖ note text). Format and the vectors it is
// checked against: docs/formats/cosignature.md. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"

namespace caseledger::crypto {

// Signature type byte of cosignature/v1 keys (c2sp.org/tlog-cosignature).
inline constexpr std::uint8_t kCosignatureV1Type = 0x04;
// Bytes of a timestamped_signature: u64 timestamp ‖ 64-byte Ed25519.
inline constexpr std::size_t kTimestampedSignatureBytes = 8 + 64;
// The spec's bound on `timestamp` (2^63 - 1).
inline constexpr std::uint64_t kMaxCosignatureTime = (std::uint64_t{1} << 63) - 1;

// Key id = first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ pubkey).
std::uint32_t CosignerKeyId(std::string_view name, const Ed25519PublicKey& key);

// "cosignature/v1\ntime <timestamp>\n" ‖ text: the bytes a cosigner signs.
// `text` is the checkpoint's whole note text (final '\n' included, extension
// lines included, no signature lines).
std::string CosignatureMessage(std::string_view text, std::uint64_t timestamp);

// A cosigner's verifier: name, key id (type 0x04) and Ed25519 public key.
struct CosignerVerifier {
  std::string name;
  std::uint32_t key_id = 0;
  Ed25519PublicKey key;

  // Precondition: ValidateNoteKeyName(name).ok() (asserted).
  static CosignerVerifier For(std::string_view name, const Ed25519PublicKey& key);
  // "<name>+<8 lower-hex key id>+<base64(0x04 ‖ pubkey)>" (a C2SP vkey).
  std::string ToString() const;
  // Parses a vkey of type 0x04. InvalidArgument if malformed, of another type
  // (a 0x01 log key is refused: the same key must not serve both roles), the
  // key is not 32 bytes, or the key id does not match name and key.
  static Result<CosignerVerifier> Parse(std::string_view vkey);

  friend bool operator==(const CosignerVerifier&,
                         const CosignerVerifier&) = default;
};

// The signature line "— <name> base64(key id ‖ timestamp ‖ Ed25519)\n" by
// `key` as `name` over `text` (see ValidateNoteText) at `timestamp`.
// InvalidArgument if the text or name is not acceptable or timestamp >
// kMaxCosignatureTime. Deterministic.
Result<std::string> Cosign(std::string_view text, std::string_view name,
                           const Ed25519SigningKey& key, std::uint64_t timestamp);

// A timestamped_signature decoded from a note signature's bytes (after the
// 4-byte key id). InvalidArgument unless exactly kTimestampedSignatureBytes
// long with timestamp <= kMaxCosignatureTime.
struct TimestampedSignature {
  std::uint64_t timestamp = 0;
  Ed25519Signature signature;
};
Result<TimestampedSignature> DecodeTimestampedSignature(ByteView bytes);

// Verifies one signature line of a note with text `text` as a cosignature by
// `verifier`. Returns its timestamp.
// Errors: NotFound — the line is not by this cosigner (other name or key id);
// Corruption — it is by this cosigner but malformed, its timestamp is past
// `not_after` (when given) or the signature does not verify.
Result<std::uint64_t> VerifyCosignature(
    const NoteSignature& line, std::string_view text,
    const CosignerVerifier& verifier,
    std::optional<std::uint64_t> not_after = std::nullopt);

// What a quorum check found among a note's signature lines.
struct CosignatureTally {
  // Names of the given cosigners with at least one valid line, in the order
  // of `verifiers`; each counted once however many lines it has.
  std::vector<std::string> valid;
  // Names of given cosigners with a line that failed verification (a forged
  // or altered cosignature), in the order of `verifiers`.
  std::vector<std::string> invalid;
  // The latest valid timestamp of each cosigner in `valid` (same order).
  std::vector<std::uint64_t> timestamps;
};

// Checks every line of `note` by each of `verifiers` (lines of other keys are
// ignored, as the spec requires). Duplicate verifiers count once.
CosignatureTally TallyCosignatures(
    const ParsedNote& note, std::span<const CosignerVerifier> verifiers,
    std::optional<std::uint64_t> not_after = std::nullopt);

}  // namespace caseledger::crypto
