#include "projections/flags.h"

namespace caseledger::projections {

namespace {

constexpr Micros kDay = Micros{86'400'000'000};

// Raised when `due` has passed and `done` (the time the duty was met, if it
// was) is not within it.
bool Late(Micros due, std::optional<Micros> done, Micros now) {
  return due <= now && !(done && *done <= due);
}

}  // namespace

std::vector<CaseFlag> CaseFlags(const CaseView& v, Micros now) {
  std::vector<CaseFlag> out;
  auto raise = [&](std::size_t kind, std::uint64_t seq, Micros due) {
    out.push_back({kCaseFlagKinds[kind].flag, kCaseFlagKinds[kind].kind, seq, due});
  };
  if (Late(v.response_due, v.first_response, now)) raise(0, v.opened_seq, v.response_due);
  std::optional<Micros> assessed;
  if (!v.assessments.empty()) assessed = v.assessments.front().time;
  if (Late(v.assessment_due, assessed, now)) raise(1, v.opened_seq, v.assessment_due);
  if (v.inform_due && Late(*v.inform_due, v.informed_at, now)) {
    std::uint64_t founded = 0;
    for (const Assessment& a : v.assessments) {
      if (a.outcome == "founded") {
        founded = a.seq;
        break;
      }
    }
    raise(2, founded, *v.inform_due);
  }
  if (!v.closed && !v.erased && v.review_due <= now) raise(3, v.opened_seq, v.review_due);
  for (const Disclosure& d : v.disclosures) {
    if (d.made.empty()) continue;
    const Micros due = d.made.front().time + 30 * kDay;
    if (d.reviews.empty() && due <= now) raise(4, d.seq, due);
  }
  for (const Disclosure& d : v.disclosures) {
    if (!d.reviews.empty() && d.reviews.back().verdict == "deficient")
      raise(5, d.seq, d.reviews.back().time);
  }
  for (const NotificationDuty& n : v.notifications) {
    if (!n.Pending().empty()) raise(6, n.seq, n.time);
  }
  return out;
}

}  // namespace caseledger::projections
