// Storage failures of `caseledger serve` (docs/operations.md "Storage
// failures"). A data dir on a small file system the test mounts itself
// (tmpfs) is written until full under load: writes answer 507, the server's
// log names the cause, /healthz says degraded, reads that need no write are
// served, and once space is freed writes resume by themselves, with every 201
// event in the log and the log verifying. Mounting needs root (CI runs as
// root); elsewhere the test says it was skipped. Other failures are injected
// with the server's FAILPOINTs (storage-commit-eio, storage-rewind). All data
// is synthetic.
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "ledger/event.h"
#include "ledger/log_store.h"
#include "tests/e2e/server_fixture.h"

namespace caseledger::testing {
namespace {


// A tmpfs of `mib` MiB at a fresh directory, unmounted when destroyed.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(int mib) {
    const std::string opts = "size=" + std::to_string(mib) + "m,mode=0700";
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                       opts.c_str()) == 0;
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return dir_.path(); }
  std::uint64_t FreeBytes() const {
    struct statvfs st {};
    REQUIRE(::statvfs(dir_.path().c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// Fills the file system up to `leave` free bytes with one file.
void Fill(const std::string& file, std::uint64_t bytes) {
  std::ofstream out(file, std::ios::binary);
  const std::string chunk(1 << 16, 'x');
  for (std::uint64_t n = 0; n < bytes; n += chunk.size())
    out.write(chunk.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(chunk.size(), bytes - n)));
}

Json Health(std::uint16_t port, int* status) {
  auto r = Request(port, "GET", "/healthz");
  REQUIRE(r);
  *status = r->status;
  return Json::parse(r->body);
}

TEST_CASE("e2e: a full disk answers 507, logs the cause, reports degraded, serves reads, and writes resume once space is freed",
          "[e2e][fault][disk]") {
  SmallFileSystem fs(32);
  if (!fs.mounted()) {
    WARN("cannot mount a tmpfs here (needs root): the disk-full test did not run");
    return;
  }
  const std::string dir = fs.path() + "/data";
  std::filesystem::create_directories(dir);
  Users users = MakeUsers(dir);
  Server server(dir);
  const std::uint16_t port = server.port();
  const HeaderList cw = {{"Authorization", "Bearer " + users.tok.cw},
                         {"Content-Type", "application/json"}};
  const HeaderList aud = {{"Authorization", "Bearer " + users.tok.aud}};
  auto first = Request(port, "POST", "/v1/cases", cw, CaseWalk::Concern("b.threat").dump());
  REQUIRE(first);
  REQUIRE(first->status == 201);
  const std::string case_id = Json::parse(first->body)["case"];

  // Leave about 2 MiB, then write (events on the case and new cases, whose
  // subjects need new keys in the keystore) until every writer has seen 507.
  const std::string filler = fs.path() + "/filler";
  Fill(filler, fs.FreeBytes() - (std::uint64_t{2} << 20));
  std::mutex mu;
  std::map<std::uint64_t, std::string> acked;  // seq -> note (or "case")
  std::atomic<int> full{0}, other{0};
  std::string other_status;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      HttpClient c(port);
      for (int i = 0; i < 20000 && c.connected(); ++i) {
        const std::string note = "synthetic note " + std::to_string(t) + "/" + std::to_string(i) +
                                 " " + std::string(600, 'n');
        std::optional<HttpReply> r;
        if (i % 8 == 7) {
          r = c.Send("POST", "/v1/cases", cw, CaseWalk::Concern("b.threat").dump());
        } else {
          Json b{{"type", "concern.responded"}, {"h", {{"channel", "phone"}}},
                 {"body", {{"note", note}}}};
          r = c.Send("POST", "/v1/cases/" + case_id + "/events", cw, b.dump());
        }
        if (!r) break;
        if (r->status == 201) {
          std::lock_guard lock(mu);
          acked[Json::parse(r->body)["seq"].get<std::uint64_t>()] = i % 8 == 7 ? "case" : note;
          continue;
        }
        if (r->status == 507) {
          CHECK(Json::parse(r->body)["type"] ==
                "https://caseledger.invalid/problems/insufficient-storage");
          ++full;
          break;
        }
        std::lock_guard lock(mu);
        ++other;
        other_status += std::to_string(r->status) + " " + r->body + "\n";
        break;
      }
    });
  }
  for (auto& w : writers) w.join();
  INFO(other_status);
  REQUIRE(full > 0);
  CHECK(other == 0);
  INFO(acked.size() << " acknowledged before the disk was full");
  REQUIRE_FALSE(acked.empty());

  // The log names the cause; health says degraded.
  const std::string log = server.log();
  CHECK(log.find("storage failure during=") != std::string::npos);
  const bool named = log.find("cause=ENOSPC") != std::string::npos ||
                     log.find("cause=EIO") != std::string::npos;  // LMDB's short write
  CHECK(named);
  CHECK(log.find("writer state=degraded reason=storage-full") != std::string::npos);
  CHECK(log.find("synthetic note") == std::string::npos);  // no data in the log
  int status = 0;
  Json h = Health(port, &status);
  CHECK(status == 503);
  CHECK(h["status"] == "degraded");
  CHECK(h["reason"] == "storage-full");
  CHECK(h["writes"] == "suspended");
  const std::uint64_t size = h["log_size"];
  CHECK(size >= acked.rbegin()->first);

  // Reads that need no write are served; a write is 507 at once; a read of a
  // case, which must first record the access, is refused (fail closed).
  auto cp = Request(port, "GET", "/v1/log/checkpoint", aud);
  REQUIRE(cp);
  CHECK(cp->status == 200);
  auto stats = Request(port, "GET", "/v1/stats", aud);
  REQUIRE(stats);
  CHECK(stats->status == 200);
  auto metrics = Request(port, "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("caseledger_writer_state{state=\"degraded\"} 1") != std::string::npos);
  Json note{{"type", "concern.responded"}, {"h", {{"channel", "phone"}}},
            {"body", {{"note", "synthetic note after"}}}};
  auto refused = Request(port, "POST", "/v1/cases/" + case_id + "/events", cw, note.dump());
  REQUIRE(refused);
  CHECK(refused->status == 507);
  auto read = Request(port, "GET", "/v1/cases/" + case_id + "?purpose=casework", cw);
  REQUIRE(read);
  CHECK(read->status == 503);

  // Space is freed: the writer resumes by itself (it probes every second).
  std::filesystem::remove(filler);
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h = Health(port, &status);
  }
  REQUIRE(status == 200);
  CHECK(h["status"] == "ok");
  auto after = Request(port, "POST", "/v1/cases/" + case_id + "/events", cw, note.dump());
  REQUIRE(after);
  REQUIRE(after->status == 201);
  acked[Json::parse(after->body)["seq"].get<std::uint64_t>()] = "synthetic note after";
  CHECK(server.log().find("writer state=ok writes=resumed") != std::string::npos);
  CHECK(server.Stop() == 0);

  // Every 201 is in the log as acknowledged, and the log verifies.
  {
    auto store = ledger::LogStore::Open(dir, true).value();
    auto txn = store->env().BeginRead().value();
    std::size_t found = 0;
    for (const auto& [seq, what] : acked) {
      auto line = ledger::ReadEventLine(txn, *store, seq);
      REQUIRE(line.ok());
      auto e = ledger::DecodeEvent(*line).value();
      if (what == "case") {
        found += e.type == "concern.reported";
      } else {
        found += e.type == "concern.responded" && e.case_id == case_id;
      }
    }
    CHECK(found == acked.size());
  }
  CHECK(Verify(dir) == 0);
}

TEST_CASE("e2e: an I/O error suspends writes (500, then 503) until a probe succeeds, a writer that cannot rebuild its state makes serve exit 74",
          "[e2e][fault]") {
  TempDir dir;
  Users users = MakeUsers(dir.path());
  const HeaderList cw = {{"Authorization", "Bearer " + users.tok.cw},
                         {"Content-Type", "application/json"}};
  // A new person each time (one CPR number is one subject).
  auto concern = [] { return CaseWalk::Concern("b.threat").dump(); };
  {
    setenv("CASELEDGER_FAILPOINTS", "storage-commit-eio", 1);
    Server server(dir.path());
    unsetenv("CASELEDGER_FAILPOINTS");
    auto failed = Request(server.port(), "POST", "/v1/cases", cw, concern());
    REQUIRE(failed);
    CHECK(failed->status == 500);
    CHECK(Json::parse(failed->body)["type"] == "https://caseledger.invalid/problems/io");
    int status = 0;
    Json h = Health(server.port(), &status);
    CHECK(status == 503);
    CHECK(h["status"] == "degraded");
    CHECK(h["reason"] == "storage-error");
    CHECK(h["cause"] == "EIO");
    auto during = Request(server.port(), "POST", "/v1/cases", cw, concern());
    REQUIRE(during);
    CHECK((during->status == 503 || during->status == 201));  // 201 once the probe ran
    for (int i = 0; i < 50 && status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      h = Health(server.port(), &status);
    }
    REQUIRE(status == 200);
    auto after = Request(server.port(), "POST", "/v1/cases", cw, concern());
    REQUIRE(after);
    CHECK(after->status == 201);
    CHECK(server.log().find("storage failure during=commit op=\"LMDB commit\" cause=EIO") !=
          std::string::npos);
    CHECK(server.Stop() == 0);
  }
  {
    setenv("CASELEDGER_FAILPOINTS", "storage-commit-eio,storage-rewind", 1);
    Server server(dir.path());
    unsetenv("CASELEDGER_FAILPOINTS");
    auto failed = Request(server.port(), "POST", "/v1/cases", cw, concern());
    REQUIRE(failed);
    CHECK(failed->status == 500);
    // The server stops by itself, for its supervisor to restart it.
    CHECK(server.WaitExit() == 74);
    const std::string log = server.log();
    CHECK(log.find("writer state=failed reason=restart-required") != std::string::npos);
    CHECK(log.find("exiting with 74") != std::string::npos);
  }
  {
    Server server(dir.path());  // restarted: writes again
    auto r = Request(server.port(), "POST", "/v1/cases", cw, concern());
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(server.Stop() == 0);
  }
  CHECK(Verify(dir.path()) == 0);
}

}  // namespace
}  // namespace caseledger::testing
