// `caseledger mirror init|follow|serve` (docs/mirror.md): the verb group's
// argument parsing (AddMirrorVerbs, called by main.cc), the commands, and the
// read-only router of `mirror serve`.
#include "cli/mirror_command.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/mirror.h"
#include "cli/exit_codes.h"
#include "crypto/constant_time.h"
#include "http/client.h"
#include "http/server.h"
#include "ledger/mirror.h"
#include "ledger/proofs.h"
#include "ledger/time.h"

namespace caseledger::cli {

namespace {

// Reads the bearer token from `path`: its first line, surrounding white
// space removed. InvalidArgument if empty.
Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read the token file " + path);
  std::string token;
  std::getline(in, token);
  const auto first = token.find_first_not_of(" \t\r\n");
  const auto last = token.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return InvalidArgument("the token file " + path + " is empty");
  return token.substr(first, last - first + 1);
}

std::string Rate(double events, double seconds) {
  if (seconds <= 0) return "-";
  std::ostringstream o;
  o.precision(0);
  o << std::fixed << events / seconds << " events/s";
  return o.str();
}

// A query parameter as an integer in [lo, hi]; `fallback` when absent.
Result<std::uint64_t> UintParam(const http::QueryParams& q, std::string_view name,
                                std::uint64_t fallback, std::uint64_t lo, std::uint64_t hi) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  std::uint64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || (s.size() > 1 && s[0] == '0'))
    return InvalidArgument("query: " + std::string(name) + " is not a decimal number");
  if (v < lo || v > hi)
    return InvalidArgument("query: " + std::string(name) + " must be in " + std::to_string(lo) +
                           ".." + std::to_string(hi));
  return v;
}

Status OnlyParams(const http::QueryParams& q, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : q) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || k == a;
    if (!ok) return InvalidArgument("query: unknown parameter " + k);
  }
  return Status::Ok();
}

http::HttpResponse Text(std::string body, std::string content_type) {
  http::HttpResponse r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// The mirror's cosignatures, opened once they exist (the follower creates
// them after its first round; the server may start before).
class LazyCosignatures {
 public:
  explicit LazyCosignatures(std::string dir) : dir_(std::move(dir)) {}
  const ledger::CosignatureStore* Get() {
    std::lock_guard lock(mu_);
    if (!store_) {
      auto s = ledger::CosignatureStore::Open(dir_, /*read_only=*/true);
      if (s.ok()) store_ = std::move(s).value();
    }
    return store_.get();
  }

 private:
  std::string dir_;
  std::mutex mu_;
  std::unique_ptr<ledger::CosignatureStore> store_;
};

// Splits "ADDR:PORT" ("[v6]:PORT").
Result<std::pair<std::string, std::uint16_t>> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return InvalidArgument("--listen: ADDR:PORT expected");
  std::string addr = listen.substr(0, colon);
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  const std::string port = listen.substr(colon + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || v > 65535)
    return InvalidArgument("--listen: the port is not a number in 0..65535");
  return std::make_pair(addr, static_cast<std::uint16_t>(v));
}

void PrintRound(const app::CatchUpReport& r) {
  std::cout << "mirror: size " << r.size << " (+" << r.added << " events";
  if (r.added > 0) std::cout << ", " << Rate(static_cast<double>(r.added), r.seconds);
  std::cout << "), log size " << r.log_size;
  if (r.behind) std::cout << " (behind the mirror, consistent)";
  if (r.cosigned) std::cout << ", cosigned";
  std::cout << std::endl;
}

int ReportFork(const app::Mirror& m, const Status& s) {
  std::cerr << "caseledger: " << s.message() << "\n";
  if (const auto& f = m.fork()) {
    std::cout << "FORK: held checkpoint size " << f->held_size << ", the log's checkpoint size "
              << f->log_size << "; both notes in " << f->file << std::endl;
  }
  return kExitMirrorFork;
}

}  // namespace

int CmdMirrorInit(const std::string& dir, const std::string& log_vkey, const std::string& name) {
  auto vkey = app::InitMirrorDir(dir, log_vkey, name);
  if (!vkey.ok()) return Fail(vkey.status());
  std::cout << *vkey << "\n";
  return kExitOk;
}

int CmdMirrorFollow(const std::string& dir, const std::string& from_url,
                    const std::string& token_file, bool once, std::uint64_t interval_ms) {
  if (!once) http::BlockTerminationSignals();  // before any thread starts
  if (!from_url.starts_with("http://"))
    return Fail(InvalidArgument("--from: an http:// URL of the node expected"));
  auto token = ReadTokenFile(token_file);
  if (!token.ok()) return Fail(token.status());
  auto opened = app::OpenMirrorDir(dir);
  if (!opened.ok()) return Fail(opened.status());
  std::string base = from_url;
  while (base.ends_with('/')) base.pop_back();
  auto client = std::make_shared<http::HttpClient>();
  app::MirrorTransport transport =
      [client, base](const std::string& target, const std::map<std::string, std::string>& headers,
                     std::chrono::milliseconds timeout) -> Result<app::MirrorReply> {
    CL_ASSIGN_OR_RETURN(http::ClientResponse r,
                        client->Send("GET", base + target, "", "", headers, timeout));
    return app::MirrorReply{r.status, std::move(r.content_type), std::move(r.body)};
  };
  app::MirrorOptions o;
  o.token = std::move(token).value();
  o.cosigner_key = &opened->cosigner->key;
  o.cosigner_name = opened->cosigner->verifier.name;
  o.cosignatures = opened->cosignatures.get();
  app::Mirror mirror(dir, *opened->log, opened->verifier, std::move(o), std::move(transport));

  if (once) {
    auto r = mirror.CatchUp();
    if (!r.ok()) {
      if (ledger::IsFork(r.status())) return ReportFork(mirror, r.status());
      return Fail(r.status());
    }
    PrintRound(*r);
    return kExitOk;
  }
  std::cerr << "caseledger: mirroring " << opened->verifier.name << " from " << base << " every "
            << interval_ms << " ms\n";
  std::atomic<bool> done{false};
  std::thread signals([&] {
    http::WaitForTerminationSignal();
    if (!done.load()) std::cerr << "caseledger: stopping the mirror after this round\n";
    mirror.Stop();
  });
  Status s = mirror.Follow(std::chrono::milliseconds(interval_ms),
                           [](const Result<app::CatchUpReport>& r) {
                             if (r.ok()) {
                               PrintRound(*r);
                             } else if (!ledger::IsFork(r.status())) {
                               std::cerr << "caseledger: mirror round failed: "
                                         << r.status().ToString() << "\n";
                             }
                           });
  done = true;
  ::kill(::getpid(), SIGTERM);  // wakes the signal thread if no signal came
  signals.join();
  if (ledger::IsFork(s)) return ReportFork(mirror, s);
  return s.ok() ? kExitOk : Fail(s);
}

std::unique_ptr<http::Router> MirrorRouter(ledger::LogStore& log, const std::string& cosignatures_dir,
                                           std::optional<std::string> token,
                                           std::size_t max_entries) {
  auto router = std::make_unique<http::Router>();
  auto cosignatures = std::make_shared<LazyCosignatures>(cosignatures_dir);
  auto checkpoint = [&log, cosignatures](const http::HttpRequest&, const http::PathParams&,
                                         const http::QueryParams& q) {
    if (!q.empty()) return http::ErrorResponse(InvalidArgument("query: this resource takes none"));
    auto snap = log.Read();
    if (!snap.ok()) return http::ErrorResponse(snap.status());
    auto cp = ledger::LatestCheckpoint(*snap, log);
    if (!cp.ok()) return http::ErrorResponse(cp.status());
    std::string body = cp->second;
    if (const ledger::CosignatureStore* c = cosignatures->Get()) {
      auto at = c->At(cp->first);
      if (at.ok() && *at && (*at)->log_note == cp->second) body = (*at)->Note();
    }
    return Text(std::move(body), "text/plain; charset=utf-8");
  };
  router->Add("GET", "/v1/log/checkpoint", checkpoint);
  router->Add("GET", "/v1/log/checkpoint/latest", checkpoint);
  router->Add("GET", "/v1/log/entries",
              [&log, token = std::move(token), max_entries](const http::HttpRequest& r,
                                                            const http::PathParams&,
                                                            const http::QueryParams& q) {
                if (!token)
                  return http::ErrorResponse(PermissionDenied(
                      "this mirror serves raw log entries only when started with --token-file"));
                auto it = r.headers.find("authorization");
                const std::string given =
                    it != r.headers.end() && it->second.starts_with("Bearer ")
                        ? it->second.substr(7)
                        : std::string();
                if (given.empty() || !crypto::ConstantTimeEqual(given, *token)) {
                  http::HttpResponse e =
                      http::ErrorResponse(Unauthenticated("a valid bearer token is required"));
                  e.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"caseledger-mirror\"");
                  return e;
                }
                if (auto s = OnlyParams(q, {"from", "count"}); !s.ok()) return http::ErrorResponse(s);
                auto from = UintParam(q, "from", 1, 1, (std::uint64_t{1} << 53) - 1);
                if (!from.ok()) return http::ErrorResponse(from.status());
                auto count = UintParam(q, "count", 100, 1, max_entries);
                if (!count.ok()) return http::ErrorResponse(count.status());
                auto snap = log.Read();
                if (!snap.ok()) return http::ErrorResponse(snap.status());
                auto size = ledger::TreeSize(*snap, log);
                if (!size.ok()) return http::ErrorResponse(size.status());
                http::HttpResponse out;
                out.content_type = "application/jsonl";
                const std::uint64_t last = *from + *count - 1;
                Status s = ledger::ForEachEventLine(
                    *snap, log, *from, [&](std::uint64_t seq, std::string_view line) -> Result<bool> {
                      if (seq > last) return false;
                      out.body += line;
                      out.body += '\n';
                      return true;
                    });
                if (!s.ok()) return http::ErrorResponse(s);
                out.headers.emplace_back("X-Log-Size", std::to_string(*size));
                return out;
              });
  router->Add("GET", "/v1/log/proof/inclusion",
              [&log](const http::HttpRequest&, const http::PathParams&, const http::QueryParams& q) {
                if (auto s = OnlyParams(q, {"seq", "size"}); !s.ok()) return http::ErrorResponse(s);
                auto snap = log.Read();
                if (!snap.ok()) return http::ErrorResponse(snap.status());
                auto n = ledger::TreeSize(*snap, log);
                if (!n.ok()) return http::ErrorResponse(n.status());
                const std::uint64_t hi = std::max<std::uint64_t>(*n, 1);
                if (!q.contains("seq"))
                  return http::ErrorResponse(InvalidArgument("query: seq is required"));
                auto seq = UintParam(q, "seq", 0, 1, hi);
                if (!seq.ok()) return http::ErrorResponse(seq.status());
                auto size = UintParam(q, "size", *n, 1, hi);
                if (!size.ok()) return http::ErrorResponse(size.status());
                auto j = ledger::InclusionProofJson(log, *seq, *size);
                if (!j.ok()) return http::ErrorResponse(j.status());
                return Text(ledger::CanonicalJson(*j), "application/json");
              });
  router->Add("GET", "/v1/log/proof/consistency",
              [&log](const http::HttpRequest&, const http::PathParams&, const http::QueryParams& q) {
                if (auto s = OnlyParams(q, {"from", "to"}); !s.ok()) return http::ErrorResponse(s);
                auto snap = log.Read();
                if (!snap.ok()) return http::ErrorResponse(snap.status());
                auto n = ledger::TreeSize(*snap, log);
                if (!n.ok()) return http::ErrorResponse(n.status());
                const std::uint64_t hi = std::max<std::uint64_t>(*n, 1);
                if (!q.contains("from"))
                  return http::ErrorResponse(InvalidArgument("query: from is required"));
                auto from = UintParam(q, "from", 0, 1, hi);
                if (!from.ok()) return http::ErrorResponse(from.status());
                auto to = UintParam(q, "to", *n, 1, hi);
                if (!to.ok()) return http::ErrorResponse(to.status());
                auto j = ledger::ConsistencyProofJson(log, *from, *to);
                if (!j.ok()) return http::ErrorResponse(j.status());
                return Text(ledger::CanonicalJson(*j), "application/json");
              });
  router->Add("GET", "/healthz", [](const http::HttpRequest&, const http::PathParams&,
                                    const http::QueryParams&) {
    return Text("{\"status\":\"ok\"}", "application/json");
  });
  return router;
}

int CmdMirrorServe(const std::string& dir, const std::string& listen,
                   const std::optional<std::string>& token_file) {
  http::BlockTerminationSignals();  // before any thread starts
  auto where = ParseListen(listen);
  if (!where.ok()) return Fail(where.status());
  std::optional<std::string> token;
  if (token_file) {
    auto t = ReadTokenFile(*token_file);
    if (!t.ok()) return Fail(t.status());
    token = std::move(t).value();
  }
  auto log = ledger::LogStore::Open(dir, /*read_only=*/true);
  if (!log.ok()) return Fail(log.status());
  std::unique_ptr<http::Router> router = MirrorRouter(**log, dir, std::move(token));
  http::ServerOptions o;
  o.address = where->first;
  o.port = where->second;
  std::mutex log_mu;
  auto server = http::Server::Start(
      o, [&router](const http::HttpRequest& r) { return router->Handle(r); },
      [&log_mu](std::string_view line) {
        std::lock_guard lock(log_mu);
        std::cerr << "mirror ts=" << ledger::FormatTime(ledger::NowMicros()) << " " << line << "\n";
      });
  if (!server.ok()) return Fail(server.status());
  std::cerr << "caseledger: serving the mirror of " << (*log)->origin() << " read-only\n";
  std::cout << "listening on " << where->first << ":" << (*server)->port() << std::endl;
  http::WaitForTerminationSignal();
  std::cerr << "caseledger: stopping the mirror server\n";
  (*server)->Stop();
  return kExitOk;
}

void AddMirrorVerbs(CLI::App& app, std::function<void(std::function<int()>)> set_run) {
  struct MirrorArgs {
    std::string dir;
    std::string key;
    std::string name;
    std::string from;
    std::string token_file;
    std::optional<std::string> serve_token_file;
    bool once = false;
    std::uint64_t interval_ms = 1000;
    std::string listen = "127.0.0.1:8081";
  };
  static MirrorArgs a;
  auto set = std::make_shared<std::function<void(std::function<int()>)>>(std::move(set_run));
  auto* mirror = app.add_subcommand(
      "mirror", "a verifying mirror: an auditor's own verified copy of a caseledger log "
                "(docs/mirror.md)");
  mirror->require_subcommand(1);

  auto* init = mirror->add_subcommand(
      "init", "create a mirror: its cosigner key and an empty log for the given log key; prints "
              "the cosigner vkey (also in <data>/mirror.pub)");
  init->add_option("--data", a.dir, "the mirror's data directory")->required();
  init->add_option("--key", a.key, "the log's verifier key (its ledger.pub), obtained "
                                   "independently")
      ->required();
  init->add_option("--name", a.name, "the mirror's cosigner name (distinct from any witness)")
      ->required();
  init->callback([set] { (*set)([] { return CmdMirrorInit(a.dir, a.key, a.name); }); });

  auto* follow = mirror->add_subcommand(
      "follow", "catch up with a node over HTTP, verifying everything before storing it; exit 3 "
                "on a fork");
  follow->add_option("--data", a.dir, "the mirror's data directory")->required();
  follow->add_option("--from", a.from, "the node's base URL, http://host:port")->required();
  follow->add_option("--token-file", a.token_file, "a file holding an auditor's bearer token")
      ->required();
  follow->add_flag("--once", a.once, "one round, then exit");
  follow->add_option("--interval-ms", a.interval_ms, "time between rounds (default 1000)");
  follow->callback([set] {
    (*set)([] { return CmdMirrorFollow(a.dir, a.from, a.token_file, a.once, a.interval_ms); });
  });

  auto* serve = mirror->add_subcommand(
      "serve", "serve the mirror read-only: checkpoint (with the mirror's cosignature), proofs, "
               "and entries with --token-file");
  serve->add_option("--data", a.dir, "the mirror's data directory")->required();
  serve->add_option("--listen", a.listen, "ADDR:PORT to listen on (default 127.0.0.1:8081)");
  serve->add_option("--token-file", a.serve_token_file,
                    "a file holding the bearer token /v1/log/entries requires (without it, "
                    "entries are not served)");
  serve->callback([set] {
    (*set)([] { return CmdMirrorServe(a.dir, a.listen, a.serve_token_file); });
  });
}

}  // namespace caseledger::cli
