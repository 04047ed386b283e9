// The verifying mirror (app/mirror.h, ledger/mirror.h, cli/mirror_command.h)
// against a real node: a DomainLedger in a temporary data dir behind the HTTP
// API's Service, reached through an in-process transport (no sockets) with an
// auditor's token. Catch-up over several rounds with byte-equal events and a
// mirror that verifies as a ledger; a flipped byte refused with its seq and
// nothing stored; a bad checkpoint signature refused; a rewritten log (same
// key) detected as a fork at a smaller, the same and a larger size, both
// notes kept; the mirror's cosignature; `mirror serve`'s routes; the CLI
// verbs; and a [slow] mirror of 10^5 events.
#include "app/mirror.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "app/auth.h"
#include "app/domain_ledger.h"
#include "cli/mirror_command.h"
#include "crypto/cosignature.h"
#include "http/server.h"
#include "http/service.h"
#include "ledger/checkpoint.h"
#include "ledger/cosignature_store.h"
#include "ledger/ledger.h"
#include "ledger/mirror.h"
#include "ledger/proofs.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"

namespace caseledger::app {
namespace {

namespace fs = std::filesystem;

// A node: a DomainLedger and the HTTP API's Service over a data dir, with a
// DPO and an auditor registered. Close() and Open() let a test copy the dir.
struct Node {
  std::string path;
  std::unique_ptr<DomainLedger> ledger;
  std::unique_ptr<http::Service> service;
  std::string dpo_id;
  std::string auditor_token;
  int grown = 0;

  explicit Node(std::string dir) : path(std::move(dir)) {}
  void Init() {
    REQUIRE(ledger::InitDataDir(path, "test.invalid/mirrored").ok());
    Open();
    dpo_id = testing::NewId("u");
    Register(dpo_id, "dpo");
    const std::string aud = testing::NewId("u");
    auditor_token = Register(aud, "auditor");
  }
  void Open() {
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    ledger = OpenDomainLedger(path, std::move(lo)).value();
    auto master = ledger::LoadMasterKey(path).value();
    service = http::Service::Create(*ledger, TokenPepper(master)).value();
  }
  void Close() {
    service.reset();
    ledger.reset();
  }
  std::string Register(const std::string& id, const std::string& role) {
    auto master = ledger::LoadMasterKey(path).value();
    TokenHasher hasher(TokenPepper(master));
    IssuedToken t = NewToken(id, hasher);
    ledger::Command c;
    c.type = "user.registered";
    c.actor = dpo_id.empty() ? id : dpo_id;
    c.role = "dpo";
    c.h = Json{{"user", id}, {"role", role}, {"token_hash", t.hash}};
    c.body = Json{{"display_name", "Synthetic " + role + " " + std::to_string(grown++)}};
    auto r = ledger->writer().Submit(std::move(c)).get();
    REQUIRE(r.ok());
    return t.token;
  }
  // n more events (caseworkers registered), one batch each.
  void Grow(int n) {
    for (int i = 0; i < n; ++i) Register(testing::NewId("u"), "caseworker");
  }
  std::uint64_t Size() const { return ledger->writer().size(); }
  std::string Vkey() const { return testing::ReadFile(path + "/ledger.pub").substr(0, testing::ReadFile(path + "/ledger.pub").find('\n')); }
};

// The transport to a node's Service, with hooks that alter what is served.
struct Wire {
  http::Service* service = nullptr;
  std::function<void(const std::string& target, MirrorReply&)> tamper;
  int gets = 0;
  MirrorTransport Transport() {
    return [this](const std::string& target, const std::map<std::string, std::string>& headers,
                  std::chrono::milliseconds) -> Result<MirrorReply> {
      ++gets;
      if (service == nullptr) return Unavailable("connection refused");
      http::HttpRequest r;
      r.method = "GET";
      r.target = target;
      r.headers = headers;
      http::HttpResponse h = service->Handle(r);
      MirrorReply m{h.status, h.content_type, h.body};
      if (tamper) tamper(target, m);
      return m;
    };
  }
};

// A mirror dir initialised for `node`'s key, opened, with a Mirror over it.
struct TestMirror {
  testing::TempDir dir;
  std::string cosigner_vkey;
  std::optional<OpenedMirror> opened;
  std::unique_ptr<Mirror> mirror;
  std::int64_t now = 1700000000;

  TestMirror(const std::string& log_vkey, const std::string& token, MirrorTransport t,
             std::uint64_t page = 1000) {
    cosigner_vkey = InitMirrorDir(dir.path(), log_vkey, "auditor.test/mirror").value();
    opened.emplace(OpenMirrorDir(dir.path()).value());
    MirrorOptions o;
    o.token = token;
    o.page = page;
    o.threads = 2;
    o.now = [this] { return now; };
    o.cosigner_key = &opened->cosigner->key;
    o.cosigner_name = opened->cosigner->verifier.name;
    o.cosignatures = opened->cosignatures.get();
    mirror = std::make_unique<Mirror>(dir.path(), *opened->log, opened->verifier, std::move(o),
                                      std::move(t));
  }
  ledger::LogStore& log() { return *opened->log; }
  void Close() {
    mirror.reset();
    opened.reset();
  }
};

std::uint64_t SizeOf(ledger::LogStore& s) {
  auto snap = s.Read().value();
  return ledger::TreeSize(snap, s).value();
}

std::vector<std::string> Lines(ledger::LogStore& s) {
  auto snap = s.Read().value();
  std::vector<std::string> out;
  REQUIRE(ledger::ForEachEventLine(snap, s, 1, [&](std::uint64_t, std::string_view l) -> Result<bool> {
            out.emplace_back(l);
            return true;
          }).ok());
  return out;
}

std::string LatestNote(ledger::LogStore& s) {
  auto snap = s.Read().value();
  return ledger::LatestCheckpoint(snap, s).value().second;
}

std::vector<std::string> ForkFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir + "/forks", ec)) out.push_back(e.path().string());
  return out;
}

TEST_CASE("Mirror: catches up over rounds, byte for byte, verifies and cosigns", "[app][mirror]") {
  testing::TempDir nd;
  Node node(nd.path());
  node.Init();
  node.Grow(5);
  Wire wire{node.service.get(), {}, 0};
  // Pages of 3: every round takes several GETs.
  TestMirror m(node.Vkey(), node.auditor_token, wire.Transport(), 3);

  auto r1 = m.mirror->CatchUp();
  REQUIRE(r1.ok());
  CHECK(r1->held_before == 0);
  CHECK(r1->size == node.Size());
  CHECK(r1->added == node.Size());
  CHECK(r1->cosigned);

  // Nothing new: a round adds nothing and does not cosign again.
  auto r2 = m.mirror->CatchUp();
  REQUIRE(r2.ok());
  CHECK(r2->added == 0);
  CHECK(!r2->cosigned);

  for (int round = 0; round < 3; ++round) {
    node.Grow(4 + round);
    m.now += 10;
    auto r = m.mirror->CatchUp();
    REQUIRE(r.ok());
    CHECK(r->size == node.Size());
    CHECK(r->added == static_cast<std::uint64_t>(4 + round));
    CHECK(r->cosigned);
  }
  // Every event byte for byte, and the checkpoint as the node stored it.
  CHECK(Lines(m.log()) == Lines(node.ledger->store()));
  CHECK(LatestNote(m.log()) == LatestNote(node.ledger->store()));

  // The mirror's cosignature over the held checkpoint verifies.
  const auto cosigner = crypto::CosignerVerifier::Parse(m.cosigner_vkey).value();
  CHECK(testing::ReadFile(m.dir / "mirror.pub") == m.cosigner_vkey + "\n");
  auto entry = m.opened->cosignatures->At(node.Size()).value();
  REQUIRE(entry);
  CHECK(entry->log_note == LatestNote(m.log()));
  auto note = crypto::ParseNote(entry->Note()).value();
  int valid = 0;
  for (const crypto::NoteSignature& s : note.signatures) {
    auto t = crypto::VerifyCosignature(s, note.text, cosigner);
    if (t.ok()) {
      ++valid;
      CHECK(*t == static_cast<std::uint64_t>(m.now));
    }
  }
  CHECK(valid == 1);

  // `mirror serve`: the checkpoint with the cosignature, opening under the
  // log's key; proofs; entries only with the token.
  auto router = cli::MirrorRouter(m.log(), m.dir.path(), std::string("s3cret-mirror-token"));
  auto get = [&](const std::string& target, const std::string& token = "") {
    http::HttpRequest q;
    q.method = "GET";
    q.target = target;
    if (!token.empty()) q.headers["authorization"] = "Bearer " + token;
    return router->Handle(q);
  };
  auto cp = get("/v1/log/checkpoint");
  REQUIRE(cp.status == 200);
  CHECK(cp.body == entry->Note());
  const auto log_vkey = crypto::NoteVerifier::Parse(node.Vkey()).value();
  CHECK(ledger::OpenCheckpoint(cp.body, log_vkey).value().size == node.Size());
  auto incl = get("/v1/log/proof/inclusion?seq=2&size=" + std::to_string(node.Size()));
  CHECK(incl.status == 200);
  CHECK(incl.body == ledger::CanonicalJson(
                         ledger::InclusionProofJson(node.ledger->store(), 2, node.Size()).value()));
  auto cons = get("/v1/log/proof/consistency?from=3&to=" + std::to_string(node.Size()));
  CHECK(cons.status == 200);
  CHECK(cons.body == ledger::CanonicalJson(
                         ledger::ConsistencyProofJson(node.ledger->store(), 3, node.Size()).value()));
  CHECK(get("/v1/log/proof/inclusion?seq=0").status == 400);
  CHECK(get("/v1/log/entries?from=1&count=2").status == 401);
  CHECK(get("/v1/log/entries?from=1&count=2", "wrong-token").status == 401);
  auto entries = get("/v1/log/entries?from=1&count=2", "s3cret-mirror-token");
  REQUIRE(entries.status == 200);
  CHECK(entries.body == Lines(node.ledger->store())[0] + "\n" + Lines(node.ledger->store())[1] + "\n");
  auto no_token = cli::MirrorRouter(m.log(), m.dir.path(), std::nullopt);
  http::HttpRequest q{"GET", "/v1/log/entries", {{"authorization", "Bearer x"}}, "", "", nullptr};
  CHECK(no_token->Handle(q).status == 403);

  // A mirror of the mirror, through `mirror serve`'s routes.
  TestMirror m2(node.Vkey(), "s3cret-mirror-token",
                [&](const std::string& target, const std::map<std::string, std::string>& headers,
                    std::chrono::milliseconds) -> Result<MirrorReply> {
                  http::HttpRequest rq{"GET", target, headers, "", "", nullptr};
                  http::HttpResponse h = router->Handle(rq);
                  return MirrorReply{h.status, h.content_type, h.body};
                });
  auto r3 = m2.mirror->CatchUp();
  REQUIRE(r3.ok());
  CHECK(Lines(m2.log()) == Lines(node.ledger->store()));
  // The cosigned note is stored as the log signed it (cosignatures stripped).
  CHECK(LatestNote(m2.log()) == LatestNote(node.ledger->store()));

  // The mirror's dir verifies as a ledger (no keys needed).
  m.Close();
  auto v = ledger::VerifyLedger(m.dir.path()).value();
  CHECK(v.ok);
  CHECK(v.events == node.Size());
  CHECK(!fs::exists(m.dir / "node.key"));
  CHECK(!fs::exists(m.dir / "keystore"));
}

TEST_CASE("Mirror: a flipped byte is refused with its seq and nothing is stored",
          "[app][mirror][fault]") {
  testing::TempDir nd;
  Node node(nd.path());
  node.Init();
  node.Grow(3);
  Wire wire{node.service.get(), {}, 0};
  TestMirror m(node.Vkey(), node.auditor_token, wire.Transport(), 4);
  REQUIRE(m.mirror->CatchUp().ok());
  const std::uint64_t held = SizeOf(m.log());
  const std::string held_note = LatestNote(m.log());
  node.Grow(9);
  const std::uint64_t bad = held + 6;

  struct Flip {
    const char* what;
    std::function<void(std::string&)> edit;  // alters the one stored line
  };
  std::vector<Flip> flips = {
      {"signature", [](std::string& l) {
         auto p = l.find("\"sig\":\"") + 7 + 20;
         l[p] = l[p] == 'A' ? 'B' : 'A';
       }},
      {"header", [](std::string& l) {
         auto p = l.find("caseworker");
         l[p] = 'C';
       }},
      {"time", [](std::string& l) {
         auto p = l.find("\"time\":\"") + 8 + 3;
         l[p] = l[p] == '1' ? '2' : '1';
       }},
      {"non-canonical", [](std::string& l) { l.insert(1, " "); }},
  };
  for (const Flip& f : flips) {
    INFO(f.what);
    wire.tamper = [&](const std::string& target, MirrorReply& r) {
      if (!target.starts_with("/v1/log/entries")) return;
      // Find the line of seq `bad` in this page.
      const std::string key = "\"seq\":" + std::to_string(bad) + ",";
      auto at = r.body.find(key);
      if (at == std::string::npos) return;
      auto begin = r.body.rfind('\n', at);
      begin = begin == std::string::npos ? 0 : begin + 1;
      auto end = r.body.find('\n', at);
      std::string line = r.body.substr(begin, end - begin);
      f.edit(line);
      r.body.replace(begin, end - begin, line);
    };
    auto r = m.mirror->CatchUp();
    REQUIRE(!r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
    CHECK(!ledger::IsFork(r.status()));
    CHECK_THAT(r.status().message(), Catch::Contains("seq " + std::to_string(bad)));
    // Nothing stored: not even the good lines before it.
    CHECK(SizeOf(m.log()) == held);
    CHECK(LatestNote(m.log()) == held_note);
  }
  // The honest stream is then taken.
  wire.tamper = nullptr;
  auto ok = m.mirror->CatchUp();
  REQUIRE(ok.ok());
  CHECK(ok->size == node.Size());
  CHECK(Lines(m.log()) == Lines(node.ledger->store()));
}

TEST_CASE("Mirror: a bad or unknown checkpoint signature is refused", "[app][mirror][fault]") {
  testing::TempDir nd;
  Node node(nd.path());
  node.Init();
  node.Grow(2);
  Wire wire{node.service.get(), {}, 0};
  TestMirror m(node.Vkey(), node.auditor_token, wire.Transport());
  wire.tamper = [](const std::string& target, MirrorReply& r) {
    if (target != "/v1/log/checkpoint/latest") return;
    const auto dash = r.body.find("\xE2\x80\x94 ");
    const auto p = r.body.find(' ', dash + 4) + 20;
    r.body[p] = r.body[p] == 'A' ? 'B' : 'A';
  };
  auto r = m.mirror->CatchUp();
  REQUIRE(!r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  CHECK(SizeOf(m.log()) == 0);
  // A changed size in the body: the signature no longer covers it.
  wire.tamper = [](const std::string& target, MirrorReply& reply) {
    if (target != "/v1/log/checkpoint/latest") return;
    const auto nl = reply.body.find('\n');
    reply.body.insert(nl + 1, "1");
  };
  r = m.mirror->CatchUp();
  REQUIRE(!r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  CHECK(SizeOf(m.log()) == 0);

  // A mirror of another log's key: the node's note is by an unknown key.
  testing::TempDir other;
  REQUIRE(ledger::InitDataDir(other.path(), "test.invalid/mirrored").ok());
  const std::string other_vkey =
      testing::ReadFile(other / "ledger.pub").substr(0, testing::ReadFile(other / "ledger.pub").find('\n'));
  wire.tamper = nullptr;
  TestMirror stranger(other_vkey, node.auditor_token, wire.Transport());
  auto u = stranger.mirror->CatchUp();
  REQUIRE(!u.ok());
  CHECK(u.status().code() == StatusCode::kNotFound);
  CHECK(SizeOf(stranger.log()) == 0);

  // A token that may not read entries.
  TestMirror nobody(node.Vkey(), "not-a-token", wire.Transport());
  auto p = nobody.mirror->CatchUp();
  REQUIRE(!p.ok());
  CHECK((p.status().code() == StatusCode::kPermissionDenied));
}

TEST_CASE("Mirror: a log rewritten with the same key is a fork, both notes are kept",
          "[app][mirror][fault]") {
  // The honest node A, and B: a copy of A's data dir at k events (same key
  // and origin) that then appends other events.
  testing::TempDir ad, bd;
  Node a(ad.path());
  a.Init();
  a.Grow(4);
  const std::uint64_t k = a.Size();
  a.Close();
  fs::copy(ad.path(), bd.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  a.Open();
  Node b(bd.path());
  b.Open();
  b.dpo_id = a.dpo_id;
  b.grown = 100;

  Wire wire{a.service.get(), {}, 0};
  TestMirror m(a.Vkey(), a.auditor_token, wire.Transport());
  a.Grow(5);  // A: k + 5
  REQUIRE(m.mirror->CatchUp().ok());
  const std::uint64_t held = SizeOf(m.log());
  REQUIRE(held == k + 5);
  const std::string held_note = LatestNote(m.log());

  auto expect_fork = [&](std::uint64_t log_size, const std::string& log_note) {
    auto r = m.mirror->CatchUp();
    REQUIRE(!r.ok());
    CHECK(ledger::IsFork(r.status()));
    REQUIRE(m.mirror->fork());
    CHECK(m.mirror->fork()->log_size == log_size);
    auto files = ForkFiles(m.dir.path());
    REQUIRE(files.size() == 1);
    CHECK(files[0] == m.mirror->fork()->file);
    CHECK(fs::path(files[0]).filename().string() ==
          std::to_string(m.now) + "-" + std::to_string(log_size) + ".txt");
    const std::string text = testing::ReadFile(files[0]);
    CHECK_THAT(text, Catch::Contains(log_note));
    // Nothing changed in what the mirror holds.
    CHECK(SizeOf(m.log()) == held);
    CHECK(LatestNote(m.log()) == held_note);
    // Stopped: the next round refuses at once, and writes no second file.
    m.now += 1;
    auto again = m.mirror->CatchUp();
    CHECK(ledger::IsFork(again.status()));
    CHECK(ForkFiles(m.dir.path()).size() == 1);
    return text;
  };

  // B at a smaller size with another root.
  wire.service = b.service.get();
  b.Grow(2);
  {
    const std::string text = expect_fork(k + 2, LatestNote(b.ledger->store()));
    // The held note is the latest (no checkpoint of size k + 2 is held).
    CHECK_THAT(text, Catch::Contains(held_note));
    CHECK(m.mirror->fork()->held_size == held);
  }
  fs::remove_all(m.dir / "forks");
  m.now += 100;

  // B at the same size, another root.
  b.Grow(3);
  REQUIRE(b.Size() == held);
  {
    const std::string text = expect_fork(held, LatestNote(b.ledger->store()));
    CHECK_THAT(text, Catch::Contains(held_note));
    CHECK(m.mirror->fork()->held_size == held);
  }
  fs::remove_all(m.dir / "forks");
  m.now += 100;

  // B larger: its event held+1 is validly signed but its prev is B's root.
  b.Grow(3);
  {
    const std::string text = expect_fork(b.Size(), LatestNote(b.ledger->store()));
    CHECK_THAT(text, Catch::Contains(held_note));
    CHECK_THAT(text, Catch::Contains(Lines(b.ledger->store())[held]));
  }

  // The CLI maps a fork to exit 3 (documented in docs/mirror.md).
  CHECK(cli::kExitMirrorFork == 3);

  // A is still followed once the fork is cleared: the mirror held A's prefix.
  fs::remove_all(m.dir / "forks");
  wire.service = a.service.get();
  a.Grow(2);
  auto ok = m.mirror->CatchUp();
  REQUIRE(ok.ok());
  CHECK(Lines(m.log()) == Lines(a.ledger->store()));
}

TEST_CASE("Mirror: AppendVerified checks sizes and stores in one transaction", "[app][mirror]") {
  testing::TempDir nd;
  Node node(nd.path());
  node.Init();
  node.Grow(3);
  testing::TempDir md;
  const auto v = ledger::InitMirror(md.path(), node.Vkey()).value();
  // An existing ledger is refused.
  CHECK(ledger::InitMirror(md.path(), node.Vkey()).status().code() == StatusCode::kAlreadyExists);
  CHECK(ledger::InitMirror(nd.path(), node.Vkey()).status().code() == StatusCode::kAlreadyExists);
  auto store = ledger::LogStore::Open(md.path(), false).value();
  const auto lines = Lines(node.ledger->store());
  const std::string note = LatestNote(node.ledger->store());
  // Too few lines for the checkpoint's size.
  std::vector<std::string> short_lines(lines.begin(), lines.end() - 1);
  CHECK(ledger::AppendVerified(*store, v, short_lines, note).status().code() ==
        StatusCode::kFailedPrecondition);
  // Lines of another order: refused at the first seq out of place.
  std::vector<std::string> swapped = lines;
  std::swap(swapped[1], swapped[2]);
  auto s = ledger::AppendVerified(*store, v, swapped, note);
  CHECK(s.status().code() == StatusCode::kCorruption);
  CHECK_THAT(s.status().message(), Catch::Contains("seq 2"));
  CHECK(SizeOf(*store) == 0);
  auto ok = ledger::AppendVerified(*store, v, lines, note);
  REQUIRE(ok.ok());
  CHECK(ok->first_seq == 1);
  CHECK(ok->size == lines.size());
  store.reset();
  CHECK(ledger::VerifyLedger(md.path()).value().ok);
}

TEST_CASE("Mirror: the CLI verbs init and follow --once", "[app][mirror][cli]") {
  testing::TempDir nd, md;
  Node node(nd.path());
  node.Init();
  node.Grow(2);
  std::function<int()> run;
  auto parse = [&](std::vector<std::string> args) {
    CLI::App app;
    cli::AddMirrorVerbs(app, [&run](std::function<int()> what) { run = std::move(what); });
    std::vector<const char*> argv{"caseledger"};
    for (const auto& a : args) argv.push_back(a.c_str());
    run = nullptr;
    app.parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
    REQUIRE(run);
    return run();
  };
  CHECK(parse({"mirror", "init", "--data", md.path(), "--key", node.Vkey(), "--name",
               "auditor.test/m"}) == 0);
  CHECK(fs::exists(md / "mirror.pub"));
  CHECK(fs::exists(md / "mirror.key"));
  CHECK(testing::ReadFile(md / "ledger.pub") == node.Vkey() + "\n");
  // A second init is refused (65: the dir holds a mirror).
  CHECK(parse({"mirror", "init", "--data", md.path(), "--key", node.Vkey(), "--name",
               "auditor.test/m"}) == 65);
  // The cosigner name may not be the log's.
  testing::TempDir md2;
  CHECK(parse({"mirror", "init", "--data", md2.path(), "--key", node.Vkey(), "--name",
               "test.invalid/mirrored"}) == 65);
  // follow --once against an unreachable node: unavailable (75).
  testing::WriteFile(md / "token", node.auditor_token + "\n");
  CHECK(parse({"mirror", "follow", "--data", md.path(), "--from", "http://127.0.0.1:1",
               "--token-file", md / "token", "--once"}) == 75);

  // follow --once over a socket: the node's Service behind the real server
  // on 127.0.0.1 (http::HttpClient in the mirror).
  http::ServerOptions so;
  so.port = 0;
  auto server = http::Server::Start(
                    so, [&](const http::HttpRequest& r) { return node.service->Handle(r); })
                    .value();
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port());
  CHECK(parse({"mirror", "follow", "--data", md.path(), "--from", url, "--token-file",
               md / "token", "--once"}) == 0);
  node.Grow(3);
  CHECK(parse({"mirror", "follow", "--data", md.path(), "--from", url + "/", "--token-file",
               md / "token", "--once"}) == 0);
  server->Stop();
  {
    auto store = ledger::LogStore::Open(md.path(), true).value();
    CHECK(Lines(*store) == Lines(node.ledger->store()));
  }
  // A token that is not an auditor's: 77.
  testing::WriteFile(md / "bad-token", "nope\n");
  auto server2 = http::Server::Start(
                     so, [&](const http::HttpRequest& r) { return node.service->Handle(r); })
                     .value();
  CHECK(parse({"mirror", "follow", "--data", md.path(), "--from",
               "http://127.0.0.1:" + std::to_string(server2->port()), "--token-file",
               md / "bad-token", "--once"}) == 77);
  server2->Stop();
}

TEST_CASE("Mirror: 10^5 events, byte for byte", "[app][mirror][slow]") {
  testing::TempDir nd;
  REQUIRE(ledger::InitDataDir(nd.path(), "test.invalid/big").ok());
  ledger::LedgerOptions lo;
  lo.no_sync = true;
  auto node = ledger::Ledger::Open(nd.path(), std::move(lo)).value();
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kEvents = 100000;
  for (int done = 0; done < kEvents;) {
    std::vector<std::future<Result<ledger::Appended>>> fs;
    const int n = std::min(16384, kEvents - done);
    for (int i = 0; i < n; ++i) fs.push_back(node->writer().Submit(testing::SyntheticCommand(done + i)));
    for (auto& f : fs) REQUIRE(f.get().ok());
    done += n;
  }
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto router = cli::MirrorRouter(node->store(), nd.path(), std::string("big-token"));
  const std::string vkey = testing::ReadFile(nd / "ledger.pub").substr(0, testing::ReadFile(nd / "ledger.pub").find('\n'));
  TestMirror m(vkey, "big-token",
               [&](const std::string& target, const std::map<std::string, std::string>& headers,
                   std::chrono::milliseconds) -> Result<MirrorReply> {
                 http::HttpRequest rq{"GET", target, headers, "", "", nullptr};
                 http::HttpResponse h = router->Handle(rq);
                 return MirrorReply{h.status, h.content_type, h.body};
               });
  const auto t1 = std::chrono::steady_clock::now();
  auto r = m.mirror->CatchUp();
  const double mirror_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  REQUIRE(r.ok());
  CHECK(r->size == static_cast<std::uint64_t>(kEvents));
  WARN("built 10^5 events in " << build_s << " s; mirrored them in " << mirror_s << " s ("
                               << kEvents / mirror_s << " events/s)");
  CHECK(Lines(m.log()) == Lines(node->store()));
  CHECK(LatestNote(m.log()) == LatestNote(node->store()));
}

}  // namespace
}  // namespace caseledger::app
