// The one-pass DecodeEvent against the DOM decoder it replaced
// (DecodeEventReference, ledger/event_reference.h): on many generated valid
// lines and on systematic mutations of them, both must accept the same lines,
// decode them to equal events, and refuse the rest with Corruption.
// Format: docs/formats/event.md. All data is synthetic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ledger/event.h"
#include "ledger/event_reference.h"
#include "ledger/event_scan.h"

namespace caseledger::ledger {
namespace {


// Every field, compared exactly; with `strict_types`, the header's number
// types too (two decodings of the same line must agree on them).
void ExpectSameEvent(const Event& a, const Event& b, bool strict_types) {
  CHECK(a.seq == b.seq);
  CHECK(a.time == b.time);
  CHECK(a.type == b.type);
  CHECK(a.actor == b.actor);
  CHECK(a.role == b.role);
  CHECK(a.case_id == b.case_id);
  CHECK(a.subject == b.subject);
  CHECK(a.h == b.h);
  CHECK(a.h.dump() == b.h.dump());
  if (strict_types) CHECK(SameJsonTypes(a.h, b.h));
  CHECK(a.h_canonical == b.h_canonical);
  CHECK(a.body.has_value() == b.body.has_value());
  if (a.body && b.body) {
    CHECK(a.body->ct == b.body->ct);
    CHECK(a.body->kid == b.body->kid);
    CHECK(a.body->n == b.body->n);
  }
  CHECK(a.prev == b.prev);
  CHECK(a.sig == b.sig);
  CHECK(a.v == b.v);
}

// Returns whether the line was accepted.
bool ExpectSameVerdict(const std::string& line) {
  Result<Event> fast = DecodeEvent(line);
  Result<Event> reference = DecodeEventReference(line);
  INFO("line: " << line);
  INFO("fast: " << (fast.ok() ? std::string("accepted") : fast.status().ToString()));
  INFO("reference: " << (reference.ok() ? std::string("accepted") : reference.status().ToString()));
  REQUIRE(fast.ok() == reference.ok());
  if (!fast.ok()) {
    CHECK(fast.status().code() == StatusCode::kCorruption);
    CHECK(reference.status().code() == StatusCode::kCorruption);
    return false;
  }
  ExpectSameEvent(*fast, *reference, /*strict_types=*/true);
  CHECK(EncodeSigned(*fast) == line);
  // The header alone, as the replays and the audit read it from a scan.
  Result<ScannedEvent> scanned = ScanEvent(line, /*signature_input=*/false);
  REQUIRE(scanned.ok());
  Result<Json> h = ReadScannedHeader(scanned->h);
  REQUIRE(h.ok());
  CHECK(*h == reference->h);
  CHECK(SameJsonTypes(*h, reference->h));
  return true;
}

// Synthetic strings: plain ASCII, the characters JSON escapes (quote,
// backslash, every control character, DEL), 2-, 3- and 4-byte UTF-8, empty.
class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}

  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  bool Coin() { return (rng_() & 1) != 0; }

  std::string Text(std::size_t max_len) {
    static const std::vector<std::string> kPieces = {
        "a", "Z", "0", "-", ".", " ", "/", "\"", "\\", "\b", "\f", "\n", "\r", "\t",
        std::string(1, '\0'), "\x01", "\x1f", "\x7f", "\xc3\xa9" /* é */, "\xc3\xb8" /* ø */,
        "\xe2\x82\xac" /* € */, "\xef\xbf\xbf" /* U+FFFF */, "\xf0\x9f\x98\x80" /* U+1F600 */,
        "\xf4\x8f\xbf\xbf" /* U+10FFFF */, "u-", "concern.reported"};
    std::string s;
    const std::size_t n = Below(max_len + 1);
    for (std::size_t k = 0; k < n; ++k) s += kPieces[Below(kPieces.size())];
    return s;
  }

  // A printable ASCII key (CheckCanonicalValue's rule), quote and backslash
  // included.
  std::string Key() {
    static const std::string kChars = "abcxyz_09\"\\ ~\x7f";
    std::string k;
    const std::size_t n = Below(6);
    for (std::size_t i = 0; i < n; ++i) k += kChars[Below(kChars.size())];
    return k;
  }

  Json Value(int depth) {
    switch (Below(depth >= 4 ? 6 : 8)) {
      case 0: return nullptr;
      case 1: return Coin();
      case 2: {
        static const std::int64_t kInts[] = {0, 1, -1, 9, -10, 123456789, kMaxSafeInteger, -kMaxSafeInteger};
        return kInts[Below(std::size(kInts))];
      }
      case 3: return static_cast<std::uint64_t>(rng_() >> 11);  // < 2^53
      case 4:
      case 5: return Text(6);
      case 6: {
        Json a = Json::array();
        const std::size_t n = Below(4);
        for (std::size_t k = 0; k < n; ++k) a.push_back(Value(depth + 1));
        return a;
      }
      default: return Object(depth + 1);
    }
  }

  Json Object(int depth) {
    Json o = Json::object();
    const std::size_t n = Below(5);
    for (std::size_t k = 0; k < n; ++k) o[Key()] = Value(depth);
    return o;
  }

  Event MakeEvent(std::size_t index) {
    Event e;
    static const std::uint64_t kSeqs[] = {1, 2, 9, 10, 99, 1000000, static_cast<std::uint64_t>(kMaxSafeInteger)};
    e.seq = index % 3 == 0 ? kSeqs[Below(std::size(kSeqs))] : 1 + (rng_() >> 12);
    // The decoders do not check the time's form: any string.
    e.time = Coin() ? "2020-02-29T12:00:00.000001Z" : Text(4);
    e.type = Coin() ? "concern.reported" : Text(5);
    e.actor = Coin() ? "u-aaaaaaaaaaaaaaaaaaaaaaaaaa" : Text(5);
    e.role = Coin() ? "caseworker" : Text(3);
    // index % 8 walks through every combination of case, subject and body.
    if ((index & 1) != 0) e.case_id = Coin() ? Text(4) : "c-bbbbbbbbbbbbbbbbbbbbbbbbbb";
    if ((index & 2) != 0) e.subject = Coin() ? Text(4) : "";
    if ((index & 4) != 0) {
      e.body = EncryptedBody{Coin() ? "Y3QgdGV4dA==" : Text(8), Coin() ? "k-dddddddddddddddddddddddddd" : Text(3),
                             Coin() ? "bm9uY2U=" : Text(2)};
    }
    e.h = Below(5) == 0 ? Json::object() : Object(0);
    for (auto& b : e.prev.bytes) b = static_cast<std::uint8_t>(rng_());
    crypto::Ed25519Signature sig;
    for (auto& b : sig.bytes) b = static_cast<std::uint8_t>(rng_());
    e.sig = sig;
    return e;
  }

 private:
  std::mt19937_64 rng_;
};

std::vector<Event> GeneratedEvents(std::size_t n, std::uint64_t seed) {
  Gen gen(seed);
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) events.push_back(gen.MakeEvent(i));
  return events;
}

// Every occurrence of `from` in `line` replaced, one at a time.
std::vector<std::string> EachReplacement(const std::string& line, const std::string& from, const std::string& to) {
  std::vector<std::string> out;
  for (std::size_t p = line.find(from); p != std::string::npos; p = line.find(from, p + 1)) {
    std::string l = line;
    l.replace(p, from.size(), to);
    out.push_back(std::move(l));
  }
  return out;
}

// The top-level members of a valid line as (key, member text) pairs, in
// order, cut at the commas between members (the scan of a valid line's own
// structure: strings, nesting).
std::vector<std::string> Members(const std::string& line) {
  std::vector<std::string> members;
  std::size_t depth = 0, start = 1;
  bool in_string = false;
  for (std::size_t i = 1; i + 1 < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') --depth;
    else if (c == ',' && depth == 0) {
      members.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  members.push_back(line.substr(start, line.size() - 1 - start));
  return members;
}

std::string Join(const std::vector<std::string>& members) {
  std::string s = "{";
  for (std::size_t i = 0; i < members.size(); ++i) s += (i > 0 ? "," : "") + members[i];
  return s + "}";
}

TEST_CASE("DecodeEvent equals the reference decoder on generated valid events", "[ledger]") {
  std::size_t with_body = 0, with_case = 0, with_subject = 0;
  for (const Event& e : GeneratedEvents(400, 20261206)) {
    const std::string line = EncodeSigned(e);
    REQUIRE(ExpectSameVerdict(line));
    Result<Event> back = DecodeEvent(line);
    REQUIRE(back.ok());
    // The event that was encoded is the event decoded.
    ExpectSameEvent(*back, e, /*strict_types=*/false);
    with_body += e.body ? 1u : 0u;
    with_case += e.case_id ? 1u : 0u;
    with_subject += e.subject ? 1u : 0u;
  }
  CHECK(with_body == 200);
  CHECK(with_case == 200);
  CHECK(with_subject == 200);
}

TEST_CASE("DecodeEvent equals the reference decoder on every single-byte mutation", "[ledger]") {
  // Bytes chosen to hit structure, escapes, digits and UTF-8: one flip of
  // each kind per position, plus deletion, duplication and white space.
  static const std::string kReplacements = std::string("\"\\{}[],:0195-.eEu \x01\x7f\x80\xc3\xff") + '\0';
  std::size_t accepted = 0, lines = 0;
  for (const Event& e : GeneratedEvents(16, 7)) {
    const std::string line = EncodeSigned(e);
    ++lines;
    for (std::size_t pos = 0; pos <= line.size(); ++pos) {
      for (const char* ws : {" ", "\n", "\t", "\r"}) {
        std::string l = line;
        l.insert(pos, ws);
        // Refused, unless it landed inside a string.
        accepted += ExpectSameVerdict(l) ? 1u : 0u;
      }
      if (pos == line.size()) break;
      std::string deleted = line;
      deleted.erase(pos, 1);
      accepted += ExpectSameVerdict(deleted) ? 1u : 0u;
      std::string duplicated = line;
      duplicated.insert(pos, 1, line[pos]);
      accepted += ExpectSameVerdict(duplicated) ? 1u : 0u;
      for (unsigned bit : {0x01u, 0x02u, 0x20u, 0x80u}) {
        std::string flipped = line;
        flipped[pos] = static_cast<char>(static_cast<unsigned char>(flipped[pos]) ^ bit);
        accepted += ExpectSameVerdict(flipped) ? 1u : 0u;
      }
      for (char c : kReplacements) {
        if (c == line[pos]) continue;
        std::string replaced = line;
        replaced[pos] = c;
        accepted += ExpectSameVerdict(replaced) ? 1u : 0u;
      }
    }
  }
  CHECK(lines == 16);
  // Some mutations keep a line valid (a digit of seq or a header integer, a
  // letter of a string): both sides of the property were exercised.
  CHECK(accepted > 0);
}

TEST_CASE("DecodeEvent equals the reference decoder on reordered, missing, duplicate and unknown members",
          "[ledger]") {
  for (const Event& e : GeneratedEvents(24, 99)) {
    const std::string line = EncodeSigned(e);
    const std::vector<std::string> members = Members(line);
    REQUIRE(Join(members) == line);
    for (std::size_t i = 0; i < members.size(); ++i) {
      // Dropped: refused when required, otherwise a valid line of a different
      // event (optional members) that only re-encoding can tell apart.
      std::vector<std::string> m = members;
      m.erase(m.begin() + static_cast<std::ptrdiff_t>(i));
      ExpectSameVerdict(Join(m));
      // Duplicated, in place and at the end.
      m = members;
      m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), members[i]);
      CHECK_FALSE(ExpectSameVerdict(Join(m)));
      m = members;
      m.push_back(members[i]);
      CHECK_FALSE(ExpectSameVerdict(Join(m)));
      // Swapped with the next one and moved to the front.
      if (i + 1 < members.size()) {
        m = members;
        std::swap(m[i], m[i + 1]);
        CHECK_FALSE(ExpectSameVerdict(Join(m)));
      }
      if (i > 0) {
        m = members;
        std::rotate(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(i),
                    m.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        CHECK_FALSE(ExpectSameVerdict(Join(m)));
      }
      // An unknown member before this one, and a known one set to null.
      m = members;
      m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), "\"b\":\"x\"");
      CHECK_FALSE(ExpectSameVerdict(Join(m)));
      m = members;
      m[i] = m[i].substr(0, m[i].find("\":") + 2) + "null";
      CHECK_FALSE(ExpectSameVerdict(Join(m)));
    }
    // The optional members added where they belong, with odd values.
    for (const char* added : {"\"case\":\"\"", "\"case\":1", "\"subject\":[]", "\"body\":{}",
                                     "\"body\":{\"ct\":\"\",\"kid\":\"\",\"n\":\"\"}",
                                     "\"body\":{\"ct\":\"\",\"kid\":\"\",\"n\":1}",
                                     "\"body\":{\"ct\":\"\",\"kid\":\"\"}",
                                     "\"body\":{\"ct\":\"\",\"kid\":\"\",\"n\":\"\",\"x\":\"\"}",
                                     "\"body\":{\"kid\":\"\",\"ct\":\"\",\"n\":\"\"}"}) {
      std::vector<std::string> m = members;
      m.push_back(added);
      std::sort(m.begin(), m.end());
      ExpectSameVerdict(Join(m));
    }
  }
}

TEST_CASE("DecodeEvent equals the reference decoder wherever a string's first byte to check falls in an 8-byte word",
          "[ledger]") {
  // The scanner skips plain ASCII inside strings 8 bytes at a time: a quote,
  // backslash, control, DEL or non-ASCII byte at every offset of a long
  // plain run (valid, as the writer encodes it, and raw where JSON forbids
  // it) must be seen exactly as the reference decoder sees it.
  const std::vector<std::string> specials = {
      "\"", "\\", std::string(1, '\0'), "\x01", "\x1f", "\x7f", " ", "~",
      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  Event e;
  e.seq = 7;
  e.time = "2021-01-02T03:04:05.000006Z";
  e.type = "concern.responded";
  e.role = "caseworker";
  e.case_id = "c-bbbbbbbbbbbbbbbbbbbbbbbbbb";
  e.h = Json{{"channel", "phone"}};
  e.body = EncryptedBody{"Y3QgdGV4dA==", "k-dddddddddddddddddddddddddd", "bm9uY2U="};
  e.sig = crypto::Ed25519Signature{};
  std::size_t valid = 0, refused = 0;
  for (std::size_t offset = 0; offset < 18; ++offset) {
    for (const std::string& special : specials) {
      e.actor = std::string(offset, 'a') + special + std::string(19 - offset, 'b');
      const std::string line = EncodeSigned(e);
      valid += ExpectSameVerdict(line) ? 1u : 0u;
      // The same bytes unescaped in the line (a raw control character or a
      // lone continuation byte, e.g.): both refuse or both accept.
      const std::string plain = std::string(offset, 'a') + "#" + std::string(19 - offset, 'b');
      e.actor = plain;
      const std::string base = EncodeSigned(e);
      for (const char raw : {'\0', '\x01', '\x1f', '\x80', '\xbf', '\xc3', '\xff', '"'}) {
        std::string l = base;
        const std::size_t at = l.find(plain) + offset;
        l[at] = raw;
        refused += ExpectSameVerdict(l) ? 0u : 1u;
      }
    }
  }
  CHECK(valid == 18 * specials.size());
  CHECK(refused == 18 * specials.size() * 8);  // (a raw backslash before 'b' is the valid escape \b)
}

TEST_CASE("DecodeEvent equals the reference decoder on non-canonical escapes, numbers and UTF-8", "[ledger]") {
  Event e;
  e.seq = 120;
  e.time = "2020-02-29T12:00:00.000001Z";
  e.type = "concern.reported";
  e.actor = "u-aaaaaaaaaaaaaaaaaaaaaaaaaa";
  e.role = "coordinator";
  e.case_id = std::string("A/\xc3\xa9\"\\\b\f\n\r\t") + std::string(1, '\0') + "\x01\x1f\x7f" + "\xf0\x9f\x98\x80";
  e.subject = "s-";
  e.h = Json::parse(R"({"a":[1,-2,0,{"x":null,"y":true}],"k\"q":"A\u0001\n/\u00e9\ud83d\ude00",)"
                    R"("m":false,"n":9007199254740991,"p":-9007199254740991,"z":"\u007f"})");
  e.body = EncryptedBody{"Y3QgdGV4dA==", "k-dddddddddddddddddddddddddd", "bm9uY2U="};
  e.prev = crypto::Digest{};
  crypto::Ed25519Signature sig;
  for (std::size_t k = 0; k < sig.bytes.size(); ++k) sig.bytes[k] = static_cast<std::uint8_t>(k * 37);
  e.sig = sig;
  const std::string line = EncodeSigned(e);
  REQUIRE(ExpectSameVerdict(line));

  std::vector<std::string> variants;
  auto add = [&](const std::string& from, const std::string& to) {
    for (std::string& l : EachReplacement(line, from, to)) variants.push_back(std::move(l));
  };
  // Escapes that are valid JSON but not the canonical writer's.
  add("A", "\\u0041");
  add("/", "\\/");
  add("\xc3\xa9", "\\u00e9");
  add("\xc3\xa9", "\\u00E9");
  add("\xf0\x9f\x98\x80", "\\ud83d\\ude00");
  add("\\n", "\\u000a");
  add("\\t", "\\u0009");
  add("\\u001f", "\\u001F");
  add("\\u0001", "\\u0001");  // the canonical form itself: accepted
  add("\\\"", "\\u0022");
  add("\\\\", "\\u005c");
  add("\x7f", "\\u007f");
  add("\\u0001", "\\x01");
  add("\\u0001", "\\u01");
  add("\\u0001", "\\");
  add("\\u0001", "\\ud800");
  add("\\u0001", std::string(1, '\x01'));  // raw control character
  // Numbers: leading zeros, signs, fractions, exponents, range.
  add(":120,", ":0120,");
  add(":120,", ":+120,");
  add(":120,", ":120.0,");
  add(":120,", ":1.2e2,");
  add(":120,", ":1.2E2,");
  add(":120,", ":12e1,");
  add(":120,", ":-120,");
  add(":120,", ":0,");
  add(":120,", ":\"120\",");
  add(":120,", ":9007199254740991,");  // the largest seq: accepted
  add(":120,", ":9007199254740992,");
  add(":120,", ":18446744073709551616,");
  add("\"v\":1}", "\"v\":1.0}");
  add("\"v\":1}", "\"v\":01}");
  add("\"v\":1}", "\"v\":-1}");
  add("\"v\":1}", "\"v\":2}");
  add("\"v\":1}", "\"v\":1e0}");
  add("\"v\":1}", "\"v\":true}");
  add(",0,", ",-0,");
  add(",0,", ",0.0,");
  add(",0,", ",00,");
  add(",0,", ",0e0,");
  add(",-2,", ",-2.5,");
  add(",-2,", ",-02,");
  add("9007199254740991,", "9007199254740992,");
  add("-9007199254740991,", "-9007199254740992,");
  add("9007199254740991,", "1e308,");
  add("false", "False");
  add("null", "nul");
  // Invalid UTF-8 inside a string.
  add("\xc3\xa9", "\xc0\xa9");          // overlong
  add("\xc3\xa9", "\xc3");              // truncated
  add("\xc3\xa9", "\xa9");              // lone continuation byte
  add("\xc3\xa9", "\xed\xa0\x80");      // surrogate
  add("\xc3\xa9", "\xf4\x90\x80\x80");  // above U+10FFFF
  add("\xc3\xa9", "\xe0\x80\xa9");      // overlong, 3 bytes
  add("\xc3\xa9", "\xff");
  // The header's keys: reordered, duplicated, non-ASCII, escaped.
  add("\"m\":false,\"n\"", "\"n\":9007199254740991,\"m\":false,\"n\"");
  add("\"m\":false", "\"m\":false,\"m\":false");
  add("\"m\":false", "\"\xc3\xa9\":false");
  add("\"m\":false", "\"\\u006d\":false");
  add("\"m\":false", "\"m\\n\":false");
  add("{\"a\"", "{\"a\":1,\"a\"");
  // prev and sig: case, length, non-canonical base64.
  add(std::string(64, '0'), std::string(64, 'A'));
  add(std::string(64, '0'), std::string(63, '0'));
  add(std::string(64, '0'), std::string(66, '0'));
  {
    const std::size_t at = line.find("\"sig\":\"") + 7;
    const std::string b64 = line.substr(at, 88);
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string odd = b64;
    odd[85] = kAlphabet[kAlphabet.find(odd[85]) ^ 1];  // a padding bit set: not canonical
    add(b64, odd);
    add(b64, b64.substr(0, 86));           // unpadded
    add(b64, b64.substr(0, 84));           // 63 bytes
    add(b64, b64 + "AAAA");                // 67 bytes
    add(b64, b64.substr(0, 40) + "\\n" + b64.substr(40));
  }
  // The whole line: framing and trailing bytes.
  variants.push_back(line + "\n");
  variants.push_back(line + " ");
  variants.push_back(line + "}");
  variants.push_back(line + std::string(1, '\0'));
  variants.push_back("\xef\xbb\xbf" + line);
  variants.push_back("[" + line + "]");
  variants.push_back(line.substr(0, line.size() - 1));
  variants.push_back("");
  variants.push_back("{}");
  variants.push_back("null");

  std::size_t accepted = 0;
  std::string accepted_lines;
  for (const std::string& v : variants) {
    if (ExpectSameVerdict(v)) {
      ++accepted;
      accepted_lines += v + "\n";
    }
  }
  INFO("accepted:\n" << accepted_lines);
  // Accepted, by both: the canonical \u0001 put back (two occurrences), the
  // largest seq, and three replacements whose backslash pairs with the one
  // before it into \\ followed by plain text (valid lines of other events).
  CHECK(accepted == 6);
}

}  // namespace
}  // namespace caseledger::ledger
