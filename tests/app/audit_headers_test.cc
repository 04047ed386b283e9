// The compliance audit's `headers` section (app/audit.h, docs/audit.md) on a
// data dir written before the clear headers were closed
// (tests/fixtures/prefix_headers.md): exactly the seqs today's schema refuses,
// by type, and the correction that would break a rule, named by seq only —
// no value of a header reaches the report, the summary or the page. A log
// written by today's build has no failing header.
#include <catch2/catch.hpp>
#include <filesystem>
#include <future>

#include "app/audit.h"
#include "cli/commands.h"
#include "demo/demo.h"
#include "app/html.h"
#include "ledger/log_store.h"
#include "ledger/verify.h"
#include "projections/projector.h"
#include "tests/ledger/test_util.h"

namespace caseledger::app {
namespace {

using ledger::Micros;

constexpr Micros kDay = Micros{86'400'000'000};

// What the fixture holds in clear and must never be echoed (a synthetic CPR
// number, words of an invented field name, the text of a reference).
constexpr const char* kClearValues[] = {"0001001234", "000100-1234", "devout", "prayer",
                                        "believer",   "SAG-",        "cpr_",   "Y3By"};

// A copy of the fixture (LMDB creates its lock files on first open).
void CopyFixture(const std::string& to) {
  const std::filesystem::path from =
      std::filesystem::path(CASELEDGER_SOURCE_DIR) / "tests" / "fixtures" / "prefix_headers";
  REQUIRE(std::filesystem::is_directory(from));
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive |
                                      std::filesystem::copy_options::overwrite_existing);
  // Its projections are of an older version: read-only, they are refused
  // with the way out, which is what an operator does (the log is untouched).
  auto old = OpenReadOnlyDomain(to);
  REQUIRE_FALSE(old.ok());
  CHECK(old.status().code() == StatusCode::kFailedPrecondition);
  CHECK(old.status().message().find("caseledger rebuild") != std::string::npos);
  auto store = ledger::LogStore::Open(to, /*read_only=*/false);
  REQUIRE(store.ok());
  REQUIRE(projections::Rebuild(**store, (*store)->tables()).ok());
}

// The audit as `caseledger audit` builds it: read-only, no secret.
Json AuditOf(const std::string& dir) {
  auto domain = OpenReadOnlyDomain(dir);
  REQUIRE(domain.ok());
  auto verifier = ledger::ReadVerifierFile(dir + "/ledger.pub");
  REQUIRE(verifier.ok());
  auto erasures = ledger::Keystore::ReadErasures(dir + "/keystore");
  REQUIRE(erasures.ok());
  AuditOptions o;
  o.now = ledger::NowMicros();
  auto r = BuildAudit(*domain->store, *verifier, *erasures, domain->dbs, o);
  REQUIRE(r.ok());
  return *r;
}

void CheckNoClearValue(const std::string& text) {
  for (const char* v : kClearValues) {
    INFO(v);
    CHECK(text.find(v) == std::string::npos);
  }
}

TEST_CASE("the audit names by seq the stored headers today's schema refuses", "[api][audit]") {
  testing::TempDir tmp;
  const std::string dir = tmp / "data";
  CopyFixture(dir);
  const Json report = AuditOf(dir);
  INFO(report["headers"].dump());
  REQUIRE(report["integrity"]["verified"] == true);

  const Json& h = report["headers"];
  CHECK(h["checked"] == 10);
  CHECK(h["failing"] == 6);
  // Seqs 2, 3, 6 (corrections naming a CPR number, an invented field, a
  // CPR-shaped basis), 7 and 9 (text references), 10 (not a key); catalogue
  // order, seqs ascending. Seqs 1, 4, 5 and 8 pass the schema.
  const Json by_type = Json::parse(R"([
      {"type": "disclosure.requested", "count": 2, "seqs": [7, 9], "more": 0},
      {"type": "record.corrected", "count": 3, "seqs": [2, 3, 6], "more": 0},
      {"type": "user.registered", "count": 1, "seqs": [10], "more": 0}])");
  CHECK(h["by_type"] == by_type);
  // Seq 4 turns the concern's subject into an association: a closed code,
  // but ROL-2 (a concern is about a person).
  CHECK(h["rule_breaking"]["count"] == 1);
  CHECK(h["rule_breaking"]["seqs"] == Json::array({4}));
  CHECK(h["rule_breaking"]["more"] == 0);
  CHECK(h["rule_breaking"]["by_rule"] == Json{{"ROL-2", 1}});

  // Not a byte of a header's value, nor of a member name, in the report, the
  // page or the summary.
  CheckNoClearValue(report.dump());
  const std::string html = AuditHtml(report);
  CHECK(html.find("<section id=\"headers\">") != std::string::npos);
  CHECK(html.find("<a href=\"#headers\">") != std::string::npos);
  CHECK(html.find("<th scope=\"row\">record.corrected</th><td><span class=\"bad\">3</span>"
                  "</td><td>2, 3, 6</td>") != std::string::npos);
  CHECK(html.find("<th scope=\"row\">disclosure.requested</th><td><span class=\"bad\">2</span>"
                  "</td><td>7, 9</td>") != std::string::npos);
  CHECK(html.find("id=\"headers-rule-breaking\"") != std::string::npos);
  CheckNoClearValue(html);
  const std::string summary = tmp / "summary.txt";
  CHECK(cli::CmdAudit(dir, cli::ReportFormat::kText, std::nullopt, summary) == 0);
  const std::string text = testing::ReadFile(summary);
  INFO(text);
  CHECK(text.find("Headers: 10 checked, 6 fail today's schema (disclosure.requested 2, "
                  "record.corrected 3, user.registered 1; seqs in --json); 1 correction "
                  "breaks a rule (seqs 4)\n") != std::string::npos);
  CheckNoClearValue(text);
}

TEST_CASE("the audit of a log written by today's build finds no failing header",
          "[api][audit]") {
  testing::TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(ledger::InitDataDir(dir, "test.caseledger.invalid/audit-headers").ok());
  const Micros end = ledger::NowMicros();
  demo::DemoPlan plan = demo::PlanDemo(20, 3, end - 400 * kDay, end);
  const std::size_t commands = plan.commands.size();
  {
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    auto ledger = OpenDomainLedger(dir, std::move(lo)).value();
    std::vector<std::future<Result<ledger::Appended>>> results;
    for (ledger::Command& c : plan.commands)
      results.push_back(ledger->writer().Submit(std::move(c)));
    for (auto& f : results) {
      auto r = f.get();
      REQUIRE((r.ok() || r.status().code() == StatusCode::kPolicyRefused));
    }
  }
  const Json report = AuditOf(dir);
  const Json& h = report["headers"];
  INFO(h.dump());
  // Every command is stored: as itself, or as its policy.refused record.
  CHECK(h["checked"] == commands);
  CHECK(h["failing"] == 0);
  CHECK(h["by_type"].empty());
  CHECK(h["rule_breaking"]["count"] == 0);
  CHECK(h["rule_breaking"]["seqs"].empty());
  const std::string html = AuditHtml(report);
  CHECK(html.find("<p class=\"none\" id=\"headers-by-type\">") != std::string::npos);
}

}  // namespace
}  // namespace caseledger::app
