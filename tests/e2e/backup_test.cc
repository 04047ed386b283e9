// `caseledger backup` and `caseledger restore` (issue 19; docs/operations.md,
// "Backup and restore"): the restore drill under a real write load, and every
// way a backup can be damaged, incomplete, altered or expired. All data is
// synthetic.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "ledger/backup.h"
#include "ledger/keystore.h"
#include "ledger/ledger.h"
#include "ledger/log_store.h"
#include "tests/e2e/server_fixture.h"
#include "tests/e2e/synthetic.h"

namespace caseledger::testing {
namespace {

namespace fs = std::filesystem;

// Every stored event line of the log in `dir`, in seq order.
std::vector<std::string> LogLines(const std::string& dir) {
  auto store = ledger::LogStore::Open(dir, true).value();
  auto txn = store->env().BeginRead().value();
  const std::uint64_t size = ledger::TreeSize(txn, *store).value();
  std::vector<std::string> lines;
  for (std::uint64_t seq = 1; seq <= size; ++seq)
    lines.push_back(ledger::ReadEventLine(txn, *store, seq).value());
  return lines;
}

std::string FilesHolding(const std::string& dir, const std::vector<std::string>& needles) {
  std::string found;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    const std::string bytes = ReadFile(f.path().string());
    for (const std::string& n : needles)
      if (bytes.find(n) != std::string::npos) found += f.path().string() + ": " + n + "\n";
  }
  return found;
}

void FlipByte(const std::string& path, std::uint64_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x01));
}

TEST_CASE("e2e: restore drill — backup under write load, keep writing, erase a subject, restore, "
          "verify: the erased subject stays erased",
          "[e2e][backup]") {
  TempDir tmp;
  const std::string dir = tmp / "data", bk = tmp / "backup";
  Users u = MakeUsers(dir);
  std::random_device rd;
  const std::string tag = std::to_string(rd() % 900000 + 100000);
  const std::string name = "Testperson Backup" + tag, cpr = "000000-" + tag.substr(0, 4);
  std::string subject, erased_case, load_case, backup_out;
  std::map<std::uint64_t, std::string> acked;  // seq -> note, every 201
  {
    Server server(dir);
    CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, u.tok);
    auto body = CaseWalk::Concern("b.threat");
    body["body"]["identity"] = {{"name", name}, {"cpr", cpr}};
    auto r = walk.Post(u.tok.cw, "/v1/cases", body);
    REQUIRE(r.status == 201);
    subject = CaseWalk::Body(r)["subject"];
    erased_case = CaseWalk::Body(r)["case"];
    auto other = walk.Post(u.tok.cw, "/v1/cases", CaseWalk::Concern("b.threat"));
    REQUIRE(other.status == 201);
    load_case = CaseWalk::Body(other)["case"];

    // A write load through HTTP for the whole drill.
    const std::uint16_t port = server.port();
    const HeaderList cw = {{"Authorization", "Bearer " + u.tok.cw},
                           {"Content-Type", "application/json"}};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        HttpClient c(port);
        for (int i = 0; !stop && c.connected(); ++i) {
          const std::string note = "synthetic load " + std::to_string(t) + "/" + std::to_string(i);
          Json b{{"type", "concern.responded"}, {"h", {{"channel", "phone"}}}, {"body", {{"note", note}}}};
          auto w = c.Send("POST", "/v1/cases/" + load_case + "/events", cw, b.dump());
          if (!w) break;
          if (w->status == 201) {
            std::lock_guard lock(mu);
            acked[Json::parse(w->body)["seq"].get<std::uint64_t>()] = note;
          }
        }
      });
    }
    auto acked_count = [&] {
      std::lock_guard lock(mu);
      return acked.size();
    };
    while (acked_count() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // The backup, while the server writes.
    const std::size_t before_backup = acked_count();
    RunResult b = Run({"backup", "--data", dir, "--out", bk});
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    backup_out = b.out;
    const std::size_t before_backup_done = acked_count();
    // (Informational: how many writes were acknowledged while it ran.)
    WARN("acknowledged during the backup: " << before_backup_done - before_backup);
    // Writing goes on; then the DPO erases the subject.
    while (acked_count() < before_backup_done + 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto erased = walk.Post(u.tok.dpo, "/v1/subjects/" + subject + "/erase", {{"reason", "gdpr_art17"}});
    INFO(erased.body);
    REQUIRE(erased.status == 201);
    const std::size_t after_erasure = acked_count();
    while (acked_count() < after_erasure + 30) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    for (auto& w : writers) w.join();
    REQUIRE(server.Stop() == 0);
  }
  INFO(backup_out);
  CHECK_THAT(backup_out, Catch::Contains("verified"));
  const std::vector<std::string> original = LogLines(dir);

  // The backup was made before the erasure: its keystore still holds the key
  // — exactly what an old backup must not bring back.
  auto master = ledger::LoadMasterKey(bk).value();
  auto m = ledger::CheckBackup(bk, master).value();
  CHECK(m.destroyed_keys == 0);
  CHECK(m.log_size < original.size());
  CHECK(m.log_size > 300);

  // Restoring needs a newer log, or the explicit admission that none exists.
  RunResult bare = Run({"restore", bk, "--data", tmp / "r0"});
  CHECK(bare.exit_code == 64);
  CHECK_THAT(bare.err, Catch::Contains("--log-from") && Catch::Contains("--backup-only"));
  CHECK_FALSE(fs::exists(tmp / "r0"));

  // The restore, caught up from the (surviving) old data directory's log.
  const std::string r1 = tmp / "restored";
  RunResult rs = Run({"restore", bk, "--data", r1, "--log-from", dir});
  INFO(rs.out << rs.err);
  REQUIRE(rs.exit_code == 0);
  CHECK_THAT(rs.out, Catch::Contains("1 subjects erased in the log; 1 of their data keys were "
                                     "still in the backup and are destroyed again; keystore rotated"));
  CHECK_FALSE(fs::exists(ledger::RestoringDir(r1)));
  CHECK(Verify(r1) == 0);
  // The restored log is the original, byte for byte, acknowledged events included.
  const std::vector<std::string> restored = LogLines(r1);
  CHECK(restored == original);
  for (const auto& [seq, note] : acked) {
    REQUIRE(seq <= restored.size());
    CHECK(restored[seq - 1].find(load_case) != std::string::npos);
  }
  // The erased subject stays erased: no key (the erasure is final on disk),
  // the identity nowhere in clear, and the server shows only the erased body.
  auto erasures = ledger::Keystore::ReadErasures(r1 + "/keystore").value();
  CHECK(erasures.destroyed.count(subject) == 1);
  CHECK(erasures.pending.empty());
  CHECK(FilesHolding(r1, {name, cpr}).empty());
  {
    Server server(r1);
    CaseWalk walk([&](const http::HttpRequest& r) { return Over(server.port(), r); }, u.tok);
    auto history = walk.Get(u.tok.cw, "/v1/cases/" + erased_case + "/history?purpose=casework");
    INFO(history.body);
    REQUIRE(history.status == 200);
    CHECK(CaseWalk::Body(history)["entries"][0]["body"]["erased"] == true);
    CHECK(walk.Post(u.tok.cw, "/v1/subjects/lookup", {{"cpr", cpr}}).status == 404);
    // And the restored node takes writes again.
    auto more = walk.Post(u.tok.cw, "/v1/cases", CaseWalk::Concern("b.threat"));
    CHECK(more.status == 201);
    CHECK(server.Stop() == 0);
  }
  CHECK(Verify(r1) == 0);

  // With --backup-only, the log ends at the backup: it verifies, and the
  // erased subject's key is there (it was erased after the backup, and no
  // log says so) — which is why it needs to be asked for by name.
  const std::string r2 = tmp / "backup-only";
  RunResult only = Run({"restore", bk, "--data", r2, "--backup-only"});
  INFO(only.out << only.err);
  REQUIRE(only.exit_code == 0);
  CHECK_THAT(only.err, Catch::Contains("events and erasures recorded after"));
  CHECK(LogLines(r2).size() == m.log_size);
  CHECK(Verify(r2) == 0);
}

TEST_CASE("e2e: restore refuses a damaged, incomplete, altered, foreign or expired backup and "
          "leaves no data directory behind",
          "[e2e][backup]") {
  TempDir tmp;
  const std::string dir = tmp / "data", bk = tmp / "backup";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2) + ConcernLine(3)).exit_code == 0);
  RunResult b = Run({"backup", "--data", dir, "--out", bk, "--keep-days", "7"});
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  // A second backup into the same place is refused; so is a bad lifetime.
  CHECK(Run({"backup", "--data", dir, "--out", bk}).exit_code != 0);
  CHECK(Run({"backup", "--data", dir, "--out", tmp / "b0", "--keep-days", "0"}).exit_code == 65);
  CHECK_FALSE(fs::exists(tmp / "b0"));
  CHECK_FALSE(fs::exists(tmp / "b0.partial"));

  // A restore of the intact copy works (the control for every case below).
  REQUIRE(Run({"restore", bk, "--data", tmp / "ok", "--backup-only"}).exit_code == 0);
  CHECK(LogLines(tmp / "ok") == LogLines(dir));

  struct Damage {
    std::string what;
    std::function<void(const std::string&)> apply;
    int exit_code;
    std::string says;
  };
  const std::vector<Damage> damages = {
      {"a flipped byte in the log copy",
       [](const std::string& c) { FlipByte(c + "/ledger/data.mdb", 5000); }, 76, "ledger/data.mdb is damaged"},
      {"a flipped byte in the keystore copy",
       [](const std::string& c) { FlipByte(c + "/keystore/data.mdb", 100); }, 76, "keystore/data.mdb is damaged"},
      {"the keystore missing",
       [](const std::string& c) { fs::remove(c + "/keystore/data.mdb"); }, 76, "lacks keystore/data.mdb"},
      {"the node key missing", [](const std::string& c) { fs::remove(c + "/node.key"); }, 66, ""},
      {"no manifest (an incomplete backup)",
       [](const std::string& c) { fs::remove(c + "/manifest.json"); }, 66, "not a backup, or an incomplete one"},
      {"no signature", [](const std::string& c) { fs::remove(c + "/manifest.sig"); }, 76, "manifest.sig"},
      {"a manifest altered (a later expiry)",
       [](const std::string& c) {
         std::string t = ReadFile(c + "/manifest.json");
         const auto at = t.find("\"expires\":\"") + 11;
         t[at + 3] = static_cast<char>(t[at + 3] == '9' ? '8' : t[at + 3] + 1);
         WriteFile(c + "/manifest.json", t);
       },
       76, "signature does not verify"},
      {"a file the manifest does not list",
       [](const std::string& c) { WriteFile(c + "/ledger/extra", "x"); }, 76, "does not list"},
      {"another log's keystore slipped in",
       [&](const std::string& c) {
         const std::string other = tmp / "other";
         if (!fs::exists(other)) {
           REQUIRE(Run({"init", "--data", other}).exit_code == 0);
         }
         fs::copy_file(other + "/keystore/data.mdb", c + "/keystore/data.mdb",
                       fs::copy_options::overwrite_existing);
       },
       76, "keystore/data.mdb is damaged"},
  };
  int n = 0;
  for (const Damage& d : damages) {
    SECTION(d.what) {
      const std::string copy = tmp / ("copy" + std::to_string(++n));
      fs::copy(bk, copy, fs::copy_options::recursive);
      d.apply(copy);
      const std::string target = tmp / ("target" + std::to_string(n));
      RunResult r = Run({"restore", copy, "--data", target, "--backup-only"});
      INFO(r.out << r.err);
      CHECK(r.exit_code == d.exit_code);
      CHECK_THAT(r.err, Catch::Contains(d.says));
      CHECK_FALSE(fs::exists(target));
      CHECK_FALSE(fs::exists(ledger::RestoringDir(target)));
    }
  }

  SECTION("expired: refused once its time has passed") {
    auto master = ledger::LoadMasterKey(bk).value();
    auto m = ledger::CheckBackup(bk, master).value();
    CHECK(m.expires_us - m.created_us == std::int64_t{7} * 86'400'000'000LL);
    CHECK(ledger::CheckBackup(bk, master, m.expires_us - 1).ok());
    auto late = ledger::CheckBackup(bk, master, m.expires_us);
    CHECK(late.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(late.status().message(), Catch::Contains("expired"));
    ledger::RestoreOptions o;
    o.now_us = m.expires_us + 1;
    CHECK(ledger::RestoreBackup(bk, tmp / "late", o).status().code() == StatusCode::kInvalidArgument);
    CHECK_FALSE(fs::exists(tmp / "late"));
  }

  SECTION("another log's data directory as --log-from is refused") {
    const std::string other = tmp / "foreign";
    REQUIRE(Run({"init", "--data", other}).exit_code == 0);
    REQUIRE(Run({"import", "--data", other}, ConcernLine(7) + ConcernLine(8) + ConcernLine(9) +
                                                 ConcernLine(10)).exit_code == 0);
    RunResult r = Run({"restore", bk, "--data", tmp / "mixed", "--log-from", other});
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(fs::exists(tmp / "mixed"));
    CHECK_FALSE(fs::exists(ledger::RestoringDir(tmp / "mixed")));
  }

  SECTION("a target that exists is never written") {
    fs::create_directories(tmp / "exists");
    WriteFile(tmp / "exists/keep", "x");
    CHECK(Run({"restore", bk, "--data", tmp / "exists", "--backup-only"}).exit_code != 0);
    CHECK(ReadFile(tmp / "exists/keep") == "x");
  }
}

}  // namespace
}  // namespace caseledger::testing
