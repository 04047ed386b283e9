#include "projections/disclosure_register.h"

#include <algorithm>
#include <map>
#include <utility>

#include "projections/legal_basis.h"
#include "projections/policy.h"

namespace caseledger::projections {

namespace {


constexpr Micros kDay = Micros{86400} * 1000000;
constexpr Micros kApprovalValidity = 30 * kDay;  // ROL-5
constexpr Micros kReviewWithin = 30 * kDay;      // FLAG-DISCLOSURE

constexpr RegisterCheck kChecks[] = {
    {"basis_not_allowed", "ROL-6",
     "the basis is in the registry version the request records and allows the recipient"},
    {"pet_without_threshold", "ROL-6",
     "an unsolicited disclosure to PET (any basis but pet-4) has a founded assessment "
     "citing a b.* ground and the threshold society_threatening"},
    {"onward_115", "ROL-7",
     "it includes no information received under a basis that forbids onward disclosure"},
    {"art9_without_basis", "ROL-8",
     "health or belief_or_opinion data only under a basis covering GDPR Art. 9"},
    {"art10_without_basis", "ROL-8",
     "criminal_offence data only under a basis covering GDPR Art. 10"},
    {"pet4_without_request_ref", "ROL-15", "pet-4 names PET's request reference"},
    {"basis_condition", "ROL-15",
     "the basis's other conditions: no investigation under §115, child-welfare-notify "
     "only for a minor, consent = the consent in force"},
    {"restricted_case", "ROL-13",
     "no request, approval or making while processing of the case is restricted"},
    {"unfounded_case", "ROL-14", "no disclosure of a case assessed unfounded"},
    {"missing_approval", "ROL-5",
     "made only while the latest decision is an approval by a coordinator"},
    {"self_approval", "ROL-5", "approved by a coordinator other than the requester"},
    {"approval_expired", "ROL-5", "made at most 30 days after the approval"},
    {"beyond_approval", "ROL-5",
     "what was made is what was approved: same recipient and basis, no category more"},
    {"late_review", "FLAG-DISCLOSURE",
     "a legal review (disclosure.reviewed) within 30 days of the first making"},
};

// Findings of one disclosure: one per code (the first step it is found at).
class Findings {
 public:
  void Add(std::string_view code, std::uint64_t seq, std::string detail) {
    for (const RegisterFinding& f : found_)
      if (f.code == code) return;
    for (const RegisterCheck& c : kChecks) {
      if (c.code == code) {
        found_.push_back({std::string(code), std::string(c.rule), seq, std::move(detail)});
        return;
      }
    }
  }
  // In the order of kChecks.
  std::vector<RegisterFinding> Take() {
    auto rank = [](const RegisterFinding& f) {
      return std::find_if(std::begin(kChecks), std::end(kChecks),
                          [&](const RegisterCheck& c) { return c.code == f.code; }) -
             std::begin(kChecks);
    };
    std::stable_sort(found_.begin(), found_.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    return std::move(found_);
  }

 private:
  std::vector<RegisterFinding> found_;
};

std::optional<std::uint64_t> SeqField(const Json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<std::string> StrField(const Json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}


// The conditions on the disclosure itself (ROL-6, -8, -13, -14, -15), on the
// state `v` just before the step `seq`: the policy engine's own checks.
void CheckConditions(const CaseView& v, const Disclosure& d, std::uint64_t seq,
                     Findings& out) {
  for (DisclosureFailure& f : DisclosureFailures(v, d)) out.Add(f.code, seq, std::move(f.detail));
}

struct Approved {
  std::string recipient, basis;
  std::vector<std::string> categories;
};

std::string Days(Micros d) { return std::to_string(d / kDay); }

// At a request: the conditions on the disclosure, and what it includes that
// was received under a basis forbidding onward disclosure.
void CheckRequest(const CaseState& state, const CaseView& before, const Disclosure& d,
                  std::uint64_t seq, Findings& fs) {
  CheckConditions(before, d, seq, fs);
  for (std::uint64_t inc : d.includes) {
    const KeptFact* info = state.Find(inc);
    if (info == nullptr || info->type != "information.received") continue;
    const LegalBasis* b = FindBasis(StrField(info->Header(), "basis").value_or(""));
    if (b != nullptr && b->onward_forbidden)
      fs.Add("onward_115", seq,
             "includes seq " + std::to_string(inc) + ", received under " +
                 std::string(b->code) + ", which forbids onward disclosure");
  }
}

// At an approval, on the state `before` it.
void CheckApproval(const Fact& f, const CaseView& before, const Disclosure& d, Findings& fs) {
  if (f.actor == d.requester) fs.Add("self_approval", f.seq, "approved by its own requester");
  if (before.restricted)
    fs.Add("restricted_case", f.seq,
           "approved while processing of the case was restricted (GDPR Art. 18/21)");
}

// At the making: four eyes on the decision in force, and that it was made
// within what was approved.
void CheckMaking(const Fact& f, const Disclosure& d,
                 const std::map<std::uint64_t, Approved>& approvals, Findings& fs) {
  const DisclosureDecision* last = d.decisions.empty() ? nullptr : &d.decisions.back();
  if (last == nullptr) {
    fs.Add("missing_approval", f.seq, "made without an approval");
    return;
  }
  if (!last->approved) {
    fs.Add("missing_approval", f.seq, "made after it was rejected");
    return;
  }
  if (last->role != "coordinator")
    fs.Add("missing_approval", f.seq, "approved by a " + last->role + ", not a coordinator");
  if (last->actor == d.requester) fs.Add("self_approval", f.seq, "approved by its own requester");
  if (f.time - last->time > kApprovalValidity)
    fs.Add("approval_expired", f.seq,
           "made " + Days(f.time - last->time) + " days after the approval of seq " +
               std::to_string(last->seq));
  auto a = approvals.find(last->seq);
  if (a == approvals.end()) return;
  const Approved& ok = a->second;
  std::vector<std::string> beyond;
  for (const std::string& cat : d.categories)
    if (std::find(ok.categories.begin(), ok.categories.end(), cat) == ok.categories.end())
      beyond.push_back(cat);
  if (ok.recipient != d.recipient || ok.basis != d.basis) {
    fs.Add("beyond_approval", f.seq,
           "the approval of seq " + std::to_string(last->seq) +
               " was for another recipient or basis");
  } else if (!beyond.empty()) {
    std::string list;
    for (const std::string& c : beyond) list += (list.empty() ? "" : ", ") + c;
    fs.Add("beyond_approval", f.seq,
           "categories not approved by seq " + std::to_string(last->seq) + ": " + list);
  }
}

// As things stand now: the disclosure after corrections, what it drew on,
// and the 30-day review.
void Complete(RegisterEntry& r, const CaseState& state, const CaseView& now_view, Micros now,
              Findings& fs) {
  // A retracted request keeps only its seq.
  if (const Disclosure* d = now_view.FindDisclosure(r.disclosure.seq); d != nullptr)
    r.disclosure = *d;
  for (std::uint64_t inc : r.disclosure.includes) {
    DrewOn x;
    x.seq = inc;
    if (const KeptFact* f = state.Find(inc); f != nullptr) {
      x.type = f->type;
      if (f->type == "information.received") {
        const Json h = f->Header();
        x.from = StrField(h, "from").value_or("");
        x.basis = StrField(h, "basis").value_or("");
        for (const Json& c : h.value("categories", Json::array()))
          if (c.is_string()) x.categories.push_back(c.get<std::string>());
      }
    }
    r.drew_on.push_back(std::move(x));
  }
  if (!r.disclosure.made.empty()) {
    const DisclosureMade& first = r.disclosure.made.front();
    const Micros due = first.time + kReviewWithin;
    if (r.disclosure.reviews.empty()) {
      if (due <= now)
        fs.Add("late_review", first.seq,
               "no legal review " + Days(now - first.time) + " days after the making");
    } else if (r.disclosure.reviews.front().time > due) {
      fs.Add("late_review", first.seq,
             "the first legal review came " +
                 Days(r.disclosure.reviews.front().time - first.time) + " days after the making");
    }
  }
  r.findings = fs.Take();
}

}  // namespace

std::span<const RegisterCheck> RegisterChecks() { return kChecks; }

bool IsRegisterCheck(std::string_view code) {
  return std::any_of(std::begin(kChecks), std::end(kChecks),
                     [&](const RegisterCheck& c) { return c.code == code; });
}

std::vector<RegisterEntry> CaseRegister(const std::vector<HistoryEntry>& history,
                                        Micros now) {
  CaseState state;
  std::vector<RegisterEntry> out;
  std::vector<Findings> found;
  std::map<std::uint64_t, std::size_t> by_request;  // request seq -> index
  std::map<std::uint64_t, Approved> approvals;      // approval seq -> what it covered
  auto entry_of = [&](const Fact& f) -> std::optional<std::size_t> {
    auto it = by_request.find(SeqField(f.h, "request").value_or(0));
    if (it == by_request.end()) return std::nullopt;
    if (f.h.contains("legacy_ref")) out[it->second].legacy = true;
    return it->second;
  };
  for (const HistoryEntry& e : history) {
    if (!e.state_fact) continue;
    const Fact& f = e.fact;
    const bool requested = f.type == "disclosure.requested";
    const bool decided = f.type == "disclosure.approved" || f.type == "disclosure.rejected";
    const bool made = f.type == "disclosure.made";
    if (!requested && !decided && !made) {
      state.Apply(f);
      continue;
    }
    if (requested) {
      // A request changes nothing the conditions read (restriction,
      // outcome, minor, consent), so the state after it stands for the
      // state before: one derivation instead of two.
      state.Apply(f);
      const CaseView& after = state.View();  // until the next Apply
      const Disclosure* d = after.FindDisclosure(f.seq);
      if (d == nullptr) continue;  // not a case of this history (cannot happen)
      by_request[f.seq] = out.size();
      RegisterEntry r;
      r.case_id = after.case_id;
      r.disclosure.seq = f.seq;  // the whole disclosure is filled in at the end
      r.legacy = f.h.contains("legacy_ref");
      out.push_back(std::move(r));
      found.emplace_back();
      CheckRequest(state, after, *d, f.seq, found.back());
      continue;
    }
    if (f.type == "disclosure.rejected") {  // nothing to check; marks only
      state.Apply(f);
      entry_of(f);
      continue;
    }
    const CaseView before = state.Derive();
    state.Apply(f);
    const auto index = entry_of(f);
    if (!index) continue;
    Findings& fs = found[*index];
    const Disclosure* d = before.FindDisclosure(SeqField(f.h, "request"));
    if (d == nullptr) continue;
    if (decided) {  // an approval
      CheckApproval(f, before, *d, fs);
      approvals[f.seq] = {d->recipient, d->basis, d->categories};
      continue;
    }
    // The making: four eyes, then the conditions again on the state it was
    // made in.
    CheckMaking(f, *d, approvals, fs);
    CheckConditions(before, *d, f.seq, fs);
  }
  const CaseView& now_view = state.View();
  for (std::size_t i = 0; i < out.size(); ++i) Complete(out[i], state, now_view, now, found[i]);
  return out;
}

Result<std::vector<RegisterEntry>> ReadRegister(
    ledger::LogStore& log, const ProjectionDbs& dbs, Micros now,
    const std::function<bool(const CaseView&)>& include) {
  std::vector<std::string> ids;
  CL_RETURN_IF_ERROR(ForEachCaseView(log, dbs, [&](const CaseView& v) {
    if (!v.disclosures.empty() && include(v)) ids.push_back(v.case_id);
    return Status::Ok();
  }));
  std::vector<RegisterEntry> out;
  for (const std::string& id : ids) {
    CL_ASSIGN_OR_RETURN(auto history, CaseHistory(log, dbs, id));
    for (RegisterEntry& e : CaseRegister(history, now)) out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::uint64_t> DisclosureSteps(const CaseView& v, std::uint64_t request) {
  const Disclosure* d = v.FindDisclosure(request);
  if (d == nullptr) return {};
  std::vector<std::uint64_t> steps{d->seq};
  for (const DisclosureDecision& x : d->decisions) steps.push_back(x.seq);
  for (const DisclosureMade& x : d->made) steps.push_back(x.seq);
  for (const DisclosureReview& x : d->reviews) steps.push_back(x.seq);
  const std::vector<std::uint64_t> own = steps;
  for (const Correction& k : v.corrections)
    if (std::find(own.begin(), own.end(), k.target) != own.end()) steps.push_back(k.seq);
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

Json RegisterEntryJson(const RegisterEntry& e) {
  const Disclosure& d = e.disclosure;
  Json j = d.ToJson();
  j["case"] = e.case_id;
  j["request"] = d.seq;
  j["legacy"] = e.legacy;
  if (const LegalBasis* b = FindBasis(d.basis, d.registry_version); b != nullptr)
    j["basis_citation"] = std::string(b->citation);
  Json drew = Json::array();
  for (const DrewOn& x : e.drew_on) {
    Json o{{"seq", x.seq}, {"type", x.type}};
    if (!x.from.empty()) o["from"] = x.from;
    if (!x.basis.empty()) o["basis"] = x.basis;
    if (!x.categories.empty()) o["categories"] = x.categories;
    drew.push_back(std::move(o));
  }
  j["drew_on"] = std::move(drew);
  // Timings in whole hours (decision, making) and days (review).
  Json timings = Json::object();
  constexpr Micros kHour = Micros{3600} * 1000000;
  if (!d.decisions.empty())
    timings["request_to_decision_hours"] = (d.decisions.back().time - d.time) / kHour;
  if (!d.made.empty()) {
    timings["request_to_made_hours"] = (d.made.front().time - d.time) / kHour;
    timings["review_due"] = ledger::FormatTime(d.made.front().time + kReviewWithin);
    if (!d.reviews.empty())
      timings["made_to_review_days"] = (d.reviews.front().time - d.made.front().time) / kDay;
  }
  j["timings"] = std::move(timings);
  Json findings = Json::array();
  for (const RegisterFinding& f : e.findings)
    findings.push_back(Json{{"code", f.code}, {"rule", f.rule}, {"seq", f.seq}, {"detail", f.detail}});
  j["findings"] = std::move(findings);
  return j;
}

bool RegisterFilter::Matches(const RegisterEntry& e) const {
  const Disclosure& d = e.disclosure;
  if (e.time() < from || e.time() >= to) return false;
  if (!recipient.empty() && d.recipient != recipient) return false;
  if (!basis.empty() && d.basis != basis) return false;
  if (!status.empty() && d.status != status) return false;
  if (legacy && e.legacy != *legacy) return false;
  if (!finding.empty() &&
      std::none_of(e.findings.begin(), e.findings.end(),
                   [&](const RegisterFinding& f) { return f.code == finding; }))
    return false;
  return true;
}

Json RegisterJson(const std::vector<RegisterEntry>& entries, const RegisterFilter& filter,
                  Micros now) {
  Json list = Json::array();
  std::map<std::string_view, std::uint64_t> found;
  std::uint64_t with_findings = 0;
  for (const RegisterEntry& e : entries) {
    if (!filter.Matches(e)) continue;
    for (const RegisterFinding& f : e.findings) ++found[f.code];
    if (!e.findings.empty()) ++with_findings;
    list.push_back(RegisterEntryJson(e));
  }
  Json checks = Json::array();
  for (const RegisterCheck& c : kChecks)
    checks.push_back(Json{{"code", c.code}, {"rule", c.rule}, {"checks", c.what},
                          {"found", found[c.code]}});
  return Json{{"as_of", ledger::FormatTime(now)},
              {"registry_version", kRegistryVersion},
              {"count", list.size()},
              {"with_findings", with_findings},
              {"checks", std::move(checks)},
              {"disclosures", std::move(list)}};
}

}  // namespace caseledger::projections
