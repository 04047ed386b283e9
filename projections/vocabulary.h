// Grounds vocabulary (DESIGN §5.1) and the assessment tool's nine dimensions
// (DESIGN §5.3, end): closed, versioned lists in code. An unknown code is
// refused by the policy engine (ROL-1), never dropped. Listed for users in
// docs/vocabulary.md. Pure data; thread-safe.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace caseledger::projections {

// Bumped whenever a code is added, removed or changes meaning.
inline constexpr std::string_view kVocabularyVersion = "1";

enum class CodeKind {
  kBehaviour,  // b.*: concrete observed conduct; the only possible grounds
  kProtected,  // p.*: context only; never grounds, never listed or counted
};

struct GroundCode {
  std::string_view code;     // e.g. "b.threat"
  CodeKind kind;
  std::string_view meaning;  // English text of DESIGN §5.1
};

// Every code of the current version, b.* first, in DESIGN order.
std::span<const GroundCode> GroundCodes();
// The code's entry, or nullptr if it is not in the vocabulary.
const GroundCode* FindGroundCode(std::string_view code);
inline bool IsBehaviourCode(std::string_view code) {
  const GroundCode* g = FindGroundCode(code);
  return g != nullptr && g->kind == CodeKind::kBehaviour;
}
inline bool IsProtectedCode(std::string_view code) {
  const GroundCode* g = FindGroundCode(code);
  return g != nullptr && g->kind == CodeKind::kProtected;
}

// The nine dimensions, each scored 0..3 for risk and for resources.
inline constexpr std::array<std::string_view, 9> kFactorDimensions = {
    "convictions_rhetoric",    "personality",     "violence_willingness",
    "mental_vulnerability",    "criminal_history", "family",
    "socialisation_relations", "network_leisure", "education_work"};
inline constexpr int kFactorMax = 3;

}  // namespace caseledger::projections
