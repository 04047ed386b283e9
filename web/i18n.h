// The workspace's texts (docs/web.md, "Language"): every string a page shows
// comes from a message catalogue, Danish first, English second —
// web/messages/da.json and en.json, compiled in. Keys are dotted
// ("nav.my_cases", "ground.b.threat", "event.case.closed"); a value may hold
// {name} placeholders. Codes are always shown with their label: the label
// keys of every code the domain knows are checked by the tests
// (tests/web/i18n_test.cc). Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace caseledger::web {

enum class Lang { kDa = 0, kEn = 1 };
inline constexpr std::array<Lang, 2> kLangs = {Lang::kDa, Lang::kEn};

// "da", "en".
std::string_view LangCode(Lang lang);
// The language of a code ("da", "en"), or nullopt.
std::optional<Lang> ParseLang(std::string_view code);

class Catalogue {
 public:
  // The compiled-in catalogues (web/messages/*.json). Checked when first
  // used, as FromJson; a broken catalogue is a build defect and aborts.
  static const Catalogue& Builtin();

  // Both catalogues: flat JSON objects of non-empty strings with the same
  // keys, and in each key the same placeholders in both languages.
  // InvalidArgument naming the first key that breaks it.
  static Result<Catalogue> FromJson(std::string_view da, std::string_view en);

  // The catalogue of several parts (web/messages/da.json and en.json, and
  // one pair per area under web/messages/<area>/), each checked as FromJson;
  // a key in two parts is refused, naming both.
  struct Part {
    std::string_view name;  // "messages", "messages/dpo", … (for errors)
    std::string_view da, en;
  };
  static Result<Catalogue> FromParts(const std::vector<Part>& parts);

  bool Has(std::string_view key) const;
  // The text of `key`. A missing key shows as "[[key]]" (visible on the page
  // and in the browser tests, never a crash).
  std::string Text(Lang lang, std::string_view key) const;
  // Text with each {name} replaced by its value (inserted as it is: HTML
  // escaping is the renderer's). An unknown placeholder stays as it is.
  std::string Format(Lang lang, std::string_view key,
                     const std::vector<std::pair<std::string_view, std::string_view>>& args) const;
  // Every key, in byte order.
  std::vector<std::string> Keys() const;

 private:
  std::map<std::string, std::array<std::string, 2>, std::less<>> texts_;
};

// The placeholders of a text ("{minutes}" -> "minutes"), in order.
std::vector<std::string> Placeholders(std::string_view text);

}  // namespace caseledger::web
