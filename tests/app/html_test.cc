// The HTML reports (app/html.h) and the verifiable case history
// (app/history.h): escaping, the key texts and section ids of each report,
// the failure headline of a log that does not verify, suppressed cells shown
// as suppressed, correction links both ways, bodies never rendered — and the
// history document of a real ledger, whose every event verifies.
#include "app/html.h"

#include <catch2/catch.hpp>
#include <future>
#include <string>

#include "cli/commands.h"
#include "demo/demo.h"
#include "app/history.h"
#include "ledger/verify.h"
#include "projections/stats.h"
#include "tests/ledger/test_util.h"

namespace caseledger::app {
namespace {

using Catch::Contains;
using ledger::Micros;

std::size_t Count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
    ++n;
  return n;
}

// What every page must be: one self-contained document, no script, nothing
// fetched.
void CheckSelfContained(const std::string& html) {
  CHECK(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
  CHECK_THAT(html, Contains("<meta charset=\"utf-8\">"));
  CHECK_THAT(html, Contains("<title>"));
  CHECK(Count(html, "<style>") == 1);
  CHECK_THAT(html, Contains("default-src 'none'"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  // Every table is captioned and every header cell has a scope.
  CHECK(Count(html, "<table") == Count(html, "<caption>"));
  CHECK(Count(html, "<th>") == 0);
  CHECK(html.ends_with("</html>\n"));
}

TEST_CASE("HtmlEscape escapes markup and replaces what is not UTF-8 text", "[api][html]") {
  CHECK(HtmlEscape("<script>alert(\"x\")</script>") ==
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  CHECK(HtmlEscape("a & b's") == "a &amp; b&#39;s");
  CHECK(HtmlEscape("") == "");
  CHECK(HtmlEscape("§ 115 – ø") == "§ 115 – ø");        // valid UTF-8 stays
  CHECK(HtmlEscape("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // U+1F600
  CHECK(HtmlEscape("a\xFFz") == "a\xEF\xBF\xBDz");          // not UTF-8
  CHECK(HtmlEscape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(HtmlEscape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(HtmlEscape("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut off
  CHECK(HtmlEscape("a\x01" "b\tc\n") == "a\xEF\xBF\xBD" "b\tc\n");
}

// A small audit document of BuildAudit's shape (docs/audit.md).
Json SmallAudit() {
  return Json::parse(R"json({
    "generated_at": "2024-05-01T10:00:00.000000Z",
    "origin": "test.caseledger.invalid/<script>alert(1)</script>",
    "integrity": {"verified": true, "events_verified": 120, "checkpoints_verified": 7,
                  "log_size": 120,
                  "latest_checkpoint": {"size": 120, "root": "ROOTB64ROOTB64=",
                                        "note": "test.caseledger.invalid/x\n120\nROOTB64ROOTB64=\n\n— sig\n"}},
    "projections_built_to": 120,
    "flags": [
      {"flag": "FLAG-24H", "kind": "late_response", "count": 2,
       "cases": [{"case": "c-aaaaaaaaaaaaaaaaaaaaaaaaaa", "seq": 17, "due": "2024-01-02T09:00:00.000000Z"},
                 {"case": "c-bbbbbbbbbbbbbbbbbbbbbbbbbb", "seq": 33, "due": "2024-02-03T09:00:00.000000Z"}]},
      {"flag": "FLAG-ASSESS", "kind": "no_assessment", "count": 0, "cases": []},
      {"flag": "FLAG-DISCLOSURE", "kind": "disclosure_unreviewed", "count": 0, "cases": []},
      {"flag": "FLAG-DISCLOSURE", "kind": "disclosure_deficient", "count": 1,
       "cases": [{"case": "c-cccccccccccccccccccccccccc", "seq": 44, "due": "2024-03-01T00:00:00.000000Z"}]},
      {"flag": "FLAG-RETENTION", "kind": "kept_past_retention", "count": 1,
       "subjects": [{"subject": "s-dddddddddddddddddddddddddd", "due": "2024-04-01T00:00:00.000000Z",
                     "reason": "unfounded"}]},
      {"flag": "FLAG-ACCESS", "kind": "unusual_access", "count": 1,
       "users": [{"user": "u-eeeeeeeeeeeeeeeeeeeeeeeeee", "role": "caseworker", "kind": "after_hours_reads",
                  "count": 3, "examples": [51, 52, 53]}],
       "policy": {"max_uninvolved_cases_per_month": 20,
                  "working_hours": "Monday-Friday 7:00-18:00 Copenhagen time"}}
    ],
    "refusals": {"total": 4, "by_rule": {"ROL-1": 3, "ROL-9": 1},
                 "by_user": [{"user": "u-ffffffffffffffffffffffffff", "refusals": 4,
                              "by_rule": {"ROL-1": 3, "ROL-9": 1}}]},
    "erasures": {"erased_subjects": 2, "keys_destroyed": 2, "made_final": 1, "pending": 1,
                 "pending_owners": ["s-gggggggggggggggggggggggggg"], "erased_but_key_live": [],
                 "advice": "run `caseledger keys rotate` to make the pending erasures final on disk"},
    "retention": {"policy": {"unfounded_days": 30, "closed_years": 5, "set_at_seq": 0}, "due": 1,
                  "held": [], "due_within_30_days": [{"subject": "s-hhhhhhhhhhhhhhhhhhhhhhhhhh",
                                                      "due": "2024-05-20T00:00:00.000000Z",
                                                      "reason": "closed"}]},
    "response_24h": {"concerns_due": 29, "within_24h": 27, "percent": "93.1",
                     "goal": "a reaction within 24 hours on every concern"},
    "cases": 30,
    "not_covered": ["disclosure register findings: GET /v1/disclosures (legal review)"],
    "timing": {"verify_ms": 12, "cases_ms": 3, "log_scan_ms": 2}
  })json");
}

TEST_CASE("the audit page: headline, sections with stable ids, every flag with its cases",
          "[api][html]") {
  const std::string html = AuditHtml(SmallAudit());
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("The log verifies"));
  CHECK(html.find("DOES NOT VERIFY") == std::string::npos);
  // The origin's markup comes out escaped.
  CHECK_THAT(html, Contains("test.caseledger.invalid/&lt;script&gt;alert(1)&lt;/script&gt;"));
  for (const char* id : {"integrity", "flags", "flag-FLAG-24H", "flag-FLAG-24H-late_response",
                         "flag-FLAG-DISCLOSURE", "flag-FLAG-DISCLOSURE-disclosure_deficient",
                         "flag-FLAG-RETENTION", "flag-FLAG-ACCESS", "refusals", "erasures",
                         "retention", "response-24h", "timing"}) {
    INFO(id);
    CHECK(Count(html, std::string("id=\"") + id + "\"") == 1);
  }
  // The flagged cases with their seq and due date.
  CHECK_THAT(html, Contains("c-aaaaaaaaaaaaaaaaaaaaaaaaaa") && Contains(">17<") &&
                       Contains("2024-01-02T09:00:00.000000Z"));
  CHECK_THAT(html, Contains("c-cccccccccccccccccccccccccc"));
  CHECK_THAT(html, Contains("s-dddddddddddddddddddddddddd"));    // FLAG-RETENTION
  CHECK_THAT(html, Contains("u-eeeeeeeeeeeeeeeeeeeeeeeeee") &&  // FLAG-ACCESS
                       Contains("after hours reads") && Contains("51, 52, 53"));
  CHECK_THAT(html, Contains("ROL-1 3, ROL-9 1"));                // refusals by user
  CHECK_THAT(html, Contains("s-gggggggggggggggggggggggggg"));    // pending erasure
  CHECK_THAT(html, Contains("93.1 %") && Contains("100 % - a reaction within 24 hours"));
  CHECK_THAT(html, Contains("test.caseledger.invalid/x\n120\n"));  // the note, to pass on
  CHECK_THAT(html, Contains("Not checked: no previous checkpoint"));
}

TEST_CASE("the audit page of a log that does not verify says so first", "[api][html]") {
  Json audit = SmallAudit();
  audit["integrity"] = Json::parse(R"json({"verified": false, "events_verified": 1,
      "checkpoints_verified": 0, "first_bad_seq": 2,
      "problem": "event 2: signature does not verify", "log_size": 3,
      "latest_checkpoint": {"size": 3, "root": "R=", "note": "n"},
      "consistency": {"previous_size": 3, "previous_root": "R=", "consistent": true}})json");
  std::string html = AuditHtml(audit);
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("THE LOG DOES NOT VERIFY: first bad seq 2"));
  CHECK_THAT(html, Contains("event 2: signature does not verify"));
  CHECK_THAT(html, Contains("<title>Compliance audit: THE LOG DOES NOT VERIFY</title>"));
  CHECK(html.find("The log verifies") == std::string::npos);
  // The verdict comes before every section.
  CHECK(html.find("THE LOG DOES NOT VERIFY: first bad seq 2") < html.find("id=\"integrity\""));

  // A log that verifies but no longer extends the previous audit's checkpoint.
  audit = SmallAudit();
  audit["integrity"]["consistency"] = {
      {"previous_size", 100}, {"previous_root", "P="}, {"consistent", false},
      {"problem", "the log's root at the previous audit's size differs: history was rewritten"}};
  html = AuditHtml(audit);
  CHECK_THAT(html, Contains("NOT CONSISTENT WITH THE PREVIOUS CHECKPOINT") &&
                       Contains("history was rewritten"));
  CHECK_THAT(html, Contains(
                       "<title>Compliance audit: NOT CONSISTENT WITH THE PREVIOUS CHECKPOINT</title>"));

  // A document without integrity at all is not taken for a verified log.
  html = AuditHtml(Json::object());
  CHECK_THAT(html, Contains("THE LOG DOES NOT VERIFY"));
  CHECK(html.find("The log verifies") == std::string::npos);
}

TEST_CASE("the statistics page shows suppressed cells as suppressed, and the goals", "[api][html]") {
  projections::YearCounts c;
  c.year = 2021;
  c.concerns = 17;
  c.concerns_by_source = {{"school", 10}, {"police", 3}, {"youth_club", 4}};
  c.founded = 6;
  c.unfounded = 6;
  c.not_assessed = 5;
  c.responded_24h = 11;
  c.interventions = 12;
  c.interventions_by_kind = {{"mentor", 6}, {"relatives_coach", 6}};
  c.progression_judged = 12;
  c.progression_progressed = 6;
  c.refusals = 3;
  c.refusals_by_rule = {{"ROL-1", 3}};
  const projections::YearStats s = projections::Suppress(c);
  REQUIRE(s.concerns.cells.at("police").suppressed());
  const Json doc{{"v", 1}, {"min_cell", 5}, {"years", Json::array({s.ToJson()})}};
  const std::string html = StatsHtml(doc);
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("<title>Statistics 2021</title>") && Contains("id=\"year-2021\""));
  // police (3) and youth club (4), and the refusals (3, and their total):
  // each suppressed cell is "< 5", never its count.
  const std::string suppressed = "&lt; 5</span>";
  CHECK(Count(html, suppressed) == 4 + 1);  // 4 cells + the footnote's example
  CHECK_THAT(html, Contains("youth club</th><td><span class=\"suppressed\""));
  CHECK(html.find(">3<") == std::string::npos);
  CHECK(html.find(">4<") == std::string::npos);
  // Published figures and shares, with the goals of the source papers.
  CHECK_THAT(html, Contains(">17<") && Contains(">10<"));
  CHECK_THAT(html, Contains("64.7 % (11 of 17)") &&
                       Contains("100 % - a reaction within 24 hours on every concern"));
  CHECK_THAT(html, Contains("50.0 % (6 of 12)") && Contains("progression after 6 months"));
  CHECK_THAT(html, Contains("id=\"year-2021-goals\""));

  // A year whose shares are suppressed shows them as not shown.
  projections::YearCounts small;
  small.year = 2022;
  small.concerns = 3;
  small.concerns_by_source = {{"school", 3}};
  small.not_assessed = 3;
  const std::string h2 = StatsHtml(Json{{"years", Json::array({projections::Suppress(small).ToJson()})}});
  CHECK_THAT(h2, Contains("Statistics 2022") && Contains("not shown"));
  CHECK(h2.find(">3<") == std::string::npos);
  CHECK_THAT(StatsHtml(Json{{"years", Json::array()}}), Contains("No statistics"));
}

TEST_CASE("the register page: headline, every check, the findings and every entry, escaped",
          "[api][html]") {
  const Json finding{{"code", "self_approval"}, {"rule", "ROL-5"}, {"seq", 12},
                     {"detail", "approved by its own requester <b>"}};
  Json doc{{"as_of", "2026-12-01T00:00:00.000000Z"},
           {"registry_version", "2026-1"},
           {"count", 2},
           {"with_findings", 1},
           {"checks", Json::array({Json{{"code", "self_approval"}, {"rule", "ROL-5"},
                                        {"checks", "another coordinator approves"}, {"found", 1}},
                                   Json{{"code", "onward_115"}, {"rule", "ROL-7"},
                                        {"checks", "no §115 information onward"}, {"found", 0}}})},
           {"disclosures",
            Json::array({Json{{"request", 11}, {"case", "c-one"}, {"time", "2020-01-01T00:00:00.000000Z"},
                              {"requester", "u-co"}, {"requester_role", "coordinator"},
                              {"recipient", "police"}, {"basis", "rpl-115-ssp"},
                              {"registry_version", "2026-1"}, {"purpose", "prevention"},
                              {"categories", Json::array({"identity", "concern"})},
                              {"drew_on", Json::array()}, {"status", "made"}, {"legacy", true},
                              {"decisions", Json::array({Json{{"seq", 12}, {"time", "t"}, {"actor", "u-co"},
                                                              {"role", "coordinator"}, {"approved", true}}})},
                              {"made", Json::array()}, {"reviews", Json::array()},
                              {"findings", Json::array({finding})}},
                         Json{{"request", 20}, {"case", "c-two"}, {"recipient", "<script>x</script>"},
                              {"basis", "pet-4"}, {"status", "requested"}, {"legacy", false},
                              {"findings", Json::array()}}})}};
  const std::string html = RegisterHtml(doc);
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("1 disclosures with findings"));
  for (const char* id : {"id=\"checks\"", "id=\"findings\"", "id=\"disclosures\"",
                         "id=\"request-11\"", "id=\"request-20\""})
    CHECK_THAT(html, Contains(id));
  CHECK_THAT(html, Contains("onward_115"));  // a check found nowhere is still listed
  CHECK_THAT(html, Contains("&lt;b&gt;"));
  CHECK(html.find("<script>x") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;x"));
  // One row per disclosure with findings in the findings table.
  CHECK(Count(html, "href=\"#request-11\"") == 2);
  CHECK(Count(html, "href=\"#request-20\"") == 1);

  doc["with_findings"] = 0;
  doc["disclosures"] = Json::array();
  CHECK_THAT(RegisterHtml(doc), Contains("No automatic findings"));
}

TEST_CASE("the history page: links both ways, retractions marked, status, never a body",
          "[api][html]") {
  const Json doc = Json::parse(R"json({
    "v": 1, "case": "c-aaaaaaaaaaaaaaaaaaaaaaaaaa", "origin": "test.caseledger.invalid/h",
    "generated_at": "2024-05-01T10:00:00.000000Z",
    "entries": [
      {"seq": 5, "time": "2024-01-01T09:00:00.000000Z", "type": "concern.reported",
       "actor": "u-bbbbbbbbbbbbbbbbbbbbbbbbbb", "role": "caseworker",
       "h": {"source": "school", "minor": false}, "corrected_by": [9],
       "body": {"narrative": "SECRET-NARRATIVE"},
       "verification": {"signature_valid": true, "included": true, "tree_size": 12}},
      {"seq": 7, "time": "2024-01-01T10:00:00.000000Z", "type": "concern.responded",
       "actor": "u-bbbbbbbbbbbbbbbbbbbbbbbbbb", "role": "caseworker",
       "h": {"channel": "<b>phone</b>"}, "retracted_by": 11,
       "verification": {"signature_valid": false, "included": true, "tree_size": 12,
                        "signature_problem": "the signature does not verify"}},
      {"seq": 9, "time": "2024-01-02T10:00:00.000000Z", "type": "record.corrected",
       "actor": "u-cccccccccccccccccccccccccc", "role": "coordinator",
       "h": {"target": 5, "fields": ["source"]}, "target": 5,
       "verification": {"signature_valid": true, "included": true, "tree_size": 12}},
      {"seq": 11, "time": "2024-01-03T10:00:00.000000Z", "type": "record.retracted",
       "actor": "u-cccccccccccccccccccccccccc", "role": "coordinator",
       "h": {"target": 7, "fields": []}, "target": 7,
       "verification": {"signature_valid": true, "included": false,
                        "inclusion_problem": "not covered by the latest checkpoint (size 10)"}}
    ],
    "checkpoint": {"size": 12, "root": "R=", "note": "n", "signature_valid": true},
    "verification": {"events": 4, "verified": 2, "all_verified": false}
  })json");
  const std::string html = CaseHistoryHtml(doc);
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("c-aaaaaaaaaaaaaaaaaaaaaaaaaa"));
  CHECK_THAT(html, Contains("2 OF 4 EVENTS DO NOT VERIFY"));
  for (int seq : {5, 7, 9, 11}) CHECK(Count(html, "id=\"seq-" + std::to_string(seq) + "\"") == 1);
  // Corrections linked to what they correct, both ways.
  CHECK_THAT(html, Contains("corrects <a href=\"#seq-5\">seq 5</a>"));
  CHECK_THAT(html, Contains("corrected by <a href=\"#seq-9\">seq 9</a>"));
  CHECK_THAT(html, Contains("retracts <a href=\"#seq-7\">seq 7</a>"));
  CHECK_THAT(html, Contains("<tr id=\"seq-7\" class=\"retracted\">"));
  CHECK_THAT(html, Contains("RETRACTED</span> by <a href=\"#seq-11\">seq 11</a>"));
  // Verification status per event.
  CHECK(Count(html, "signature valid</span>") == 3);
  CHECK_THAT(html, Contains("SIGNATURE INVALID</span>: the signature does not verify"));
  CHECK_THAT(html, Contains("NOT INCLUDED</span>: not covered by the latest checkpoint (size 10)"));
  CHECK_THAT(html, Contains("included in the checkpoint of size 12"));
  // Rules checked on each type (projections/rules_checked.h).
  CHECK_THAT(html, Contains("ROLE, ROL-1, ROL-2, ROL-10, ROL-14, ROL-16"));
  // Headers escaped; bodies never shown.
  CHECK_THAT(html, Contains("&lt;b&gt;phone&lt;/b&gt;"));
  CHECK(html.find("SECRET-NARRATIVE") == std::string::npos);
  CHECK(html.find("narrative") == std::string::npos);

  // Without verification (e.g. GET /v1/cases/{case}/history as it is):
  // shown as not checked, and not as verified.
  Json plain = doc;
  plain.erase("verification");
  plain.erase("checkpoint");
  for (Json& e : plain["entries"]) e.erase("verification");
  const std::string unverified = CaseHistoryHtml(plain);
  CHECK_THAT(unverified, Contains("NOT VERIFIED") && Contains("not checked"));
  CHECK(unverified.find("signature valid") == std::string::npos);
}

TEST_CASE("the history of a real case: every event verifies, and the page shows it",
          "[api][html][history]") {
  testing::TempDir dir;
  REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/history").ok());
  ledger::LedgerOptions lo;
  lo.no_sync = true;
  auto ledger = OpenDomainLedger(dir.path(), std::move(lo)).value();
  const auto verifier = ledger::ReadVerifierFile(dir.path() + "/ledger.pub").value();
  const ledger::Micros now = ledger::NowMicros();
  demo::DemoPlan plan = demo::PlanDemo(40, 5, now - 400 * Micros{86'400'000'000}, now);
  std::vector<std::future<Result<ledger::Appended>>> results;
  for (ledger::Command& c : plan.commands) results.push_back(ledger->writer().Submit(std::move(c)));
  for (auto& f : results) {
    auto r = f.get();
    REQUIRE((r.ok() || r.status().code() == StatusCode::kPolicyRefused));
  }
  auto dbs = projections::ProjectionDbs::Open(ledger->store().tables(), false).value();
  auto ids = projections::ListCaseIds(ledger->store(), dbs).value();
  REQUIRE_FALSE(ids.empty());

  // A case with a correction, to see the links.
  std::optional<Json> found;
  for (const std::string& id : ids) {
    auto doc = BuildCaseHistory(ledger->store(), verifier, dbs, id, now);
    REQUIRE(doc.ok());
    CHECK((*doc)["verification"]["all_verified"] == true);
    CHECK((*doc)["checkpoint"]["signature_valid"] == true);
    for (const Json& e : (*doc)["entries"]) {
      CHECK(e["verification"]["signature_valid"] == true);
      CHECK(e["verification"]["included"] == true);
      CHECK_FALSE(e.contains("body"));
      CHECK_FALSE(e["rules_checked"].empty());
      if (e["type"] == "record.corrected" && !found) found = *doc;
    }
  }
  REQUIRE(found.has_value());
  const std::string html = CaseHistoryHtml(*found);
  CheckSelfContained(html);
  CHECK_THAT(html, Contains("events verify") && Contains("record.corrected") &&
                       Contains("corrected by <a href=\"#seq-") && Contains("corrects <a href=\"#seq-"));
  CHECK(html.find("NOT INCLUDED") == std::string::npos);

  CHECK(BuildCaseHistory(ledger->store(), verifier, dbs, "c-nope", now).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(BuildCaseHistory(ledger->store(), verifier, dbs, "c-aaaaaaaaaaaaaaaaaaaaaaaaaa", now)
            .status()
            .code() == StatusCode::kNotFound);
  // Damage in the stored log, read back by the verification: an event whose
  // signature alone is changed (its leaf does not cover the signature: still
  // included), and one whose content is changed (neither).
  const Json& entries = (*found)["entries"];
  REQUIRE(entries.size() >= 2);
  const std::uint64_t sig_seq = entries[0]["seq"], content_seq = entries[1]["seq"];
  auto line_of = [&](std::uint64_t seq) {
    auto txn = ledger->store().Read().value();
    return ledger::ReadEventLine(txn, ledger->store(), seq).value();
  };
  std::string sig_line = line_of(sig_seq), content_line = line_of(content_seq);
  const std::size_t sig_at = sig_line.find("\"sig\":\"") + 10;
  sig_line[sig_at] = sig_line[sig_at] == 'A' ? 'B' : 'A';
  // One digit of the microseconds of the time: still a valid event.
  const std::size_t time_at = content_line.find("\"time\":\"") + 8 + 24;
  REQUIRE(content_line[time_at] >= '0');
  REQUIRE(content_line[time_at] <= '9');
  content_line[time_at] = content_line[time_at] == '0' ? '1' : '0';
  // Tampering beneath the ledger: straight into the LMDB environment.
  REQUIRE(ledger->store().env().Write([&](ledger::lmdb::WriteTxn& txn) -> Status {
    auto& store = ledger->store();
    CL_RETURN_IF_ERROR(txn.Put(store.events(), EncodeBigEndian64(sig_seq), AsBytes(sig_line)));
    return txn.Put(store.events(), EncodeBigEndian64(content_seq), AsBytes(content_line));
  }).ok());
  auto damaged = BuildCaseHistory(ledger->store(), verifier, dbs, (*found)["case"].get<std::string>(), now);
  REQUIRE(damaged.ok());
  CHECK((*damaged)["verification"]["all_verified"] == false);
  CHECK((*damaged)["verification"]["verified"] == entries.size() - 2);
  const Json& v0 = (*damaged)["entries"][0]["verification"];
  CHECK(v0["signature_valid"] == false);
  CHECK(v0["included"] == true);
  const Json& v1 = (*damaged)["entries"][1]["verification"];
  CHECK(v1["signature_valid"] == false);
  CHECK(v1["included"] == false);
  CHECK_THAT(v1["inclusion_problem"].get<std::string>(), Contains("does not lead to the checkpoint's root"));
  const std::string damaged_html = CaseHistoryHtml(*damaged);
  CHECK_THAT(damaged_html, Contains("2 OF " + std::to_string(entries.size()) + " EVENTS DO NOT VERIFY"));
  CHECK(Count(damaged_html, "SIGNATURE INVALID") == 2);
  CHECK(Count(damaged_html, "NOT INCLUDED") == 1);

  // A verifier of another key: no signature verifies, nor the checkpoint.
  auto other = ledger::ReadVerifierFile(dir.path() + "/ledger.pub").value();
  other.key.bytes[0] = static_cast<std::uint8_t>(other.key.bytes[0] ^ 1u);
  auto doc = BuildCaseHistory(ledger->store(), other, dbs, ids.front(), now);
  REQUIRE(doc.ok());
  CHECK((*doc)["verification"]["all_verified"] == false);
  CHECK((*doc)["verification"]["verified"] == 0);
  CHECK((*doc)["checkpoint"]["signature_valid"] == false);
  CHECK_THAT(CaseHistoryHtml(*doc), Contains("EVENTS DO NOT VERIFY") && Contains("SIGNATURE INVALID"));
}

}  // namespace
}  // namespace caseledger::app
