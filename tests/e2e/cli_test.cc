// The CLI end to end: init, import (good and bad input), verify, proofs and
// bundles through the real binary, with their exit codes.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "base/json.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "ledger/canonical_json.h"
#include "ledger/cosignature_store.h"
#include "tests/e2e/process.h"
#include "tests/e2e/synthetic.h"

namespace caseledger::testing {
namespace {

std::string CommandLine(int i, const std::string& extra = "") {
  return ConcernLine(static_cast<std::uint64_t>(i) + 1, extra);
}

std::uint64_t VerifiedEvents(const std::string& dir) {
  auto r = Run({"verify", "--data", dir, "--json"});
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out)["events"].get<std::uint64_t>();
}

// Changes one character of event `seq`'s signature in the data file itself,
// in every copy of its line (LMDB is copy-on-write: a freed page may still
// hold an older copy, and only the live one matters).
void TamperSignature(const std::string& dir, std::uint64_t seq) {
  const std::string file = dir + "/ledger/data.mdb";
  std::string bytes = ReadFile(file);
  const std::string marker = "\"seq\":" + std::to_string(seq) + ",\"sig\":\"";
  int copies = 0;
  for (std::size_t at = bytes.find(marker); at != std::string::npos;
       at = bytes.find(marker, at + 1), ++copies) {
    char& ch = bytes[at + marker.size() + 5];
    ch = ch == 'A' ? 'B' : 'A';
  }
  REQUIRE(copies >= 1);
  WriteFile(file, bytes);
}

TEST_CASE("init creates a ledger once and prints its verifier key", "[e2e]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  auto r = Run({"init", "--data", dir, "--origin", "example.invalid/test"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("verifier: example.invalid/test+"));
  CHECK(ReadFile(dir + "/ledger.pub").rfind("example.invalid/test+", 0) == 0);
  auto again = Run({"init", "--data", dir});
  CHECK(again.exit_code == 65);
  CHECK_THAT(again.err, Catch::Contains("already exists"));
  CHECK(Run({"init", "--data", tmp / "x", "--origin", "caseledger/event/v1"})
            .exit_code == 65);
  CHECK(Run({"frobnicate"}).exit_code == 64);
  CHECK(Run({"verify"}).exit_code == 64);
}

TEST_CASE("import stores good lines and stops at the first bad one, naming it",
          "[e2e]") {
  struct Bad {
    std::string name, line, says;
  };
  const std::vector<Bad> bads = {
      {"malformed JSON", "{\"type\": \n", "malformed"},
      {"unknown field", CommandLine(9, R"(,"colour":"red")"), "unknown field"},
      {"missing field",
       R"({"type":"a.b","role":"caseworker","h":{}})"
       "\n",
       "missing field \"actor\""},
      {"wrong type",
       R"({"type":"a.b","actor":"u-aaaaaaaaaaaaaaaaaaaaaaaaaa","role":"caseworker","h":"x"})"
       "\n",
       "\"h\" must be an object"},
      {"huge line",
       "{\"pad\":\"" + std::string(std::size_t{2} << 20, 'x') + "\"}\n",
       "longer than"},
      {"decreasing time", CommandLine(9, R"(,"time":"2001-01-01T00:00:00Z")"),
       "earlier than"},
      {"future time", CommandLine(9, R"(,"time":"2999-01-01T00:00:00Z")"),
       "future"},
      {"invalid UTF-8", CommandLine(9, ",\"time\":\"\xff\""), "UTF-8"},
  };
  for (const auto& bad : bads) {
    DYNAMIC_SECTION(bad.name) {
      TempDir tmp;
      std::string dir = tmp / "data";
      REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
      std::string input = CommandLine(1, R"(,"time":"2010-01-01T00:00:00Z")") +
                          CommandLine(2) + bad.line + CommandLine(4);
      auto r = Run({"import", "--data", dir}, input);
      CHECK(r.exit_code == 65);
      CHECK_THAT(r.err, Catch::Contains("line 3") && Catch::Contains(bad.says));
      CHECK_THAT(r.err, Catch::Contains("2 lines before it were stored"));
      CHECK(VerifiedEvents(dir) == 2);  // nothing of line 3, nor of line 4
    }
  }
}

TEST_CASE("proofs, checkpoint and bundles through the CLI", "[e2e]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir, "--origin", "example.invalid/test"})
              .exit_code == 0);
  std::string input;
  for (int i = 0; i < 50; ++i) input += CommandLine(i);
  REQUIRE(Run({"import", "--data", dir}, input).exit_code == 0);
  CHECK(VerifiedEvents(dir) == 50);

  auto cp = Run({"checkpoint", "--data", dir});
  CHECK(cp.exit_code == 0);
  CHECK(cp.out.rfind("example.invalid/test\n50\n", 0) == 0);
  CHECK_THAT(cp.out, Catch::Contains("\n\xe2\x80\x94 example.invalid/test "));

  auto inc =
      Run({"prove", "inclusion", "--data", dir, "--seq", "7", "--size", "40"});
  REQUIRE(inc.exit_code == 0);
  auto j = Json::parse(inc.out);
  CHECK(j["leaf_index"] == 6);
  CHECK(j["tree_size"] == 40);
  CHECK(j["proof"].size() == 6);
  auto con = Run({"prove", "consistency", "--data", dir, "--from", "13"});
  REQUIRE(con.exit_code == 0);
  CHECK(Json::parse(con.out)["size2"] == 50);
  CHECK(Run({"prove", "inclusion", "--data", dir, "--seq", "51"}).exit_code ==
        65);

  std::string bundle = tmp / "bundle";
  REQUIRE(Run({"export-bundle", "--data", dir, "--out", bundle}).exit_code ==
          0);
  CHECK(Run({"export-bundle", "--data", dir, "--out", bundle}).exit_code ==
        65);  // not empty
  CHECK(Run({"verify-bundle", bundle}).exit_code == 0);
  std::string vkey = ReadFile(dir + "/ledger.pub");
  vkey.pop_back();
  CHECK(Run({"verify-bundle", bundle, "--key", vkey}).exit_code == 0);
  CHECK(Run({"verify-bundle", bundle, "--key", "other.invalid+01020304+AQID"})
            .exit_code == 3);
  std::string events = ReadFile(bundle + "/events.jsonl");
  WriteFile(bundle + "/events.jsonl", events.substr(0, events.size() / 2));
  CHECK(Run({"verify-bundle", bundle}).exit_code == 2);
  std::string flipped = events;
  flipped[flipped.find("\"school\"") + 2] = 'S';
  WriteFile(bundle + "/events.jsonl", flipped);
  auto t = Run({"verify-bundle", bundle});
  CHECK(t.exit_code == 1);
  CHECK_THAT(t.out, Catch::Contains("seq 1"));
}

// Runs the binary with stderr on a pseudo-terminal, as on an operator's
// terminal (stdin from /dev/null, stdout to a file): the exit code, stdout,
// and what the terminal showed (with its "\r\n" for each "\n").
RunResult RunOnTerminal(const std::vector<std::string>& args) {
  RunResult r;
  TempDir tmp;
  const std::string out = tmp / "stdout";
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string terminal = ::ptsname(master);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(terminal.c_str(), O_RDWR | O_NOCTTY);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kBinary.c_str(), argv.data());
    ::_exit(127);
  }
  // Until every end of the terminal is closed (EIO), so the buffer never fills.
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) r.err.append(buf, static_cast<std::size_t>(n));
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  return r;
}

TEST_CASE("the long commands print no progress line when stderr is no terminal, and take -q and --quiet",
          "[e2e][progress]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 30; ++i) input += CommandLine(i);
  auto import = Run({"import", "--data", dir}, input);
  REQUIRE(import.exit_code == 0);
  CHECK(import.err == "imported 30 events; log size 30\n");
  auto import_q = Run({"import", "--data", dir, "-q"}, CommandLine(30));
  REQUIRE(import_q.exit_code == 0);
  CHECK(import_q.err == "imported 1 events; log size 31\n");
  // verify: the same output with and without --quiet, nothing on stderr.
  auto verify = Run({"verify", "--data", dir});
  REQUIRE(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::StartsWith("verified 31 events and "));
  CHECK(verify.err.empty());
  for (const char* q : {"-q", "--quiet"}) {
    auto quiet = Run({"verify", "--data", dir, q});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out == verify.out);
    CHECK(quiet.err.empty());
  }
  // The others: their usual output, nothing on stderr, no '\r' anywhere.
  const std::vector<std::vector<std::string>> commands = {
      {"rebuild", "--data", dir},
      {"rebuild", "--data", dir, "--compare", "-q"},
      {"export-bundle", "--data", dir, "--out", tmp / "bundle"},
      {"export-bundle", "--data", dir, "--out", tmp / "bundle-q", "--quiet"},
      {"keys", "rotate", "--data", dir},
      {"keys", "rotate", "--data", dir, "-q"},
      {"audit", "--data", dir, "--json"},
      {"audit", "--data", dir, "--json", "--quiet"},
      {"verify", "--data", dir, "--json"},
  };
  for (const auto& args : commands) {
    auto r = Run(args);
    INFO(args[0] << " " << args.back() << "\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find('\r') == std::string::npos);
  }
  CHECK_THAT(Run({"rebuild", "--data", dir}).out,
             Catch::StartsWith("rebuilt the projections from 31 events in "));
  CHECK(ReadFile(tmp / "bundle" + "/events.jsonl") == ReadFile(tmp / "bundle-q" + "/events.jsonl"));
  // demo writes and verifies: its usual lines, no '\r'.
  auto demo = Run({"demo", "--data", tmp / "demo", "--cases", "20", "-q"});
  INFO(demo.err);
  CHECK(demo.exit_code == 0);
  CHECK_THAT(demo.out, Catch::Contains("verifying the whole log...\nverified "));
  CHECK(demo.out.find('\r') == std::string::npos);
  CHECK(demo.err.find('\r') == std::string::npos);
  // --quiet is no option of the short commands.
  CHECK(Run({"checkpoint", "--data", dir, "--quiet"}).exit_code == 64);
}

TEST_CASE("on a terminal the long commands end with a final progress line on stderr, none with --quiet",
          "[e2e][progress]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 20; ++i) input += CommandLine(i);
  REQUIRE(Run({"import", "--data", dir}, input).exit_code == 0);
  const std::string plain = Run({"verify", "--data", dir}).out;
  auto verify = RunOnTerminal({"verify", "--data", dir});
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out == plain);  // stdout as ever
  CHECK_THAT(verify.err, Catch::StartsWith("\rverify  20 events in ") && Catch::EndsWith("/s\r\n"));
  auto rebuild = RunOnTerminal({"rebuild", "--data", dir});
  CHECK(rebuild.exit_code == 0);
  CHECK_THAT(rebuild.err, Catch::StartsWith("\rrebuild  20 events in "));
  auto bundle = RunOnTerminal({"export-bundle", "--data", dir, "--out", tmp / "bundle"});
  CHECK(bundle.exit_code == 0);
  CHECK_THAT(bundle.err, Catch::StartsWith("\rexport-bundle  20 events in "));
  auto rotate = RunOnTerminal({"keys", "rotate", "--data", dir});
  CHECK(rotate.exit_code == 0);
  CHECK_THAT(rotate.err, Catch::StartsWith("\rkeys rotate  20 keys in "));
  auto audit = RunOnTerminal({"audit", "--data", dir, "--json"});
  CHECK(audit.exit_code == 0);
  CHECK_THAT(audit.err, Catch::StartsWith("\raudit  20 events in "));
  for (const char* q : {"-q", "--quiet"}) {
    auto quiet = RunOnTerminal({"verify", "--data", dir, q});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out == plain);
    CHECK(quiet.err.empty());
  }
  // An error leaves no progress line before it.
  auto missing = RunOnTerminal({"verify", "--data", tmp / "nothing"});
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Catch::StartsWith("caseledger: "));
}

}  // namespace
}  // namespace caseledger::testing

namespace caseledger::testing {
namespace {

TEST_CASE("keys rotate re-wraps the keystore under a new KEK, the log verifies, refused while the dir is owned",
          "[e2e][erasure]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2)).exit_code == 0);
  auto r = Run({"keys", "rotate", "--data", dir});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("KEK epoch 1 -> 2; 2 live data keys re-wrapped; 0 erasures made final"));
  // A new subject's key is wrapped under the new KEK and its body written.
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(3)).exit_code == 0);
  r = Run({"keys", "rotate", "--data", dir});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("KEK epoch 2 -> 3; 3 live data keys re-wrapped"));
  CHECK(VerifiedEvents(dir) == 3);
  {
    // Another process owns the data dir (here: this one, as a server would).
    int fd = ::open((dir + "/LOCK").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    auto locked = Run({"keys", "rotate", "--data", dir});
    CHECK(locked.exit_code == 75);
    CHECK_THAT(locked.err, Catch::Contains("another process owns the data directory"));
    ::close(fd);
  }
  CHECK(Run({"keys", "rotate", "--data", tmp / "nothing"}).exit_code == 66);
}

TEST_CASE("erase through the CLI: the key is destroyed, erasure is final, rotation makes it final on disk",
          "[e2e][erasure]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  // Without a DPO nobody may erase.
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2)).exit_code == 0);
  const std::string s1 = SyntheticId('s', 1);
  CHECK(Run({"erase", "--data", dir, "--subject", s1, "--reason", "gdpr_art17"}).exit_code == 66);
  REQUIRE(Run({"user", "add", "--data", dir, "--role", "dpo", "--name", "Synthetic dpo"}).exit_code == 0);
  auto bad = Run({"erase", "--data", dir, "--subject", s1, "--reason", "tired"});
  CHECK(bad.exit_code == 65);
  CHECK(Run({"erase", "--data", dir, "--subject", SyntheticId('s', 9), "--reason", "gdpr_art17"})
            .exit_code == 66);
  auto r = Run({"erase", "--data", dir, "--subject", s1, "--reason", "gdpr_art17"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("subject " + s1 + " erased") && Catch::Contains("destroyed"));
  auto again = Run({"erase", "--data", dir, "--subject", s1, "--reason", "gdpr_art17"});
  CHECK(again.exit_code == 67);
  CHECK_THAT(again.err, Catch::Contains("ROL-16"));
  // The audit (no master key needed) reports the erasure as not yet final ...
  // (Outside demo mode: the demo master key in the data dir would be refused.)
  const std::string demo_env = std::getenv("CASELEDGER_DEMO") ? std::getenv("CASELEDGER_DEMO") : "";
  ::unsetenv("CASELEDGER_DEMO");
  auto audit = Run({"audit", "--data", dir, "--json"});
  if (!demo_env.empty()) ::setenv("CASELEDGER_DEMO", demo_env.c_str(), 1);
  INFO(audit.err);
  REQUIRE(audit.exit_code == 0);
  auto erasures = Json::parse(audit.out)["erasures"];
  CHECK(erasures["pending_owners"] == Json::array({s1}));
  CHECK(erasures["made_final"] == 0);
  CHECK_THAT(Run({"audit", "--data", dir}).out, Catch::Contains("1 pending"));
  auto rotate = Run({"keys", "rotate", "--data", dir});
  CHECK(rotate.exit_code == 0);
  CHECK_THAT(rotate.out, Catch::Contains("1 erasures made final"));
  // ... and final after the rotation.
  erasures = Json::parse(Run({"audit", "--data", dir, "--json"}).out)["erasures"];
  CHECK(erasures["pending"] == 0);
  CHECK(erasures["made_final"] == 1);
  CHECK(VerifiedEvents(dir) >= 4);  // 2 concerns, the DPO, the erasure (+ the refusal)
  // The erased subject's events (ciphertext whose key is gone) still verify
  // offline, in a bundle of the whole log.
  const std::string bundle = tmp / "bundle";
  REQUIRE(Run({"export-bundle", "--data", dir, "--out", bundle}).exit_code == 0);
  CHECK(ReadFile(bundle + "/events.jsonl").find(s1) != std::string::npos);
  CHECK(Run({"verify-bundle", bundle}).exit_code == 0);
}

TEST_CASE("the audit of a tampered data dir names the first bad seq and still completes",
          "[e2e][audit]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2) + ConcernLine(3)).exit_code == 0);
  auto clean = Run({"audit", "--data", dir, "--json"});
  REQUIRE(clean.exit_code == 0);
  CHECK(Json::parse(clean.out)["integrity"]["verified"] == true);
  const std::string note = Json::parse(clean.out)["integrity"]["latest_checkpoint"]["note"];
  WriteFile(tmp / "previous.txt", note);

  // One character of event 2's signature changed in the file itself.
  TamperSignature(dir, 2);

  auto r = Run({"audit", "--data", dir, "--json", "--previous-checkpoint", tmp / "previous.txt"});
  CHECK(r.exit_code == 1);  // the report is printed, the exit says it failed
  const auto report = Json::parse(r.out);
  REQUIRE(report["integrity"]["verified"] == false);
  CHECK(report["integrity"].value("first_bad_seq", 0) == 2);
  CHECK_THAT(report["integrity"]["problem"].get<std::string>(), Catch::Contains("signature"));
  // The rest is computed from what is stored.
  CHECK(report["cases"] == 3);
  CHECK(report["flags"].size() == 9);
  CHECK(report["integrity"]["consistency"]["consistent"] == true);
  auto text = Run({"audit", "--data", dir});
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("THE LOG DOES NOT VERIFY: first bad seq 2") &&
                           Catch::Contains("FLAG-24H"));
}

TEST_CASE("history: each event of a case with its verification, as text, JSON and HTML",
          "[e2e][history]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2) + ConcernLine(3)).exit_code == 0);
  const std::string c2 = SyntheticId('c', 2);
  auto clean = Run({"history", "--data", dir, "--case", c2, "--json"});
  INFO(clean.err);
  REQUIRE(clean.exit_code == 0);
  auto doc = Json::parse(clean.out);
  CHECK(doc["case"] == c2);
  REQUIRE(doc["entries"].size() == 1);
  CHECK(doc["entries"][0]["seq"] == 2);
  CHECK(doc["entries"][0]["type"] == "concern.reported");
  CHECK(doc["entries"][0]["verification"]["signature_valid"] == true);
  CHECK(doc["entries"][0]["verification"]["included"] == true);
  CHECK(doc["checkpoint"]["size"] == 3);
  CHECK(doc["verification"]["all_verified"] == true);
  // Headers only: the (encrypted) body is not in it, let alone its text.
  CHECK_FALSE(doc["entries"][0].contains("body"));
  CHECK(clean.out.find("synthetic narrative") == std::string::npos);
  CHECK_THAT(Run({"history", "--data", dir, "--case", c2}).out,
             Catch::Contains("all 1 events verify") && Catch::Contains("concern.reported"));
  auto html = Run({"history", "--data", dir, "--case", c2, "--html", "--out", tmp / "h.html"});
  CHECK(html.exit_code == 0);
  CHECK_THAT(html.out, Catch::Contains("case history written to"));
  CHECK_THAT(ReadFile(tmp / "h.html"), Catch::Contains("All 1 events verify") &&
                                           Catch::Contains("id=\"seq-2\"") &&
                                           Catch::Contains("signature valid"));
  CHECK(Run({"history", "--data", dir, "--case", c2, "--json", "--html"}).exit_code == 64);
  CHECK(Run({"history", "--data", dir, "--case", "c-nope"}).exit_code == 65);
  CHECK(Run({"history", "--data", dir, "--case", SyntheticId('c', 9)}).exit_code == 66);
  CHECK(Run({"history", "--data", tmp / "nothing", "--case", c2}).exit_code == 66);
  CHECK(Run({"history", "--data", dir, "--case", c2, "--out", tmp / "no/such/dir/h.txt"}).exit_code == 74);

  // One character of event 2's signature changed in the file itself.
  TamperSignature(dir, 2);
  auto bad = Run({"history", "--data", dir, "--case", c2, "--json"});
  CHECK(bad.exit_code == 1);  // written either way; the exit says it failed
  doc = Json::parse(bad.out);
  CHECK(doc["entries"][0]["verification"]["signature_valid"] == false);
  CHECK(doc["entries"][0]["verification"]["included"] == true);  // the leaf excludes sig
  CHECK(doc["verification"]["all_verified"] == false);
  auto bad_html = Run({"history", "--data", dir, "--case", c2, "--html"});
  CHECK(bad_html.exit_code == 1);
  CHECK_THAT(bad_html.out, Catch::Contains("1 OF 1 EVENTS DO NOT VERIFY") &&
                               Catch::Contains("SIGNATURE INVALID"));
  // The other cases are untouched.
  CHECK(Run({"history", "--data", dir, "--case", SyntheticId('c', 1)}).exit_code == 0);
}

TEST_CASE("audit and stats write HTML pages rendered from their JSON", "[e2e][html]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2)).exit_code == 0);
  auto audit = Run({"audit", "--data", dir, "--html"});
  INFO(audit.err);
  CHECK(audit.exit_code == 0);
  CHECK_THAT(audit.out, Catch::StartsWith("<!DOCTYPE html>") && Catch::Contains("The log verifies") &&
                            Catch::Contains("id=\"flag-FLAG-24H\""));
  CHECK(Run({"audit", "--data", dir, "--html", "--out", tmp / "a.html"}).exit_code == 0);
  CHECK_THAT(ReadFile(tmp / "a.html"), Catch::Contains("The log verifies"));
  CHECK(Run({"audit", "--data", dir, "--html", "--json"}).exit_code == 64);
  // The year of the two concerns (the server's time of the import).
  const auto years = Json::parse(Run({"stats", "--data", dir, "--json"}).out)["years"];
  REQUIRE(years.size() == 1);
  const std::string year = std::to_string(years[0]["year"].get<int>());
  auto stats = Run({"stats", "--data", dir, "--year", year, "--html"});
  CHECK(stats.exit_code == 0);
  CHECK_THAT(stats.out, Catch::Contains("<title>Statistics " + year + "</title>") &&
                            Catch::Contains("id=\"year-" + year + "\""));
  // Two concerns are fewer than 5: suppressed, never printed.
  CHECK_THAT(stats.out, Catch::Contains("&lt; 5"));
  CHECK(stats.out.find(">2<") == std::string::npos);
  CHECK(Run({"stats", "--data", dir, "--html", "--out", tmp / "s.html"}).exit_code == 0);
  CHECK_THAT(ReadFile(tmp / "s.html"), Catch::Contains("id=\"year-"));
}

TEST_CASE("retention run reports through the CLI, as text and JSON", "[e2e][retention]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1)).exit_code == 0);
  CHECK(Run({"retention", "run", "--data", dir}).exit_code == 66);  // no DPO to act for
  REQUIRE(Run({"user", "add", "--data", dir, "--role", "dpo", "--name", "Synthetic dpo"}).exit_code == 0);
  auto r = Run({"retention", "run", "--data", dir});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("policy unfounded 30 days, closed 5 years (defaults)") &&
                        Catch::Contains("erased now: 0"));
  auto j = Run({"retention", "run", "--data", dir, "--json"});
  REQUIRE(j.exit_code == 0);
  auto report = Json::parse(j.out);
  CHECK(report["subjects"] == 1);
  CHECK(report["erased"].empty());
  CHECK(report["policy"]["source"] == "defaults (DESIGN §7.3)");
}

// Witness quorum (docs/formats/cosignature.md): the bundle's and the
// evidence's checkpoint note with cosignature lines made by crypto::Cosign,
// checked by our CLI and by the independent Python verifiers (Debian's
// python3, as in CI): the same exit codes, the same witness lines.

// `s` quoted for sh.
std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs tools/<script> with /usr/bin/python3 on `args`.
RunResult RunPython(const std::string& script, const std::vector<std::string>& args) {
  TempDir tmp;
  std::string cmd = "/usr/bin/python3 " + ShellQuote(std::string(CASELEDGER_SOURCE_DIR) + "/tools/" + script);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " >" + ShellQuote(tmp / "out") + " 2>" + ShellQuote(tmp / "err") + " </dev/null";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(tmp / "out");
  r.err = ReadFile(tmp / "err");
  return r;
}

struct TestWitness {
  std::string name;
  crypto::Ed25519SigningKey key;
  std::string vkey() const { return crypto::CosignerVerifier::For(name, key.public_key()).ToString(); }
  // Its cosignature line over note text `text`.
  std::string Line(const std::string& text) const {
    auto line = crypto::Cosign(text, name, key, 1700000000);
    REQUIRE(line.ok());
    return *line;
  }
  // The same with one character of the signature changed.
  std::string AlteredLine(const std::string& text) const {
    std::string line = Line(text);
    char& c = line[line.size() - 12];
    c = c == 'A' ? 'B' : 'A';
    return line;
  }
};

TestWitness MakeWitness(const std::string& name, std::uint8_t first) {
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  auto key = crypto::Ed25519SigningKey::FromSeed(seed);
  REQUIRE(key.ok());
  return {name, std::move(key).value()};
}

// The text of a signed note: up to and including the "\n" before the blank line.
std::string NoteText(const std::string& note) { return note.substr(0, note.find("\n\n") + 1); }

// Runs `verify` (verify-bundle or verify-evidence) on `path` with `args`,
// ours and the Python tool's; both must exit `want`, and print `says` if given.
void ExpectBoth(int want, const std::string& verify, const std::string& path,
                const std::vector<std::string>& args, const std::string& says = "") {
  std::vector<std::string> ours_args = {verify, path};
  ours_args.insert(ours_args.end(), args.begin(), args.end());
  std::vector<std::string> py_args = {path};
  py_args.insert(py_args.end(), args.begin(), args.end());
  const RunResult ours = Run(ours_args);
  const RunResult py =
      RunPython(verify == "verify-bundle" ? "verify_bundle.py" : "verify_evidence.py", py_args);
  INFO(verify << " " << path.substr(path.rfind('/') + 1) << " with " << args.size()
              << " arguments\nours:   " << ours.out << ours.err << "\npython: " << py.out
              << py.err);
  CHECK(ours.exit_code == want);
  CHECK(py.exit_code == want);
  if (!says.empty()) {
    CHECK_THAT(ours.out, Catch::Contains(says));
    CHECK_THAT(py.out, Catch::Contains(says));
  }
}

TEST_CASE("witness quorum: verify-bundle and verify-evidence, ours and the Python tools agree",
          "[e2e][witness]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir, "--origin", "example.invalid/quorum"}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 12; ++i) input += CommandLine(i);
  REQUIRE(Run({"import", "--data", dir}, input).exit_code == 0);
  const std::string plain = tmp / "plain";
  REQUIRE(Run({"export-bundle", "--data", dir, "--out", plain}).exit_code == 0);
  REQUIRE(Run({"evidence", "--data", dir, "--seq", "5", "--out", tmp / "plain.json"}).exit_code == 0);
  const std::string note = ReadFile(plain + "/checkpoint.txt");
  const std::string text = NoteText(note);

  const TestWitness w1 = MakeWitness("witness.example/w1", 0x00);
  const TestWitness w2 = MakeWitness("witness.example/w2", 0x20);
  const TestWitness w3 = MakeWitness("witness.example/w3", 0x60);
  const TestWitness w4 = MakeWitness("witness.example/w4", 0x80);  // never given
  // w1 and w2 cosigned; w3 did not; w4's line (altered) is not by a given key.
  const std::string good_note = note + w1.Line(text) + w2.Line(text) + w4.AlteredLine(text);
  // w1 and w2 cosigned; w3's cosignature is altered.
  const std::string bad_note = note + w1.Line(text) + w2.Line(text) + w3.AlteredLine(text);

  // The same bundle and evidence, with `cosigned` as their checkpoint note.
  auto bundle_with = [&](const std::string& name, const std::string& cosigned) {
    const std::string b = tmp / name;
    std::filesystem::copy(plain, b);
    WriteFile(b + "/checkpoint.txt", cosigned);
    return b;
  };
  auto evidence_with = [&](const std::string& name, const std::string& cosigned) {
    Json doc = Json::parse(ReadFile(tmp / "plain.json"));
    doc["checkpoint"] = cosigned;
    WriteFile(tmp / name, ledger::CanonicalJson(doc) + "\n");
    return tmp / name;
  };
  const std::vector<std::string> all3 = {"--witness", w1.vkey(), "--witness", w2.vkey(),
                                         "--witness", w3.vkey()};
  auto with = [](std::vector<std::string> v, std::initializer_list<std::string> more) {
    v.insert(v.end(), more);
    return v;
  };
  std::string log_vkey = ReadFile(dir + "/ledger.pub");
  log_vkey.pop_back();
  const std::string two_of_three =
      "witnesses (quorum 2 of 3): cosigned: witness.example/w1, witness.example/w2; "
      "not cosigned: witness.example/w3";

  struct Kind {
    std::string verify, plain, good, bad;
  };
  const std::vector<Kind> kinds = {
      {"verify-bundle", plain, bundle_with("good", good_note), bundle_with("bad", bad_note)},
      {"verify-evidence", tmp / "plain.json", evidence_with("good.json", good_note),
       evidence_with("bad.json", bad_note)},
  };
  for (const Kind& k : kinds) {
    // Quorum 2 of the three given, two valid: verified.
    ExpectBoth(0, k.verify, k.good, with(all3, {"--quorum", "2"}), two_of_three);
    // Quorum 3 (the default: all given), only two: no witness quorum.
    ExpectBoth(4, k.verify, k.good, all3,
               "no witness quorum: only 2 of the 3 given witnesses cosigned the checkpoint; "
               "the quorum is 3");
    ExpectBoth(4, k.verify, k.good, with(all3, {"--quorum", "3"}));
    // An altered cosignature of a given witness: tampered, whatever the quorum.
    ExpectBoth(1, k.verify, k.bad, with(all3, {"--quorum", "2"}),
               "tampered: the cosignature of witness witness.example/w3 does not verify");
    ExpectBoth(1, k.verify, k.bad, with(all3, {"--quorum", "0"}));
    // A witness not given is ignored (w3's altered line, w4's).
    ExpectBoth(0, k.verify, k.bad, {"--witness", w1.vkey(), "--witness", w2.vkey()},
               "witnesses (quorum 2 of 2): cosigned: witness.example/w1, witness.example/w2; "
               "not cosigned: none");
    ExpectBoth(0, k.verify, k.good, {"--witness", w2.vkey(), "--quorum", "1"});
    // The same key twice is one witness.
    ExpectBoth(0, k.verify, k.good,
               {"--witness", w1.vkey(), "--witness", w1.vkey(), "--quorum", "1"},
               "witnesses (quorum 1 of 1)");
    // Without --witness: verified as before, cosignatures or not.
    ExpectBoth(0, k.verify, k.plain, {}, "verified");
    ExpectBoth(0, k.verify, k.good, {});
    ExpectBoth(0, k.verify, k.bad, {});
    // No cosignature at all, quorum 2: no witness quorum.
    ExpectBoth(4, k.verify, k.plain, {"--witness", w1.vkey(), "--witness", w2.vkey()},
               "cosigned: none");
    ExpectBoth(4, k.verify, k.plain,
               {"--witness", w1.vkey(), "--witness", w2.vkey(), "--quorum", "2"});
    // The keys from a file, one per line.
    WriteFile(tmp / "witnesses.txt", "# our witnesses\n" + w1.vkey() + "\n\n" + w2.vkey() +
                                         "\r\n" + w3.vkey() + "\n");
    ExpectBoth(0, k.verify, k.good, {"--witness", "@" + tmp / "witnesses.txt", "--quorum", "2"},
               two_of_three);
    // Bad command lines: 64.
    ExpectBoth(64, k.verify, k.good, {"--witness", w1.vkey(), "--quorum", "2"});
    ExpectBoth(64, k.verify, k.good, {"--quorum", "1"});
    ExpectBoth(64, k.verify, k.good, {"--witness", "witness.example/w1+00000000+AQID"});
    ExpectBoth(64, k.verify, k.good, {"--witness", log_vkey});  // type 0x01, not 0x04
    ExpectBoth(64, k.verify, k.good, {"--witness", "@" + tmp / "no-such-file"});
    // The log's own checks come first: an unknown log key stays unknown key.
    ExpectBoth(3, k.verify, k.good,
               with(all3, {"--quorum", "2", "--key",
                           "other.invalid+00000000+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}));
  }
}

TEST_CASE("witness quorum: audit and history check the latest stored checkpoint",
          "[e2e][witness]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  REQUIRE(Run({"import", "--data", dir}, ConcernLine(1) + ConcernLine(2)).exit_code == 0);
  const TestWitness w1 = MakeWitness("witness.example/w1", 0x00);
  const std::string c2 = SyntheticId('c', 2);
  // The stored checkpoint carries no cosignature: a quorum of 1 is not met.
  auto audit = Run({"audit", "--data", dir, "--witness", w1.vkey()});
  INFO(audit.err);
  CHECK(audit.exit_code == 4);
  CHECK_THAT(audit.out, Catch::Contains("the log verifies") &&
                            Catch::Contains("no witness quorum: only 0 of the 1 given witnesses") &&
                            Catch::Contains("cosigned: none; not cosigned: witness.example/w1"));
  auto json = Run({"audit", "--data", dir, "--json", "--witness", w1.vkey()});
  CHECK(json.exit_code == 4);
  CHECK(Json::parse(json.out)["integrity"]["verified"] == true);  // the document as documented
  CHECK_THAT(json.err, Catch::Contains("no witness quorum"));
  CHECK(Run({"audit", "--data", dir, "--witness", w1.vkey(), "--quorum", "0"}).exit_code == 0);
  CHECK(Run({"audit", "--data", dir, "--quorum", "1"}).exit_code == 64);

  auto history = Run({"history", "--data", dir, "--case", c2, "--witness", w1.vkey()});
  CHECK(history.exit_code == 4);
  CHECK_THAT(history.out, Catch::Contains("all 1 events verify") &&
                              Catch::Contains("not cosigned: witness.example/w1"));
  CHECK(Run({"history", "--data", dir, "--case", c2, "--html", "--witness", w1.vkey()}).exit_code == 4);
  CHECK(Run({"history", "--data", dir, "--case", c2, "--witness", w1.vkey(), "--quorum", "0"})
            .exit_code == 0);
  CHECK(Run({"history", "--data", dir, "--case", c2, "--witness", w1.vkey(), "--quorum", "2"})
            .exit_code == 64);
  // Without --witness: as before.
  CHECK(Run({"history", "--data", dir, "--case", c2}).exit_code == 0);
  CHECK(Run({"audit", "--data", dir}).exit_code == 0);

  // The cosignatures the node collected for the latest checkpoint (size 2)
  // in DIR/cosignatures (ledger/cosignature_store.h) count.
  const TestWitness w2 = MakeWitness("witness.example/w2", 0x20);
  const std::string note = Run({"checkpoint", "--data", dir}).out;
  REQUIRE(note.rfind("caseledger.invalid/demo\n2\n", 0) == 0);
  {
    auto store = ledger::CosignatureStore::Open(dir, /*read_only=*/false);
    REQUIRE(store.ok());
    REQUIRE((*store)->Add(2, note, {{w1.name, w1.Line(NoteText(note))}}, 1, 1700000000).ok());
  }
  auto met = Run({"audit", "--data", dir, "--witness", w1.vkey()});
  CHECK(met.exit_code == 0);
  CHECK_THAT(met.out, Catch::Contains("witnesses (quorum 1 of 1): cosigned: witness.example/w1"));
  CHECK(Run({"history", "--data", dir, "--case", c2, "--witness", w1.vkey()}).exit_code == 0);
  CHECK(Run({"audit", "--data", dir, "--witness", w1.vkey(), "--witness", w2.vkey()}).exit_code ==
        4);
  {
    auto store = ledger::CosignatureStore::Open(dir, /*read_only=*/false);
    REQUIRE(store.ok());
    REQUIRE((*store)->Add(2, note, {{w2.name, w2.AlteredLine(NoteText(note))}}, 1, 1700000000).ok());
  }
  // w2's line is altered: tampered when w2 is given, ignored when not.
  auto bad = Run({"audit", "--data", dir, "--json", "--witness", w1.vkey(), "--witness",
                  w2.vkey(), "--quorum", "1"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("the cosignature of witness witness.example/w2 does not verify"));
  CHECK(Run({"history", "--data", dir, "--case", c2, "--witness", w1.vkey(), "--witness",
             w2.vkey(), "--quorum", "1"})
            .exit_code == 1);
  CHECK(Run({"audit", "--data", dir, "--witness", w1.vkey()}).exit_code == 0);
}

}  // namespace
}  // namespace caseledger::testing
