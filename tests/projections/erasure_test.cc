// Erasure through the write path (DESIGN §7.2, ROL-16): a subject.erased
// destroys the subject's data key before the erasure is acknowledged, the log
// still verifies, and a crash between the durable event and the key's
// destruction is finished when the data dir is next opened.
#include <catch2/catch.hpp>

#include "ledger/body.h"
#include "ledger/verify.h"
#include "projections/catalogue.h"
#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

TEST_CASE("an erasure destroys the subject's data key before it is acknowledged", "[projections][erasure]") {
  Domain d;
  auto erased = Concern(d.cw, Json::array({Ground("b.threat")}));
  auto kept = Concern(d.cw, Json::array({Ground("b.threat")}));
  const std::uint64_t erased_seq = d.Must(erased);
  const std::uint64_t kept_seq = d.Must(kept);
  const std::string kid = d.keys().KidOf(*erased.subject).value();
  REQUIRE(ledger::OpenBody(d.EventAt(erased_seq), d.keys()).ok());

  REQUIRE(d.Submit(Erasure(d.dpo, *erased.subject, kid)).ok());
  // Acknowledged: the key is gone already, the body can never be read again.
  CHECK(d.keys().IsDestroyed(*erased.subject));
  CHECK(d.keys().DataKey(kid).status().code() == StatusCode::kNotFound);
  CHECK(ledger::OpenBody(d.EventAt(erased_seq), d.keys()).status().code() ==
        StatusCode::kFailedPrecondition);
  CHECK(ledger::OpenBody(d.EventAt(kept_seq), d.keys()).ok());
  CHECK(d.View(*erased.case_id).status == "erased");
  // Final: no second erasure, no event on the case, no new body for it.
  CHECK(d.Submit(Erasure(d.dpo, *erased.subject, kid)).status().code() ==
        StatusCode::kPolicyRefused);
  CHECK(d.Submit(CaseEvent(d.cw, *erased.case_id, "concern.responded",
                           Json{{"channel", "phone"}}, Json{{"note", "synthetic"}}))
            .status()
            .code() == StatusCode::kPolicyRefused);
  d.Reopen();
  CHECK(d.keys().IsDestroyed(*erased.subject));
  d.Close();
  auto v = ledger::VerifyLedger(d.dir(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
}

TEST_CASE("the domain refuses a body for an owner whose data key was destroyed, naming ROL-16",
          "[projections][erasure]") {
  Domain d;
  const std::uint64_t before = d.size();
  REQUIRE(d.keys().Destroy(d.dpo.id).ok());  // the DPO's own key: their bodies
  auto r = d.Submit(RegisterUser(d.dpo, NewId("u"), "caseworker"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("(ROL-16)") != std::string::npos);
  CHECK(d.size() == before);  // nothing stored, not even a refusal record
  // Without a body the same actor still acts.
  CHECK(d.Submit(UserCommand(d.dpo, "user.revoked", Json{{"user", d.aud.id}})).ok());
}

TEST_CASE("a legal hold blocks erasure and keeps the key (ROL-16)", "[projections][erasure]") {
  Domain d;
  auto c = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(c);
  d.Must(CaseEvent(d.dpo, *c.case_id, "legal_hold.set", Json{{"ground", "complaint"}}));
  const std::string kid = d.keys().KidOf(*c.subject).value();
  auto r = d.Submit(Erasure(d.dpo, *c.subject, kid));
  CHECK(r.status().code() == StatusCode::kPolicyRefused);
  CHECK_FALSE(d.keys().IsDestroyed(*c.subject));
  CHECK(d.keys().DataKey(kid).ok());
  d.Must(CaseEvent(d.dpo, *c.case_id, "legal_hold.released", Json{{"ground", "complaint"}}));
  CHECK(d.Submit(Erasure(d.dpo, *c.subject, kid)).ok());
  CHECK(d.keys().IsDestroyed(*c.subject));
}

TEST_CASE("a key left live by a crash after the erasure was durable is destroyed at the next open",
          "[projections][erasure]") {
  TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/domain").ok());
  Actor cw{NewId("u"), "caseworker"}, dpo{NewId("u"), "dpo"};
  auto c = Concern(cw, Json::array({Ground("b.threat")}));
  std::string kid;
  {
    // The crash, simulated: a projector without the keystore appends the
    // erasure and never destroys the key; the marker it would have written in
    // the same txn is put there by hand.
    ledger::LedgerOptions o;
    o.no_sync = true;
    o.make_hook = [](ledger::LogStore& store, ledger::Keystore&)
        -> Result<std::unique_ptr<ledger::WriteHook>> {
      CL_ASSIGN_OR_RETURN(auto p, projections::Projector::Open(store, store.tables(), nullptr));
      return std::unique_ptr<ledger::WriteHook>(std::move(p));
    };
    auto l = ledger::Ledger::Open(dir.path(), std::move(o)).value();
    REQUIRE(l->writer().Submit(c).get().ok());
    kid = l->keys().KidOf(*c.subject).value();
    REQUIRE(l->writer().Submit(Erasure(dpo, *c.subject, kid)).get().ok());
    CHECK_FALSE(l->keys().IsDestroyed(*c.subject));
    auto dbs = projections::ProjectionDbs::Open(l->store().tables(), false).value();
    REQUIRE(l->store().tables().Write([&](ledger::TableWrites& txn) {
      return txn.Put(dbs.meta, AsBytes("erase_key/" + *c.subject), ByteView{});
    }).ok());
  }
  auto l = ledger::Ledger::Open(dir.path(), DomainOptions()).value();
  CHECK(l->keys().IsDestroyed(*c.subject));
  CHECK(l->keys().DataKey(kid).status().code() == StatusCode::kNotFound);
  auto dbs = projections::ProjectionDbs::Open(l->store().tables(), false).value();
  auto txn = l->store().Read().value();
  CHECK_FALSE(txn.Get(dbs.meta, AsBytes("erase_key/" + *c.subject)).value().has_value());
}

TEST_CASE("the marker of a live erasure is dropped by the next batch", "[projections][erasure]") {
  Domain d;
  auto c = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(c);
  const std::string kid = d.keys().KidOf(*c.subject).value();
  REQUIRE(d.Submit(Erasure(d.dpo, *c.subject, kid)).ok());
  auto marker = [&] {
    auto txn = d.store().Read().value();
    return txn.Get(d.dbs().meta, AsBytes("erase_key/" + *c.subject)).value().has_value();
  };
  CHECK(marker());  // written with the erasure, in its txn
  {
    // A duty, not a projection: a rebuild (which has no marker) compares equal.
    TempDir scratch;
    auto rebuilt = ledger::Tables::OpenScratch(scratch.path()).value();
    REQUIRE(projections::Rebuild(d.store(), *rebuilt).ok());
    CHECK(projections::CompareProjections(d.store().tables(), *rebuilt).value().empty());
  }
  d.Must(Concern(d.cw, Json::array({Ground("b.threat")})));
  CHECK_FALSE(marker());
}

// The identity index (DESIGN §3): one CPR number, one subject.
Command ConcernWithCpr(const Actor& a, const std::string& cpr) {
  Command c = Concern(a, Json::array({Ground("b.threat")}));
  (*c.body)["identity"]["cpr"] = cpr;
  return c;
}

ledger::Keystore::LookupKey CprKey(Domain& d, const std::string& cpr) {
  return projections::CprLookupKey(d.keys(), cpr);
}

TEST_CASE("a new subject's CPR number is indexed with its key, and a second subject for it is refused",
          "[projections][erasure][cpr]") {
  Domain d;
  const std::string cpr = NextSyntheticCpr(), other = NextSyntheticCpr();
  auto first = ConcernWithCpr(d.cw, cpr);
  d.Must(first);
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == first.subject);

  // Again as a new person, in either written form: refused, nothing appended.
  const std::uint64_t size = d.size();
  std::string bare = cpr;
  bare.erase(6, 1);
  for (const std::string& form : {cpr, bare}) {
    auto r = d.Submit(ConcernWithCpr(d.co, form));
    CHECK(r.status().code() == StatusCode::kAlreadyExists);
    CHECK(r.status().message().find(cpr) == std::string::npos);  // never echoed
  }
  CHECK(d.size() == size);
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == first.subject);
  // A further concern about the known subject (no identity) is fine.
  Command again = Concern(d.cw, Json::array({Ground("b.threat")}));
  again.subject = first.subject;
  again.h["new_subject"] = false;
  again.body->erase("identity");
  d.Must(again);

  // Two new persons with one number in one batch: the first is indexed, the
  // second refused; another number in the same batch is fine.
  auto results = d.SubmitAll({ConcernWithCpr(d.cw, other), ConcernWithCpr(d.cw, other),
                              ConcernWithCpr(d.cw, NextSyntheticCpr())});
  CHECK(results[0].ok());
  CHECK(results[1].status().code() == StatusCode::kAlreadyExists);
  CHECK(results[2].ok());

  // Survives reopening (the index is the keystore's, not a projection).
  d.Reopen();
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == first.subject);
  CHECK(d.Submit(ConcernWithCpr(d.cw, cpr)).status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("erasure drops the subject's CPR index entry, and the number may then be a new subject",
          "[projections][erasure][cpr]") {
  Domain d;
  const std::string cpr = NextSyntheticCpr();
  auto c = ConcernWithCpr(d.cw, cpr);
  d.Must(c);
  const std::string kid = d.keys().KidOf(*c.subject).value();
  REQUIRE(d.Submit(Erasure(d.dpo, *c.subject, kid)).ok());
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == std::nullopt);
  CHECK(d.keys().LookupKeyOfOwner(*c.subject).value() == std::nullopt);
  // Forgotten: a later concern about the person starts afresh, under a new
  // pseudonym and key.
  auto later = ConcernWithCpr(d.cw, cpr);
  d.Must(later);
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == later.subject);
  CHECK(*later.subject != *c.subject);
}

TEST_CASE("an index entry whose subject never reached the log is replaced, not a refusal",
          "[projections][erasure][cpr]") {
  Domain d;
  const std::string cpr = NextSyntheticCpr();
  // As a batch that failed after its keys (and index entries) were stored.
  const std::string orphan = NewId("s");
  std::vector<std::string> owners{orphan};
  std::vector<ledger::Keystore::IndexEntry> index{{CprKey(d, cpr), orphan}};
  REQUIRE(d.keys().EnsureKeys(owners, index).ok());
  auto c = ConcernWithCpr(d.cw, cpr);
  d.Must(c);
  CHECK(d.keys().OwnerOf(CprKey(d, cpr)).value() == c.subject);
}

}  // namespace
}  // namespace caseledger::testing
