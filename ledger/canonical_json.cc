#include "ledger/canonical_json.h"

#include "base/bytes.h"

#include <cstring>
#include <set>
#include <vector>

namespace caseledger::ledger {

namespace {

// Where CheckValue is, as a chain of steps on the stack: the path's text
// (e.g. "h.grounds[0].code") is made only for a refusal, so a value that
// passes (nearly all do) is checked in one walk with no allocation.
struct PathStep {
  const PathStep* up = nullptr;
  std::string_view key;   // an object member's key, or
  std::size_t index = 0;  // an array element's index
  bool is_index = false;
};

std::string PathText(const PathStep* at) {
  std::vector<const PathStep*> steps;
  for (; at != nullptr; at = at->up) steps.push_back(at);
  std::string path;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if ((*it)->is_index) {
      path += '[' + std::to_string((*it)->index) + ']';
    } else {
      if (!path.empty()) path += '.';
      path += (*it)->key;
    }
  }
  return path;
}

// The index of the first byte at or after `from` that JSON must escape (a
// control character, '"' or '\\'), or s.size(). Eight bytes at a time: a
// byte b < 0x20 sets the high bit of (b - 0x20) & ~b, and one equal to q
// leaves a zero in b ^ q, which the same test finds (bytes >= 0x80, i.e.
// UTF-8, never match). Only the presence in a word is trusted; the byte is
// then found one at a time.
std::size_t FindEscape(std::string_view s, std::size_t from) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  auto needs = [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; };
  std::size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t quote = w ^ (kOnes * '"');
    const std::uint64_t slash = w ^ (kOnes * '\\');
    const std::uint64_t hit = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                              ((slash - kOnes) & ~slash);
    if ((hit & kHigh) != 0) break;
  }
  for (; i < s.size(); ++i)
    if (needs(static_cast<unsigned char>(s[i]))) return i;
  return s.size();
}

// One walk over `v` that checks it (kCheck: CheckCanonicalValue's rules;
// false, and *refusal naming the path of the first offending value) and/or
// appends its canonical bytes to *out (kAppend). The three public forms are
// the three useful combinations, so a command is checked and encoded in one
// walk (CheckedCanonicalJson) by the same code that checks or encodes alone.
// A bool, not a Status, per node: CanonicalJson runs on every fact a rebuild
// folds.
template <bool kCheck, bool kAppend>
bool Walk(std::string* out, const Json& v, const JsonLimits& limits, std::size_t depth,
          const PathStep* at, Status* refusal) {
  auto refuse = [refusal](std::string message) {
    *refusal = InvalidArgument(std::move(message));
    return false;
  };
  if (kCheck && depth > limits.max_depth)
    return refuse("JSON nested too deeply at " + PathText(at));
  switch (v.type()) {
    case Json::value_t::object: {
      if (kAppend) out->push_back('{');
      bool first = true;
      // nlohmann's object_t is a std::map: keys in byte order, which for ASCII
      // keys is JCS's UTF-16 code-unit order.
      for (const auto& [key, child] : v.items()) {
        if (kCheck) {
          for (char c : key) {
            if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) {
              return refuse("JSON object key is not printable ASCII at " + PathText(at));
            }
          }
        }
        if (kAppend) {
          if (!first) out->push_back(',');
          AppendJsonString(*out, key);
          out->push_back(':');
        }
        first = false;
        const PathStep step{at, key};
        if (!Walk<kCheck, kAppend>(out, child, limits, depth + 1, &step, refusal)) return false;
      }
      if (kAppend) out->push_back('}');
      return true;
    }
    case Json::value_t::array: {
      if (kAppend) out->push_back('[');
      std::size_t i = 0;
      for (const auto& child : v) {
        if (kAppend && i != 0) out->push_back(',');
        const PathStep step{at, {}, i++, true};
        if (!Walk<kCheck, kAppend>(out, child, limits, depth + 1, &step, refusal)) return false;
      }
      if (kAppend) out->push_back(']');
      return true;
    }
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (kCheck) {
        if (s.size() > limits.max_string_bytes)
          return refuse("JSON string too long at " + PathText(at));
        if (!IsValidUtf8(s))
          return refuse("JSON string is not valid UTF-8 at " + PathText(at));
      }
      if (kAppend) AppendJsonString(*out, s);
      return true;
    }
    case Json::value_t::number_float: {
      if (kCheck) {
        const std::string path = PathText(at);
        return refuse("floating-point numbers are not allowed (at " +
                               (path.empty() ? std::string("top level") : path) + ")");
      }
      break;  // unchecked: a precondition violation, written as null
    }
    case Json::value_t::number_integer: {
      auto n = v.get<std::int64_t>();
      if (kCheck && (n > kMaxSafeInteger || n < -kMaxSafeInteger))
        return refuse("integer out of range at " + PathText(at));
      if (kAppend) *out += std::to_string(n);
      return true;
    }
    case Json::value_t::number_unsigned: {
      auto n = v.get<std::uint64_t>();
      if (kCheck && n > static_cast<std::uint64_t>(kMaxSafeInteger))
        return refuse("integer out of range at " + PathText(at));
      if (kAppend) *out += std::to_string(n);
      return true;
    }
    case Json::value_t::boolean:
      if (kAppend) *out += v.get<bool>() ? "true" : "false";
      return true;
    case Json::value_t::null:
      break;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      if (kCheck) return refuse("unsupported JSON value at " + PathText(at));
      break;
  }
  if (kAppend) *out += "null";
  return true;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters that need no escape (nearly all of them: base64,
  // ids, codes) are appended whole; the character-by-character loop cost a
  // tenth of an append's CPU at batch 256 (docs/performance.md).
  std::size_t run = 0;
  std::size_t i = 0;
  for (;;) {
    i = FindEscape(s, i);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
    ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

Status CheckCanonicalValue(const Json& value, const JsonLimits& limits) {
  Status refusal;
  Walk<true, false>(nullptr, value, limits, 0, nullptr, &refusal);
  return refusal;
}

std::string CanonicalJson(const Json& value) {
  std::string out;
  out.reserve(256);
  Walk<false, true>(&out, value, JsonLimits{}, 0, nullptr, nullptr);  // unchecked: never refuses
  return out;
}

Result<std::string> CheckedCanonicalJson(const Json& value, const JsonLimits& limits) {
  std::string out;
  out.reserve(256);
  Status refusal;
  if (!Walk<true, true>(&out, value, limits, 0, nullptr, &refusal)) return refusal;
  return out;
}

Result<Json> ParseUntrustedJson(std::string_view text,
                                const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    return InvalidArgument("JSON text larger than the limit");
  if (!IsValidUtf8(text)) return InvalidArgument("JSON text is not valid UTF-8");
  // Depth and duplicate keys are checked while parsing, so a hostile document
  // never builds a deep tree. The callback sees keys in order per object.
  std::vector<std::set<std::string>> keys;
  std::string problem;
  auto callback = [&](int depth, Json::parse_event_t event,
                      Json& parsed) -> bool {
    if (!problem.empty()) return false;
    if (static_cast<std::size_t>(depth) > limits.max_depth) {
      problem = "JSON nested too deeply";
      return false;
    }
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() &&
            !keys.back().insert(parsed.get<std::string>()).second) {
          problem = "JSON object has a duplicate key";
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), callback,
                       /*allow_exceptions=*/false);
  if (!problem.empty()) return InvalidArgument(problem);
  if (j.is_discarded()) return InvalidArgument("malformed JSON");
  CL_RETURN_IF_ERROR(CheckCanonicalValue(j, limits));
  return j;
}

}  // namespace caseledger::ledger
