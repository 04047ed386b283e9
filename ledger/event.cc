#include "ledger/event.h"

#include <cstring>

#include "crypto/base64.h"
#include "ledger/event_scan.h"

namespace caseledger::ledger {

namespace {

enum class Part { kUnsigned, kSigned, kBodyAd };

// The "body" member, with its leading comma.
void AppendBodyMember(std::string& out, const EncryptedBody& body) {
  out += ",\"body\":{\"ct\":";
  AppendJsonString(out, body.ct);
  out += ",\"kid\":";
  AppendJsonString(out, body.kid);
  out += ",\"n\":";
  AppendJsonString(out, body.n);
  out += '}';
}

// `body_at`, if given, receives the offset right after the "actor" member,
// where "body" goes (the next key in canonical order).
std::string Encode(const Event& e, Part part, std::size_t* sig_offset = nullptr,
                   std::size_t* body_at = nullptr) {
  std::string out;
  out.reserve(512 + (e.body ? e.body->ct.size() : 0));
  // Keys in canonical (byte) order: actor, body, case, h, prev, role, seq, sig,
  // subject, time, type, v.
  out += "{\"actor\":";
  AppendJsonString(out, e.actor);
  if (body_at != nullptr) *body_at = out.size();
  if (e.body && part != Part::kBodyAd) AppendBodyMember(out, *e.body);
  if (e.case_id) {
    out += ",\"case\":";
    AppendJsonString(out, *e.case_id);
  }
  out += ",\"h\":";
  if (e.h_canonical.empty()) {
    out += CanonicalJson(e.h);
  } else {
    out += e.h_canonical;
  }
  out += ",\"prev\":\"";
  out += e.prev.Hex();
  out += "\",\"role\":";
  AppendJsonString(out, e.role);
  out += ",\"seq\":";
  out += std::to_string(e.seq);
  if (sig_offset != nullptr) *sig_offset = out.size();
  if (part == Part::kSigned) {
    out += ",\"sig\":\"";
    out += crypto::Base64Encode(e.sig->view());
    out += '"';
  }
  if (e.subject) {
    out += ",\"subject\":";
    AppendJsonString(out, *e.subject);
  }
  out += ",\"time\":";
  AppendJsonString(out, e.time);
  out += ",\"type\":";
  AppendJsonString(out, e.type);
  out += ",\"v\":";
  out += std::to_string(e.v);
  out += '}';
  return out;
}

// The bytes a string member stands for, from its raw text between the quotes.
// Precondition: ScanEvent accepted the text, so its only escapes are the
// canonical ones (\" \\ \b \f \n \r \t and \u00xx below U+0020, lower-case
// hex).
std::string Unescape(std::string_view raw) {
  std::size_t i = raw.find('\\');
  if (i == std::string_view::npos) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  out.append(raw.substr(0, i));
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out.push_back(raw[i]);
      continue;
    }
    switch (raw[++i]) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u':  // \u00xx
        out.push_back(
            static_cast<char>(nibble(raw[i + 3]) * 16 + nibble(raw[i + 4])));
        i += 4;
        break;
      default:  // '"' or '\\'
        out.push_back(raw[i]);
    }
  }
  return out;
}

// The value of canonical JSON text that ScanEvent has accepted as a header
// (docs/formats/event.md §Canonical JSON): no white space, keys sorted and
// unique, integers only (within ±(2^53 - 1)), canonical escapes, valid UTF-8,
// depth within limits. Under that precondition it builds the same value, with
// the same number types, as Json::parse (non-negative integers unsigned,
// negative ones signed), without a general parser's lexer: one pass over the
// bytes. The decode diff test and the fuzz target compare it with the
// reference decoder's Json::parse.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view s) : s_(s) {}

  Json Value() {
    switch (s_[i_]) {
      case '{': {
        ++i_;
        Json out = Json::object();
        if (s_[i_] == '}') {
          ++i_;
          return out;
        }
        auto& object = out.get_ref<Json::object_t&>();
        for (;;) {
          std::string key = String();
          ++i_;  // ':'
          // Keys arrive sorted: each goes at the end of the map.
          object.emplace_hint(object.end(), std::move(key), Value());
          if (s_[i_++] == '}') return out;  // else ','
        }
      }
      case '[': {
        ++i_;
        Json out = Json::array();
        if (s_[i_] == ']') {
          ++i_;
          return out;
        }
        auto& array = out.get_ref<Json::array_t&>();
        for (;;) {
          array.push_back(Value());
          if (s_[i_++] == ']') return out;  // else ','
        }
      }
      case '"':
        return Json(String());
      case 't':
        i_ += 4;
        return Json(true);
      case 'f':
        i_ += 5;
        return Json(false);
      case 'n':
        i_ += 4;
        return Json(nullptr);
      default:
        return Integer();
    }
  }

 private:
  // A string at the cursor (its opening quote), decoded; the cursor moves
  // past its closing quote.
  // Two memchr, not find_first_of: libstdc++'s find_first_of of a set
  // calls memchr over the set once per byte of the text.
  std::string String() {
    const std::size_t start = ++i_;
    const char* const base = s_.data();
    bool escaped = false;
    for (;;) {
      // Scanned text: every string has its closing quote.
      const auto* quote = static_cast<const char*>(std::memchr(base + i_, '"', s_.size() - i_));
      const auto at = static_cast<std::size_t>(quote - base);
      const auto* escape = static_cast<const char*>(std::memchr(base + i_, '\\', at - i_));
      if (escape == nullptr) {
        i_ = at + 1;
        const std::string_view raw = s_.substr(start, at - start);
        return escaped ? Unescape(raw) : std::string(raw);
      }
      escaped = true;
      i_ = static_cast<std::size_t>(escape - base) + 2;  // past the escape's two bytes
    }
  }
  Json Integer() {
    const bool negative = s_[i_] == '-';
    if (negative) ++i_;
    std::uint64_t magnitude = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
      magnitude = magnitude * 10 + static_cast<std::uint64_t>(s_[i_++] - '0');
    if (!negative) return Json(magnitude);
    return Json(-static_cast<std::int64_t>(magnitude));  // within 2^53 - 1
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<Json> ReadScannedHeader(std::string_view h) {
  if (h.empty() || h.front() != '{') return Corruption("header: not canonical JSON within limits");
  return CanonicalReader(h).Value();
}

std::string EncodeUnsigned(const Event& e, std::size_t* sig_offset) {
  return Encode(e, Part::kUnsigned, sig_offset);
}

std::string InsertSignature(std::string_view unsigned_bytes,
                            std::size_t sig_offset,
                            const crypto::Ed25519Signature& sig) {
  std::string out;
  out.reserve(unsigned_bytes.size() + 100);
  out += unsigned_bytes.substr(0, sig_offset);
  out += ",\"sig\":\"";
  out += crypto::Base64Encode(sig.view());
  out += '"';
  out += unsigned_bytes.substr(sig_offset);
  return out;
}
std::string EncodeSigned(const Event& e) { return Encode(e, Part::kSigned); }
std::string EncodeForBodyAd(const Event& e) { return Encode(e, Part::kBodyAd); }

BodyAdEncoding EncodeForBodyAdParts(const Event& e) {
  BodyAdEncoding ad;
  ad.bytes = Encode(e, Part::kBodyAd, &ad.sig_offset, &ad.body_at);
  return ad;
}

std::string EncodeUnsignedFrom(const BodyAdEncoding& ad, const EncryptedBody& body,
                               std::size_t* sig_offset) {
  std::string out;
  out.reserve(ad.bytes.size() + body.ct.size() + body.kid.size() + body.n.size() + 40);
  out.append(ad.bytes, 0, ad.body_at);
  AppendBodyMember(out, body);
  const std::size_t added = out.size() - ad.body_at;
  out.append(ad.bytes, ad.body_at, std::string::npos);
  if (sig_offset != nullptr) *sig_offset = ad.sig_offset + added;
  return out;
}

std::string SignatureInput(std::string_view unsigned_bytes) {
  std::string s;
  s.reserve(kEventSignaturePrefix.size() + unsigned_bytes.size());
  s += kEventSignaturePrefix;
  s += unsigned_bytes;
  return s;
}

Result<Event> DecodeEvent(std::string_view line) {
  // One pass over the line: ScanEvent accepts it only if it is exactly the
  // canonical encoding (docs/formats/event.md §Canonical JSON) of a valid
  // envelope, keys in their fixed order, and hands back views of the members.
  // Being canonical is checked by that scan itself, so the line is neither
  // parsed into a DOM nor re-encoded; what is left is copying the members out.
  // That this accepts exactly the lines, and yields exactly the events, of the
  // DOM decoder (DecodeEventReference) is what event_decode_diff_test and the
  // fuzz target fuzz_event_decode check.
  CL_ASSIGN_OR_RETURN(ScannedEvent s,
                      ScanEvent(line, /*signature_input=*/false));
  Event e;
  e.seq = s.seq;
  e.time = Unescape(s.time);
  e.type = Unescape(s.type);
  e.actor = Unescape(s.actor);
  e.role = Unescape(s.role);
  if (s.has_case) e.case_id = Unescape(s.case_id);
  if (s.has_subject) e.subject = Unescape(s.subject);
  // Only the header becomes a Json value. The scan has checked its bytes by
  // canonical_json.h's rules (sorted unique ASCII keys, integers within
  // ±(2^53 - 1), no floats, valid UTF-8, depth and string limits), so reading
  // just those bytes gives the value a whole-line parse would, and it passes
  // CheckCanonicalValue. Being canonical, they are read without a general
  // parser (CanonicalReader).
  CL_ASSIGN_OR_RETURN(e.h, ReadScannedHeader(s.h));
  if (s.has_body) {
    e.body = EncryptedBody{Unescape(s.body_ct), Unescape(s.body_kid),
                           Unescape(s.body_n)};
  }
  e.prev = s.prev;
  e.sig = s.sig;
  return e;
}

}  // namespace caseledger::ledger
