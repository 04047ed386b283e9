#include "projections/vocabulary.h"

#include <algorithm>

namespace caseledger::projections {

namespace {

constexpr CodeKind kB = CodeKind::kBehaviour;
constexpr CodeKind kP = CodeKind::kProtected;

// Version kVocabularyVersion ("1"): DESIGN §5.1, in its order. Listed for
// users in docs/vocabulary.md; change both together and bump the version.
constexpr GroundCode kCodes[] = {
    {"b.violence", kB, "used or took part in violence"},
    {"b.threat", kB, "threatened violence against persons or property"},
    {"b.legitimises_violence", kB,
     "explicitly legitimised or called for violence or other illegal acts"},
    {"b.illegal_act", kB,
     "committed another illegal act with a stated ideological motive (e.g. "
     "vandalism)"},
    {"b.hate_crime", kB, "committed a hate crime"},
    {"b.weapons", kB,
     "acquired weapons or explosives, or sought to, in connection with the "
     "above"},
    {"b.recruitment", kB,
     "recruited others to a group that uses or legitimises violence"},
    {"b.conflict_zone_travel", kB,
     "travelled or prepared to travel to a conflict zone to join an armed "
     "group"},
    {"b.incitement_content", kB,
     "produced or spread content inciting violence or terrorism"},
    {"b.violent_group_activity", kB,
     "took part in activities of a group that commits violence (not mere "
     "acquaintance)"},
    {"b.returnee", kB,
     "returned from a conflict zone after joining an armed group"},
    {"p.religion", kP, "religious affiliation, conversion"},
    {"p.religious_practice", kP,
     "prayer, fasting, attendance at a place of worship, dress, beard"},
    {"p.political_opinion", kP,
     "political opinions, also radical or anti-system ones, lawfully "
     "expressed"},
    {"p.lawful_association", kP,
     "membership of or contact with a lawful association, congregation or "
     "community"},
    {"p.ethnicity", kP, "ethnic origin, nationality, language"},
    {"p.appearance", kP, "clothing, symbols and appearance that are lawful"},
    {"p.lawful_protest", kP,
     "criticism of or distrust towards authorities, lawful protest"},
    {"p.online_opinion", kP, "opinions expressed online without incitement"},
    {"p.health", kP, "mental or physical health"},
    {"p.sexual_orientation", kP, "sexual orientation"},
};

}  // namespace

std::span<const GroundCode> GroundCodes() { return kCodes; }

const GroundCode* FindGroundCode(std::string_view code) {
  const auto* it =
      std::find_if(std::begin(kCodes), std::end(kCodes),
                   [&](const GroundCode& g) { return g.code == code; });
  return it == std::end(kCodes) ? nullptr : it;
}

}  // namespace caseledger::projections
