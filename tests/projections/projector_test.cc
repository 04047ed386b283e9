// Live projections, time travel, rebuild and compare, through the real write
// path with the policy engine.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cerrno>
#include <functional>
#include <random>
#include <stdexcept>

#include "ledger/event_scan.h"
#include "ledger/lmdb/env.h"
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
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(rebuilt.ok());
  auto n = projections::Rebuild(d.store(), **rebuilt);
  REQUIRE(n.ok());
  CHECK(*n == d.size());
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  CHECK(diff->empty());

  // A damaged live projection is reported (by key, never by value): the
  // case's head (key: case id ‖ 8 bytes 0xff) and an index entry of seq 1
  // (key: case id ‖ 8-byte big-endian seq) that was never the case's.
  const std::string head_key = k + std::string(8, '\xff');
  std::string stray_key = k + std::string(7, '\0') + '\x01';
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    CL_RETURN_IF_ERROR(txn.Put(d.dbs().case_rows, AsBytes(head_key), AsBytes(std::string("{}"))));
    return txn.Put(d.dbs().case_rows, AsBytes(stray_key), ByteView{});
  }).ok());
  diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 2);
  CHECK(diff->at(0) == "proj.case_rows " + k + " seq 1: only in the first");
  CHECK(diff->at(1) == "proj.case_rows " + k + " head: differs");

  // Rebuilding the live projections repairs it.
  REQUIRE(projections::Rebuild(d.store(), d.store().tables()).ok());
  diff = projections::CompareProjections(d.store().tables(), **rebuilt);
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
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    for (const auto& [name, dbi] : d.dbs().All()) CL_RETURN_IF_ERROR(txn.Clear(dbi));
    return Status::Ok();
  }).ok());
  d.Reopen();
  CHECK(ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state) == live);
}

// --- The user registry ------------------------------------------------------------

using projections::UserState;

UserState MustReadUser(Domain& d, const std::string& u) {
  auto r = projections::ReadUser(d.store(), d.dbs(), u);
  if (!r.ok()) throw std::runtime_error("ReadUser: " + r.status().ToString());
  return *r;
}

// The user id a token hash maps to, or "" (NotFound).
std::string OwnerOf(Domain& d, const std::string& hash) {
  auto r = projections::UserOfTokenHash(d.store(), d.dbs(), hash);
  if (r.status().code() == StatusCode::kNotFound) return "";
  if (!r.ok()) throw std::runtime_error("UserOfTokenHash: " + r.status().ToString());
  return *r;
}

std::vector<std::string> Diff(Domain& d) {
  TempDir scratch;
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  if (!rebuilt.ok()) throw std::runtime_error(rebuilt.status().ToString());
  auto n = projections::Rebuild(d.store(), **rebuilt);
  if (!n.ok()) throw std::runtime_error(n.status().ToString());
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  if (!diff.ok()) throw std::runtime_error(diff.status().ToString());
  return *diff;
}

TEST_CASE("the user registry follows registrations, tokens, role changes and revocations",
          "[projections][users]") {
  Domain d;
  const std::string u1 = NewId("u"), u2 = NewId("u");
  const std::string h1 = NewTokenHash(), h2 = NewTokenHash(), h3 = NewTokenHash();

  // Registered with a token.
  const std::uint64_t reg1 = d.Must(RegisterUser(d.dpo, u1, "caseworker", h1));
  UserState s1 = MustReadUser(d, u1);
  CHECK(s1.user == u1);
  CHECK(s1.role == "caseworker");
  CHECK(s1.registered_seq == reg1);
  CHECK(s1.registered == *ledger::ParseTime(d.EventAt(reg1).time));
  CHECK(s1.token_hash == h1);
  CHECK(s1.token_seq == reg1);
  CHECK_FALSE(s1.is_revoked());
  CHECK(OwnerOf(d, h1) == u1);

  // Registered without one, then issued one.
  const std::uint64_t reg2 = d.Must(RegisterUser(d.dpo, u2, "coordinator"));
  CHECK_FALSE(MustReadUser(d, u2).token_hash.has_value());
  CHECK(MustReadUser(d, u2).token_seq == 0);
  const std::uint64_t tok2 = d.Must(IssueToken(d.dpo, u2, h2));
  CHECK(MustReadUser(d, u2).token_hash == h2);
  CHECK(MustReadUser(d, u2).token_seq == tok2);
  CHECK(MustReadUser(d, u2).registered_seq == reg2);
  CHECK(OwnerOf(d, h2) == u2);

  // Reissued: the old hash no longer maps to anyone.
  const std::uint64_t tok1 = d.Must(IssueToken(d.dpo, u1, h3));
  CHECK(OwnerOf(d, h1).empty());
  CHECK(OwnerOf(d, h3) == u1);
  CHECK(MustReadUser(d, u1).token_hash == h3);
  CHECK(MustReadUser(d, u1).token_seq == tok1);
  CHECK(OwnerOf(d, h2) == u2);  // another user's token is untouched

  // Role changed: the token stays.
  d.Must(UserCommand(d.dpo, "user.role_changed", Json{{"user", u1}, {"role", "legal_reviewer"}}));
  CHECK(MustReadUser(d, u1).role == "legal_reviewer");
  CHECK(OwnerOf(d, h3) == u1);

  // Revoked: the token no longer maps, the user is still listed as revoked.
  const std::uint64_t rev = d.Must(UserCommand(d.dpo, "user.revoked", Json{{"user", u1}}));
  CHECK(OwnerOf(d, h3).empty());
  s1 = MustReadUser(d, u1);
  CHECK(s1.is_revoked());
  CHECK(s1.revoked_seq == rev);
  CHECK(s1.revoked == *ledger::ParseTime(d.EventAt(rev).time));
  CHECK_FALSE(s1.token_hash.has_value());
  CHECK(s1.role == "legal_reviewer");
  CHECK(s1.registered_seq == reg1);
  CHECK(OwnerOf(d, h2) == u2);

  // Unknown and malformed keys are NotFound.
  CHECK(projections::ReadUser(d.store(), d.dbs(), NewId("u")).status().code() ==
        StatusCode::kNotFound);
  CHECK(projections::ReadUser(d.store(), d.dbs(), "").status().code() == StatusCode::kNotFound);
  CHECK(projections::ReadUser(d.store(), d.dbs(), std::string(600, 'u')).status().code() ==
        StatusCode::kNotFound);
  CHECK(OwnerOf(d, NewTokenHash()).empty());
  CHECK(OwnerOf(d, "").empty());
  CHECK(OwnerOf(d, std::string(600, 'A')).empty());

  // The same after a reopen (read back from the DBs, not the cache), and a
  // rebuild from the log equals the live projections.
  d.Reopen();
  CHECK(MustReadUser(d, u1) == s1);
  CHECK(OwnerOf(d, h2) == u2);
  CHECK(OwnerOf(d, h3).empty());
  CHECK(Diff(d).empty());
  // And the engine still knows them after the reopen.
  CHECK(d.Submit(IssueToken(d.dpo, u1, NewTokenHash())).status().code() ==
        StatusCode::kFailedPrecondition);
  CHECK(d.Submit(IssueToken(d.dpo, u2, h2)).status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("token changes within one batch leave only the last token", "[projections][users]") {
  Domain d;
  const std::string u = NewId("u"), v = NewId("u");
  const std::string h1 = NewTokenHash(), h2 = NewTokenHash(), h3 = NewTokenHash(),
                    h4 = NewTokenHash();
  auto results = d.SubmitAll({RegisterUser(d.dpo, u, "caseworker", h1), IssueToken(d.dpo, u, h2),
                              IssueToken(d.dpo, u, h3), RegisterUser(d.dpo, v, "auditor", h4),
                              UserCommand(d.dpo, "user.revoked", Json{{"user", v}}),
                              // Refused within the batch: h3 is u's now.
                              RegisterUser(d.dpo, NewId("u"), "dpo", h3)});
  REQUIRE(results.size() == 6);
  for (std::size_t i = 0; i < 5; ++i) {
    INFO(i);
    CHECK(results[i].ok());
  }
  CHECK(results[5].status().code() == StatusCode::kAlreadyExists);
  CHECK(OwnerOf(d, h1).empty());
  CHECK(OwnerOf(d, h2).empty());
  CHECK(OwnerOf(d, h3) == u);
  CHECK(OwnerOf(d, h4).empty());
  CHECK(MustReadUser(d, v).is_revoked());
  CHECK(Diff(d).empty());
  // proj.tokens holds exactly u's current token.
  auto txn = d.store().Read().value();
  auto cur = txn.Scan(d.dbs().tokens).value();
  auto kv = cur.First().value();
  REQUIRE(kv.has_value());
  CHECK(AsChars(kv->key) == h3);
  CHECK(AsChars(kv->value) == u);
  CHECK_FALSE(cur.Next().value().has_value());
}

TEST_CASE("ListUsers gives registration order, ListCaseIds key order", "[projections][users]") {
  Domain d;
  // Registered in descending id order, so key order is the reverse.
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(NewId("u"));
  std::sort(ids.begin(), ids.end(), std::greater<>());
  const char* roles[] = {"caseworker", "coordinator", "legal_reviewer", "auditor", "dpo"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    d.Must(RegisterUser(d.dpo, ids[i], roles[i % 5], i % 2 ? std::optional(NewTokenHash()) : std::nullopt));
  }
  d.Must(UserCommand(d.dpo, "user.revoked", Json{{"user", ids[2]}}));
  auto users = projections::ListUsers(d.store(), d.dbs());
  REQUIRE(users.ok());
  // After the fixture's own users (registered first).
  const std::size_t k = Domain::kSetupEvents;
  REQUIRE(users->size() == ids.size() + k);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO(i);
    CHECK((*users)[k + i].user == ids[i]);
    CHECK((*users)[k + i].role == roles[i % 5]);
    CHECK((*users)[k + i].token_hash.has_value() == (i % 2 == 1));
    CHECK((*users)[k + i].is_revoked() == (i == 2));
    CHECK((*users)[k + i - 1].registered_seq < (*users)[k + i].registered_seq);
  }

  auto none = projections::ListCaseIds(d.store(), d.dbs());
  REQUIRE(none.ok());
  CHECK(none->empty());
  std::vector<std::string> cases;
  for (int i = 0; i < 5; ++i) {
    auto c = Concern(d.cw, Json::array({Ground("b.threat")}));
    cases.push_back(*c.case_id);
    d.Must(c);
  }
  // A refused concern opens no case.
  REQUIRE(d.Submit(Concern(d.cw, Json::array({Ground("p.religion")}))).status().code() ==
          StatusCode::kPolicyRefused);
  std::sort(cases.begin(), cases.end());
  auto listed = projections::ListCaseIds(d.store(), d.dbs());
  REQUIRE(listed.ok());
  CHECK(*listed == cases);
  CHECK(Diff(d).empty());
}

TEST_CASE("users are rebuilt, caught up and compared like the other projections",
          "[projections][users][rebuild]") {
  Domain d;
  const std::string u = NewId("u");
  const std::string h = NewTokenHash();
  d.Must(RegisterUser(d.dpo, u, "caseworker", h));
  RandomCaseWork a(d, 31);
  a.Open();
  for (int i = 0; i < 10; ++i) a.Step();
  d.Must(UserCommand(d.dpo, "user.role_changed", Json{{"user", u}, {"role", "coordinator"}}));
  const UserState live = MustReadUser(d, u);
  CHECK(Diff(d).empty());

  // A damaged proj.users or proj.tokens is reported by key; a token hash
  // only by its first 8 characters.
  TempDir scratch;
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(rebuilt.ok());
  REQUIRE(projections::Rebuild(d.store(), **rebuilt).ok());
  const std::string stray = NewTokenHash();
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    CL_RETURN_IF_ERROR(txn.Put(d.dbs().users, AsBytes(u), AsBytes(std::string("{}"))));
    return txn.Put(d.dbs().tokens, AsBytes(stray), AsBytes(u));
  }).ok());
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  REQUIRE(diff->size() == 2);
  CHECK((*diff)[0] == "proj.users " + u + ": differs");
  CHECK((*diff)[1] == "proj.tokens " + stray.substr(0, 8) + "...: only in the first");
  CHECK((*diff)[1].find(stray) == std::string::npos);

  // Forgotten projections (as in an older data dir) are caught up on open.
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    for (const auto& [name, dbi] : d.dbs().All()) CL_RETURN_IF_ERROR(txn.Clear(dbi));
    return Status::Ok();
  }).ok());
  d.Reopen();
  CHECK(MustReadUser(d, u) == live);
  CHECK(OwnerOf(d, h) == u);
  CHECK(OwnerOf(d, stray).empty());
  CHECK(Diff(d).empty());
}

TEST_CASE("projections of version 1 are rebuilt on open", "[projections][users][rebuild]") {
  CHECK(projections::kProjectionVersion == "5");
  Domain d;
  const std::string u = NewId("u");
  const std::string h = NewTokenHash();
  d.Must(RegisterUser(d.dpo, u, "auditor", h));
  // What a version-1 data dir looks like: the other DBs current, no users.
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    CL_RETURN_IF_ERROR(txn.Clear(d.dbs().users));
    CL_RETURN_IF_ERROR(txn.Clear(d.dbs().tokens));
    return txn.Put(d.dbs().meta, AsBytes(std::string("version")), AsBytes(std::string("1")));
  }).ok());
  CHECK(projections::ReadUser(d.store(), d.dbs(), u).status().code() == StatusCode::kNotFound);
  d.Reopen();
  CHECK(MustReadUser(d, u).role == "auditor");
  CHECK(OwnerOf(d, h) == u);
  auto txn = d.store().Read().value();
  auto v = txn.Get(d.dbs().meta, AsBytes(std::string("version"))).value();
  REQUIRE(v.has_value());
  CHECK(AsChars(*v) == projections::kProjectionVersion);
}

TEST_CASE("projections of version 4 (three case tables) are rebuilt into proj.case_rows on open, the old tables emptied",
          "[projections][rebuild]") {
  Domain d;
  RandomCaseWork a(d, 7);
  const std::string k = a.Open();
  for (int i = 0; i < 20; ++i) a.Step();
  const Json before = ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state);
  // What a version-4 data dir looks like: the cases in proj.cases,
  // proj.case_facts and proj.case_seqs, proj.case_rows absent (here: empty).
  const std::vector<std::string> legacy = {"proj.cases", "proj.case_facts", "proj.case_seqs"};
  std::vector<ledger::Table> tables;
  for (const std::string& name : legacy)
    tables.push_back(d.store().tables().Open(name, /*create=*/true).value());
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    CL_RETURN_IF_ERROR(txn.Clear(d.dbs().case_rows));
    for (const ledger::Table& t : tables)
      CL_RETURN_IF_ERROR(txn.Put(t, AsBytes(k), AsBytes(std::string("{}"))));
    return txn.Put(d.dbs().meta, AsBytes(std::string("version")), AsBytes(std::string("4")));
  }).ok());
  CHECK(projections::ReadCase(d.store(), d.dbs(), k).status().code() == StatusCode::kNotFound);
  d.Reopen();
  CHECK(ViewJson(projections::ReadCase(d.store(), d.dbs(), k)->state) == before);
  for (std::size_t i = 0; i < legacy.size(); ++i)
    tables[i] = d.store().tables().Open(legacy[i], /*create=*/false).value();
  auto txn = d.store().Read().value();
  for (const ledger::Table& t : tables) {
    auto cur = txn.Scan(t).value();
    CHECK_FALSE(cur.First().value().has_value());
  }
  CHECK(AsChars(*txn.Get(d.dbs().meta, AsBytes(std::string("version"))).value()) ==
        projections::kProjectionVersion);
}

TEST_CASE("projections rebuilt on open count on from the rebuilt counters",
          "[projections][rebuild]") {
  // The counters are the one projection a projector holds whole in memory:
  // after a rebuild on open, the next batch must count on from the rebuilt
  // values, not from zero (a refusal, then advice, counted after the open).
  Domain d;
  auto c = Concern(d.cw, Json::array({Ground("b.threat")}));
  const std::string k = *c.case_id;
  d.Must(c);
  for (int i = 0; i < 3; ++i)
    REQUIRE(d.Submit(Request(d.cw, k, "pet", "pet-4")).status().code() ==
            StatusCode::kPolicyRefused);
  REQUIRE(d.store().tables().Write([&](ledger::TableWrites& txn) -> Status {
    return txn.Put(d.dbs().meta, AsBytes(std::string("version")), AsBytes(std::string("1")));
  }).ok());
  d.Reopen();  // rebuilt: three refusals counted
  CHECK(Diff(d).empty());
  REQUIRE(d.Submit(Request(d.cw, k, "pet", "pet-4")).status().code() ==
          StatusCode::kPolicyRefused);
  const std::vector<std::string> diff = Diff(d);
  for (const std::string& line : diff) UNSCOPED_INFO(line);
  CHECK(diff.empty());
}

TEST_CASE("an environment without the projection DBs compares as empty", "[projections][rebuild]") {
  Domain d;
  d.Must(RegisterUser(d.dpo, NewId("u"), "caseworker", NewTokenHash()));
  TempDir scratch;
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(rebuilt.ok());
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  CHECK(std::find(diff->begin(), diff->end(), "proj.meta version: only in the first") !=
        diff->end());
  bool users = false, tokens = false;
  for (const std::string& line : *diff) {
    users = users || line.starts_with("proj.users ");
    tokens = tokens || line.starts_with("proj.tokens ");
  }
  CHECK(users);
  CHECK(tokens);
}

// --- Rebuild of a longer log ---------------------------------------------------

// A log of at least `events` events: random work on a few cases, and
// batches of new cases, each responded to, assigned and reviewed.
void WriteManyEvents(Domain& d, std::uint64_t events) {
  std::vector<RandomCaseWork> work;
  for (std::uint32_t seed = 0; seed < 4; ++seed) {
    work.emplace_back(d, 300 + seed);
    work.back().Open();
  }
  while (d.size() < events) {
    for (RandomCaseWork& w : work)
      for (int i = 0; i < 10; ++i) w.Step();
    std::vector<std::string> ids;
    std::vector<Command> opened;
    for (int i = 0; i < 50; ++i) {
      opened.push_back(Concern(d.cw, Json::array({Ground("b.threat")})));
      ids.push_back(*opened.back().case_id);
    }
    for (const auto& r : d.SubmitAll(std::move(opened))) REQUIRE(r.ok());
    std::vector<Command> worked;
    for (const std::string& k : ids) {
      worked.push_back(CaseEvent(d.cw, k, "concern.responded", Json{{"channel", "phone"}}));
      worked.push_back(CaseEvent(d.co, k, "case.assigned", Json{{"assignees", Json::array({d.cw.id})}}));
      worked.push_back(CaseEvent(d.co, k, "case.reviewed", Json{{"decision", "continue"}},
                                 Json{{"reasoning", "synthetic"}}));
    }
    // Refusals are events too (policy.refused); a command the case's state
    // does not allow stores nothing. Either way the log stays valid.
    for (const auto& r : d.SubmitAll(std::move(worked))) {
      INFO(r.status().ToString());
      REQUIRE((r.ok() || r.status().code() == StatusCode::kPolicyRefused ||
               r.status().code() == StatusCode::kFailedPrecondition ||
               r.status().code() == StatusCode::kInvalidArgument));
    }
  }
}

// True if every projection DB of `tables` is empty (nothing was written).
bool ProjectionsEmpty(ledger::Tables& tables) {
  auto dbs = projections::ProjectionDbs::Open(tables, false);
  if (!dbs.ok()) throw std::runtime_error(dbs.status().ToString());
  auto txn = tables.Read();
  if (!txn.ok()) throw std::runtime_error(txn.status().ToString());
  for (const auto& [name, table] : dbs->All()) {
    auto cur = txn->Scan(table);
    if (!cur.ok()) throw std::runtime_error(cur.status().ToString());
    auto first = cur->First();
    if (!first.ok()) throw std::runtime_error(first.status().ToString());
    if (*first) return false;
  }
  return true;
}

TEST_CASE("a rebuild of thousands of events equals the live projections folded one by one",
          "[projections][rebuild]") {
  Domain d;
  WriteManyEvents(d, 5000);
  REQUIRE(d.size() > 2 * 2048);
  TempDir scratch;
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(rebuilt.ok());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto n = projections::Rebuild(d.store(), **rebuilt, nullptr,
                                [&](std::uint64_t done, std::uint64_t total) {
                                  calls.emplace_back(done, total);
                                });
  REQUIRE(n.ok());
  CHECK(*n == d.size());
  // The live projections were folded by the writer's hook, one event at a
  // time: byte for byte the same.
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  CHECK(diff->empty());
  REQUIRE(!calls.empty());
  CHECK(calls.front() == std::make_pair(std::uint64_t{0}, d.size()));
  CHECK(calls.back() == std::make_pair(d.size(), d.size()));
  for (std::size_t i = 1; i < calls.size(); ++i) CHECK(calls[i].first >= calls[i - 1].first);
}

// A rebuild's transactions of `events` each while it lives.
struct CatchUpChunk {
  explicit CatchUpChunk(std::uint64_t events) { projections::SetCatchUpChunkForTesting(events); }
  ~CatchUpChunk() { projections::SetCatchUpChunkForTesting(0); }
  CatchUpChunk(const CatchUpChunk&) = delete;
  CatchUpChunk& operator=(const CatchUpChunk&) = delete;
};

TEST_CASE("a rebuild in many transactions commits each while folding the next, and stops at a failed one",
          "[projections][rebuild]") {
  // Each chunk is committed on a thread of its own while the next is read
  // and folded; a failed commit must end the rebuild with its error, and a
  // rebuild after it must give the live projections again.
  Domain d;
  WriteManyEvents(d, 5000);
  const std::uint64_t size = d.size();
  REQUIRE(size > 4500);
  CatchUpChunk chunks(1000);
  TempDir scratch;
  ledger::lmdb::EnvOptions eo;
  eo.no_sync = true;
  auto env = ledger::lmdb::Env::Open(scratch.path(), eo);
  REQUIRE(env.ok());
  ledger::Tables tables(**env);
  auto same_as_live = [&] {
    auto diff = projections::CompareProjections(d.store().tables(), tables);
    REQUIRE(diff.ok());
    for (const std::string& line : *diff) UNSCOPED_INFO(line);
    CHECK(diff->empty());
  };

  // Progress is reported as each transaction is committed.
  std::vector<std::uint64_t> done;
  auto n = projections::Rebuild(d.store(), tables, nullptr,
                                [&](std::uint64_t k, std::uint64_t total) {
                                  CHECK(total == size);
                                  done.push_back(k);
                                });
  REQUIRE(n.ok());
  CHECK(*n == size);
  std::vector<std::uint64_t> expected{0};
  for (std::uint64_t k = 1000; k < size; k += 1000) expected.push_back(k);
  expected.push_back(size);
  CHECK(done == expected);
  same_as_live();

  // Once the second transaction is committed, every commit fails: the third
  // transaction's error is the rebuild's, whatever the next chunk's fold did.
  done.clear();
  n = projections::Rebuild(d.store(), tables, nullptr, [&](std::uint64_t k, std::uint64_t) {
    done.push_back(k);
    if (k == 2000) (*env)->InjectCommitFailures(EIO, 1 << 30);
  });
  CHECK_FALSE(n.ok());
  CHECK(done == std::vector<std::uint64_t>{0, 1000, 2000});
  (*env)->InjectCommitFailures(0, 0);
  n = projections::Rebuild(d.store(), tables);
  REQUIRE(n.ok());
  same_as_live();
}

TEST_CASE("a catch-up of thousands of events onto cached states equals the live projections",
          "[projections][rebuild]") {
  // A projector of its own over a scratch environment, built to the log as
  // it is, then caught up (Follow) over more than a thousand later events:
  // the cases it folded first get new facts on the catch-up's fold thread.
  Domain d;
  WriteManyEvents(d, 1500);
  TempDir scratch;
  auto tables = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(tables.ok());
  auto p = projections::Projector::Open(d.store(), **tables);
  REQUIRE(p.ok());
  const std::uint64_t first = d.size();
  auto ids = projections::ListCaseIds(d.store(), d.dbs());
  REQUIRE(ids.ok());
  REQUIRE(ids->size() > 100);
  std::vector<Command> more;
  for (const std::string& k : *ids)
    more.push_back(CaseEvent(d.co, k, "case.reviewed", Json{{"decision", "continue"}},
                             Json{{"reasoning", "synthetic"}}));
  for (const auto& r : d.SubmitAll(std::move(more))) {
    INFO(r.status().ToString());
    REQUIRE((r.ok() || r.status().code() == StatusCode::kPolicyRefused));
  }
  WriteManyEvents(d, d.size() + 1500);
  REQUIRE(d.size() - first > 1500);  // enough for the fold thread
  REQUIRE((*p)->Follow().ok());
  // proj.meta's built_to included: caught up to the same size and root.
  auto diff = projections::CompareProjections(d.store().tables(), **tables);
  REQUIRE(diff.ok());
  for (const std::string& line : *diff) UNSCOPED_INFO(line);
  CHECK(diff->empty());
}

TEST_CASE("a damaged event in the middle of a rebuild is the one reported, nothing after it folded",
          "[projections][rebuild]") {
  Domain d;
  WriteManyEvents(d, 6000);
  REQUIRE(d.size() > 2 * 2048 + 1500);
  // An event in the middle of the log; the next event damaged otherwise,
  // and a later event missing.
  const std::uint64_t bad = 2048 + 1000, next = bad + 1, gone = bad + 1500;
  auto line_of = [&](std::uint64_t seq) {
    auto txn = d.store().Read().value();
    return ledger::ReadEventLine(txn, d.store(), seq).value();
  };
  const std::string bad_line = line_of(bad), next_line = line_of(next), gone_line = line_of(gone);
  const std::string truncated = bad_line.substr(0, bad_line.size() / 2);
  const std::string not_an_event = "[]";
  auto scan_error = [](const std::string& line) {
    auto sc = ledger::ScanEvent(line, /*signature_input=*/false);
    REQUIRE(!sc.ok());
    return sc.status().message();
  };
  const std::string expected = scan_error(truncated);
  // The three damages read differently, so the report names which one came first.
  REQUIRE(expected != scan_error(not_an_event));
  REQUIRE(expected != "event " + std::to_string(gone) + " is missing");
  auto put = [&](std::uint64_t seq, const std::string& line) {
    REQUIRE(d.store().env().Write([&](ledger::lmdb::WriteTxn& txn) -> Status {
      return txn.Put(d.store().events(), EncodeBigEndian64(seq), AsBytes(line));
    }).ok());
  };
  put(bad, truncated);
  put(next, not_an_event);
  REQUIRE(d.store().env().Write([&](ledger::lmdb::WriteTxn& txn) -> Status {
    return txn.Delete(d.store().events(), EncodeBigEndian64(gone));
  }).ok());

  auto rebuild = [&](TempDir& scratch) {
    auto tables = ledger::Tables::OpenScratch(scratch.path());
    REQUIRE(tables.ok());
    Status s = projections::Rebuild(d.store(), **tables).status();
    // One transaction holds every event here: a failure writes nothing.
    if (!s.ok()) CHECK(ProjectionsEmpty(**tables));
    return s;
  };
  {
    TempDir scratch;
    Status s = rebuild(scratch);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message() == expected);
  }
  put(bad, bad_line);
  {
    TempDir scratch;
    Status s = rebuild(scratch);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message() == scan_error(not_an_event));
  }
  put(next, next_line);
  {
    TempDir scratch;
    Status s = rebuild(scratch);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message() == "event " + std::to_string(gone) + " is missing");
  }
  put(gone, gone_line);
  CHECK(Diff(d).empty());
}

}  // namespace
}  // namespace caseledger::testing
