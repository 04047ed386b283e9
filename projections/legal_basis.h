// The legal-basis registry (DESIGN §5.3): one row per basis on which case data
// may be disclosed, versioned as a whole (a change of law is a new version;
// every disclosure records the version it was checked against). Listed for
// users in docs/legal-basis.md, with which citations are confirmed. Pure data;
// thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace caseledger::projections {

// The version new disclosure requests are checked against.
inline constexpr std::string_view kRegistryVersion = "2026-1";

struct LegalBasis {
  std::string_view code;      // e.g. "rpl-115-ssp"
  std::string_view citation;  // e.g. "Administration of Justice Act §115(1) no. 1 — SSP"
  // Allowed recipients (recipient codes of DESIGN §6); empty with
  // any_recipient = true for `consent`.
  std::span<const std::string_view> recipients;
  bool any_recipient = false;
  bool covers_art9 = false;   // special categories: health, belief_or_opinion
  bool covers_art10 = false;  // criminal_offence data
  bool onward_forbidden = false;  // information received under it is never passed on (ROL-7)
  std::string_view must_document;
  std::string_view citizen_informed;
  bool citation_confirmed = false;  // by the municipality's legal office
};

// Every registry version known, oldest first (the last is kRegistryVersion).
std::span<const std::string_view> RegistryVersions();
// Every row of `version` (empty span for an unknown version).
std::span<const LegalBasis> Registry(std::string_view version = kRegistryVersion);
// The row for `code` in `version`, or nullptr.
const LegalBasis* FindBasis(std::string_view code,
                            std::string_view version = kRegistryVersion);
// True if `basis` allows `recipient`.
bool AllowsRecipient(const LegalBasis& basis, std::string_view recipient);

}  // namespace caseledger::projections
