// The per-case flags of DESIGN §5.2 (projections/flags.h): each is raised by
// a case that misses its duty, and not by a close variant that meets it just
// in time (or whose deadline has not passed yet).
#include "projections/flags.h"

#include <catch2/catch.hpp>

namespace caseledger::projections {
namespace {

constexpr Micros kHour = Micros{3'600'000'000};
constexpr Micros kDay = 24 * kHour;
constexpr Micros kT0 = Micros{1'700'000'000} * 1'000'000;  // any fixed instant

// A case opened at kT0 by concern seq 1, responded within the hour, assessed
// unfounded after a week, closed — no flag at any later time.
CaseView Clean() {
  CaseView v;
  v.case_id = "c-test";
  v.opened_seq = 1;
  v.opened = kT0;
  v.response_due = kT0 + kDay;
  v.assessment_due = kT0 + 30 * kDay;
  v.review_due = kT0 + 365 * kDay;
  v.first_response = kT0 + kHour;
  v.assessments.push_back(Assessment{3, kT0 + 7 * kDay, "u-co", "unfounded", "", {}, {}});
  v.closed = kT0 + 8 * kDay;
  v.closed_seq = 4;
  return v;
}

std::vector<std::string> Kinds(const CaseView& v, Micros now) {
  std::vector<std::string> out;
  for (const CaseFlag& f : CaseFlags(v, now)) out.emplace_back(f.kind);
  return out;
}

using Kindlist = std::vector<std::string>;

TEST_CASE("a case that meets every duty raises no flag", "[projections][flags]") {
  CHECK(Kinds(Clean(), kT0 + 3 * 365 * kDay).empty());
}

TEST_CASE("FLAG-24H: no response within 24 hours", "[projections][flags]") {
  CaseView v = Clean();
  v.first_response = kT0 + kDay;  // exactly on time
  CHECK(Kinds(v, kT0 + 40 * kDay).empty());
  v.first_response = kT0 + kDay + 1;  // one microsecond late
  auto flags = CaseFlags(v, kT0 + 40 * kDay);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].flag == "FLAG-24H");
  CHECK(flags[0].seq == 1);
  CHECK(flags[0].due == kT0 + kDay);
  // No response at all: raised once the 24 hours have passed, not before.
  v.first_response.reset();
  CHECK(Kinds(v, kT0 + kDay - 1).empty());
  CHECK(Kinds(v, kT0 + kDay) == Kindlist{"late_response"});
}

TEST_CASE("FLAG-ASSESS: no assessment within 30 days", "[projections][flags]") {
  CaseView v = Clean();
  v.assessments[0].time = kT0 + 30 * kDay;
  v.closed = kT0 + 31 * kDay;
  CHECK(Kinds(v, kT0 + 60 * kDay).empty());
  v.assessments[0].time = kT0 + 31 * kDay;
  CHECK(Kinds(v, kT0 + 60 * kDay) == Kindlist{"no_assessment"});
  v.assessments.clear();
  v.closed.reset();
  CHECK(Kinds(v, kT0 + 30 * kDay - 1).empty());
  CHECK(Kinds(v, kT0 + 30 * kDay) == Kindlist{"no_assessment"});
}

TEST_CASE("FLAG-INFORM: a founded case whose subject is neither informed nor deferred within 30 days",
          "[projections][flags]") {
  CaseView v = Clean();
  v.assessments[0].outcome = "founded";
  v.inform_due = v.assessments[0].time + 30 * kDay;
  v.informed_at = *v.inform_due;  // on the last day
  CHECK(Kinds(v, kT0 + 90 * kDay).empty());
  v.informed_at = *v.inform_due + 1;
  auto flags = CaseFlags(v, kT0 + 90 * kDay);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].flag == "FLAG-INFORM");
  CHECK(flags[0].seq == 3);  // the founded assessment
  v.informed_at.reset();
  CHECK(Kinds(v, *v.inform_due - 1).empty());
  CHECK(Kinds(v, *v.inform_due) == Kindlist{"late_information"});
  // An unfounded case owes no information.
  CHECK(Kinds(Clean(), kT0 + 90 * kDay).empty());
}

TEST_CASE("FLAG-REVIEW: an open case with no review in the last 12 months", "[projections][flags]") {
  CaseView v = Clean();
  v.closed.reset();
  v.closed_seq.reset();
  CHECK(Kinds(v, kT0 + 365 * kDay - 1).empty());
  CHECK(Kinds(v, kT0 + 365 * kDay) == Kindlist{"no_review_12_months"});
  // A review moves the deadline on; closing or erasure ends the duty.
  v.last_review = kT0 + 300 * kDay;
  v.review_due = *v.last_review + 365 * kDay;
  CHECK(Kinds(v, kT0 + 400 * kDay).empty());
  CHECK(Kinds(v, v.review_due) == Kindlist{"no_review_12_months"});
  v.erased = kT0 + 500 * kDay;
  CHECK(Kinds(v, kT0 + 900 * kDay).empty());
}

Disclosure Made(Micros made) {
  Disclosure d;
  d.seq = 10;
  d.time = made - kDay;
  d.recipient = "police";
  d.made.push_back(DisclosureMade{12, made, "u-cw", "secure_mail", ""});
  d.status = "made";
  return d;
}

TEST_CASE("FLAG-DISCLOSURE: made and not reviewed after 30 days, or reviewed as deficient",
          "[projections][flags]") {
  CaseView v = Clean();
  const Micros made = kT0 + 5 * kDay;
  v.disclosures.push_back(Made(made));
  CHECK(Kinds(v, made + 30 * kDay - 1).empty());
  auto flags = CaseFlags(v, made + 30 * kDay);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].kind == "disclosure_unreviewed");
  CHECK(flags[0].seq == 10);  // the request
  // Reviewed as lawful: no flag; as deficient: the other kind.
  v.disclosures[0].reviews.push_back(DisclosureReview{13, made + 3 * kDay, "u-lr", "lawful", {}});
  CHECK(Kinds(v, made + 90 * kDay).empty());
  v.disclosures[0].reviews[0].verdict = "deficient";
  CHECK(Kinds(v, made + 90 * kDay) == Kindlist{"disclosure_deficient"});
  // The latest verdict counts: a deficient one put right by a lawful review.
  v.disclosures[0].reviews.push_back(DisclosureReview{14, made + 9 * kDay, "u-lr", "lawful", {}});
  CHECK(Kinds(v, made + 90 * kDay).empty());
  // Requested but never made: nothing to review.
  CaseView requested = Clean();
  requested.disclosures.push_back(Made(made));
  requested.disclosures[0].made.clear();
  CHECK(Kinds(requested, made + 90 * kDay).empty());
}

TEST_CASE("FLAG-ART19: a correction after a disclosure whose recipients are not all notified",
          "[projections][flags]") {
  CaseView v = Clean();
  NotificationDuty n;
  n.seq = 20;
  n.time = kT0 + 40 * kDay;
  n.type = "record.corrected";
  n.recipients = {"pet", "police"};
  n.notified = {"police"};
  v.notifications.push_back(n);
  auto flags = CaseFlags(v, kT0 + 41 * kDay);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].flag == "FLAG-ART19");
  CHECK(flags[0].seq == 20);
  v.notifications[0].notified = {"pet", "police"};
  CHECK(Kinds(v, kT0 + 41 * kDay).empty());
}

}  // namespace
}  // namespace caseledger::projections
