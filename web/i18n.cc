#include "web/i18n.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/json.h"

namespace caseledger::web {

// web/messages.cc.in (generated into the build tree): the catalogue's parts,
// web/messages/{da,en}.json first, then each area's pair.
extern const std::size_t kMessageParts;
extern const char* const kMessagePartNames[];
extern const char* const kMessagePartsDa[];
extern const char* const kMessagePartsEn[];

std::string_view LangCode(Lang lang) { return lang == Lang::kDa ? "da" : "en"; }

std::optional<Lang> ParseLang(std::string_view code) {
  if (code == "da") return Lang::kDa;
  if (code == "en") return Lang::kEn;
  return std::nullopt;
}

std::vector<std::string> Placeholders(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t at = text.find('{'); at != std::string_view::npos; at = text.find('{', at + 1)) {
    const std::size_t end = text.find('}', at);
    if (end == std::string_view::npos) break;
    out.emplace_back(text.substr(at + 1, end - at - 1));
  }
  return out;
}

namespace {
Result<Json> ParseCatalogue(std::string_view text, std::string_view lang) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return InvalidArgument("messages/" + std::string(lang) + ".json: not a JSON object");
  return j;
}
}  // namespace

Result<Catalogue> Catalogue::FromJson(std::string_view da, std::string_view en) {
  CL_ASSIGN_OR_RETURN(Json jda, ParseCatalogue(da, "da"));
  CL_ASSIGN_OR_RETURN(Json jen, ParseCatalogue(en, "en"));
  Catalogue c;
  for (const auto& [key, value] : jda.items()) {
    if (!value.is_string() || value.get<std::string>().empty())
      return InvalidArgument("messages/da.json: " + key + " is not a non-empty string");
    if (!jen.contains(key)) return InvalidArgument("messages/en.json: no " + key);
    const Json& other = jen[key];
    if (!other.is_string() || other.get<std::string>().empty())
      return InvalidArgument("messages/en.json: " + key + " is not a non-empty string");
    auto pda = Placeholders(value.get<std::string>()), pen = Placeholders(other.get<std::string>());
    std::sort(pda.begin(), pda.end());
    std::sort(pen.begin(), pen.end());
    if (pda != pen) return InvalidArgument(key + ": the placeholders differ between da and en");
    c.texts_.emplace(key, std::array<std::string, 2>{value.get<std::string>(), other.get<std::string>()});
  }
  for (const auto& [key, value] : jen.items())
    if (!jda.contains(key)) return InvalidArgument("messages/da.json: no " + key);
  return c;
}

Result<Catalogue> Catalogue::FromParts(const std::vector<Part>& parts) {
  Catalogue all;
  std::map<std::string, std::string_view, std::less<>> owner;
  for (const Part& part : parts) {
    Result<Catalogue> c = FromJson(part.da, part.en);
    if (!c.ok())
      return InvalidArgument(std::string(part.name) + ": " + std::string(c.status().message()));
    for (auto& [key, texts] : c->texts_) {
      if (auto it = owner.find(key); it != owner.end())
        return InvalidArgument(key + ": in both " + std::string(it->second) + " and " +
                               std::string(part.name));
      owner.emplace(key, part.name);
      all.texts_.emplace(key, std::move(texts));
    }
  }
  return all;
}

const Catalogue& Catalogue::Builtin() {
  static const Catalogue builtin = [] {
    std::vector<Part> parts;
    for (std::size_t i = 0; i < kMessageParts; ++i)
      parts.push_back({kMessagePartNames[i], kMessagePartsDa[i], kMessagePartsEn[i]});
    Result<Catalogue> c = FromParts(parts);
    if (!c.ok()) {
      std::fprintf(stderr, "caseledger: the built-in message catalogue is broken: %s\n",
                   c.status().ToString().c_str());
      std::abort();
    }
    return std::move(c).value();
  }();
  return builtin;
}

bool Catalogue::Has(std::string_view key) const { return texts_.find(key) != texts_.end(); }

std::string Catalogue::Text(Lang lang, std::string_view key) const {
  auto it = texts_.find(key);
  if (it == texts_.end()) return "[[" + std::string(key) + "]]";
  return it->second[static_cast<std::size_t>(lang)];
}

std::string Catalogue::Format(
    Lang lang, std::string_view key,
    const std::vector<std::pair<std::string_view, std::string_view>>& args) const {
  const std::string text = Text(lang, key);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    const std::size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out.append(text, i);
      break;
    }
    out.append(text, i, open - i);
    const std::string_view name = std::string_view(text).substr(open + 1, close - open - 1);
    auto arg = std::find_if(args.begin(), args.end(), [&](const auto& a) { return a.first == name; });
    if (arg == args.end()) out.append(text, open, close - open + 1);
    else out.append(arg->second);
    i = close + 1;
  }
  return out;
}

std::vector<std::string> Catalogue::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(texts_.size());
  for (const auto& [key, texts] : texts_) keys.push_back(key);
  return keys;
}

}  // namespace caseledger::web
