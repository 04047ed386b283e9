// RulesCheckedOn: which rules of law (DESIGN §5.2, §5.3; ROLE for the role
// table of §6) the policy engine checks before an event of a given type is
// appended — the "checked on" column of DESIGN §5.2 and docs/rules.md, made
// exact against projections/policy.cc. So a stored event of that type has
// passed each of them (a refused command is stored only as policy.refused).
// The case timeline (app/html.h, docs/history.md) prints it beside each event.
// A static table; pure and thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace caseledger::projections {

// The rule ids checked on `type`, in rule order ("ROLE" first, then ROL-1 …
// ROL-16). Every type of the catalogue (EventSpecs) has at least one entry;
// an unknown type gives an empty span. The span refers to static storage.
std::span<const std::string_view> RulesCheckedOn(std::string_view type);

}  // namespace caseledger::projections
