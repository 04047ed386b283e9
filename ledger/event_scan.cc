#include "ledger/event_scan.h"

#include <cstdint>
#include <cstring>

#include "crypto/base64.h"
#include "ledger/canonical_json.h"
#include "ledger/event.h"
#include "ledger/merkle/tree_hash.h"

namespace caseledger::ledger {

namespace {

constexpr std::size_t kMaxHeaderDepth = JsonLimits{}.max_depth;
constexpr std::size_t kMaxHeaderString = JsonLimits{}.max_string_bytes;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// A strict scanner of canonical JSON (the encoding CanonicalJson produces).
class Scanner {
 public:
  explicit Scanner(std::string_view s, std::size_t max_depth = kMaxHeaderDepth,
                   std::size_t max_string = kMaxHeaderString)
      : s_(s), max_depth_(max_depth), max_string_(max_string) {}

  std::size_t pos() const { return i_; }
  bool AtEnd() const { return i_ == s_.size(); }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++i_;
    return true;
  }

  // Skips bytes that need no check inside a string, 8 at a time: printable
  // ASCII other than '"' and '\\'. Stops at the first 8 bytes that hold
  // anything else, which String then looks at byte by byte. Most of a line is
  // such bytes (the body's base64 above all), so this is most of the scan.
  void SkipPlain() {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    // Non-zero iff some byte of v is zero (exact; see "Bit Twiddling Hacks",
    // "Determine if a word has a zero byte").
    auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    while (i_ + 8 <= s_.size()) {
      std::uint64_t w;
      std::memcpy(&w, s_.data() + i_, 8);
      const std::uint64_t special = has_zero(w ^ (kOnes * '"')) |
                                    has_zero(w ^ (kOnes * '\\')) |
                                    ((w - kOnes * 0x20) & ~w & kHigh) |  // a byte < 0x20
                                    (w & kHigh);                         // a byte >= 0x80
      if (special != 0) return;
      i_ += 8;
    }
  }

  // A canonical string at the cursor. `raw` receives the text between the
  // quotes; `unescaped_len` its decoded length; `escaped` whether it has any
  // escape. Refuses control characters, non-canonical escapes, bad UTF-8.
  bool String(std::string_view* raw, std::size_t* unescaped_len, bool* escaped) {
    if (!Eat('"')) return false;
    std::size_t start = i_, removed = 0;
    bool esc = false;
    while (i_ < s_.size()) {
      SkipPlain();
      if (i_ >= s_.size()) break;
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        if (raw) *raw = s_.substr(start, i_ - start);
        if (unescaped_len) *unescaped_len = i_ - start - removed;
        if (escaped) *escaped = esc;
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        esc = true;
        if (i_ + 1 >= s_.size()) return false;
        char e = s_[i_ + 1];
        if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
          i_ += 2;
          removed += 1;
          continue;
        }
        // \u00XX only for control characters without a short form, lower-case hex.
        if (e != 'u' || i_ + 5 >= s_.size() || s_[i_ + 2] != '0' || s_[i_ + 3] != '0' ||
            !IsLowerHex(s_[i_ + 4]) || !IsLowerHex(s_[i_ + 5])) {
          return false;
        }
        int v = (s_[i_ + 4] - '0') * 16 + (IsDigit(s_[i_ + 5]) ? s_[i_ + 5] - '0' : s_[i_ + 5] - 'a' + 10);
        if (s_[i_ + 4] != '0' && s_[i_ + 4] != '1') return false;
        if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return false;
        i_ += 6;
        removed += 5;
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      // UTF-8: shortest form, no surrogates, at most U+10FFFF.
      std::size_t n;
      std::uint32_t cp;
      if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1Fu; }
      else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0Fu; }
      else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07u; }
      else return false;
      if (i_ + n >= s_.size()) return false;
      for (std::size_t k = 1; k <= n; ++k) {
        auto b = static_cast<unsigned char>(s_[i_ + k]);
        if ((b & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3Fu);
      }
      if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i_ += n + 1;
    }
    return false;
  }

  // A canonical integer within ±(2^53 - 1). `value` receives it (magnitude)
  // and `negative` its sign.
  bool Integer(std::uint64_t* value, bool* negative) {
    bool neg = Eat('-');
    if (i_ >= s_.size() || !IsDigit(s_[i_])) return false;
    std::uint64_t v = 0;
    std::size_t digits = 0;
    if (s_[i_] == '0') {
      ++i_;
      digits = 1;
      if (neg) return false;  // "-0" is not canonical
    } else {
      while (i_ < s_.size() && IsDigit(s_[i_])) {
        if (++digits > 16) return false;
        v = v * 10 + static_cast<std::uint64_t>(s_[i_] - '0');
        ++i_;
      }
    }
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) return false;  // no floats
    if (v > static_cast<std::uint64_t>(kMaxSafeInteger)) return false;
    if (value) *value = v;
    if (negative) *negative = neg;
    return true;
  }

  // Any canonical value. `depth` is the value's depth inside a header (the
  // header object itself is 0), checked like CheckCanonicalValue.
  bool Value(std::size_t depth) {
    if (depth > max_depth_) return false;
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') return Object(depth);
    if (c == '[') {
      ++i_;
      if (Eat(']')) return true;
      do {
        if (!Value(depth + 1)) return false;
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      std::size_t len = 0;
      return String(nullptr, &len, nullptr) && len <= max_string_;
    }
    if (c == '-' || IsDigit(c)) return Integer(nullptr, nullptr);
    return Literal("true") || Literal("false") || Literal("null");
  }

  // An object whose keys are printable ASCII, strictly increasing (by their
  // decoded bytes, as std::map orders them).
  bool Object(std::size_t depth) {
    if (!Eat('{')) return false;
    if (Eat('}')) return true;
    std::string prev_key, key_buf;
    bool first = true;
    do {
      std::string_view raw;
      bool escaped = false;
      if (!String(&raw, nullptr, &escaped)) return false;
      std::string_view key = raw;
      if (escaped) {
        key_buf.clear();
        for (std::size_t k = 0; k < raw.size(); ++k) {
          if (raw[k] != '\\') { key_buf.push_back(raw[k]); continue; }
          char e = raw[++k];
          if (e != '"' && e != '\\') return false;  // keys have no control characters
          key_buf.push_back(e);
        }
        key = key_buf;
      }
      for (char ch : key) {
        if (static_cast<unsigned char>(ch) >= 0x80) return false;
      }
      if (!first && !(prev_key < key)) return false;
      prev_key.assign(key);
      first = false;
      if (!Eat(':') || !Value(depth + 1)) return false;
    } while (Eat(','));
    return Eat('}');
  }

 private:
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t max_depth_, max_string_;
};

Status Bad(std::string what) { return Corruption(std::move(what)); }

}  // namespace

Result<ScannedEvent> ScanEvent(std::string_view line, bool signature_input) {
  // Keys in canonical order; the flags say which are required.
  static constexpr std::string_view kKeys[] = {"actor", "body", "case", "h",       "prev", "role",
                                               "seq",   "sig",  "subject", "time", "type", "v"};
  static constexpr bool kRequired[] = {true, false, false, true, true, true, true, true, false, true, true, true};
  Scanner sc(line);
  ScannedEvent out;
  if (!sc.Eat('{')) return Bad("not a JSON object");
  std::size_t next_key = 0;  // keys must appear in kKeys order
  std::size_t sig_begin = 0, sig_end = 0;
  bool seen[12] = {};
  std::string_view prev_hex, sig_b64;
  bool first = true;
  while (true) {
    std::size_t member_begin = sc.pos();
    if (!first && !sc.Eat(',')) break;
    std::string_view key;
    bool escaped = false;
    if (!sc.String(&key, nullptr, &escaped) || !sc.Eat(':')) return Bad("line is not in canonical form");
    std::size_t k = next_key;
    while (k < 12 && kKeys[k] != key) ++k;
    if (k == 12) {
      for (auto known : kKeys) {
        if (known == key) return Bad("line is not in canonical form");
      }
      return Bad("unknown field \"" + std::string(key.substr(0, 32)) + "\"");
    }
    seen[k] = true;
    next_key = k + 1;
    first = false;
    const std::string_view name = kKeys[k];
    if (name == "h") {
      if (!sc.Peek('{')) return Bad("field \"h\" missing or not an object");
      const std::size_t h_begin = sc.pos();
      if (!sc.Object(0)) return Bad("header: not canonical JSON within limits");
      out.h = line.substr(h_begin, sc.pos() - h_begin);
    } else if (name == "seq" || name == "v") {
      std::uint64_t v = 0;
      bool neg = false;
      if (!sc.Integer(&v, &neg)) return Bad("line is not in canonical form");
      if (name == "seq") {
        if (neg || v == 0) return Bad("field \"seq\" missing or not an integer in 1..2^53-1");
        out.seq = v;
      } else if (neg || v != static_cast<std::uint64_t>(kEventVersion)) {
        return Bad("field \"v\" missing or not a supported version");
      }
    } else if (name == "body") {
      // {"ct":"…","kid":"…","n":"…"}, exactly these, in this order.
      static constexpr std::string_view kBody[] = {"ct", "kid", "n"};
      std::string_view* const body_values[] = {&out.body_ct, &out.body_kid, &out.body_n};
      if (!sc.Eat('{')) return Bad("field \"body\" must be {ct, kid, n}");
      for (std::size_t b = 0; b < 3; ++b) {
        std::string_view bk;
        if ((b > 0 && !sc.Eat(',')) || !sc.String(&bk, nullptr, nullptr) || bk != kBody[b] || !sc.Eat(':') ||
            !sc.String(body_values[b], nullptr, nullptr)) {
          return Bad("field \"body\" must be {ct, kid, n}");
        }
      }
      if (!sc.Eat('}')) return Bad("field \"body\" must be {ct, kid, n}");
    } else {
      std::string_view value;
      bool value_escaped = false;
      if (!sc.Peek('"')) return Bad("field \"" + std::string(name) + "\" is not a string");
      if (!sc.String(&value, nullptr, &value_escaped)) return Bad("line is not in canonical form");
      if (name == "prev") prev_hex = value;
      if (name == "time") out.time = value;
      std::string_view* field = name == "type"      ? &out.type
                                : name == "actor"   ? &out.actor
                                : name == "role"    ? &out.role
                                : name == "case"    ? &out.case_id
                                : name == "subject" ? &out.subject
                                                    : nullptr;
      if (field != nullptr) {
        *field = value;
        out.has_escapes = out.has_escapes || value_escaped;
      }
      if (name == "sig") {
        sig_b64 = value;
        sig_begin = member_begin;
        sig_end = sc.pos();
      }
    }
  }
  if (!sc.Eat('}') || !sc.AtEnd()) return Bad("line is not in canonical form");
  for (std::size_t k = 0; k < 12; ++k) {
    if (kRequired[k] && !seen[k]) return Bad("field \"" + std::string(kKeys[k]) + "\" missing");
  }
  out.has_body = seen[1];
  out.has_case = seen[2];
  out.has_subject = seen[8];
  if (prev_hex.size() != 64) return Bad("field \"prev\" is not a 32-byte hex hash");
  for (std::size_t k = 0; k < 32; ++k) {
    char hi = prev_hex[2 * k], lo = prev_hex[2 * k + 1];
    if (!IsLowerHex(hi) || !IsLowerHex(lo)) return Bad("field \"prev\" is not a 32-byte hex hash");
    auto nib = [](char c) { return static_cast<std::uint8_t>(IsDigit(c) ? c - '0' : c - 'a' + 10); };
    out.prev.bytes[k] = static_cast<std::uint8_t>(nib(hi) << 4 | nib(lo));
  }
  auto sig = crypto::Base64Decode(sig_b64);
  if (!sig.ok()) return Bad("field \"sig\" is not base64");
  if (sig->size() != crypto::kEd25519SignatureBytes) return Bad("field \"sig\" is not a 64-byte signature");
  std::memcpy(out.sig.bytes.data(), sig->data(), sig->size());
  if (crypto::Base64Encode(*sig) != sig_b64) return Bad("line is not in canonical form");
  if (!signature_input) return out;
  // C: the line without `,"sig":"…"` (sig is never the first member).
  out.signature_input.reserve(kEventSignaturePrefix.size() + line.size());
  out.signature_input.append(kEventSignaturePrefix);
  out.signature_input.append(line.substr(0, sig_begin));
  out.signature_input.append(line.substr(sig_end));
  return out;
}

Result<Json> ParseCanonicalObject(std::string_view text, const JsonLimits& limits) {
  Scanner sc(text, limits.max_depth, limits.max_string_bytes);
  if (text.size() > limits.max_bytes || !sc.Peek('{') || !sc.Value(0) || !sc.AtEnd())
    return InvalidArgument("not a canonical JSON object within limits");
  return ReadScannedHeader(text);
}

std::string_view ScannedEvent::unsigned_bytes() const {
  return std::string_view(signature_input).substr(kEventSignaturePrefix.size());
}

Result<CheckedLine> CheckEventLine(std::string_view line, const crypto::Ed25519PublicKey& key) {
  CheckedLine c;
  CL_ASSIGN_OR_RETURN(c.event, ScanEvent(line, /*signature_input=*/true));
  c.signature_valid = crypto::Ed25519Verify(key, AsBytes(c.event.signature_input), c.event.sig);
  c.leaf = merkle::HashLeaf(AsBytes(c.event.unsigned_bytes()));
  return c;
}

}  // namespace caseledger::ledger
