#include "crypto/cosignature.h"

#include <cassert>
#include <cstring>
#include <utility>

#include "crypto/base64.h"

namespace caseledger::crypto {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // "— "

void PutBigEndian(Bytes& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

std::uint32_t CosignerKeyId(std::string_view name,
                            const Ed25519PublicKey& key) {
  return NoteKeyIdOfType(name, kCosignatureV1Type, key);
}

std::string CosignatureMessage(std::string_view text, std::uint64_t timestamp) {
  std::string m;
  m.reserve(text.size() + 40);
  m += "cosignature/v1\ntime ";
  m += std::to_string(timestamp);
  m += '\n';
  m += text;
  return m;
}

CosignerVerifier CosignerVerifier::For(std::string_view name,
                                       const Ed25519PublicKey& key) {
  assert(ValidateNoteKeyName(name).ok());
  CosignerVerifier v;
  v.name = std::string(name);
  v.key_id = CosignerKeyId(name, key);
  v.key = key;
  return v;
}

std::string CosignerVerifier::ToString() const {
  return FormatVerifierKey(name, key_id, kCosignatureV1Type, key);
}

Result<CosignerVerifier> CosignerVerifier::Parse(std::string_view vkey) {
  CL_ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey, kCosignatureV1Type));
  CosignerVerifier v;
  v.name = std::move(k.name);
  v.key_id = k.key_id;
  v.key = k.key;
  return v;
}

Result<std::string> Cosign(std::string_view text, std::string_view name,
                           const Ed25519SigningKey& key,
                           std::uint64_t timestamp) {
  CL_RETURN_IF_ERROR(ValidateNoteText(text));
  CL_RETURN_IF_ERROR(ValidateNoteKeyName(name));
  if (timestamp > kMaxCosignatureTime)
    return InvalidArgument("cosignature timestamp exceeds 2^63 - 1");
  const Ed25519Signature sig =
      key.Sign(AsBytes(CosignatureMessage(text, timestamp)));
  Bytes raw;
  raw.reserve(4 + kTimestampedSignatureBytes);
  PutBigEndian(raw, CosignerKeyId(name, key.public_key()), 4);
  PutBigEndian(raw, timestamp, 8);
  raw.insert(raw.end(), sig.bytes.begin(), sig.bytes.end());
  std::string line;
  line.reserve(name.size() + 110);
  line += kSigPrefix;
  line += name;
  line += ' ';
  line += Base64Encode(raw);
  line += '\n';
  return line;
}

Result<TimestampedSignature> DecodeTimestampedSignature(ByteView bytes) {
  if (bytes.size() != kTimestampedSignatureBytes) {
    return InvalidArgument("timestamped signature is " +
                           std::to_string(bytes.size()) + " bytes, not " +
                           std::to_string(kTimestampedSignatureBytes));
  }
  TimestampedSignature t;
  for (std::size_t i = 0; i < 8; ++i) t.timestamp = (t.timestamp << 8) | bytes[i];
  if (t.timestamp > kMaxCosignatureTime)
    return InvalidArgument("cosignature timestamp exceeds 2^63 - 1");
  std::memcpy(t.signature.bytes.data(), bytes.data() + 8,
              t.signature.bytes.size());
  return t;
}

Result<std::uint64_t> VerifyCosignature(const NoteSignature& line,
                                        std::string_view text,
                                        const CosignerVerifier& verifier,
                                        std::optional<std::uint64_t> not_after) {
  if (line.name != verifier.name || line.key_id != verifier.key_id)
    return NotFound("signature line is not by cosigner " + verifier.name);
  Result<TimestampedSignature> t = DecodeTimestampedSignature(line.signature);
  if (!t.ok())
    return Corruption("cosignature by " + verifier.name + ": " +
                      t.status().message());
  if (not_after && t->timestamp > *not_after) {
    return Corruption("cosignature by " + verifier.name + " is dated " +
                      std::to_string(t->timestamp) + ", in the future");
  }
  if (!Ed25519Verify(verifier.key,
                     AsBytes(CosignatureMessage(text, t->timestamp)),
                     t->signature)) {
    return Corruption("invalid cosignature by " + verifier.name);
  }
  return t->timestamp;
}

CosignatureTally TallyCosignatures(const ParsedNote& note,
                                   std::span<const CosignerVerifier> verifiers,
                                   std::optional<std::uint64_t> not_after) {
  CosignatureTally tally;
  for (std::size_t i = 0; i < verifiers.size(); ++i) {
    const CosignerVerifier& v = verifiers[i];
    bool duplicate = false;
    for (std::size_t j = 0; j < i; ++j) duplicate = duplicate || verifiers[j] == v;
    if (duplicate) continue;
    std::optional<std::uint64_t> latest;
    bool bad = false;
    for (const NoteSignature& line : note.signatures) {
      Result<std::uint64_t> ts = VerifyCosignature(line, note.text, v, not_after);
      if (ts.ok()) {
        if (!latest || *ts > *latest) latest = *ts;
      } else if (ts.status().code() != StatusCode::kNotFound) {
        bad = true;
      }
    }
    if (bad) tally.invalid.push_back(v.name);
    if (latest) {
      tally.valid.push_back(v.name);
      tally.timestamps.push_back(*latest);
    }
  }
  return tally;
}

}  // namespace caseledger::crypto
