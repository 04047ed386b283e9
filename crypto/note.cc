#include "crypto/note.h"

#include <array>
#include <cassert>
#include <cstring>
#include <optional>
#include <utility>

#include "crypto/base64.h"
#include "crypto/sha256.h"

namespace caseledger::crypto {
namespace {

constexpr std::string_view kSigPrefix =
    "\xE2\x80\x94 ";  // U+2014 EM DASH, space

// Decodes one UTF-8 sequence at s[i] (strict: no overlongs, no surrogates,
// nothing above U+10FFFF — as Go's utf8.DecodeRune). Returns the code point and
// advances `i`, or nullopt if the bytes are not valid UTF-8.
std::optional<char32_t> DecodeUtf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return std::nullopt;  // continuation byte, C0/C1 overlong lead, or >
                          // U+10FFFF
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0u) != 0x80u) return std::nullopt;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  i += len;
  return cp;
}

// Go's unicode.IsSpace: Latin-1 spaces plus the Unicode White_Space property.
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case U'\t':
    case U'\n':
    case U'\v':
    case U'\f':
    case U'\r':
    case U' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Valid UTF-8 with no ASCII control character other than '\n' (the rule for a
// whole signed note). Returns the reason if not.
std::optional<std::string> NoteCharsProblem(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const std::optional<char32_t> c = DecodeUtf8(s, i);
    if (!c) return "invalid UTF-8 at byte " + std::to_string(at);
    if (*c < 0x20 && *c != U'\n')
      return "control character at byte " + std::to_string(at);
  }
  return std::nullopt;
}

std::array<std::uint8_t, 4> BigEndian32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24),
          static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

std::uint32_t DecodeBigEndian32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) |
         (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) |
         static_cast<std::uint32_t>(p[3]);
}

std::string KeyIdHex(std::uint32_t id) { return ToHex(BigEndian32(id)); }

// Exactly 8 hex digits of either case (Go: len 8 and strconv.ParseUint(s, 16,
// 32)).
std::optional<std::uint32_t> ParseKeyIdHex(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    std::uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

// Splits at the first `sep`: (before, after); after is empty if there is none.
std::pair<std::string_view, std::string_view> Chop(std::string_view s,
                                                   char sep) {
  const std::size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

std::string SignerLabel(std::string_view name, std::uint32_t key_id) {
  std::string s(name);
  s += '+';
  s += KeyIdHex(key_id);
  return s;
}

}  // namespace

std::uint32_t NoteKeyIdOfType(std::string_view name, std::uint8_t type,
                              const Ed25519PublicKey& key) {
  Sha256Hasher h;
  h.Update(AsBytes(name)).Update(std::uint8_t{0x0A}).Update(type).Update(
      key.view());
  const Digest d = h.Final();
  return DecodeBigEndian32(d.bytes.data());
}

std::uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& key) {
  return NoteKeyIdOfType(name, kNoteEd25519Type, key);
}

std::string FormatVerifierKey(std::string_view name, std::uint32_t key_id,
                              std::uint8_t type, const Ed25519PublicKey& key) {
  Bytes typed;
  typed.reserve(1 + key.bytes.size());
  typed.push_back(type);
  typed.insert(typed.end(), key.bytes.begin(), key.bytes.end());
  std::string s = SignerLabel(name, key_id);
  s += '+';
  s += Base64Encode(typed);
  return s;
}

Result<VerifierKey> ParseVerifierKey(std::string_view vkey,
                                     std::uint8_t want_type) {
  const auto [name, rest] = Chop(vkey, '+');
  const auto [hash16, key64] = Chop(rest, '+');
  CL_RETURN_IF_ERROR(
      ValidateNoteKeyName(name).WithContext("note verifier key"));
  const std::optional<std::uint32_t> id = ParseKeyIdHex(hash16);
  if (!id)
    return InvalidArgument("note verifier key: key id is not 8 hex digits");
  Result<Bytes> typed = Base64Decode(key64);
  if (!typed.ok() || typed->empty())
    return InvalidArgument("note verifier key: key is not base64");
  if ((*typed)[0] != want_type) {
    return InvalidArgument("note verifier key: signature type " +
                           std::to_string((*typed)[0]) + " where " +
                           std::to_string(want_type) + " is required");
  }
  CL_ASSIGN_OR_RETURN(Ed25519PublicKey key,
                      Ed25519PublicKeyFromBytes(ByteView(*typed).subspan(1)));
  const std::uint32_t want = NoteKeyIdOfType(name, want_type, key);
  if (*id != want) {
    return InvalidArgument("note verifier key: key id " + KeyIdHex(*id) +
                           " does not match name and key (" + KeyIdHex(want) +
                           ")");
  }
  VerifierKey v;
  v.name = std::string(name);
  v.key_id = want;
  v.type = want_type;
  v.key = key;
  return v;
}

Status ValidateNoteKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgument("note key name is empty");
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t at = i;
    const std::optional<char32_t> c = DecodeUtf8(name, i);
    if (!c)
      return InvalidArgument("note key name is not valid UTF-8 (byte " +
                             std::to_string(at) + ")");
    if (*c == U'+') return InvalidArgument("note key name contains '+'");
    if (IsUnicodeSpace(*c))
      return InvalidArgument("note key name contains white space");
    if (*c < 0x20)
      return InvalidArgument("note key name contains a control character");
  }
  return Status::Ok();
}

Status ValidateNoteText(std::string_view text) {
  if (text.empty()) return InvalidArgument("note text is empty");
  if (text.back() != '\n')
    return InvalidArgument("note text does not end in a newline");
  if (auto problem = NoteCharsProblem(text))
    return InvalidArgument("note text: " + *problem);
  return Status::Ok();
}

NoteVerifier NoteVerifier::For(std::string_view name,
                               const Ed25519PublicKey& key) {
  assert(ValidateNoteKeyName(name).ok());
  NoteVerifier v;
  v.name = std::string(name);
  v.key_id = NoteKeyId(name, key);
  v.key = key;
  return v;
}

std::string NoteVerifier::ToString() const {
  return FormatVerifierKey(name, key_id, kNoteEd25519Type, key);
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  CL_ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey, kNoteEd25519Type));
  NoteVerifier v;
  v.name = std::move(k.name);
  v.key_id = k.key_id;
  v.key = k.key;
  return v;
}

Result<std::string> SignNote(std::string_view text, std::string_view name,
                             const Ed25519SigningKey& key) {
  CL_RETURN_IF_ERROR(ValidateNoteText(text));
  CL_RETURN_IF_ERROR(ValidateNoteKeyName(name));
  const Ed25519Signature sig = key.Sign(AsBytes(text));
  Bytes raw;
  raw.reserve(4 + sig.bytes.size());
  const auto id = BigEndian32(NoteKeyId(name, key.public_key()));
  raw.insert(raw.end(), id.begin(), id.end());
  raw.insert(raw.end(), sig.bytes.begin(), sig.bytes.end());

  std::string out;
  out.reserve(text.size() + name.size() + 100);
  out += text;
  out += '\n';
  out += kSigPrefix;
  out += name;
  out += ' ';
  out += Base64Encode(raw);
  out += '\n';
  return out;
}

Result<ParsedNote> ParseNote(std::string_view msg) {
  if (auto problem = NoteCharsProblem(msg))
    return InvalidArgument("malformed note: " + *problem);
  const std::size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgument(
        "malformed note: no blank line before the signatures");
  }
  ParsedNote note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty())
    return InvalidArgument("malformed note: no signature lines");
  if (sigs.back() != '\n')
    return InvalidArgument(
        "malformed note: last line does not end in a newline");

  std::size_t line_no = 0;
  while (!sigs.empty()) {
    ++line_no;
    const std::size_t nl = sigs.find('\n');  // found: sigs ends in '\n'
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    const std::string where =
        "malformed note: signature line " + std::to_string(line_no);
    if (line_no > kNoteMaxSignatures) {
      return InvalidArgument("malformed note: more than " +
                             std::to_string(kNoteMaxSignatures) +
                             " signature lines");
    }
    if (!line.starts_with(kSigPrefix))
      return InvalidArgument(where + " does not start with \"— \"");
    line.remove_prefix(kSigPrefix.size());
    const auto [name, b64] = Chop(line, ' ');
    if (!ValidateNoteKeyName(name).ok())
      return InvalidArgument(where + " has an invalid key name");
    Result<Bytes> raw = Base64Decode(b64);
    if (b64.empty() || !raw.ok())
      return InvalidArgument(where + " has invalid base64");
    if (raw->size() < 5)
      return InvalidArgument(where + " has a signature shorter than 5 bytes");
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = DecodeBigEndian32(raw->data());
    sig.signature.assign(raw->begin() + 4, raw->end());
    sig.base64 = std::string(b64);
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

Result<OpenedNote> OpenNote(std::string_view signed_note,
                            const NoteVerifier& verifier) {
  CL_ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(signed_note));
  const std::string label = SignerLabel(verifier.name, verifier.key_id);
  OpenedNote opened;
  bool verified = false;
  for (NoteSignature& sig : parsed.signatures) {
    if (sig.name != verifier.name || sig.key_id != verifier.key_id) {
      bool seen = false;
      for (const NoteSignature& o : opened.other_signatures) {
        seen = seen || (o.name == sig.name && o.base64 == sig.base64);
      }
      if (!seen) opened.other_signatures.push_back(std::move(sig));
      continue;
    }
    Result<Ed25519Signature> ed = Ed25519SignatureFromBytes(sig.signature);
    if (!ed.ok() || !Ed25519Verify(verifier.key, AsBytes(parsed.text), *ed)) {
      return Corruption("invalid signature for key " + label);
    }
    verified = true;
  }
  if (!verified)
    return NotFound("note has no signature by key " + label + " (unknown key)");
  opened.text = std::move(parsed.text);
  return opened;
}

}  // namespace caseledger::crypto
