// Live projections, time travel, rebuild and compare, through the real write
// path with the policy engine.
#include <catch2/catch.hpp>
#include <random>

#include "projections/policy.h"
#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

using projections::CaseState;

// Random, mostly valid case work on one case: whatever the engine refuses is
// recorded as policy.refused and must not change the state.
class RandomCaseWork {
 public:
  RandomCaseWork(Domain& d, std::uint32_t seed) : d_(d), rng_(seed) {}

  std::string Open() {
    auto c = Concern(d_.cw, Json::array({Ground("b.threat")}));
    case_id_ = *c.case_id;
    facts_.push_back(d_.Must(c));
    return case_id_;
  }

  // One random step; returns the seq appended (accepted or refusal record).
  void Step() {
    const std::uint64_t before = d_.size();
    Command c = Next();
    auto r = d_.Submit(c);
    if (r.ok()) {
      facts_.push_back(r->seq);
      if (c.type == "intervention.started") interventions_.push_back(r->seq);
      if (c.type == "disclosure.requested") requests_.push_back(r->seq);
    } else if (r.status().code() == StatusCode::kPolicyRefused) {
      REQUIRE(d_.size() == before + 1);  // only the refusal record
    } else {
      // Not possible in this state (e.g. lifting a restriction that is not
      // there): refused before anything is stored.
      INFO(r.status().ToString());
      REQUIRE((r.status().code() == StatusCode::kFailedPrecondition ||
               r.status().code() == StatusCode::kInvalidArgument));
      REQUIRE(d_.size() == before);
    }
  }

 private:
  std::uint64_t Pick(const std::vector<std::uint64_t>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_)];
  }
  int Roll(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  const Actor& Coordinator() { return Roll(2) == 0 ? d_.co : d_.co2; }

  Command Next() {
    const std::string& k = case_id_;
    switch (Roll(16)) {
      case 0:
        return CaseEvent(d_.cw, k, "concern.responded",
                         Json{{"channel", Roll(2) ? "phone" : "meeting"}});
      case 1:
        return CaseEvent(d_.co, k, "case.assigned",
                         Json{{"assignees", Json::array({Roll(2) ? d_.cw.id : d_.cw2.id})}});
      case 2: {
        const char* outcomes[] = {"founded", "unfounded", "more_information"};
        std::string o = outcomes[Roll(3)];
        return Assessment(Coordinator(), k, o,
                          o == "founded" ? Json::array({Ground("b.violence")}) : Json::array());
      }
      case 3:
        return CaseEvent(d_.cw, k, "consent.recorded",
                         Json{{"decision", Roll(3) ? "given" : "withdrawn"}, {"by", "subject"}});
      case 4:
        return CaseEvent(d_.cw, k, "intervention.started",
                         Json{{"kind", Roll(2) ? "mentor" : "relatives_coach"},
                              {"provider", "municipality"}},
                         Json{{"plan", "synthetic plan"}});
      case 5:
        if (interventions_.empty()) break;
        return CaseEvent(d_.cw, k, "progress.assessed",
                         Json{{"intervention", Pick(interventions_)},
                              {"factors", {{"family", {{"risk", Roll(4)}, {"resources", Roll(4)}}}}}});
      case 6:
        if (interventions_.empty()) break;
        return CaseEvent(d_.cw, k, "intervention.ended",
                         Json{{"intervention", Pick(interventions_)}, {"reason", "completed"}});
      case 7:
        return CaseEvent(d_.cw, k, "disclosure.requested",
                         Json{{"recipient", "social_services"},
                              {"basis", "rpl-115-ssp"},
                              {"registry_version", "2026-1"},
                              {"purpose", "prevention"},
                              {"categories", Json::array({"identity", "concern"})}},
                         Json{{"purpose_text", "synthetic"}, {"summary", "synthetic"}});
      case 8:
        if (requests_.empty()) break;
        return CaseEvent(Coordinator(), k, Roll(4) ? "disclosure.approved" : "disclosure.rejected",
                         Json{{"request", Pick(requests_)}});
      case 9:
        if (requests_.empty()) break;
        return CaseEvent(d_.cw, k, "disclosure.made",
                         Json{{"request", Pick(requests_)},
                              {"channel", "secure_mail"},
                              {"document_sha256", std::string(64, 'b')}});
      case 10:
        return CaseEvent(d_.co, k, Roll(2) ? "processing.restricted" : "processing.restriction_lifted",
                         Json{{"ground", "accuracy_contested"}});
      case 11:
        return CaseEvent(d_.dpo, k, Roll(2) ? "legal_hold.set" : "legal_hold.released",
                         Json{{"ground", "complaint"}});
      case 12:  // a body correction of any earlier fact
        return CaseEvent(d_.co, k, "record.corrected",
                         Json{{"target", Pick(facts_)}, {"fields", Json::array({"body.note"})}},
                         Json{{"reason", "synthetic reason"}});
      case 13:  // a header correction of the concern's grounds
        return CaseEvent(d_.co, k, "record.corrected",
                         Json{{"target", facts_.front()},
                              {"fields", Json::array({"h.grounds"})},
                              {"set", {{"grounds", Json::array({Ground(Roll(2) ? "b.threat" : "b.weapons",
                                                                         "2020-02-0" + std::to_string(1 + Roll(9)))})}}}},
                         Json{{"reason", "synthetic reason"}});
      case 14:
        return CaseEvent(d_.co, k, "record.retracted",
                         Json{{"target", Pick(facts_)}, {"reason", "error"}});
      default:
        return CaseEvent(d_.co, k, "case.reviewed", Json{{"decision", "continue"}},
                         Json{{"reasoning", "synthetic"}});
    }
    return CaseEvent(d_.cw, k, "concern.responded", Json{{"channel", "letter"}});
  }

  Domain& d_;
  std::mt19937 rng_;
  std::string case_id_;
  std::vector<std::uint64_t> facts_, interventions_, requests_;
};

Command Request(const Actor& a, const std::string& case_id, const std::string& recipient,
                const std::string& basis) {
  return CaseEvent(a, case_id, "disclosure.requested",
                   Json{{"recipient", recipient}, {"basis", basis}, {"registry_version", "2026-1"},
                        {"purpose", "prevention"}, {"categories", Json::array({"identity"})}},
                   Json{{"purpose_text", "synthetic"}, {"summary", "synthetic"}});
}

std::string ViewJson(const CaseState& s) { return ledger::CanonicalJson(s.Derive().ToJson()); }

TEST_CASE("time travel equals the live projection as of every seq", "[projections][timetravel]") {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    INFO("seed " << seed);
    Domain d;
    RandomCaseWork work(d, seed), other(d, seed + 100);
    const std::string k = work.Open();
    const std::string k2 = other.Open();
    // The live state (read from the projection after each commit) by seq.
    std::vector<std::pair<std::uint64_t, std::string>> live;
    std::vector<std::pair<ledger::Micros, std::string>> live_by_time;
    for (int i = 0; i < 45; ++i) {
      work.Step();
      if (i % 3 == 0) other.Step();  // interleaved events of another case
      auto snap = projections::ReadCase(d.store(), d.dbs(), k);
      REQUIRE(snap.ok());
      live.emplace_back(d.size(), ViewJson(snap->state));
      live_by_time.emplace_back(snap->state.Derive().last_activity, ViewJson(snap->state));
    }
    auto seqs = projections::CaseSeqs(d.store(), d.dbs(), k);
    REQUIRE(seqs.ok());
    CHECK(seqs->size() >= 30);
    bool corrected = false;
    for (const auto& [seq, json] : live) {
      auto asof = projections::CaseAsOfSeq(d.store(), d.dbs(), k, seq);
      REQUIRE(asof.ok());
      CHECK(ViewJson(*asof) == json);
      corrected = corrected || !asof->Derive().corrections.empty();
    }
    CHECK(corrected);
    // As of the time of the case's latest state fact gives the same state.
    for (const auto& [t, json] : live_by_time) {
      auto asof = projections::CaseAsOfTime(d.store(), d.dbs(), k, t);
      REQUIRE(asof.ok());
      CHECK(ViewJson(*asof) == json);
    }
    // Before the case existed there is no case.
    auto first = seqs->front();
    CHECK(projections::CaseAsOfSeq(d.store(), d.dbs(), k, first - 1).status().code() ==
          StatusCode::kNotFound);
    // Every indexed seq belongs to this case (never a scan of the whole log).
    for (std::uint64_t s : *seqs) {
      ledger::Event e = d.EventAt(s);
      CHECK((e.case_id == k || (e.type == "subject.erased")));
    }
  }
}

TEST_CASE("history shows the original and its correction linked", "[projections][history]") {
  Domain d;
  auto c = Concern(d.cw, Json::array({Ground("b.threat", "2020-01-15")}));
  const std::string k = *c.case_id;
  const std::uint64_t concern = d.Must(c);
  const std::uint64_t assessment =
      d.Must(Assessment(d.co, k, "founded", Json::array({Ground("b.threat")})));
  const std::uint64_t fix = d.Must(CaseEvent(
      d.cw, k, "record.corrected",
      Json{{"target", concern},
           {"fields", Json::array({"h.grounds"})},
           {"set", {{"grounds", Json::array({Ground("b.threat", "2020-01-10")})}}}},
      Json{{"reason", "synthetic reason"}}));
  const std::uint64_t undo = d.Must(CaseEvent(d.co, k, "record.retracted",
                                              Json{{"target", assessment}, {"reason", "error"}}));
  // A refusal on the case is in its history too (not a state fact).
  auto refused = d.Submit(Request(d.cw, k, "pet", "pet-4"));
  REQUIRE(refused.status().code() == StatusCode::kPolicyRefused);

  auto h = projections::CaseHistory(d.store(), d.dbs(), k);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 5);
  const auto& original = (*h)[0];
  CHECK(original.fact.seq == concern);
  // The original as recorded, with the correction linked to it.
  CHECK(original.fact.h["grounds"][0]["observed_on"] == "2020-01-15");
  CHECK(original.corrected_by == std::vector<std::uint64_t>{fix});
  CHECK((*h)[1].retracted_by == undo);
  CHECK((*h)[2].target == concern);
  CHECK((*h)[3].target == assessment);
  CHECK((*h)[4].fact.type == "policy.refused");
  CHECK_FALSE((*h)[4].state_fact);
  // The state applies both: corrected date, assessment gone.
  auto v = d.View(k);
  CHECK(v.grounds.at(0).observed_on == "2020-01-10");
  CHECK(v.assessments.empty());
  CHECK(v.status == "received");
  // History as of before the correction.
  auto early = projections::CaseHistory(d.store(), d.dbs(), k, assessment);
  REQUIRE(early.ok());
  CHECK(early->size() == 2);
  CHECK(early->front().corrected_by.empty());
  CHECK(projections::CaseHistory(d.store(), d.dbs(), NewId("c")).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("projections survive a reopen and equal a rebuild", "[projections][rebuild]") {
  Domain d;
  RandomCaseWork a(d, 11), b(d, 12);
  const std::string k = a.Open();
  b.Open();
  for (int i = 0; i < 30; ++i) {
    a.Step();
    b.Step();
  }
  const std::string before = ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state);
  d.Reopen();
  CHECK(ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state) == before);
  auto built = projections::ReadBuiltTo(d.store(), d.dbs());
  REQUIRE(built.ok());
  CHECK(built->size == d.size());

  // Rebuild into a scratch environment: no difference.
  TempDir scratch;
  ledger::lmdb::EnvOptions eo;
  eo.no_sync = true;
  auto env = ledger::lmdb::Env::Open(scratch.path(), eo);
  REQUIRE(env.ok());
  auto n = projections::Rebuild(d.store(), **env);
  REQUIRE(n.ok());
  CHECK(*n == d.size());
  auto diff = projections::CompareProjections(d.store().env(), **env);
  REQUIRE(diff.ok());
  CHECK(diff->empty());

  // A damaged live projection is reported (by key, never by value).
  REQUIRE(d.store().env().Write([&](ledger::lmdb::WriteTxn& txn) {
    return txn.Put(d.dbs().cases, AsBytes(k), AsBytes(std::string("{}")));
  }).ok());
  diff = projections::CompareProjections(d.store().env(), **env);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 1);
  CHECK(diff->front() == "proj.cases " + k + ": differs");

  // Rebuilding the live projections repairs it.
  REQUIRE(projections::Rebuild(d.store(), d.store().env()).ok());
  diff = projections::CompareProjections(d.store().env(), **env);
  REQUIRE(diff.ok());
  CHECK(diff->empty());
}

TEST_CASE("a log written without projections is caught up when opened", "[projections][rebuild]") {
  Domain d;
  RandomCaseWork a(d, 21);
  const std::string k = a.Open();
  for (int i = 0; i < 20; ++i) a.Step();
  const std::string live = ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state);
  // Forget the projections, as a data dir of an older version would be.
  REQUIRE(d.store().env().Write([&](ledger::lmdb::WriteTxn& txn) -> Status {
    for (const auto& [name, dbi] : d.dbs().All()) CL_RETURN_IF_ERROR(txn.Clear(dbi));
    return Status::Ok();
  }).ok());
  d.Reopen();
  CHECK(ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state) == live);
}

}  // namespace
}  // namespace caseledger::testing
