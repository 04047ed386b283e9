// The message catalogues (web/i18n.h): both languages complete, and a label in
// each for every code, role, dimension and event type the domain knows, so a
// page can always show a code with its label.
#include <catch2/catch.hpp>

#include <string>

#include "projections/catalogue.h"
#include "projections/vocabulary.h"
#include "web/i18n.h"

namespace caseledger::web {
namespace {

void RequireLabel(const Catalogue& c, const std::string& key) {
  INFO(key);
  REQUIRE(c.Has(key));
  for (Lang lang : kLangs) CHECK_FALSE(c.Text(lang, key).empty());
}

TEST_CASE("the built-in catalogues have a Danish and an English label for every code",
          "[web][i18n]") {
  const Catalogue& c = Catalogue::Builtin();
  for (const projections::GroundCode& g : projections::GroundCodes())
    RequireLabel(c, "ground." + std::string(g.code));
  for (std::string_view d : projections::kFactorDimensions)
    RequireLabel(c, "dimension." + std::string(d));
  for (const projections::EventSpec& e : projections::EventSpecs())
    RequireLabel(c, "event." + std::string(e.type));
  for (const char* field : {"source", "subject_kind"}) {
    REQUIRE_FALSE(projections::HeaderCodes("concern.reported", field).empty());
    for (std::string_view code : projections::HeaderCodes("concern.reported", field))
      RequireLabel(c, std::string(field) + "." + std::string(code));
  }
  for (std::string_view status : {"received", "under_assessment", "founded", "unfounded",
                                  "intervention", "closed", "erased"})
    RequireLabel(c, "status." + std::string(status));
  for (std::string_view role : {"caseworker", "coordinator", "legal_reviewer", "auditor", "dpo"}) {
    REQUIRE(projections::RoleBitOf(role) != 0);
    RequireLabel(c, "role." + std::string(role));
  }
  // Danish first: the two languages differ where words do.
  CHECK(c.Text(Lang::kDa, "nav.my_cases") == "Mine sager");
  CHECK(c.Text(Lang::kEn, "nav.my_cases") == "My cases");
}

TEST_CASE("a catalogue with a key missing in one language, an empty text or other placeholders is refused",
          "[web][i18n]") {
  CHECK(Catalogue::FromJson(R"({"a":"x","b":"y"})", R"({"a":"x","b":"y"})").ok());
  const auto missing_en = Catalogue::FromJson(R"({"a":"x","b":"y"})", R"({"a":"x"})");
  REQUIRE_FALSE(missing_en.ok());
  CHECK(missing_en.status().message().find("en.json: no b") != std::string::npos);
  const auto missing_da = Catalogue::FromJson(R"({"a":"x"})", R"({"a":"x","b":"y"})");
  REQUIRE_FALSE(missing_da.ok());
  CHECK(missing_da.status().message().find("da.json: no b") != std::string::npos);
  CHECK_FALSE(Catalogue::FromJson(R"({"a":""})", R"({"a":"x"})").ok());
  CHECK_FALSE(Catalogue::FromJson(R"({"a":1})", R"({"a":"x"})").ok());
  CHECK_FALSE(Catalogue::FromJson(R"(["a"])", R"({"a":"x"})").ok());
  CHECK_FALSE(Catalogue::FromJson(R"({"a":"vent {n} min"})", R"({"a":"wait {m} min"})").ok());
  CHECK(Catalogue::FromJson(R"({"a":"{x} og {y}"})", R"({"a":"{y} and {x}"})").ok());
}

TEST_CASE("a catalogue of parts merges them, a key in two parts, or a broken part, is refused "
          "naming the parts",
          "[web][i18n]") {
  const auto merged = Catalogue::FromParts(
      {{"web/messages", R"({"a":"x"})", R"({"a":"x"})"}, {"web/messages/dpo", R"({"b":"y"})", R"({"b":"z"})"}});
  REQUIRE(merged.ok());
  CHECK(merged->Text(Lang::kEn, "b") == "z");
  CHECK(merged->Keys() == std::vector<std::string>{"a", "b"});
  const auto twice = Catalogue::FromParts(
      {{"web/messages", R"({"a":"x"})", R"({"a":"x"})"}, {"web/messages/dpo", R"({"a":"y"})", R"({"a":"y"})"}});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() == "a: in both web/messages and web/messages/dpo");
  const auto broken = Catalogue::FromParts({{"web/messages/audit", R"({"a":"x"})", R"({})"}});
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().message().find("web/messages/audit: messages/en.json: no a") != std::string::npos);
}

TEST_CASE("texts are formatted with their placeholders, and a missing key shows itself",
          "[web][i18n]") {
  const Catalogue c =
      Catalogue::FromJson(R"({"w":"Vent {minutes} minutter"})", R"({"w":"Wait {minutes} minutes"})")
          .value();
  CHECK(c.Format(Lang::kDa, "w", {{"minutes", "15"}}) == "Vent 15 minutter");
  CHECK(c.Format(Lang::kEn, "w", {{"minutes", "15"}}) == "Wait 15 minutes");
  CHECK(c.Format(Lang::kEn, "w", {}) == "Wait {minutes} minutes");
  CHECK(c.Text(Lang::kDa, "nope") == "[[nope]]");
  CHECK(Placeholders("a {b} c {d}") == std::vector<std::string>{"b", "d"});
  CHECK(ParseLang("da") == Lang::kDa);
  CHECK(ParseLang("en") == Lang::kEn);
  CHECK_FALSE(ParseLang("de").has_value());
  CHECK(LangCode(Lang::kDa) == "da");
}

}  // namespace
}  // namespace caseledger::web
