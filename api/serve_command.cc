// `caseledger serve`: the HTTP API on an open domain ledger, until SIGINT or
// SIGTERM. The one place where the service meets the Beast server.
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "api/commands.h"
#include "api/exit_codes.h"
#include "api/server.h"
#include "api/service.h"

namespace caseledger::api {

namespace {

Result<std::pair<std::string, std::uint16_t>> ParseListen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    return InvalidArgument("--listen: expected ADDRESS:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("--listen: the port must be a number");
  const unsigned long p = std::stoul(port);
  if (p > 65535) return InvalidArgument("--listen: the port must be at most 65535");
  return std::pair{host, static_cast<std::uint16_t>(p)};
}

}  // namespace

int CmdServe(const std::string& dir, const ServeOptions& options) {
  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return Fail(listen.status());
  auto ledger = OpenDomainLedger(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  auto master = ledger::LoadMasterKey(dir);
  if (!master.ok()) return Fail(master.status());
  ServiceOptions so;
  if (const char* fp = std::getenv("CASELEDGER_FAILPOINTS"); fp != nullptr) {
    const std::string points = fp;
    if (points.find("access-append") != std::string::npos) {
      so.fail_access_records = true;
      std::cerr << "caseledger: FAILPOINT access-append is set: every read of a case "
                   "will be refused (testing fail-closed reads)\n";
    }
  }
  auto service = Service::Create(**ledger, TokenPepper(*master), so);
  if (!service.ok()) return Fail(service.status());
  ServerOptions o;
  o.address = listen->first;
  o.port = listen->second;
  o.handler_threads = options.handler_threads;
  o.max_in_flight = options.max_in_flight;
  o.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  Service& svc = **service;
  std::mutex log_mu;
  auto server = Server::Start(
      o, [&svc](const HttpRequest& r) { return svc.Handle(r); },
      [&log_mu](std::string_view line) {
        // Structured access log: time and the server's fields, no personal
        // data (no target, address or header values).
        std::lock_guard lock(log_mu);
        std::cerr << "access ts=" << ledger::FormatTime(ledger::NowMicros()) << " " << line
                  << "\n";
      });
  if (!server.ok()) return Fail(server.status());
  std::cout << "listening on " << listen->first << ":" << (*server)->port() << std::endl;
  WaitForTerminationSignal();
  std::cerr << "caseledger: stopping (finishing in-flight requests)\n";
  (*server)->Stop();
  server->reset();
  (*ledger)->writer().Stop();
  std::cerr << "caseledger: stopped; log size " << (*ledger)->writer().size() << "\n";
  return kExitOk;
}

}  // namespace caseledger::api
