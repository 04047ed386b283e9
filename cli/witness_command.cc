// `caseledger witness init|add-log|serve|evidence`: a C2SP tlog-witness
// v1.0.0 witness (witness/witness.h, docs/witness.md) for a supervisory body.
// `serve` is the one place where the witness meets the Beast server.
#include <chrono>
#include <iostream>
#include <mutex>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "http/server.h"
#include "ledger/time.h"
#include "witness/witness_dir.h"

namespace caseledger::cli {

namespace {

// The route pattern of a target, for the access log (never the raw target:
// it may carry an origin).
std::string RouteOf(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == witness::kAddCheckpointPath) return std::string(path);
  if (path.starts_with("/checkpoint/")) return "/checkpoint/{origin}";
  return "";
}

}  // namespace

int CmdWitnessInit(const std::string& dir, const std::string& name,
                   const std::vector<std::string>& logs) {
  auto vkey = witness::InitWitnessDir(dir, name, logs);
  if (!vkey.ok()) return Fail(vkey.status());
  std::cout << *vkey << "\n";
  return kExitOk;
}

int CmdWitnessAddLog(const std::string& dir, const std::string& vkey) {
  auto store = witness::OpenWitnessStore(dir);
  if (!store.ok()) return Fail(store.status());
  Status s = (*store)->AddLogKey(vkey);
  if (!s.ok()) return Fail(s);
  auto v = crypto::NoteVerifier::Parse(vkey);
  std::cout << "trusting a key of log " << (v.ok() ? v->name : std::string("?"))
            << " (a running `witness serve` uses it after a restart)\n";
  return kExitOk;
}

int CmdWitnessEvidence(const std::string& dir) {
  auto store = witness::OpenWitnessStore(dir);
  if (!store.ok()) return Fail(store.status());
  auto lines = (*store)->EvidenceLines();
  if (!lines.ok()) return Fail(lines.status());
  for (const std::string& line : *lines) std::cout << line << "\n";
  return kExitOk;
}

int CmdWitnessServe(const std::string& dir, const std::string& listen,
                    std::uint16_t port) {
  // Before any thread starts: a SIGTERM at any moment waits for a graceful
  // stop.
  http::BlockTerminationSignals();
  auto opened = witness::OpenWitnessDir(dir);
  if (!opened.ok()) return Fail(opened.status());
  const witness::Witness& w = *opened->witness;
  std::mutex log_mu;
  http::ServerOptions o;
  o.address = listen;
  o.port = port;
  auto server = http::Server::Start(
      o,
      [&w](const http::HttpRequest& r) {
        witness::WitnessResponse wr = w.Route(r.method, r.target, r.body);
        http::HttpResponse h;
        h.status = wr.status;
        h.content_type = std::move(wr.content_type);
        h.body = std::move(wr.body);
        h.headers = std::move(wr.headers);
        h.route = RouteOf(r.target);
        return h;
      },
      [&log_mu](std::string_view line) {
        // One line per request: the server's fields, no note content, no
        // target, no address.
        std::lock_guard lock(log_mu);
        std::cerr << "witness ts=" << ledger::FormatTime(ledger::NowMicros())
                  << " " << line << "\n";
      });
  if (!server.ok()) return Fail(server.status());
  std::cerr << "caseledger: witness " << w.name() << " ("
            << w.verifier().ToString() << ") serving tlog-witness v1.0.0\n";
  std::cout << "listening on " << listen << ":" << (*server)->port()
            << std::endl;
  http::WaitForTerminationSignal();
  std::cerr
      << "caseledger: stopping the witness (finishing in-flight requests)\n";
  (*server)->Stop();
  server->reset();
  std::cerr << "caseledger: witness stopped\n";
  return kExitOk;
}

}  // namespace caseledger::cli
