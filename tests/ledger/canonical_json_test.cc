#include "ledger/canonical_json.h"

#include "base/bytes.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

namespace caseledger::ledger {
namespace {

// A small deterministic generator for the random cases below (xorshift64).
struct XorShift {
  std::uint64_t state;
  std::uint64_t operator()() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

TEST_CASE("Canonical JSON sorts keys, has no whitespace and minimal escapes",
          "[ledger]") {
  Json j = Json::parse(
      R"({ "b": 1, "a": [true, null, "x"], "A": {"z": -5, "y": "q\"\\\n\u0001/é"} })");
  CHECK(CanonicalJson(j) ==
        "{\"A\":{\"y\":\"q\\\"\\\\\\n\\u0001/"
        "é\",\"z\":-5},\"a\":[true,null,\"x\"],\"b\":1}");
}

TEST_CASE("A JSON string is escaped as nlohmann escapes it, in runs and alone",
          "[ledger]") {
  // AppendJsonString copies runs of plain characters whole; the escapes
  // between, before and after runs must come out as nlohmann's dump makes
  // them (the canonical form, docs/formats). Every ASCII byte alone, then
  // random strings mixing runs with every character that needs an escape.
  for (int c = 0; c < 128; ++c) {
    const std::string s(1, static_cast<char>(c));
    std::string out = "x";
    AppendJsonString(out, s);
    INFO("byte " << c);
    CHECK(out == "x" + Json(s).dump());
  }
  XorShift next{0x9e3779b97f4a7c15ULL};
  const std::string specials = std::string("\"\\\b\f\n\r\t\x01\x1f\x7f", 10) + std::string(1, '\0');
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const std::size_t parts = next() % 8;
    for (std::size_t p = 0; p < parts; ++p) {
      if (next() % 2 == 0) {
        s += specials[next() % specials.size()];
      } else {
        const std::size_t n = next() % 40;
        for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(0x20 + next() % 95);
      }
    }
    std::string out;
    AppendJsonString(out, s);
    INFO("round " << round);
    CHECK(out == Json(s).dump());
  }
  // UTF-8 passes through unescaped, as in the test above.
  std::string out;
  AppendJsonString(out, "\xc3\xa9\n\xe2\x82\xac");
  CHECK(out == "\"\xc3\xa9\\n\xe2\x82\xac\"");
}

TEST_CASE("Canonical JSON refuses what it cannot store exactly", "[ledger]") {
  CHECK(CheckCanonicalValue(Json::parse(R"({"a":1.5})")).code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckCanonicalValue(Json::parse(R"({"a":[1,2.0]})"))
            .message()
            .find("a[1]") != std::string::npos);
  CHECK_FALSE(
      CheckCanonicalValue(Json::parse("9007199254740992")).ok());    // 2^53
  CHECK(CheckCanonicalValue(Json::parse("9007199254740991")).ok());  // 2^53 - 1
  CHECK_FALSE(CheckCanonicalValue(Json::parse("-9007199254740992")).ok());
  Json non_ascii_key = Json::object();
  non_ascii_key["\xc3\xa9"] = 1;
  CHECK_FALSE(CheckCanonicalValue(non_ascii_key).ok());
  Json bad_utf8 = Json::object();
  bad_utf8["a"] = std::string("\xff\xfe");
  CHECK_FALSE(CheckCanonicalValue(bad_utf8).ok());
}

TEST_CASE("A refusal names the path of the value it refuses", "[ledger]") {
  auto message = [](const char* text) {
    return CheckCanonicalValue(Json::parse(text)).message();
  };
  CHECK(message(R"({"h":{"grounds":[{"code":"x"},{"n":1.5}]}})") ==
        "floating-point numbers are not allowed (at h.grounds[1].n)");
  CHECK(message("1.5") == "floating-point numbers are not allowed (at top level)");
  CHECK(message(R"([[1],[2,9007199254740992]])") == "integer out of range at [1][1]");
  CHECK(message(R"({"a":[{"b":-9007199254740992}]})") == "integer out of range at a[0].b");
  CHECK(message("{\"a\":{\"\u00e9\":1}}") == "JSON object key is not printable ASCII at a");
  JsonLimits shallow;
  shallow.max_depth = 2;
  CHECK(CheckCanonicalValue(Json::parse(R"({"a":{"b":{"c":1}}})"), shallow).message() ==
        "JSON nested too deeply at a.b.c");
  JsonLimits short_strings;
  short_strings.max_string_bytes = 3;
  CHECK(CheckCanonicalValue(Json::parse(R"({"a":["abc","abcd"]})"), short_strings).message() ==
        "JSON string too long at a[1]");
}

// A random value for the test below: objects, arrays, strings with escapes
// and UTF-8, and now and then what CheckCanonicalValue refuses (a float, an
// integer beyond 2^53 - 1, a non-ASCII key, invalid UTF-8, a deep or long
// value under small limits).
Json RandomValue(XorShift& next, int depth) {
  const std::uint64_t pick = next() % (depth > 5 ? 6 : 9);
  switch (pick) {
    case 0: return Json(static_cast<std::int64_t>(next() % 2000) - 1000);
    case 1: {
      const std::uint64_t r = next() % 40;
      if (r == 0) return Json(1.5);
      if (r == 1) return Json(std::uint64_t{1} << 53);
      if (r == 2) return Json(-(std::int64_t{1} << 53));
      return Json(next() % 100000);
    }
    case 2: return Json(next() % 2 == 0);
    case 3: return Json(nullptr);
    case 4:
    case 5: {
      static const char* const kParts[] = {"abc", "\"", "\\", "\n", "\x01", "\xc3\xa9",
                                           "\xe2\x82\xac", "0123456789", "/"};
      std::string s;
      for (std::uint64_t n = next() % 6; n > 0; --n) s += kParts[next() % 9];
      if (next() % 60 == 0) s += "\xff";
      return Json(s);
    }
    case 6: case 7: {
      Json o = Json::object();
      for (std::uint64_t n = next() % 5; n > 0; --n) {
        std::string key = "k" + std::to_string(next() % 20);
        if (next() % 80 == 0) key += "\xc3\xa9";
        o[key] = RandomValue(next, depth + 1);
      }
      return o;
    }
    default: {
      Json a = Json::array();
      for (std::uint64_t n = next() % 5; n > 0; --n) a.push_back(RandomValue(next, depth + 1));
      return a;
    }
  }
}

// The rules of CheckCanonicalValue written out plainly, as the reference the
// walk is compared with: whether `v` breaks one of them anywhere.
bool BreaksARule(const Json& v, const JsonLimits& limits, std::size_t depth) {
  if (depth > limits.max_depth) return true;
  switch (v.type()) {
    case Json::value_t::object:
      for (const auto& [key, child] : v.items()) {
        for (char c : key)
          if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20)
            return true;
        if (BreaksARule(child, limits, depth + 1)) return true;
      }
      return false;
    case Json::value_t::array:
      for (const auto& child : v)
        if (BreaksARule(child, limits, depth + 1)) return true;
      return false;
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      return s.size() > limits.max_string_bytes || !IsValidUtf8(s);
    }
    case Json::value_t::number_integer:
      return v.get<std::int64_t>() > kMaxSafeInteger || v.get<std::int64_t>() < -kMaxSafeInteger;
    case Json::value_t::number_unsigned:
      return v.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxSafeInteger);
    case Json::value_t::boolean:
    case Json::value_t::null:
      return false;
    default:
      return true;  // floats, binary
  }
}

TEST_CASE("Checking and encoding in one walk gives what each gives alone", "[ledger]") {
  // CheckedCanonicalJson is what the writer runs on every command: it must
  // refuse exactly what CheckCanonicalValue refuses, with the same message,
  // and otherwise give exactly CanonicalJson's bytes.
  XorShift next{0x2545f4914f6cdd1dULL};
  std::size_t accepted = 0, refused = 0;
  for (int round = 0; round < 5000; ++round) {
    const Json v = RandomValue(next, 0);
    JsonLimits limits;
    if (round % 7 == 0) limits.max_depth = 2;
    if (round % 11 == 0) limits.max_string_bytes = 8;
    const Status check = CheckCanonicalValue(v, limits);
    const Result<std::string> both = CheckedCanonicalJson(v, limits);
    INFO("round " << round);
    REQUIRE(check.ok() == !BreaksARule(v, limits, 0));
    REQUIRE(both.ok() == check.ok());
    if (check.ok()) {
      ++accepted;
      CHECK(*both == CanonicalJson(v));
      CHECK(*both == v.dump());  // sorted keys, no whitespace, nlohmann's escapes
    } else {
      ++refused;
      CHECK(both.status().code() == check.code());
      CHECK(both.status().message() == check.message());
    }
  }
  // Both sides of the comparison were exercised.
  CHECK(accepted > 1000);
  CHECK(refused > 200);
}

TEST_CASE("Untrusted JSON: duplicates, depth, size and UTF-8 are refused",
          "[ledger]") {
  CHECK(ParseUntrustedJson(R"({"a":1})").ok());
  CHECK(ParseUntrustedJson(R"({"a":1,"a":2})")
            .status()
            .message()
            .find("duplicate") != std::string::npos);
  CHECK(ParseUntrustedJson(R"({"x":{"a":1,"a":1}})").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(ParseUntrustedJson(R"({"x":{"a":1},"y":{"a":1}})")
            .ok());  // same key in sibling objects is fine
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK(ParseUntrustedJson(deep).status().message().find("deep") !=
        std::string::npos);
  std::string very_deep(200000, '[');  // must not overflow the stack
  CHECK_FALSE(ParseUntrustedJson(very_deep).ok());
  JsonLimits small;
  small.max_bytes = 10;
  CHECK_FALSE(ParseUntrustedJson(R"({"a":"0123456789"})", small).ok());
  CHECK_FALSE(
      ParseUntrustedJson("{\"a\":\"\xc3\x28\"}").ok());  // invalid UTF-8
  CHECK_FALSE(
      ParseUntrustedJson("{\"a\":\"\xed\xa0\x80\"}").ok());  // UTF-16 surrogate
  CHECK_FALSE(ParseUntrustedJson("{\"a\":1} x").ok());
  CHECK_FALSE(ParseUntrustedJson("{\"a\":").ok());
}

TEST_CASE("Untrusted JSON: a duplicate key is found in any key order, at any depth",
          "[ledger]") {
  // Keys in and out of order, a duplicate after keys in order, siblings and
  // nested objects that reuse a key legitimately.
  auto dup = [](std::string_view text) {
    auto r = ParseUntrustedJson(text);
    return !r.ok() && r.status().message().find("duplicate") != std::string::npos;
  };
  CHECK(dup(R"({"a":1,"c":2,"b":3,"c":4})"));  // an in-order key again, after the switch
  CHECK(dup(R"({"a":1,"c":2,"b":3,"b":4})"));
  CHECK(dup(R"({"b":1,"a":2,"b":3})"));
  CHECK(dup(R"({"a":1,"b":2,"a":3})"));
  CHECK(dup(R"({"x":{"b":1,"a":1},"y":{"a":1,"a":2}})"));
  CHECK(dup(R"([{"a":1,"b":1},{"b":1,"a":1,"b":2}])"));
  CHECK(ParseUntrustedJson(R"({"c":1,"b":2,"a":3})").ok());
  CHECK(ParseUntrustedJson(R"({"x":{"b":1,"a":2},"y":{"a":1,"b":2}})").ok());
  CHECK(ParseUntrustedJson(R"([{"b":1,"a":1},{"a":1,"b":1},{"a":{"a":{"a":1}}}])").ok());
  // Random objects of up to 12 keys from a small alphabet, nested once: the
  // verdict is the one a set of every key gives.
  XorShift next{0x2545f4914f6cdd1dULL};
  auto object = [&](bool& has_dup) {
    std::set<std::string> seen;
    std::string text = "{";
    const std::size_t n = next() % 12;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key(1 + next() % 2, static_cast<char>('a' + next() % 8));
      if (!seen.insert(key).second) has_dup = true;
      if (i > 0) text += ',';
      text += '"' + key + "\":" + std::to_string(i);
    }
    return text + '}';
  };
  for (int round = 0; round < 3000; ++round) {
    bool has_dup = false;
    std::string text = "[";
    const std::size_t n = 1 + next() % 3;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) text += ',';
      text += next() % 2 == 0 ? object(has_dup) : "{\"o\":" + object(has_dup) + "}";
    }
    text += ']';
    INFO(text);
    CHECK(dup(text) == has_dup);
    CHECK(ParseUntrustedJson(text).ok() == !has_dup);
  }
}

}  // namespace
}  // namespace caseledger::ledger
