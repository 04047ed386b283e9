// The demo data set (`caseledger demo`): a deterministic, realistic synthetic
// history of municipal case work over several years, planned as ledger
// commands that go through the normal write path and its policy engine
// (DESIGN §5). Every identity is clearly fake ("Testperson NNNN", CPR-like
// "00NNNN-NNNN" — there is no day 00 —, one number per person, "Syntetisk
// Vej N, 9999 Demoby") and every text says it is synthetic.
// The plan knows exactly which of its commands the policy engine must refuse
// (attempts to register a concern on belief alone, ROL-1) and which defects it
// plants for the compliance audit and the legal review to find (DESIGN §5.2
// flags, §10): defects the law lets one record but a reviewer must catch.
// Pure computation (no I/O, no clock); thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/command.h"
#include "ledger/time.h"

namespace caseledger::demo {

// Defaults of `caseledger demo`: about 150 concerns a year over 5 years
// ending now (DESIGN §11: a large city registers hundreds a year).
inline constexpr std::uint64_t kDemoYears = 5;
inline constexpr std::uint64_t kDemoCasesPerYear = 150;
inline constexpr std::uint64_t kDemoDefaultCases =
    kDemoYears * kDemoCasesPerYear;

// A defect planted on purpose: lawful to record (the policy engine accepts
// it), but a flag of DESIGN §5.2 that the compliance audit or the legal
// review must report.
enum class DefectKind {
  kLateResponse,  // FLAG-24H: no concern.responded within 24 hours
  kNoAssessment,  // FLAG-ASSESS: no assessment within 30 days (case left open)
  kLateInformation,  // FLAG-INFORM: founded, subject neither informed nor
                     // deferred within 30 days
  kNoReview,  // FLAG-REVIEW: open case with no case.reviewed for 12 months
  kDisclosureUnreviewed,   // FLAG-DISCLOSURE: disclosure made, no legal review
                           // 30 days later
  kDisclosureDeficient,    // FLAG-DISCLOSURE: legal review verdict `deficient`
  kRecipientsNotNotified,  // FLAG-ART19: correction of a disclosed case,
                           // recipients not notified
};
inline constexpr std::size_t kDefectKindCount = 7;
// Every kind, in the order above.
inline constexpr DefectKind kDefectKinds[kDefectKindCount] = {
    DefectKind::kLateResponse,         DefectKind::kNoAssessment,
    DefectKind::kLateInformation,      DefectKind::kNoReview,
    DefectKind::kDisclosureUnreviewed, DefectKind::kDisclosureDeficient,
    DefectKind::kRecipientsNotNotified};
// The flag id of DESIGN §5.2, e.g. "FLAG-24H" (two kinds share
// FLAG-DISCLOSURE).
std::string_view FlagOf(DefectKind kind);
// A short name, e.g. "late_response".
std::string_view NameOf(DefectKind kind);

struct PlantedDefect {
  std::string case_id;
  DefectKind kind = DefectKind::kLateResponse;
  ledger::Micros due =
      0;  // from when the flag applies (never after the plan's end)
  // The event the finding is about: the concern (24H, ASSESS, REVIEW), the
  // founded assessment (INFORM), the disclosure request (DISCLOSURE), the
  // correction (ART19).
  std::uint64_t seq = 0;
};

// An automatic finding the disclosure register must report
// (projections/disclosure_register.h): the demo's migrated history (its
// first kDemoLegacyYears, `legacy_ref` on the disclosure steps) holds
// disclosures that break a disclosure rule, and every period has disclosures
// reviewed late or not at all.
struct PlantedFinding {
  std::string case_id;
  std::uint64_t request = 0;  // seq of the disclosure.requested
  std::string code;           // e.g. "self_approval"
};

// The first years of the demo's history stand for records migrated from the
// case system caseledger replaced (`caseledger import --legacy`).
inline constexpr std::uint64_t kDemoLegacyYears = 2;

struct ExpectedRefusal {
  std::size_t index = 0;  // into DemoPlan::commands
  std::string rule;       // e.g. "ROL-1"
};

struct DemoPlan {
  // In time order, each with `time` set (non-decreasing, within the plan's
  // [start, end]). Header seq references (intervention, request, target, …)
  // assume that the commands are submitted in this order to one writer whose
  // log then holds first_seq - 1 events, so that command i becomes event
  // first_seq + i — appended, or replaced by its policy.refused record.
  std::vector<ledger::Command> commands;
  std::uint64_t first_seq = 1;
  // The commands the policy engine must refuse, in index order; every other
  // command must be accepted.
  std::size_t expected_refusals = 0;  // == refusals.size()
  std::vector<ExpectedRefusal> refusals;
  // Every defect the plan plants and that applies by the plan's end, in the
  // order of the cases' concerns.
  std::vector<PlantedDefect> defects;
  // Every finding the disclosure register must report as of the plan's end,
  // in the order of the cases' concerns; no other disclosure has one.
  std::vector<PlantedFinding> findings;
  std::uint64_t cases = 0;  // cases opened (concerns accepted)
};

// Plans `cases` concerns (cases opened; refused attempts come on top) spread
// over [start, end], with their follow-up as far as it has happened by `end`,
// plus the registration of the synthetic staff (6 caseworkers, 3
// coordinators, 2 legal reviewers, 1 dpo, 1 auditor) and the retention policy
// at `start`, and about 3 contacts of advice without registration
// (`advice.given`) for every 10 concerns after the migrated years (none in a
// plan shorter than those). The same arguments give the same plan (ids, texts and times
// included) on every platform. Precondition: start <= end.
DemoPlan PlanDemo(std::uint64_t cases, std::uint64_t seed, ledger::Micros start,
                  ledger::Micros end, std::uint64_t first_seq = 1);

}  // namespace caseledger::demo
