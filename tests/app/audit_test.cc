// The compliance audit (app/audit.h) on a real ledger: the demo's planted
// defects are exactly the per-case flags it finds (and nothing on the lawful
// rest), refusals are counted by rule and user, and an erasure is pending
// until the keys are rotated.
#include "app/audit.h"

#include <catch2/catch.hpp>
#include <future>
#include <set>
#include <tuple>

#include "cli/commands.h"
#include "demo/demo.h"
#include "app/erasure.h"
#include "ledger/verify.h"
#include "projections/disclosure_register.h"
#include "tests/ledger/test_util.h"

namespace caseledger::app {
namespace {

using ledger::Micros;

constexpr Micros kDay = Micros{86'400'000'000};

struct AuditWorld {
  testing::TempDir dir;
  std::unique_ptr<DomainLedger> ledger;
  projections::ProjectionDbs dbs;
  crypto::NoteVerifier verifier;

  AuditWorld() {
    REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/audit").ok());
    Open();
    verifier = ledger::ReadVerifierFile(dir.path() + "/ledger.pub").value();
  }
  void Open() {
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    ledger = OpenDomainLedger(dir.path(), std::move(lo)).value();
    dbs = projections::ProjectionDbs::Open(ledger->store().tables(), false).value();
  }
  Json Audit(Micros now) {
    AuditOptions o;
    o.now = now;
    auto erasures = ledger->keys().Erasures().value();
    auto r = BuildAudit(ledger->store(), verifier, erasures, dbs, o);
    REQUIRE(r.ok());
    return *r;
  }
};

Micros Start() { return ledger::ParseTime("2019-01-01T00:00:00Z").value(); }
Micros End() { return Start() + 5 * 365 * kDay + 90 * kDay; }

TEST_CASE("the audit of the demo finds exactly the planted defects and counts the refusals",
          "[api][audit]") {
  AuditWorld w;
  demo::DemoPlan plan = demo::PlanDemo(300, 7, Start(), End());
  const std::size_t commands = plan.commands.size();
  std::vector<std::future<Result<ledger::Appended>>> results;
  for (ledger::Command& c : plan.commands) results.push_back(w.ledger->writer().Submit(std::move(c)));
  std::size_t refused = 0;
  for (auto& f : results) {
    auto r = f.get();
    if (!r.ok()) {
      REQUIRE(r.status().code() == StatusCode::kPolicyRefused);
      ++refused;
    }
  }
  REQUIRE(refused == plan.expected_refusals);

  const Json report = w.Audit(End());
  INFO(report.dump().substr(0, 2000));
  CHECK(report["integrity"]["verified"] == true);
  CHECK(report["integrity"]["events_verified"] == commands);
  CHECK(report["cases"] == plan.cases);

  using Finding = std::tuple<std::string, std::string, std::uint64_t>;
  std::multiset<Finding> planted, found;
  for (const auto& d : plan.defects) planted.insert({d.case_id, std::string(demo::NameOf(d.kind)), d.seq});
  std::map<std::string, std::uint64_t> counts;
  for (const Json& f : report["flags"]) {
    if (!f.contains("cases")) continue;  // FLAG-RETENTION lists subjects
    CHECK(f["count"] == f["cases"].size());
    const std::string kind = f["kind"].get<std::string>();
    for (const Json& c : f["cases"])
      found.insert({c["case"].get<std::string>(), kind, c["seq"].get<std::uint64_t>()});
    counts[kind] = f["count"].get<std::uint64_t>();
  }
  CHECK(planted.size() > 20);
  CHECK(found == planted);
  for (demo::DefectKind k : demo::kDefectKinds) {
    INFO(demo::NameOf(k));
    CHECK(counts[std::string(demo::NameOf(k))] >= 1);
  }
  // Before any deadline passed, the same log raises none of the time flags.
  const Json early = w.Audit(Start());
  for (const Json& f : early["flags"]) {
    INFO(f["kind"]);
    if (f["kind"] != "disclosure_deficient" && f["kind"] != "recipients_not_notified")
      CHECK(f["count"] == 0);
  }

  CHECK(report["refusals"]["total"] == plan.expected_refusals);
  CHECK(report["refusals"]["by_rule"] == Json{{"ROL-1", plan.expected_refusals}});
  std::uint64_t by_users = 0;
  for (const Json& u : report["refusals"]["by_user"]) by_users += u["refusals"].get<std::uint64_t>();
  CHECK(by_users == plan.expected_refusals);
  // The response rate is over the concerns whose 24 hours have passed.
  const auto& r24 = report["response_24h"];
  CHECK(r24["concerns_due"] == plan.cases);
  CHECK(r24["within_24h"].get<std::uint64_t>() + counts["late_response"] == plan.cases);
  // Every header the demo wrote passes today's schema (its corrections too),
  // and no correction breaks a rule (tests/app/audit_headers_test.cc: a log that
  // does).
  CHECK(report["headers"]["checked"] == commands);
  CHECK(report["headers"]["failing"] == 0);
  CHECK(report["headers"]["rule_breaking"]["count"] == 0);
  // Auditors see no bodies: the report holds no synthetic identity or text.
  const std::string text = report.dump();
  for (const char* personal : {"Testperson", "Syntetisk", "Synthetic", "000000-"})
    CHECK(text.find(personal) == std::string::npos);
}

TEST_CASE("the disclosure register of the demo finds exactly the planted findings",
          "[api][audit][register]") {
  AuditWorld w;
  demo::DemoPlan plan = demo::PlanDemo(300, 7, Start(), End());
  std::vector<std::future<Result<ledger::Appended>>> results;
  for (ledger::Command& c : plan.commands) results.push_back(w.ledger->writer().Submit(std::move(c)));
  for (auto& f : results) {
    auto r = f.get();
    if (!r.ok()) REQUIRE(r.status().code() == StatusCode::kPolicyRefused);
  }
  auto entries = projections::ReadRegister(w.ledger->store(), w.dbs, End(),
                                           [](const projections::CaseView&) { return true; });
  REQUIRE(entries.ok());
  // The table of the planted findings: (case, request seq, code).
  using Finding = std::tuple<std::string, std::uint64_t, std::string>;
  std::multiset<Finding> planted, found;
  for (const demo::PlantedFinding& f : plan.findings) planted.insert({f.case_id, f.request, f.code});
  std::size_t lawful = 0, legacy = 0;
  for (const projections::RegisterEntry& e : *entries) {
    if (e.findings.empty()) ++lawful;
    if (e.legacy) ++legacy;
    for (const projections::RegisterFinding& f : e.findings)
      found.insert({e.case_id, e.disclosure.seq, f.code});
  }
  CHECK(found == planted);
  // Every check is planted at least once, and most disclosures are lawful
  // (with no finding at all).
  std::set<std::string> codes;
  for (const auto& [c, seq, code] : planted) codes.insert(code);
  for (const auto& check : projections::RegisterChecks()) {
    INFO(check.code);
    CHECK(codes.contains(std::string(check.code)));
  }
  CHECK(lawful > entries->size() / 2);
  // Every migrated disclosure breaks a rule; outside the migrated history
  // only the legal review can be missing.
  for (const projections::RegisterEntry& e : *entries) {
    for (const projections::RegisterFinding& f : e.findings)
      if (!e.legacy) CHECK(f.code == "late_review");
    if (e.legacy) CHECK_FALSE(e.findings.empty());
  }
  CHECK(legacy >= projections::RegisterChecks().size() - 1);
  // The document: no body text, no identity.
  const std::string text = projections::RegisterJson(*entries, {}, End()).dump();
  for (const char* personal : {"Testperson", "Syntetisk", "Synthetic", "000000-"})
    CHECK(text.find(personal) == std::string::npos);
}

TEST_CASE("the audit lists an erasure as pending until the keys are rotated, and proves consistency",
          "[api][audit][erasure]") {
  AuditWorld w;
  demo::DemoPlan plan = demo::PlanDemo(20, 3, ledger::NowMicros() - 400 * kDay, ledger::NowMicros());
  std::vector<std::future<Result<ledger::Appended>>> results;
  std::string subject, dpo;
  for (ledger::Command& c : plan.commands) {
    if (subject.empty() && c.type == "concern.reported") subject = *c.subject;
    if (dpo.empty() && c.role == "dpo") dpo = c.actor;
    results.push_back(w.ledger->writer().Submit(std::move(c)));
  }
  for (auto& f : results) {
    auto r = f.get();
    REQUIRE((r.ok() || r.status().code() == StatusCode::kPolicyRefused));
  }
  const Json before = w.Audit(ledger::NowMicros());
  CHECK(before["erasures"]["keys_destroyed"] == 0);
  CHECK(before["erasures"]["pending"] == 0);

  auto cmd = ErasureCommand(w.ledger->keys(), dpo, "dpo", subject, "gdpr_art17").value();
  REQUIRE(w.ledger->writer().Submit(std::move(cmd)).get().ok());
  const Json after = w.Audit(ledger::NowMicros());
  CHECK(after["erasures"]["erased_subjects"] == 1);
  CHECK(after["erasures"]["keys_destroyed"] == 1);
  CHECK(after["erasures"]["made_final"] == 0);
  CHECK(after["erasures"]["pending_owners"] == Json::array({subject}));
  CHECK(after["erasures"]["erased_but_key_live"].empty());
  CHECK(after["erasures"]["advice"].get<std::string>().find("keys rotate") != std::string::npos);

  // The previous audit's checkpoint: consistent while the log only grows.
  const std::string note = after["integrity"]["latest_checkpoint"]["note"];
  const AuditOptions::Previous prev = PreviousFromNote(note, w.verifier).value();
  CHECK(PreviousFromNote(note + "x", w.verifier).status().code() == StatusCode::kInvalidArgument);

  w.ledger.reset();
  REQUIRE(ledger::RotateKeys(w.dir.path()).ok());
  w.Open();
  AuditOptions o;
  o.now = ledger::NowMicros();
  o.previous = prev;
  const Json rotated =
      BuildAudit(w.ledger->store(), w.verifier, w.ledger->keys().Erasures().value(), w.dbs, o).value();
  CHECK(rotated["erasures"]["made_final"] == 1);
  CHECK(rotated["erasures"]["pending"] == 0);
  CHECK(rotated["integrity"]["consistency"]["consistent"] == true);
  // A root that is not the log's at that size: history rewritten.
  o.previous->root.bytes[0] ^= 1;
  const Json rewritten =
      BuildAudit(w.ledger->store(), w.verifier, w.ledger->keys().Erasures().value(), w.dbs, o).value();
  CHECK(rewritten["integrity"]["consistency"]["consistent"] == false);
  // The CLI's reading needs no master key and agrees.
  w.ledger.reset();
  auto offline = ledger::Keystore::ReadErasures(w.dir.path() + "/keystore").value();
  CHECK(offline.destroyed.size() == 1);
  CHECK(offline.pending.empty());
}

}  // namespace
}  // namespace caseledger::app
