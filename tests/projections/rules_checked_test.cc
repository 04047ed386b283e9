// The table of rules checked per event type (projections/rules_checked.h):
// it covers the whole catalogue, and agrees with DESIGN §5.2's "checked on"
// column. (policy_test checks, for every refusal the engine gives, that the
// refused type's row names the refusing rule.)
#include "projections/rules_checked.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "projections/catalogue.h"

namespace caseledger::projections {
namespace {

bool Has(std::string_view type, std::string_view rule) {
  const auto rules = RulesCheckedOn(type);
  return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

TEST_CASE("every type of the catalogue has its rules: ROLE first, ROL-10 always",
          "[projections][rules]") {
  for (const EventSpec& spec : EventSpecs()) {
    INFO(spec.type);
    const auto rules = RulesCheckedOn(spec.type);
    REQUIRE_FALSE(rules.empty());
    CHECK(rules.front() == "ROLE");
    CHECK(Has(spec.type, "ROL-10"));
    // Rule order: ROLE, then ROL-n by n, without repeats.
    int last = 0;
    for (std::size_t i = 1; i < rules.size(); ++i) {
      REQUIRE(rules[i].starts_with("ROL-"));
      const int n = std::stoi(std::string(rules[i].substr(4)));
      CHECK(n > last);
      last = n;
    }
  }
  CHECK(RulesCheckedOn("no.such_type").empty());
  CHECK(RulesCheckedOn("").empty());
}

TEST_CASE("the rules checked follow DESIGN §5.2's checked-on column", "[projections][rules]") {
  CHECK(Has("concern.reported", "ROL-1"));
  CHECK(Has("concern.reported", "ROL-2"));
  CHECK(Has("assessment.recorded", "ROL-1"));
  CHECK(Has("assessment.recorded", "ROL-4"));
  CHECK(Has("disclosure.made", "ROL-5"));
  CHECK(Has("disclosure.requested", "ROL-6"));
  CHECK(Has("disclosure.made", "ROL-6"));
  CHECK(Has("disclosure.requested", "ROL-7"));
  CHECK(Has("disclosure.requested", "ROL-8"));
  CHECK(Has("intervention.started", "ROL-9"));
  CHECK(Has("consent.recorded", "ROL-9"));
  CHECK(Has("subject.erased", "ROL-16"));
  // Every event of an existing case is checked against ROL-11.
  for (const EventSpec& spec : EventSpecs()) {
    if (spec.scope != Scope::kCase || spec.server_only) continue;
    INFO(spec.type);
    CHECK(Has(spec.type, "ROL-11"));
  }
  // Rules that govern other things than this type are not claimed.
  CHECK_FALSE(Has("concern.responded", "ROL-1"));
  CHECK_FALSE(Has("case.assigned", "ROL-5"));
  CHECK_FALSE(Has("policy.refused", "ROL-11"));
  CHECK_FALSE(Has("user.registered", "ROL-11"));
  // ROL-3 governs reads (listings, statistics): no stored type.
  for (const EventSpec& spec : EventSpecs()) CHECK_FALSE(Has(spec.type, "ROL-3"));
}

}  // namespace
}  // namespace caseledger::projections
