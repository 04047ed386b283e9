#include "projections/legal_basis.h"

#include <algorithm>
#include <string_view>

namespace caseledger::projections {

namespace {

using std::string_view_literals::operator""sv;

// Recipient codes are those of the disclosure.requested header (DESIGN §6,
// plus "other": docs/legal-basis.md).
constexpr std::string_view kSsp[] = {"police", "social_services",
                                     "child_welfare"};
constexpr std::string_view kPsp[] = {"police", "social_services", "psychiatry"};
constexpr std::string_view kKsp[] = {"prison_probation", "social_services",
                                     "police"};
constexpr std::string_view kPet[] = {"pet"};
constexpr std::string_view kDbl822[] = {"police", "pet", "other"};
constexpr std::string_view kDbl823[] = {"police", "social_services",
                                        "other_municipality", "psychiatry"};
constexpr std::string_view kChildWelfare[] = {"child_welfare"};
constexpr std::string_view kFvl28[] = {"other_municipality", "social_services",
                                       "other"};

constexpr std::string_view kAsAbove115 =
    "the cooperation, necessity, purpose = crime prevention (never "
    "investigation: §115(2))";
constexpr std::string_view kInformed115 =
    "per GDPR Art. 13/14, deferral possible";

// Version "2026-1": DESIGN §5.3. No citation is confirmed yet by the
// municipality's legal office (docs/legal-basis.md lists the status).
// Fields: code, citation, recipients, any_recipient, covers_art9,
// covers_art10, onward_forbidden, must_document, citizen_informed,
// citation_confirmed.
constexpr LegalBasis kRegistry2026_1[] = {
    {"rpl-115-ssp",
     "Administration of Justice Act (retsplejeloven) §115(1) no. 1 — SSP", kSsp,
     false, true, true, true, kAsAbove115, kInformed115, false},
    {"rpl-115-psp",
     "Administration of Justice Act (retsplejeloven) §115(1) no. 2 — "
     "police, social services, psychiatry",
     kPsp, false, true, true, true, kAsAbove115, kInformed115, false},
    {"rpl-115-ksp",
     "Administration of Justice Act (retsplejeloven) §115(1) no. 3 — prison "
     "and probation, social services, police (incl. release of persons "
     "judged radicalised)",
     kKsp, false, true, true, true, kAsAbove115, kInformed115, false},
    {"pet-4", "PET Act §4 — disclosure on PET's request", kPet, false, true,
     true, false,
     "PET's request reference (request_ref), disclosure within the request's "
     "scope",
     "no (PET Act §12; deferral under DBL §22)", false},
    {"dbl-8-2-2",
     "Data Protection Act §8(2) no. 2 — interests clearly outweigh", kDbl822,
     false, false, true, false,
     "a written balancing of interests (body), approver", "yes unless deferred",
     false},
    {"dbl-8-2-3",
     "Data Protection Act §8(2) no. 3 — necessary for the recipient's task",
     kDbl823, false, false, true, false, "necessity statement",
     "yes unless deferred", false},
    {"consent",
     "explicit consent (DBL §8(2) no. 1, GDPR Art. 6(1)(a)/9(2)(a), public "
     "administration act §28(3))",
     {},
     true,
     true,
     true,
     false,
     "consent = seq of a given, unwithdrawn consent that covers recipient and "
     "categories",
     "yes",
     false},
    {"child-welfare-notify",
     "duty to notify concerning children (Social Services Act §153, now the "
     "Children's Act)",
     kChildWelfare, false, true, true, false, "the case concerns a minor",
     "family involved as a rule", false},
    {"fvl-28", "Public Administration Act §28 (state the sub-section)", kFvl28,
     false, false, false, false, "sub-section and necessity",
     "yes unless deferred", false},
};

constexpr std::string_view kVersions[] = {"2026-1"};
static_assert(kVersions[std::size(kVersions) - 1] == kRegistryVersion);

}  // namespace

std::span<const std::string_view> RegistryVersions() { return kVersions; }

std::span<const LegalBasis> Registry(std::string_view version) {
  if (version == "2026-1"sv) return kRegistry2026_1;
  return {};
}

const LegalBasis* FindBasis(std::string_view code, std::string_view version) {
  std::span<const LegalBasis> rows = Registry(version);
  auto it = std::find_if(rows.begin(), rows.end(),
                         [&](const LegalBasis& b) { return b.code == code; });
  return it == rows.end() ? nullptr : &*it;
}

bool AllowsRecipient(const LegalBasis& basis, std::string_view recipient) {
  if (recipient.empty()) return false;
  // Recipient codes themselves are checked by the disclosure.requested
  // header schema (catalogue).
  if (basis.any_recipient) return true;
  return std::find(basis.recipients.begin(), basis.recipients.end(),
                   recipient) != basis.recipients.end();
}

}  // namespace caseledger::projections
