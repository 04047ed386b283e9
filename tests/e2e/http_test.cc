// End-to-end tests of `caseledger serve`: the real server on 127.0.0.1 (port
// 0, a temporary data dir), users made with `caseledger user add`, requests
// over real sockets. The server is always stopped (SIGTERM, or SIGKILL in the
// crash test) before the test ends. All data is synthetic.
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <random>
#include <thread>

#include "base/bytes.h"
#include "base/json.h"
#include "ledger/event.h"
#include "ledger/log_store.h"
#include "ledger/tables.h"
#include "tests/e2e/server_fixture.h"

namespace caseledger::testing {
namespace {


TEST_CASE("e2e: a case from concern to closure over HTTP, as each role", "[e2e][slow]") {
  TempDir dir;
  Users users = MakeUsers(dir.path());
  Server server(dir.path());
  CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, users.tok);
  walk.Run();
  const std::string log = server.log();
  CHECK(server.Stop() == 0);
  // Access log: one structured line per request, no personal data, no ids.
  CHECK(log.find("route=/v1/cases/{case}/history status=200") != std::string::npos);
  CHECK(log.find("Testperson") == std::string::npos);
  CHECK(log.find(walk.case_id()) == std::string::npos);
  CHECK(log.find("clt1_") == std::string::npos);
  CHECK(Verify(dir.path()) == 0);
}

TEST_CASE("e2e: SIGTERM at once after 'listening' still stops the server gracefully (exit 0)",
          "[e2e][fault]") {
  // The signals are blocked before any thread starts, so one that arrives
  // before the main thread waits for it is kept, not fatal (CI once saw
  // exit 143, death by SIGTERM, when it came that early).
  TempDir dir;
  Users users = MakeUsers(dir.path());
  for (int i = 0; i < 20; ++i) {
    INFO("round " << i);
    Server server(dir.path());
    CHECK(server.Stop() == 0);
  }
  CHECK(Verify(dir.path()) == 0);
}

TEST_CASE("e2e: when the access record cannot be appended the read is refused (503)",
          "[e2e][fault]") {
  TempDir dir;
  Users users = MakeUsers(dir.path());
  std::string case_id;
  {
    Server server(dir.path());
    CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, users.tok);
    auto r = walk.Post(users.tok.cw, "/v1/cases", CaseWalk::Concern("b.weapons"));
    REQUIRE(r.status == 201);
    case_id = CaseWalk::Body(r)["case"];
  }
  setenv("CASELEDGER_FAILPOINTS", "access-append", 1);
  Server server(dir.path());
  unsetenv("CASELEDGER_FAILPOINTS");
  CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, users.tok);
  for (const std::string& target : {"/v1/cases/" + case_id + "/history?purpose=casework",
                                    "/v1/cases/" + case_id + "?purpose=casework"}) {
    auto r = walk.Get(users.tok.co, target);
    CHECK(r.status == 503);
    CHECK(r.body.find("Testperson") == std::string::npos);
    CHECK(r.body.find("fail closed") != std::string::npos);
    bool retry = false;
    for (const auto& [k, v] : r.headers) retry |= k == "retry-after";
    CHECK(retry);
  }
  CHECK(server.log().find("FAILPOINT access-append") != std::string::npos);
  CHECK(server.Stop() == 0);
}

TEST_CASE("e2e: bad input over HTTP gets the right 4xx, the server stays up, the log verifies",
          "[e2e]") {
  TempDir dir;
  Users users = MakeUsers(dir.path());
  Server server(dir.path(), {"--request-timeout-ms", "800"});
  const std::uint16_t port = server.port();
  const HeaderList auth = {{"Authorization", "Bearer " + users.tok.cw},
                           {"Content-Type", "application/json"}};
  const std::string good = CaseWalk::Concern("b.threat").dump();
  auto post = [&](const std::string& body, HeaderList h) {
    auto r = Request(port, "POST", "/v1/cases", h, body);
    REQUIRE(r);
    return *r;
  };
  struct Row {
    const char* what;
    std::string body;
    HeaderList headers;
    int status;
    std::string type;  // problem type suffix
  };
  std::string bad_utf8 = good;
  bad_utf8.replace(bad_utf8.find("Testperson"), 1, "\xff");
  Json unknown = CaseWalk::Concern("b.threat");
  unknown["colour"] = "red";
  const std::vector<Row> rows = {
      {"malformed JSON", "{\"subject\":", auth, 400, "invalid-argument"},
      {"wrong content type", good, {{"Authorization", "Bearer " + users.tok.cw},
                                    {"Content-Type", "text/plain"}}, 415, "unsupported-media-type"},
      {"oversized body", std::string((1 << 20) + 10, ' '), auth, 413, "payload-too-large"},
      {"deep nesting", std::string(100, '[') + std::string(100, ']'), auth, 400, "invalid-argument"},
      {"invalid UTF-8", bad_utf8, auth, 400, "invalid-argument"},
      {"unknown field", unknown.dump(), auth, 400, "invalid-argument"},
      {"missing auth", good, {{"Content-Type", "application/json"}}, 401, "unauthenticated"},
      {"bad token", good, {{"Authorization", "Bearer clt1_x"}, {"Content-Type", "application/json"}},
       401, "unauthenticated"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    HttpReply r = post(row.body, row.headers);
    CHECK(r.status == row.status);
    CHECK(r.Header("content-type") == "application/problem+json");
    CHECK(Json::parse(r.body)["type"] ==
          "https://caseledger.invalid/problems/" + row.type);
    CHECK(r.body.find("Testperson") == std::string::npos);
    CHECK(server.Healthy());
  }
  // Path traversal in ids.
  for (const char* target : {"/v1/cases/..%2F..%2Fledger?purpose=casework",
                             "/v1/cases/%2e%2e/history?purpose=casework",
                             "/v1/cases/c-%00?purpose=casework", "/v1/cases/../v1/audit"}) {
    INFO(target);
    auto r = Request(port, "GET", target, {{"Authorization", "Bearer " + users.tok.co}});
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  // Too many header bytes.
  auto big = Request(port, "GET", "/v1/cases",
                     {{"Authorization", "Bearer " + users.tok.co},
                      {"X-Filler", std::string(20000, 'a')}});
  REQUIRE(big);
  CHECK(big->status == 431);
  // Slow loris: half a request line, then silence; the server closes it
  // and keeps serving others meanwhile.
  {
    HttpClient slow(port, std::chrono::milliseconds(5000));
    REQUIRE(slow.connected());
    REQUIRE(slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    CHECK(server.Healthy());
    const auto start = std::chrono::steady_clock::now();
    auto r = slow.ReadResponse();  // 408, or the connection closed
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited < std::chrono::milliseconds(4000));
    if (r) CHECK(r->status == 408);
    const bool answered = slow.SendRaw("x\r\n\r\n") && slow.ReadResponse().has_value();
    CHECK_FALSE(answered);
  }
  // A good request still works, and a revoked token no longer does.
  CHECK(post(good, auth).status == 201);
  CHECK(server.Healthy());
  CHECK(server.Stop() == 0);
  RunResult rv = Run({"user", "revoke", "--data", dir.path(), "--user", users.tok.cw_id});
  REQUIRE(rv.exit_code == 0);
  Server again(dir.path());
  auto r = Request(again.port(), "POST", "/v1/cases", auth, good);
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(again.Stop() == 0);
  CHECK(Verify(dir.path()) == 0);
}

TEST_CASE("e2e: SIGKILL during a write load loses no acknowledged (201) event",
          "[e2e][fault][slow]") {
  TempDir dir;
  Users users = MakeUsers(dir.path());
  std::string case_id;
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    Server server(dir.path());
    const std::uint16_t port = server.port();
    const HeaderList cw = {{"Authorization", "Bearer " + users.tok.cw},
                           {"Content-Type", "application/json"}};
    if (case_id.empty()) {
      auto r = Request(port, "POST", "/v1/cases", cw, CaseWalk::Concern("b.threat").dump());
      REQUIRE(r);
      REQUIRE(r->status == 201);
      case_id = Json::parse(r->body)["case"];
    }
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::map<std::uint64_t, std::string> acked;  // seq -> note
    std::map<int, int> refused;                  // other statuses -> count
    std::atomic<int> first_acks{0};
    std::vector<std::string> ended;              // why each writer's connection ended
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&, t] {
        HttpClient c(port);
        for (int i = 0; !stop && c.connected(); ++i) {
          const std::string note = "synthetic note " + std::to_string(round) + "/" +
                                   std::to_string(t) + "/" + std::to_string(i);
          Json b{{"type", "concern.responded"}, {"h", {{"channel", "phone"}}},
                 {"body", {{"note", note}}}};
          auto r = c.Send("POST", "/v1/cases/" + case_id + "/events", cw, b.dump());
          if (!r) {  // the server died under us (or, if before the kill, why)
            std::lock_guard lock(mu);
            ended.push_back(c.error());
            break;
          }
          std::lock_guard lock(mu);
          if (r->status == 201) {
            acked[Json::parse(r->body)["seq"].get<std::uint64_t>()] = note;
            ++first_acks;
          } else {
            ++refused[r->status];
          }
        }
      });
    }
    // The kill lands at a random moment of the load, counted from the first
    // acknowledgement: the first append after a restart loads the case's
    // whole state (thousands of facts by the last round), which under
    // ASan on a busy CI machine took longer than a fixed sleep (a round
    // once saw no 201 before the kill).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (first_acks.load() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 700));
    server.Kill();
    stop = true;
    for (auto& w : writers) w.join();
    std::string others;
    for (const auto& [status, n] : refused)
      others += " " + std::to_string(n) + "x" + std::to_string(status);
    for (const std::string& e : ended) others += "; ended: " + e;
    INFO("round " << round << ": " << acked.size() << " acknowledged; other answers:" << others);
    REQUIRE(acked.size() > 0);
    // Every acknowledged event is in the log, as acknowledged.
    {
      auto store = ledger::LogStore::Open(dir.path(), true).value();
      auto txn = store->env().BeginRead().value();
      const std::uint64_t size = ledger::TreeSize(txn, *store).value();
      CHECK(size >= acked.rbegin()->first);
      std::size_t found = 0;
      for (const auto& [seq, note] : acked) {
        auto line = ledger::ReadEventLine(txn, *store, seq);
        if (!line.ok()) continue;
        auto e = ledger::DecodeEvent(*line).value();
        if (e.type == "concern.responded" && e.case_id == case_id) ++found;
      }
      CHECK(found == acked.size());
    }
    CHECK(Verify(dir.path()) == 0);
  }
}

// Every occurrence of any of `needles` in the regular files under `dir`, as
// "file: needle" lines (empty when there is none).
std::string FindInFiles(const std::string& dir, const std::vector<std::string>& needles) {
  std::string found;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    const std::string bytes = ReadFile(f.path().string());
    for (const std::string& n : needles)
      if (bytes.find(n) != std::string::npos) found += f.path().string() + ": " + n + "\n";
  }
  return found;
}

TEST_CASE("e2e: after erasure and key rotation no file of the data dir, nor the server log, holds the subject in clear",
          "[e2e][erasure]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  Users u = MakeUsers(dir);
  // A synthetic identity unique to this run.
  std::random_device rd;
  const std::string tag = std::to_string(rd() % 900000 + 100000);
  const std::string name = "Testperson Slet" + tag, cpr = "000000-" + tag.substr(0, 4),
                    address = "Syntetisk Sletvej " + tag + ", 9999 Demoby";
  auto body = CaseWalk::Concern("b.threat");
  body["body"]["identity"] = {{"name", name}, {"cpr", cpr}, {"address", address}};
  std::string subject, server_log;
  {
    Server server(dir);
    CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, u.tok);
    auto r = walk.Post(u.tok.cw, "/v1/cases", body);
    REQUIRE(r.status == 201);
    subject = CaseWalk::Body(r)["subject"];
    const std::string history = "/v1/cases/" + CaseWalk::Body(r)["case"].get<std::string>() +
                                "/history?purpose=casework";
    // Before erasure: decryption with the key works ...
    auto read = walk.Get(u.tok.cw, history);
    REQUIRE(read.status == 200);
    CHECK(CaseWalk::Body(read)["entries"][0]["body"]["identity"]["cpr"] == cpr);
    // ... and no file holds the identity in clear (bodies are encrypted).
    CHECK(FindInFiles(dir, {name, cpr, address}).empty());
    // The CPR number finds the subject through the keyed index (and is
    // written to no file or log line: checked below).
    auto found = walk.Post(u.tok.cw, "/v1/subjects/lookup", {{"cpr", cpr}});
    REQUIRE(found.status == 200);
    CHECK(CaseWalk::Body(found)["subject"] == subject);
    auto erased = walk.Post(u.tok.dpo, "/v1/subjects/" + subject + "/erase", {{"reason", "gdpr_art17"}});
    INFO(erased.body);
    REQUIRE(erased.status == 201);
    auto after = walk.Get(u.tok.cw, history);
    // The caseworker still reads the case's history: the body is gone.
    REQUIRE(after.status == 200);
    CHECK(CaseWalk::Body(after)["entries"][0]["body"]["erased"] == true);
    // Erasure dropped the index entry: the number finds no one.
    CHECK(walk.Post(u.tok.cw, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 404);
    CHECK(server.Stop() == 0);
    server_log = server.log();
  }
  RunResult rotate = Run({"keys", "rotate", "--data", dir});
  INFO(rotate.err);
  REQUIRE(rotate.exit_code == 0);
  CHECK_THAT(rotate.out, Catch::Contains("1 erasures made final"));
  CHECK(FindInFiles(dir, {name, cpr, address}).empty());
  for (const std::string& n : {name, cpr, address}) CHECK(server_log.find(n) == std::string::npos);
  CHECK(Verify(dir) == 0);  // the log still verifies
}

TEST_CASE("e2e: the server runs its retention task and logs counts only", "[e2e][retention]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  Users u = MakeUsers(dir);
  Server server(dir, {"--retention-every", "1"});
  std::string log;
  for (int i = 0; i < 100 && log.find("caseledger: retention: ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = server.log();
  }
  CHECK_THAT(log, Catch::Contains("caseledger: retention: erased 0, refused 0, held by a legal hold 0"));
  CHECK(server.Healthy());
  CHECK(server.Stop() == 0);
}

// The value of the metric line `name` (with its labels) in a /metrics page.
std::optional<std::uint64_t> MetricValue(const std::string& page, const std::string& name) {
  const std::size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + 1 + name.size() + 1;
  return std::stoull(page.substr(start, page.find('\n', start) - start));
}

TEST_CASE("e2e: /metrics shows how far the projections' rebuild at start and the retention runs got",
          "[e2e][progress]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  MakeUsers(dir);
  // Projections of no known version: the server rebuilds them as it starts.
  {
    auto store = ledger::LogStore::Open(dir, /*read_only=*/false).value();
    auto meta = store->tables().Open("proj.meta", /*create=*/false).value();
    REQUIRE(store->tables()
                .Write([&](ledger::TableWrites& w) { return w.Delete(meta, AsBytes("version")); })
                .ok());
  }
  auto verified = Run({"verify", "--data", dir, "--json"});
  REQUIRE(verified.exit_code == 0);
  const auto events = Json::parse(verified.out)["events"].get<std::uint64_t>();
  REQUIRE(events > 0);
  Server server(dir, {"--retention-every", "1"});
  std::string log;
  for (int i = 0; i < 100 && log.find("caseledger: retention: ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = server.log();
  }
  const std::string n = std::to_string(events);
  CHECK_THAT(log, Catch::Contains("caseledger: projections: replayed 0 of " + n + " events\n") &&
                      Catch::Contains("caseledger: projections: replayed " + n + " of " + n +
                                      " events\n"));
  auto metrics = Request(server.port(), "GET", "/metrics");
  REQUIRE(metrics);
  REQUIRE(metrics->status == 200);
  const std::string& page = metrics->body;
  CHECK(page.find("# TYPE caseledger_task_progress_done gauge") != std::string::npos);
  CHECK(page.find("# TYPE caseledger_task_progress_total gauge") != std::string::npos);
  CHECK(MetricValue(page, "caseledger_task_progress_done{task=\"projections\"}") == events);
  CHECK(MetricValue(page, "caseledger_task_progress_total{task=\"projections\"}") == events);
  // A retention run with nothing due: done 0 of 0.
  CHECK(MetricValue(page, "caseledger_task_progress_done{task=\"retention\"}") == 0u);
  CHECK(MetricValue(page, "caseledger_task_progress_total{task=\"retention\"}") == 0u);
  CHECK(server.Stop() == 0);
  // Restarted with the projections current: nothing to replay, nothing logged.
  Server again(dir);
  CHECK(again.log().find("caseledger: projections:") == std::string::npos);
  metrics = Request(again.port(), "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(MetricValue(metrics->body, "caseledger_task_progress_total{task=\"projections\"}") == 0u);
  CHECK(metrics->body.find("task=\"retention\"") != std::string::npos);  // daily by default
  CHECK(again.Stop() == 0);
}

TEST_CASE("e2e: the subject access export of a demo subject holds all of that subject and nothing of another",
          "[e2e][export]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  RunResult demo = Run({"demo", "--data", dir, "--cases", "60", "--seed", "5"});
  INFO(demo.err);
  REQUIRE(demo.exit_code == 0);
  RunResult tok = Run({"user", "token", "--data", dir, "--role", "dpo", "--quiet"});
  REQUIRE(tok.exit_code == 0);
  const std::string dpo = tok.out.substr(tok.out.find(' ') + 1, tok.out.find('\n') - tok.out.find(' ') - 1);
  // The raw log: every event by case, and the cases of each subject.
  std::map<std::string, std::set<std::uint64_t>> by_case;
  std::map<std::string, std::set<std::string>> cases_of;
  {
    auto store = ledger::LogStore::Open(dir, true).value();
    auto txn = store->env().BeginRead().value();
    const std::uint64_t n = ledger::TreeSize(txn, *store).value();
    for (std::uint64_t seq = 1; seq <= n; ++seq) {
      auto e = ledger::DecodeEvent(ledger::ReadEventLine(txn, *store, seq).value()).value();
      if (e.case_id) by_case[*e.case_id].insert(seq);
      if (e.case_id && e.subject) cases_of[*e.subject].insert(*e.case_id);
    }
  }
  // A subject with the most cases (the demo gives some persons several).
  std::string subject;
  for (const auto& [s, cs] : cases_of)
    if (subject.empty() || cs.size() > cases_of[subject].size()) subject = s;
  REQUIRE_FALSE(subject.empty());
  Server server(dir);
  auto r = Request(server.port(), "GET", "/v1/subjects/" + subject + "/export",
                   {{"authorization", "Bearer " + dpo}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const auto x = Json::parse(r->body);
  std::set<std::string> exported_cases;
  for (const auto& c : x["cases"]) {
    const std::string id = c["case"];
    exported_cases.insert(id);
    std::set<std::uint64_t> seqs;
    for (const auto& e : c["events"]) seqs.insert(e["seq"].get<std::uint64_t>());
    // Every event of the case as the log has it, plus this export's own
    // access.exported (appended before the export was built).
    std::set<std::uint64_t> expected = by_case[id];
    for (const auto& a : x["accesses"])
      if (a["type"] == "access.exported" && a["case"] == id) expected.insert(a["seq"].get<std::uint64_t>());
    CHECK(seqs == expected);
  }
  CHECK(exported_cases == cases_of[subject]);
  // No id of another subject or of another subject's case appears anywhere.
  for (const auto& [s, cs] : cases_of) {
    if (s == subject) continue;
    CHECK(r->body.find(s) == std::string::npos);
    for (const auto& c : cs) CHECK(r->body.find(c) == std::string::npos);
  }
  CHECK(server.Stop() == 0);
}

}  // namespace
}  // namespace caseledger::testing
