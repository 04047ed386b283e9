#include "api/audit.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "crypto/base64.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"
#include "ledger/verify.h"
#include "projections/access_flags.h"
#include "projections/flags.h"
#include "projections/retention.h"

namespace caseledger::api {

namespace {

using ledger::Json;
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
  auto txn = store.env().BeginRead();
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

// One pass over the log's clear headers: refusals by rule and by user (the
// policy.refused records), and FLAG-ACCESS (the access records against who
// took part in each case).
Status ScanLog(ledger::LogStore& store, Json& refusals, Json& access) {
  std::map<std::string, std::uint64_t> by_rule;
  std::map<std::string, std::map<std::string, std::uint64_t>> by_user;  // user -> rule -> n
  std::uint64_t total = 0, unreadable = 0;
  projections::AccessScan scan;
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(auto cur, ledger::lmdb::Cursor::Open(txn.raw(), store.events()));
  CL_ASSIGN_OR_RETURN(auto kv, cur.First());
  while (kv) {
    // The envelope without a JSON DOM (ScanEvent); the header is parsed only
    // for the types whose header the audit reads.
    auto e = ledger::ScanEvent(AsChars(kv->value), /*signature_input=*/false);
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
            fact.type == "access.exported" || fact.type == "case.assigned")
          fact.h = Json::parse(e->h, nullptr, false);
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
      }
    }
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  Json users = Json::array();
  for (const auto& [user, rules] : by_user) {
    std::uint64_t n = 0;
    for (const auto& [r, c] : rules) n += c;
    users.push_back({{"user", user}, {"refusals", n}, {"by_rule", rules}});
  }
  std::sort(users.begin(), users.end(), [](const Json& a, const Json& b) {
    return a["refusals"] != b["refusals"] ? a["refusals"] > b["refusals"] : a["user"] < b["user"];
  });
  refusals = Json{{"total", total}, {"by_rule", by_rule}, {"by_user", std::move(users)}};
  if (unreadable > 0) refusals["unreadable_records"] = unreadable;
  Json findings = Json::array();
  for (const projections::AccessFinding& a : scan.Findings()) {
    Json j{{"user", a.user}, {"role", a.role}, {"kind", a.kind}, {"count", a.count},
           {"examples", a.examples}};
    if (!a.month.empty()) j["month"] = a.month;
    findings.push_back(std::move(j));
  }
  access = std::move(findings);
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
  auto t = std::chrono::steady_clock::now();
  auto lap = [&](const char* part) {
    const auto now = std::chrono::steady_clock::now();
    timing[part] = std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
    t = now;
  };
  report["integrity"] = Integrity(store, verifier, o);
  lap("verify_ms");
  CL_ASSIGN_OR_RETURN(projections::BuiltTo built, projections::ReadBuiltTo(store, dbs));
  report["projections_built_to"] = built.size;

  // Per-case flags, the retention plan and the 24-hour response rate, from
  // one pass over the cases.
  CL_ASSIGN_OR_RETURN(projections::RetentionPolicy policy,
                      projections::ReadRetentionPolicy(store, dbs));
  projections::RetentionPlanner planner(std::move(policy), o.now, 30 * kDay);
  std::map<std::pair<std::string_view, std::string_view>, Json> flags;
  for (const auto& k : projections::kCaseFlagKinds) flags[{k.flag, k.kind}] = Json::array();
  std::uint64_t cases = 0, due_24h = 0, within_24h = 0;
  std::set<std::string> erased_subjects;
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
  Json flag_list = Json::array();
  for (const auto& k : projections::kCaseFlagKinds) {
    Json& list = flags[{k.flag, k.kind}];
    flag_list.push_back({{"flag", k.flag}, {"kind", k.kind}, {"count", list.size()}, {"cases", list}});
  }

  // Retention (FLAG-RETENTION: personal data kept past its deadline).
  const projections::RetentionPlan plan = std::move(planner).Finish();
  lap("cases_ms");
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

  Json refusals, access;
  CL_RETURN_IF_ERROR(ScanLog(store, refusals, access));
  lap("log_scan_ms");
  report["refusals"] = std::move(refusals);
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

}  // namespace caseledger::api
