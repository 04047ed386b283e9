// A storage failure under the domain (docs/operations.md "Storage failures"):
// the writer suspends, rewinds the projector to the disk, and resumes once a
// probe succeeds; nothing of a failed batch is acknowledged or survives in
// the projections, the identity index or the keystore's erasures, and the
// live projections equal a rebuild from the log afterwards. Faults are
// injected under the storage layer (lmdb::Env::InjectCommitFailures).
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <thread>

#include "ledger/verify.h"
#include "tests/projections/domain_fixture.h"

namespace caseledger::testing {
namespace {

using ledger::WriterHealth;

// Waits (at most 10 s) until the writer's state is `state`.
bool WaitFor(Domain& d, WriterHealth::State state) {
  for (int i = 0; i < 1000; ++i) {
    if (d.Ledger().writer().health().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void RequireProjectionsEqualRebuild(Domain& d) {
  TempDir scratch;
  auto rebuilt = ledger::Tables::OpenScratch(scratch.path());
  REQUIRE(rebuilt.ok());
  auto n = projections::Rebuild(d.store(), **rebuilt);
  REQUIRE(n.ok());
  CHECK(*n == d.size());
  auto diff = projections::CompareProjections(d.store().tables(), **rebuilt);
  REQUIRE(diff.ok());
  std::string lines;
  for (const auto& l : *diff) lines += l + "\n";
  INFO(lines);
  CHECK(diff->empty());
}

Command Responded(const Actor& a, const std::string& case_id) {
  return CaseEvent(a, case_id, "concern.responded", Json{{"channel", "phone"}},
                   Json{{"note", "synthetic note"}});
}

TEST_CASE("a failed commit leaves nothing of its batch: the writer rewinds the projections and resumes",
          "[projections][storage]") {
  Domain d;
  auto kept = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(kept);
  d.Must(Responded(d.cw, *kept.case_id));
  auto doomed = Concern(d.cw, Json::array({Ground("b.threat")}));
  auto to_erase = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(to_erase);
  const std::string kid = d.KidOf(*to_erase.subject);
  const std::uint64_t before = d.size();
  const auto kept_before = d.View(*kept.case_id);

  const int err = GENERATE(ENOSPC, EIO);
  d.store().InjectCommitFailures(err, 1 << 30);
  // One batch: a new case (a new subject's key and identity index entry), an
  // event on a kept case, an erasure, and a refusal record.
  auto refused = Concern(d.cw, Json::array());  // no grounds: ROL-1
  auto results = d.SubmitAll({doomed, Responded(d.cw, *kept.case_id),
                              Erasure(d.dpo, *to_erase.subject, kid), refused});
  for (const auto& r : results) {
    INFO(r.status().ToString());
    CHECK_FALSE(r.ok());
    if (err == ENOSPC) {
      CHECK(r.status().code() == StatusCode::kResourceExhausted);
    }
  }
  const WriterHealth h = d.Ledger().writer().health();
  CHECK(h.state == WriterHealth::State::kDegraded);
  CHECK(h.reason == (err == ENOSPC ? "storage-full" : "storage-error"));
  CHECK(h.cause == (err == ENOSPC ? "ENOSPC" : "EIO"));
  CHECK(d.size() == before);
  // While suspended, every write is answered at once and nothing is stored.
  auto during = d.Submit(Responded(d.cw, *kept.case_id));
  CHECK(during.status().code() ==
        (err == ENOSPC ? StatusCode::kResourceExhausted : StatusCode::kUnavailable));
  // The erasure was not durable: the key lives.
  CHECK_FALSE(d.keys().IsDestroyed(*to_erase.subject));

  d.store().InjectCommitFailures(0, 0);  // space is freed
  REQUIRE(WaitFor(d, WriterHealth::State::kOk));
  CHECK(d.Ledger().writer().health().suspensions == 1);
  CHECK(d.Ledger().writer().health().probes >= 1);
  // Nothing of the failed batch is in the projections.
  CHECK(projections::ReadCase(d.store(), d.dbs(), *doomed.case_id).status().code() ==
        StatusCode::kNotFound);
  CHECK(d.View(*kept.case_id).ToJson() == kept_before.ToJson());
  CHECK(d.View(*to_erase.case_id).status != "erased");

  // The same person reported again (same CPR: the failed batch's index entry
  // is no one's), the event again, the erasure again: all land, in order.
  auto again = doomed;
  again.case_id = NewId("c");
  again.subject = NewId("s");
  const std::uint64_t s1 = d.Must(again);
  CHECK(s1 == before + 1);
  d.Must(Responded(d.cw, *kept.case_id));
  d.Must(Erasure(d.dpo, *to_erase.subject, kid));
  CHECK(d.keys().IsDestroyed(*to_erase.subject));
  CHECK(d.View(*to_erase.case_id).status == "erased");
  RequireProjectionsEqualRebuild(d);
  d.Close();
  auto v = ledger::VerifyLedger(d.dir(), {});
  REQUIRE(v.ok());
  CHECK(v->ok);
}

TEST_CASE("a keystore that cannot store a new subject's key suspends writes until it can",
          "[projections][storage]") {
  Domain d;
  auto kept = Concern(d.cw, Json::array({Ground("b.threat")}));
  d.Must(kept);
  const std::uint64_t before = d.size();
  d.keys().env().InjectCommitFailures(ENOSPC, 1 << 30);
  auto doomed = Concern(d.cw, Json::array({Ground("b.threat")}));
  auto r = d.Submit(doomed);
  CHECK(r.status().code() == StatusCode::kResourceExhausted);
  CHECK(d.Ledger().writer().health().state == WriterHealth::State::kDegraded);
  CHECK(d.Ledger().writer().health().cause == "ENOSPC");
  CHECK(d.size() == before);
  d.keys().env().InjectCommitFailures(0, 0);
  REQUIRE(WaitFor(d, WriterHealth::State::kOk));
  d.Must(Responded(d.cw, *kept.case_id));
  doomed.case_id = NewId("c");
  doomed.subject = NewId("s");
  d.Must(doomed);
  RequireProjectionsEqualRebuild(d);
}

}  // namespace
}  // namespace caseledger::testing
