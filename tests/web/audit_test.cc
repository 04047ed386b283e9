// The auditor's pages over the router (no sockets): the compliance audit with
// its sections and the pseudonymous case ids of refusals and flags, the
// drill-down to one case with no body, the audit bundle that verifies
// offline, and who may see them; and the statistics page with its charts
// and small cells shown as "<5".
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "ledger/cosignature_store.h"
#include "ledger/time.h"
#include "projections/stats.h"
#include "ledger/bundle.h"
#include "tests/http/case_walk.h"
#include "tests/ledger/test_util.h"
#include "tests/web/workspace_world.h"

namespace caseledger::web {
namespace {

using http::HttpResponse;
using testing::CaseWalk;
using testing::WalkJson;

// A case reported by the caseworker and assigned to them, then an assessment
// the caseworker may not record (ROL-4): one refusal on the case.
std::string CaseWithRefusal(WorkspaceWorld& w, const WalkJson& concern) {
  const std::string c = w.Report(concern);
  CaseWalk walk = w.Walk();
  HttpResponse r = walk.Post(w.tokens.co, "/v1/cases/" + c + "/events",
                             {{"type", "case.assigned"}, {"h", {{"assignees", {w.tokens.cw_id}}}}});
  REQUIRE(r.status == 201);
  r = walk.Post(w.tokens.cw, "/v1/cases/" + c + "/events",
                {{"type", "assessment.recorded"},
                 {"h",
                  {{"outcome", "founded"},
                   {"grounds", {{{"code", "b.threat"}, {"observed_on", "2026-01-15"}}}},
                   {"panel", "infohus"},
                   {"factors", WalkJson::object()}}},
                 {"body", {{"reasoning", "synthetic"}}}});
  REQUIRE(r.status == 422);
  REQUIRE(CaseWalk::Body(r)["rule"] == "ROL-4");
  return c;
}

TEST_CASE("the compliance audit page shows integrity verified, and a refusal's case id with a "
          "drill-down that shows no body",
          "[web][audit]") {
  WorkspaceWorld w;
  const WalkJson concern = CaseWalk::Concern("b.threat");
  const std::string c = CaseWithRefusal(w, concern);
  const std::string name = concern["body"]["identity"]["name"];
  const std::string cpr = concern["body"]["identity"]["cpr"];
  const std::string narrative = concern["body"]["narrative"];

  for (const char* lang : {"da", "en"}) {
    const std::string aud = w.SignIn(w.tokens.aud, lang);
    HttpResponse r = w.Get("/ui/audit", aud);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(Has(r.body, std::string(lang) == "da" ? "Loggen er verificeret" : "The log verifies"));
    for (const char* id : {"integrity", "flags", "refusals", "headers", "erasures", "retention",
                           "response-24h"})
      CHECK(Has(r.body, "<section id=\"" + std::string(id) + "\">"));
    // The refusal on the case, by its pseudonymous id, linked to the drill-down.
    CHECK(Has(r.body, "id=\"refusals-cases\""));
    CHECK(Has(r.body, "<a href=\"/ui/audit/cases/" + c + "\">" + c + "</a>"));
    CHECK(Has(r.body, "ROL-4"));
    // The bundle's link; the audit navigation item is current.
    CHECK(Has(r.body, "href=\"/ui/audit/bundle\""));
    CHECK(Has(r.body, "aria-current=\"page\""));
    for (const std::string& secret : {name, cpr, narrative}) CHECK_FALSE(Has(r.body, secret));
    CHECK_FALSE(Has(r.body, "style="));
    CHECK_FALSE(Has(r.body, "<script"));

    // The drill-down: the case's events by header, verified; never the body.
    r = w.Get("/ui/audit/cases/" + c, aud);
    REQUIRE(r.status == 200);
    CHECK(Has(r.body, "id=\"case-events\""));
    CHECK(Has(r.body, Catalogue::Builtin().Text(*ParseLang(lang), "event.concern.reported")));
    CHECK_FALSE(Has(r.body, "[["));  // no missing text
    CHECK_FALSE(Has(r.body, "{n}"));  // no placeholder left
    for (const std::string& secret : {name, cpr, narrative, std::string("synthetic")})
      CHECK_FALSE(Has(r.body, secret));
  }
  // The drill-down is a read of the case for audit: its access record is in the log.
  HttpResponse raw = w.Walk().Get(w.tokens.aud, "/v1/log/entries?from=1&count=1000");
  REQUIRE(raw.status == 200);
  CHECK(Has(raw.body, "\"purpose\":\"audit\""));

  // An unknown case: 404; a malformed one: 404.
  const std::string aud = w.SignIn(w.tokens.aud);
  CHECK(w.Get("/ui/audit/cases/c-00000000000000000000000000", aud).status == 404);
  CHECK(w.Get("/ui/audit/cases/nonsense", aud).status == 404);
}

// The witnessed state on the audit page (docs/witnessing.md): two witnesses,
// quorum 2. Nothing cosigned and the log older than the alarm: FLAG-WITNESS
// in an error alert; once both cosigned the latest checkpoint: the quorum,
// the size and who cosigned, in a success alert.
TEST_CASE("the audit page shows the witnessed state and FLAG-WITNESS", "[web][audit][witness]") {
  testing::TempDir cosigned_dir;
  auto store = ledger::CosignatureStore::Open(cosigned_dir.path(), false).value();
  std::vector<crypto::Ed25519SigningKey> keys;
  app::WitnessConfig config;
  for (std::uint8_t i = 0; i < 2; ++i) {
    keys.push_back(crypto::Ed25519SigningKey::FromSeed(Bytes(32, static_cast<std::uint8_t>(70 + i)))
                       .value());
    config.witnesses.push_back(
        {crypto::CosignerVerifier::For("w" + std::to_string(i) + ".test", keys.back().public_key()),
         "http://127.0.0.1:1"});
  }
  config.quorum = 2;
  config.alarm_seconds = 5;
  WorkspaceOptions o;
  o.witness_config = config;
  o.cosignatures = store.get();
  o.clock = [] { return ledger::NowMicros() + 10 * 1000000; };  // 10 s on: past the alarm
  WorkspaceWorld w(std::move(o));
  CaseWithRefusal(w, CaseWalk::Concern("b.threat"));

  const std::string aud = w.SignIn(w.tokens.aud, "en");
  HttpResponse r = w.Get("/ui/audit", aud);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "id=\"witnesses\""));
  CHECK(Has(r.body, "FLAG-WITNESS"));
  CHECK(Has(r.body, "alert-error"));

  // Both witnesses cosign the latest checkpoint.
  auto snap = w.ledger->store().Read().value();
  auto latest = ledger::LatestCheckpoint(snap, w.ledger->store()).value();
  const std::string text = latest.second.substr(0, latest.second.find("\n\n") + 1);
  std::map<std::string, std::string> lines;
  for (std::size_t i = 0; i < 2; ++i)
    lines[config.witnesses[i].verifier.name] =
        crypto::Cosign(text, config.witnesses[i].verifier.name, keys[i], 1800000000).value();
  REQUIRE(store->Add(latest.first, latest.second, lines, 2, 1800000000).ok());
  for (const char* lang : {"da", "en"}) {
    r = w.Get("/ui/audit", w.SignIn(w.tokens.aud, lang));
    REQUIRE(r.status == 200);
    INFO(lang);
    CHECK_FALSE(Has(r.body, "FLAG-WITNESS"));
    CHECK(Has(r.body, "id=\"witness-figures\""));
    CHECK(Has(r.body, "<td>2 / 2</td>"));
    CHECK(Has(r.body, "<td>w0.test, w1.test</td>"));
    CHECK(Has(r.body, "<td>" + std::to_string(latest.first) + "</td>"));
    CHECK_FALSE(Has(r.body, "[["));
  }
  // The bundle is cut at the witnessed checkpoint and carries both lines.
  r = w.Get("/ui/audit/bundle", aud);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, lines["w0.test"]));
  CHECK(Has(r.body, lines["w1.test"]));
}

TEST_CASE("the audit's pages are for auditors and the DPO: others get 403", "[web][audit]") {
  WorkspaceWorld w;
  const std::string c = w.Report(CaseWalk::Concern("b.threat"));
  for (const std::string& token : {w.tokens.cw, w.tokens.co, w.tokens.lr}) {
    const std::string cookie = w.SignIn(token);
    CHECK(w.Get("/ui/audit", cookie).status == 403);
    CHECK(w.Get("/ui/audit/bundle", cookie).status == 403);
    CHECK(w.Get("/ui/audit/cases/" + c, cookie).status == 403);
    CHECK_FALSE(Has(w.Get("/ui/home", cookie).body, "href=\"/ui/audit\""));
  }
  const std::string dpo = w.SignIn(w.tokens.dpo);
  CHECK(w.Get("/ui/audit", dpo).status == 200);
  const std::string aud = w.SignIn(w.tokens.aud);
  CHECK(Has(w.Get("/ui/home", aud).body, "href=\"/ui/audit\""));
  // Without a session: to sign-in.
  CHECK(w.Get("/ui/audit/bundle").status == 303);
}

// The files of a ustar archive (regular files only).
std::map<std::string, std::string> Untar(const std::string& tar) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  while (at + 512 <= tar.size() && tar[at] != '\0') {
    const std::string name(tar.c_str() + at);
    const std::size_t size = std::stoull(tar.substr(at + 124, 11), nullptr, 8);
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i)
      sum += (i >= 148 && i < 156) ? 32u : static_cast<unsigned>(static_cast<unsigned char>(tar[at + i]));
    CHECK(std::stoul(tar.substr(at + 148, 6), nullptr, 8) == sum);
    CHECK(tar.substr(at + 257, 5) == "ustar");
    files[name] = tar.substr(at + 512, size);
    at += 512 + (size + 511) / 512 * 512;
  }
  return files;
}

TEST_CASE("the audit bundle downloads as a tar attachment that verifies offline", "[web][audit]") {
  WorkspaceWorld w;
  CaseWithRefusal(w, CaseWalk::Concern("b.threat"));
  const std::string aud = w.SignIn(w.tokens.aud);
  HttpResponse r = w.Get("/ui/audit/bundle", aud);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/x-tar");
  const std::string disposition = HeaderOf(r, "Content-Disposition");
  CHECK(disposition.rfind("attachment; filename=\"caseledger-bundle-", 0) == 0);
  CHECK(HeaderOf(r, "Cache-Control") == "no-store");
  CHECK(r.body.size() % 512 == 0);

  const auto files = Untar(r.body);
  REQUIRE(files.size() == 3);
  const std::string folder = files.begin()->first.substr(0, files.begin()->first.find('/'));
  CHECK(disposition == "attachment; filename=\"" + folder + ".tar\"");
  testing::TempDir dir;
  for (const auto& [name, bytes] : files) {
    REQUIRE(name.rfind(folder + "/", 0) == 0);
    std::ofstream(dir / name.substr(folder.size() + 1), std::ios::binary) << bytes;
  }
  // The node's own key, as the API gives it: the bundle verifies under it.
  const std::string key = crypto::NoteVerifier::For(w.ledger->store().origin(),
                                                    w.ledger->ledger().signing_key().public_key())
                              .ToString();
  const ledger::BundleReport report = ledger::VerifyBundle(dir.path(), key);
  INFO(report.message);
  CHECK(report.verdict == ledger::BundleVerdict::kVerified);
  CHECK(report.checkpoint_size >= 4);
  // The events are the log's stored lines: as many as the log holds at its checkpoint.
  const std::string& events = files.at(folder + "/events.jsonl");
  CHECK(static_cast<std::uint64_t>(std::count(events.begin(), events.end(), '\n')) ==
        report.checkpoint_size);
  // Bodies stay ciphertext.
  CHECK_FALSE(Has(events, "Testperson"));
  CHECK_FALSE(Has(events, "synthetic narrative"));
}

// The text between `from` and the next `to` after it ("" if none).
std::string Between(const std::string& body, const std::string& from, const std::string& to) {
  const std::size_t a = body.find(from);
  if (a == std::string::npos) return "";
  const std::size_t b = body.find(to, a + from.size());
  return body.substr(a + from.size(), b == std::string::npos ? std::string::npos : b - a - from.size());
}

TEST_CASE("the statistics page draws charts with their tables beside them and shows a small cell "
          "as <5, never the number",
          "[web][stats]") {
  WorkspaceWorld w;
  // One concern this year: every cell it is in counts 1, suppressed.
  const WalkJson concern = CaseWalk::Concern("b.threat");
  w.Report(concern);
  const std::string year = std::to_string(projections::YearOf(ledger::NowMicros()));
  for (const char* lang : {"da", "en"}) {
    const std::string co = w.SignIn(w.tokens.co, lang);
    HttpResponse r = w.Get("/ui/statistics", co);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK_FALSE(Has(r.body, "style="));
    CHECK_FALSE(Has(r.body, "<script"));
    CHECK_FALSE(Has(r.body, "[["));
    CHECK_FALSE(Has(r.body, concern["body"]["identity"]["name"].get<std::string>()));
    for (const char* id : {"founded", "response", "progression"}) {
      // The chart: an image with a title and a description.
      const std::string svg = Between(r.body, "<svg class=\"chart\"", "</svg>");
      CHECK(Has(r.body, "<title id=\"chart-" + std::string(id) + "-title\">"));
      CHECK(Has(svg, "role=\"img\""));
      CHECK(Has(r.body, "id=\"table-" + std::string(id) + "\""));
    }
    // The 24-hour response of this year: 1 concern not yet answered → "<5"
    // in the table, never the 1; the share is not shown, in the chart as in
    // the table.
    const std::string row =
        Between(Between(r.body, "id=\"table-response\"", "</table>"),
                "<th scope=\"row\">" + year + "</th>", "</tr>");
    REQUIRE_FALSE(row.empty());
    CHECK(Has(row, "<td>&lt;5</td>"));
    CHECK_FALSE(Has(row, "<td>1</td>"));
    const std::string not_shown = std::string(lang) == "da" ? "vises ikke" : "not shown";
    CHECK(Has(row, "<td>" + not_shown + "</td>"));
    const std::string chart = Between(r.body, "<title id=\"chart-response-title\">", "</svg>");
    CHECK(Has(chart, ">" + year + "</text>"));
    CHECK(Has(chart, ">" + not_shown + "</text>"));
    CHECK_FALSE(Has(chart, "class=\"chart-bar\""));  // no bar for a share not shown
    // The founded share beside the source papers' figures.
    const std::string founded = Between(r.body, "<title id=\"chart-founded-title\">", "</svg>");
    CHECK(Has(founded, "10 %"));
    CHECK(Has(founded, "25 %"));
  }
  // The auditor and the DPO read it too; a caseworker and a legal reviewer do not.
  CHECK(w.Get("/ui/statistics", w.SignIn(w.tokens.aud)).status == 200);
  CHECK(w.Get("/ui/statistics", w.SignIn(w.tokens.dpo)).status == 200);
  CHECK(w.Get("/ui/statistics", w.SignIn(w.tokens.cw)).status == 403);
  CHECK(w.Get("/ui/statistics", w.SignIn(w.tokens.lr)).status == 403);
}

}  // namespace
}  // namespace caseledger::web
