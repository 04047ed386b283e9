#include "app/audit.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"
#include "ledger/verify.h"
#include "projections/access_flags.h"
#include "projections/catalogue.h"
#include "projections/flags.h"
#include "projections/retention.h"
#include "projections/vocabulary.h"

namespace caseledger::app {

namespace {

using ledger::Micros;

constexpr Micros kDay = Micros{86'400'000'000};

std::string B64(const crypto::Digest& d) { return crypto::Base64Encode(d.view()); }

// "93.1" (one decimal, rounded down), or null for no cases (JSON of the
// audit holds no floats: canonical JSON has none).
Json Percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return nullptr;
  const std::uint64_t tenths = part * 1000 / whole;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

Json Integrity(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
               const AuditOptions& o) {
  Json out = Json::object();
  ledger::VerifyOptions vo;
  vo.threads = o.threads;
  vo.progress = o.progress;
  auto v = ledger::VerifyLogStore(store, verifier, vo);
  if (!v.ok()) {
    out["verified"] = false;
    out["problem"] = "verification could not run: " + v.status().message();
  } else {
    out["verified"] = v->ok;
    out["events_verified"] = v->events;
    out["checkpoints_verified"] = v->checkpoints;
    if (v->first_bad_seq) out["first_bad_seq"] = *v->first_bad_seq;
    if (!v->ok) out["problem"] = v->problem;
  }
  auto txn = store.Read();
  if (!txn.ok()) {
    out["checkpoint_problem"] = txn.status().message();
    return out;
  }
  auto size = ledger::TreeSize(*txn, store);
  if (size.ok()) out["log_size"] = *size;
  auto cp = ledger::LatestCheckpoint(*txn, store);
  if (cp.ok()) {
    Json c{{"size", cp->first}, {"note", cp->second}};
    if (auto opened = ledger::OpenCheckpoint(cp->second, verifier); opened.ok())
      c["root"] = B64(opened->root);
    else
      c["problem"] = opened.status().message();
    out["latest_checkpoint"] = std::move(c);
  } else {
    out["checkpoint_problem"] = cp.status().message();
  }
  if (o.previous) {
    Json c{{"previous_size", o.previous->size}, {"previous_root", B64(o.previous->root)}};
    if (!size.ok() || o.previous->size > *size) {
      c["consistent"] = false;
      c["problem"] = "the log is shorter than the previous audit's checkpoint: events removed";
    } else {
      auto range = ledger::LoadCompactRange(*txn, store, o.previous->size);
      if (!range.ok()) {
        c["consistent"] = false;
        c["problem"] = "the tree at the previous size cannot be read: " + range.status().message();
      } else if (range->Root() != o.previous->root) {
        c["consistent"] = false;
        c["problem"] = "the log's root at the previous audit's size differs: history was rewritten";
      } else {
        c["consistent"] = true;
      }
    }
    out["consistency"] = std::move(c);
  }
  return out;
}

// The `headers` section: every clear header checked against today's schema
// (projections/catalogue.h), in the log scan's pass. A log written by an
// older build may hold headers today's schema refuses (a CPR number in a
// correction's field name, free text in a reference): the DPO finds them here
// by seq, to retract them. The report names only catalogue types, counts and
// seqs — never a value, a member name or an error message of a header (the
// messages may quote names).
class HeaderScan {
 public:
  static constexpr std::size_t kMaxSeqs = 100;

  HeaderScan() : specs_(projections::EventSpecs()) {}

  // `type` and `h` (the header's canonical bytes) of the event at `seq`, in
  // log order.
  void Add(std::uint64_t seq, std::string_view type, std::string_view h) {
    ++checked_;
    const projections::EventSpec* spec = projections::FindEventSpec(type);
    const std::uint8_t index = spec == nullptr ? kUnknown : IndexOf(*spec);
    // The log's seqs are contiguous: a seq out of line (a log that does not
    // verify) is not indexed, and a correction of it fails below.
    if (seq == types_.size() || (seq == 1 && types_.empty())) {
      types_.resize(static_cast<std::size_t>(seq) + 1, kUnknown);
      types_[static_cast<std::size_t>(seq)] = index;
    }
    if (spec == nullptr) return Fail(seq, kUnknown);
    // `h` is a scanned line's header (ledger/event_scan.h): canonical.
    const Result<Json> parsed = ledger::ReadScannedHeader(h);
    if (!parsed.ok() || !projections::ValidateHeader(*spec, *parsed).ok())
      return Fail(seq, index);
    const Json& header = *parsed;
    if (spec->type == "concern.reported" || spec->type == "assessment.recorded") {
      stored_.emplace(seq, std::string(h));  // the targets of the rules below
    } else if (spec->type == "record.corrected") {
      CheckCorrection(seq, index, header);
    }
  }

  Json Finish() const {
    Json by_type = Json::array();
    std::uint64_t failing = 0;
    for (const auto& [index, seqs] : failing_) {
      failing += seqs.count;
      by_type.push_back({{"type", index == kUnknown ? std::string("(unknown type)")
                                                    : std::string(specs_[index].type)},
                         {"count", seqs.count},
                         {"seqs", seqs.first},
                         {"more", seqs.count - seqs.first.size()}});
    }
    return {{"checked", checked_},
            {"failing", failing},
            {"by_type", std::move(by_type)},
            {"rule_breaking",
             {{"count", rule_breaking_.count},
              {"seqs", rule_breaking_.first},
              {"more", rule_breaking_.count - rule_breaking_.first.size()},
              {"by_rule", rules_}}}};
  }

 private:
  // A type index for an event whose type is not in the catalogue (or whose
  // seq was not seen): sorts after every catalogue type.
  static constexpr std::uint8_t kUnknown = 0xFF;

  struct Seqs {
    std::uint64_t count = 0;
    std::vector<std::uint64_t> first;  // at most kMaxSeqs, ascending (log order)
    void Add(std::uint64_t seq) {
      ++count;
      if (first.size() < kMaxSeqs) first.push_back(seq);
    }
  };

  std::uint8_t IndexOf(const projections::EventSpec& spec) const {
    const auto i = static_cast<std::size_t>(&spec - specs_.data());
    return i < kUnknown ? static_cast<std::uint8_t>(i) : kUnknown;
  }

  void Fail(std::uint64_t seq, std::uint8_t index) { failing_[index].Add(seq); }

  // A record.corrected whose header passed its own schema: against the type
  // of the event it corrects (ValidateCorrection), then the rules that need
  // no state on the header the correction would make (MergeCorrection).
  void CheckCorrection(std::uint64_t seq, std::uint8_t index, const Json& h) {
    const auto t = h.find("target");
    const std::uint64_t target =
        t != h.end() && t->is_number_unsigned() ? t->get<std::uint64_t>() : 0;
    const std::uint8_t target_index =
        target > 0 && target < seq && target < types_.size()
            ? types_[static_cast<std::size_t>(target)]
            : kUnknown;
    if (target_index == kUnknown) return Fail(seq, index);
    const projections::EventSpec& target_spec = specs_[target_index];
    if (!projections::ValidateCorrection(target_spec, h).ok()) return Fail(seq, index);
    const auto set = h.find("set");
    if (set == h.end()) return;  // changes no header field: breaks no rule of one
    const auto stored = stored_.find(target);
    if (stored == stored_.end()) return;  // no rule below, or the target fails itself
    const Result<Json> target_h = ledger::ReadScannedHeader(stored->second);
    if (!target_h.ok()) return Fail(seq, index);
    auto merged = projections::MergeCorrection(target_spec, *target_h, *set);
    if (!merged.ok()) return Fail(seq, index);  // the corrected header fails the schema
    std::string_view rule;
    if (target_spec.type == "concern.reported") {
      if (StrOf(*merged, "subject_kind") != "person")
        rule = "ROL-2";
      else if (!HasBehaviour(*merged))
        rule = "ROL-1";
    } else if (StrOf(*merged, "outcome") == "founded" && !HasBehaviour(*merged)) {
      rule = "ROL-1";
    }
    if (rule.empty()) return;
    rule_breaking_.Add(seq);
    ++rules_[std::string(rule)];
  }

  static std::string StrOf(const Json& h, const char* key) {
    const auto it = h.find(key);
    return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
  }

  // ROL-1: a concern, and a founded assessment, rests on at least one
  // observed behaviour (a b.* ground).
  static bool HasBehaviour(const Json& h) {
    const auto grounds = h.find("grounds");
    if (grounds == h.end() || !grounds->is_array()) return false;
    return std::any_of(grounds->begin(), grounds->end(),
                       [](const Json& g) { return projections::IsBehaviourCode(StrOf(g, "code")); });
  }

  std::span<const projections::EventSpec> specs_;
  std::uint64_t checked_ = 0;
  std::vector<std::uint8_t> types_;  // seq -> index into specs_ (kUnknown if none)
  // seq -> the canonical header bytes of a concern or assessment that passes
  // the schema (as text: a fraction of a parsed header's memory).
  std::map<std::uint64_t, std::string> stored_;
  std::map<std::uint8_t, Seqs> failing_;  // by type index, catalogue order
  Seqs rule_breaking_;
  std::map<std::string, std::uint64_t> rules_;
};

// One pass over the log's clear headers: refusals by rule and by user (the
// policy.refused records), FLAG-ACCESS (the access records against who took
// part in each case), and the headers that fail today's schema (HeaderScan).
Status ScanLog(ledger::LogStore& store, Json& refusals, Json& access, Json& headers) {
  std::map<std::string, std::uint64_t> by_rule;
  std::map<std::string, std::map<std::string, std::uint64_t>> by_user;  // user -> rule -> n
  std::uint64_t total = 0, unreadable = 0;
  // The refusals of commands on a case, by pseudonymous case id (the first
  // kMaxRefusedCases; `cases_more` counts the rest).
  constexpr std::size_t kMaxRefusedCases = 1000;
  Json refused_cases = Json::array();
  std::uint64_t cases_more = 0;
  projections::AccessScan scan;
  HeaderScan header_scan;
  CL_ASSIGN_OR_RETURN(auto snap, store.Read());
  // A gap in the seqs is integrity's finding; this scan reads what is there.
  CL_RETURN_IF_ERROR(ledger::ForEachEventLine(snap, store, 1, [&](std::uint64_t, std::string_view line) -> Result<bool> {
    // The envelope without a JSON DOM (ScanEvent); the header is parsed only
    // for the types whose header the audit reads.
    auto e = ledger::ScanEvent(line, /*signature_input=*/false);
    // Every header against today's schema (an event that does not scan is
    // named by integrity). Catalogue types are spelled without escapes.
    if (e.ok()) header_scan.Add(e->seq, e->type, e->h);
    Result<projections::Fact> f = Corruption("unreadable");
    if (e.ok() && !e->has_escapes) {
      projections::Fact fact;
      fact.seq = e->seq;
      fact.type = std::string(e->type);
      fact.actor = std::string(e->actor);
      fact.role = std::string(e->role);
      if (!e->case_id.empty()) fact.case_id = std::string(e->case_id);
      auto t = ledger::ParseTime(e->time);
      if (t.ok()) {
        fact.time = *t;
        if (fact.type == "policy.refused" || fact.type == "access.read" ||
            fact.type == "access.exported" || fact.type == "case.assigned") {
          Result<Json> h = ledger::ReadScannedHeader(e->h);
          if (h.ok()) fact.h = std::move(h).value();
        }
        f = std::move(fact);
      }
    }
    if (!f.ok()) {
      ++unreadable;  // integrity names it
    } else {
      scan.Add(*f);
      if (f->type == "policy.refused") {
        const std::string rule = f->h.contains("rule") && f->h["rule"].is_string()
                                     ? f->h["rule"].get<std::string>()
                                     : "unknown";
        ++total;
        ++by_rule[rule];
        ++by_user[f->actor][rule];
        if (!e->case_id.empty()) {
          if (refused_cases.size() < kMaxRefusedCases)
            refused_cases.push_back(
                {{"case", std::string(e->case_id)}, {"seq", f->seq}, {"rule", rule}});
          else
            ++cases_more;
        }
      }
    }
    return true;
  }));
  Json users = Json::array();
  for (const auto& [user, rules] : by_user) {
    std::uint64_t n = 0;
    for (const auto& [r, c] : rules) n += c;
    users.push_back({{"user", user}, {"refusals", n}, {"by_rule", rules}});
  }
  std::sort(users.begin(), users.end(), [](const Json& a, const Json& b) {
    return a["refusals"] != b["refusals"] ? a["refusals"] > b["refusals"] : a["user"] < b["user"];
  });
  refusals = Json{{"total", total},
                  {"by_rule", by_rule},
                  {"by_user", std::move(users)},
                  {"cases", std::move(refused_cases)},
                  {"cases_more", cases_more}};
  if (unreadable > 0) refusals["unreadable_records"] = unreadable;
  Json findings = Json::array();
  for (const projections::AccessFinding& a : scan.Findings()) {
    Json j{{"user", a.user}, {"role", a.role}, {"kind", a.kind}, {"count", a.count},
           {"examples", a.examples}};
    if (!a.month.empty()) j["month"] = a.month;
    findings.push_back(std::move(j));
  }
  access = std::move(findings);
  headers = header_scan.Finish();
  return Status::Ok();
}

}  // namespace

Result<AuditOptions::Previous> PreviousFromNote(std::string_view note,
                                                const crypto::NoteVerifier& verifier) {
  auto cp = ledger::OpenCheckpoint(note, verifier);
  if (!cp.ok())
    return InvalidArgument("previous checkpoint: not a checkpoint signed by this log's key (" +
                           cp.status().message() + ")");
  return AuditOptions::Previous{cp->size, cp->root};
}

Result<Json> BuildAudit(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
                        const ledger::Keystore::ErasureRecords& erasures,
                        const projections::ProjectionDbs& dbs, const AuditOptions& o) {
  Json report{{"generated_at", ledger::FormatTime(o.now)}, {"origin", store.origin()}};
  // Milliseconds per part, for whoever waits for a large audit.
  Json timing = Json::object();
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };

  // Per-case flags, the retention plan and the 24-hour response rate, from
  // one pass over the cases; then the refusals, access and header scan of
  // the log. Each reads its own snapshot and needs nothing of the verify, so
  // both run on a thread of their own beside it (the verify uses every core,
  // and these two would otherwise wait for it: docs/audit.md).
  CL_ASSIGN_OR_RETURN(projections::RetentionPolicy policy,
                      projections::ReadRetentionPolicy(store, dbs));
  projections::RetentionPlanner planner(std::move(policy), o.now, 30 * kDay);
  std::map<std::pair<std::string_view, std::string_view>, Json> flags;
  for (const auto& k : projections::kCaseFlagKinds) flags[{k.flag, k.kind}] = Json::array();
  std::uint64_t cases = 0, due_24h = 0, within_24h = 0;
  std::set<std::string> erased_subjects;
  Json refusals, access, headers;
  std::int64_t cases_ms = 0, log_scan_ms = 0;
  auto beside = std::async(std::launch::async, [&]() -> Status {
    auto t0 = Clock::now();
    CL_RETURN_IF_ERROR(projections::ForEachCaseView(store, dbs, [&](const projections::CaseView& v) {
      ++cases;
      planner.Add(v);
      if (v.erased) erased_subjects.insert(v.subject);
      if (v.response_due <= o.now) {
        ++due_24h;
        if (v.first_response && *v.first_response <= v.response_due) ++within_24h;
      }
      for (const projections::CaseFlag& f : projections::CaseFlags(v, o.now))
        flags[{f.flag, f.kind}].push_back(
            {{"case", v.case_id}, {"seq", f.seq}, {"due", ledger::FormatTime(f.due)}});
      return Status::Ok();
    }));
    cases_ms = ms_since(t0);
    t0 = Clock::now();
    CL_RETURN_IF_ERROR(ScanLog(store, refusals, access, headers));
    log_scan_ms = ms_since(t0);
    return Status::Ok();
  });

  const auto t_verify = Clock::now();
  report["integrity"] = Integrity(store, verifier, o);
  if (o.witnessing) {
    Result<Json> w = WitnessingReport(store, o.cosignatures, *o.witnessing, o.now / 1000000);
    report["integrity"]["witnessing"] =
        w.ok() ? std::move(*w) : Json{{"problem", w.status().ToString()}};
  }
  timing["verify_ms"] = ms_since(t_verify);
  const Status beside_status = beside.get();
  CL_RETURN_IF_ERROR(beside_status);
  timing["cases_ms"] = cases_ms;
  timing["log_scan_ms"] = log_scan_ms;
  CL_ASSIGN_OR_RETURN(projections::BuiltTo built, projections::ReadBuiltTo(store, dbs));
  report["projections_built_to"] = built.size;

  Json flag_list = Json::array();
  for (const auto& k : projections::kCaseFlagKinds) {
    Json& list = flags[{k.flag, k.kind}];
    flag_list.push_back({{"flag", k.flag}, {"kind", k.kind}, {"count", list.size()}, {"cases", list}});
  }

  // Retention (FLAG-RETENTION: personal data kept past its deadline).
  const projections::RetentionPlan plan = std::move(planner).Finish();
  auto subjects = [](const std::vector<projections::RetentionSubject>& v) {
    Json a = Json::array();
    for (const auto& s : v)
      a.push_back({{"subject", s.subject}, {"due", ledger::FormatTime(s.due)}, {"reason", s.reason}});
    return a;
  };
  flag_list.push_back({{"flag", "FLAG-RETENTION"},
                       {"kind", "kept_past_retention"},
                       {"count", plan.due.size()},
                       {"subjects", subjects(plan.due)}});
  report["flags"] = std::move(flag_list);
  report["retention"] = {{"policy",
                          {{"unfounded_days", plan.policy.unfounded_days},
                           {"closed_years", plan.policy.closed_years},
                           {"set_at_seq", plan.policy.seq}}},
                         {"due", plan.due.size()},
                         {"held", subjects(plan.held)},
                         {"due_within_30_days", subjects(plan.soon)}};

  report["refusals"] = std::move(refusals);
  report["headers"] = std::move(headers);
  const projections::AccessPolicy ap;
  report["flags"].push_back(
      {{"flag", "FLAG-ACCESS"},
       {"kind", "unusual_access"},
       {"count", access.size()},
       {"users", std::move(access)},
       {"policy",
        {{"max_uninvolved_cases_per_month", ap.max_uninvolved_per_month},
         {"working_hours", "Monday-Friday " + std::to_string(ap.work_start_hour) + ":00-" +
                               std::to_string(ap.work_end_hour) + ":00 Copenhagen time"}}}});

  // Erasures: the keystore's records (not the log's), and the two agree.
  const std::vector<std::string>& pending = erasures.pending;
  const std::uint64_t destroyed = erasures.destroyed.size();
  Json key_live = Json::array();
  for (const std::string& s : erased_subjects)
    if (!erasures.destroyed.contains(s)) key_live.push_back(s);
  report["erasures"] = {
      {"erased_subjects", erased_subjects.size()},
      {"keys_destroyed", destroyed},
      {"made_final", destroyed - std::min<std::uint64_t>(destroyed, pending.size())},
      {"pending", pending.size()},
      {"pending_owners", pending},
      {"erased_but_key_live", std::move(key_live)},
      {"advice", pending.empty()
                     ? "every erasure is final on disk"
                     : "run `caseledger keys rotate` to make the pending erasures final on disk "
                       "(until then a destroyed key's wrapped record may remain in freed pages "
                       "of the keystore file: docs/privacy.md)"}};

  report["response_24h"] = {
      {"concerns_due", due_24h},
      {"within_24h", within_24h},
      {"percent", Percent(within_24h, due_24h)},
      {"goal", "a reaction within 24 hours on every concern"}};
  report["cases"] = cases;
  report["not_covered"] = Json::array(
      {"disclosure register findings: GET /v1/disclosures (legal review)"});
  report["timing"] = std::move(timing);
  return report;
}

}  // namespace caseledger::app
