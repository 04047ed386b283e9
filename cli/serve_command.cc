// `caseledger serve`: the HTTP API on an open domain ledger, until SIGINT or
// SIGTERM, over HTTPS with --tls-cert/--tls-key. The one place where the
// service meets the Beast server.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "app/retention.h"
#include "base/progress_board.h"
#include "cluster/node.h"
#include "http/client.h"
#include "http/server.h"
#include "http/service.h"
#include "web/workspace.h"
#include "projections/projector.h"

namespace caseledger::cli {

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

// The server's retention task: runs RetentionRun on its own thread, first
// after min(60 s, every), then every `every`, until stopped. Logs counts only
// (no subject ids: the report is for the DPO, through `retention run`).
// `progress` (may be empty): each run's subjects done of those due.
class RetentionTask {
 public:
  RetentionTask(ledger::Ledger& ledger, projections::ProjectionDbs dbs, std::chrono::seconds every,
                ProgressFn progress)
      : ledger_(ledger), dbs_(dbs), every_(every), progress_(std::move(progress)) {
    if (every_.count() > 0) thread_ = std::thread([this] { Loop(); });
  }
  ~RetentionTask() { Stop(); }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    auto wait = std::min<std::chrono::seconds>(std::chrono::seconds(60), every_);
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, wait, [&] { return stop_; })) {
      lock.unlock();
      RunOnce();
      lock.lock();
      wait = every_;
    }
  }
  void RunOnce() {
    auto policy = projections::ReadRetentionPolicy(ledger_.store(), dbs_);
    auto actor = policy.ok() ? app::RetentionActor(ledger_.store(), dbs_, *policy)
                             : Result<std::string>(policy.status());
    if (!actor.ok()) {
      std::cerr << "caseledger: retention: not run (" << StatusCodeName(actor.status().code())
                << ": " << actor.status().message() << ")\n";
      return;
    }
    auto run = app::RunRetention(ledger_, dbs_, *actor, ledger::NowMicros(),
                                 app::kRetentionSoonWindow, progress_);
    if (!run.ok()) {
      std::cerr << "caseledger: retention: failed (" << StatusCodeName(run.status().code()) << ")\n";
      return;
    }
    std::cerr << "caseledger: retention: erased " << run->erased.size() << ", refused "
              << run->failed.size() << ", held by a legal hold " << run->plan.held.size()
              << ", due within 30 days " << run->plan.soon.size() << "\n";
  }

  ledger::Ledger& ledger_;
  projections::ProjectionDbs dbs_;
  std::chrono::seconds every_;
  ProgressFn progress_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Watches the writer: once it has failed for good (it could not rebuild its
// state from the disk after a storage failure) the server stops as on SIGTERM
// and `serve` exits with kExitStorageFailed, so that a supervisor restarts it
// (docs/operations.md "Storage failures"). A suspension (degraded) is left to
// the writer, which resumes by itself.
class WriterWatch {
 public:
  explicit WriterWatch(ledger::Writer& writer) : writer_(writer) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~WriterWatch() { Stop(); }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool failed() const { return failed_.load(); }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; })) {
      if (writer_.health().state != ledger::WriterHealth::State::kFailed) continue;
      failed_ = true;
      kill(getpid(), SIGTERM);  // taken by WaitForTerminationSignal
      return;
    }
  }
  ledger::Writer& writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

// The client API on an open domain ledger: the service, the web workspace,
// witnessing, the retention task and the writer's watch. What a single node
// serves, and what a cluster's leader serves for as long as it leads.
// `board` (may be null; must outlive the app): the long tasks' progress,
// shown in /metrics; the retention task reports there as "retention".
class ServeApp : public cluster::LeaderApp {
 public:
  static Result<std::unique_ptr<ServeApp>> Create(app::DomainLedger& ledger, const std::string& dir,
                                                  const ServeOptions& options,
                                                  const std::string& failpoints,
                                                  bool watch_writer, bool background = true,
                                                  ProgressBoard* board = nullptr) {
    std::unique_ptr<ServeApp> a(new ServeApp());
    CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
    http::ServiceOptions so;
    so.progress = board;
    if (failpoints.find("access-append") != std::string::npos) {
      so.fail_access_records = true;
      std::cerr << "caseledger: FAILPOINT access-append is set: every read of a case "
                   "will be refused (testing fail-closed reads)\n";
    }
    // Witnesses (docs/witnessing.md): <data>/witnesses, when present.
    CL_ASSIGN_OR_RETURN(auto witness_config, app::ReadWitnessConfig(dir));
    if (witness_config && background) {
      CL_ASSIGN_OR_RETURN(a->cosignatures_, ledger::CosignatureStore::Open(dir, /*read_only=*/false));
      app::WitnessingOptions wo;
      wo.witnesses = witness_config->witnesses;
      wo.quorum = witness_config->Quorum();
      // One client per witness thread: each keeps its own keep-alive connection.
      auto transport = [](const std::string& url, const std::string& body,
                          std::chrono::milliseconds timeout) -> Result<app::WitnessReply> {
        thread_local http::HttpClient client;
        auto r = client.Send("POST", url, body, "text/plain; charset=utf-8", {}, timeout,
                             std::size_t{1} << 20);
        if (!r.ok()) return r.status();
        return app::WitnessReply{r->status, r->content_type, std::move(r->body)};
      };
      a->witnessing_ = std::make_unique<app::Witnessing>(ledger.store(), *a->cosignatures_,
                                                         std::move(wo), transport);
      so.witnessing = a->witnessing_.get();
      so.cosignatures = a->cosignatures_.get();
      so.witness_config = *witness_config;
      std::cerr << "caseledger: asking " << witness_config->witnesses.size() << " witnesses, quorum "
                << witness_config->Quorum() << "\n";
    }
    CL_ASSIGN_OR_RETURN(a->service_, http::Service::Create(ledger, app::TokenPepper(master), so));
    // The web workspace (docs/web.md) on the same router, server and sign-in.
    web::WorkspaceOptions wo;
    wo.sessions.secure_cookie = !options.tls_cert.empty();  // sent back only over HTTPS
    if (witness_config && a->cosignatures_) {
      wo.witness_config = *witness_config;
      wo.cosignatures = a->cosignatures_.get();
    }
    CL_ASSIGN_OR_RETURN(a->workspace_,
                        web::Workspace::Create(ledger, a->service_->authenticator(), std::move(wo)));
    a->workspace_->AddRoutes(a->service_->mutable_router());
    // A cluster follower runs no retention (its leader does).
    const unsigned retention_every = background ? options.retention_every_s : 0;
    a->retention_ = std::make_unique<RetentionTask>(
        ledger.ledger(), ledger.dbs(), std::chrono::seconds(retention_every),
        board != nullptr && retention_every > 0 ? board->Track("retention") : ProgressFn());
    // A single node exits when its writer fails for good; a cluster's leader
    // steps down instead (cluster::Node watches the writer).
    if (watch_writer) a->watch_ = std::make_unique<WriterWatch>(ledger.writer());
    if (a->witnessing_) a->witnessing_->Start();
    return a;
  }
  ~ServeApp() override {
    if (watch_) watch_->Stop();
    if (witnessing_) witnessing_->Stop();
    if (retention_) retention_->Stop();  // a run in progress finishes its current erasure first
  }
  http::HttpResponse Handle(const http::HttpRequest& r) override { return service_->Handle(r); }
  // The writer failed for good (serve exits with kExitStorageFailed).
  bool writer_failed() const { return watch_ && watch_->failed(); }

 private:
  ServeApp() = default;
  std::unique_ptr<ledger::CosignatureStore> cosignatures_;
  std::unique_ptr<app::Witnessing> witnessing_;
  std::unique_ptr<http::Service> service_;
  std::unique_ptr<web::Workspace> workspace_;
  std::unique_ptr<RetentionTask> retention_;
  std::unique_ptr<WriterWatch> watch_;
};

// The writer's options of `serve`: resumption, the operator's log, and the
// fault injection of the end-to-end tests.
ledger::LedgerOptions ServeLedgerOptions(std::mutex& log_mu, const std::string& failpoints) {
  ledger::LedgerOptions lo;
  lo.writer.resume = true;  // a full disk freed needs no restart
  lo.writer.log = [&log_mu](std::string_view line) {
    std::lock_guard lock(log_mu);
    std::cerr << "storage ts=" << ledger::FormatTime(ledger::NowMicros()) << " " << line << "\n";
  };
  if (failpoints.find("storage-rewind") != std::string::npos) {
    lo.writer.fail_rewind = true;
    std::cerr << "caseledger: FAILPOINT storage-rewind is set: after a storage failure the "
                 "writer cannot rebuild its state (testing exit 74)\n";
  }
  return lo;
}

Result<std::unique_ptr<http::Server>> StartServer(const ServeOptions& options,
                                                  const std::pair<std::string, std::uint16_t>& listen,
                                                  http::RequestHandler handler, std::mutex& log_mu) {
  http::ServerOptions o;
  o.address = listen.first;
  o.port = listen.second;
  o.handler_threads = options.handler_threads;
  o.max_in_flight = options.max_in_flight;
  o.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  if (!options.tls_cert.empty() || !options.tls_key.empty())
    o.tls = http::TlsOptions{options.tls_cert, options.tls_key};
  return http::Server::Start(o, std::move(handler), [&log_mu](std::string_view line) {
    // Structured access log: time and the server's fields, no personal
    // data (no target, address or header values).
    std::lock_guard lock(log_mu);
    std::cerr << "access ts=" << ledger::FormatTime(ledger::NowMicros()) << " " << line << "\n";
  });
}

// `serve --cluster FILE`: one node of a replicated cluster (cluster/node.h).
int ServeCluster(const std::string& dir, const ServeOptions& options,
                 const std::pair<std::string, std::uint16_t>& listen, const std::string& failpoints) {
  auto config = cluster::ReadClusterConfig(options.cluster);
  if (!config.ok()) return Fail(config.status());
  std::mutex log_mu;
  ProgressBoard board;  // the leader's retention runs, in its /metrics
  cluster::NodeOptions no;
  no.config = *config;
  no.dir = dir;
  no.ledger = ServeLedgerOptions(log_mu, failpoints);
  no.make_app = [&dir, &options, &failpoints, &board](app::DomainLedger& ledger, bool leader)
      -> Result<std::unique_ptr<cluster::LeaderApp>> {
    CL_ASSIGN_OR_RETURN(std::unique_ptr<ServeApp> a,
                        ServeApp::Create(ledger, dir, options, failpoints, /*watch_writer=*/false,
                                         /*background=*/leader, &board));
    return std::unique_ptr<cluster::LeaderApp>(std::move(a));
  };
  no.log = [&log_mu](std::string_view line) {
    std::lock_guard lock(log_mu);
    std::cerr << "cluster ts=" << ledger::FormatTime(ledger::NowMicros()) << " " << line << "\n";
  };
  auto node = cluster::Node::Create(std::move(no));
  if (!node.ok()) return Fail(node.status());
  cluster::Node& n = **node;
  auto server = StartServer(options, listen, [&n](const http::HttpRequest& r) { return n.Handle(r); }, log_mu);
  if (!server.ok()) return Fail(server.status());
  std::cerr << "caseledger: cluster node " << config->node_id << " with " << config->peers.size()
            << " peers, " << config->min_acks << " follower acknowledgements per write\n";
  std::cout << "listening on " << listen.first << ":" << (*server)->port() << std::endl;
  n.Start();
  http::WaitForTerminationSignal();
  std::cerr << "caseledger: stopping\n";
  n.Stop();  // a leader drains its requests, stops its writer and resigns
  (*server)->Stop();
  server->reset();
  std::cerr << "caseledger: stopped; log size " << n.status().log_size << "\n";
  return kExitOk;
}

}  // namespace

int CmdServe(const std::string& dir, const ServeOptions& options) {
  // Before any thread starts (the writer's, the server's): a SIGTERM at any
  // moment waits for WaitForTerminationSignal and a graceful stop.
  http::BlockTerminationSignals();
  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return Fail(listen.status());
  // Fault injection for the end-to-end tests, announced in the log.
  const std::string failpoints = std::getenv("CASELEDGER_FAILPOINTS") != nullptr
                                     ? std::getenv("CASELEDGER_FAILPOINTS")
                                     : "";
  if (!options.cluster.empty()) return ServeCluster(dir, options, *listen, failpoints);
  // The writer's operator lines (storage failures, suspensions, resumption)
  // go to the same log as the access lines, one call at a time.
  std::mutex log_mu;
  // The long tasks' progress, in /metrics (docs/operations.md "Progress of
  // long tasks"). The projections' rebuild or catch-up runs while the data
  // dir opens, before the server listens: it is logged as it goes, and
  // /metrics shows how it ended.
  ProgressBoard board;
  const ProgressFn catch_up = board.Track("projections");
  auto ledger = app::OpenDomainLedger(
      dir, ServeLedgerOptions(log_mu, failpoints),
      [&log_mu, &catch_up](std::uint64_t done, std::uint64_t total) {
        catch_up(done, total);
        std::lock_guard lock(log_mu);
        std::cerr << "caseledger: projections: replayed " << done << " of " << total
                  << " events\n";
      });
  if (!ledger.ok()) return Fail(ledger.status());
  if (failpoints.find("storage-commit-eio") != std::string::npos) {
    (*ledger)->store().InjectCommitFailures(EIO, 1);
    std::cerr << "caseledger: FAILPOINT storage-commit-eio is set: the next commit fails "
                 "with EIO (testing storage failures)\n";
  }
  auto app = ServeApp::Create(**ledger, dir, options, failpoints, /*watch_writer=*/true,
                              /*background=*/true, &board);
  if (!app.ok()) return Fail(app.status());
  ServeApp& a = **app;
  auto server = StartServer(options, *listen, [&a](const http::HttpRequest& r) { return a.Handle(r); }, log_mu);
  if (!server.ok()) return Fail(server.status());
  if (!options.tls_cert.empty()) std::cerr << "caseledger: serving HTTPS only (TLS 1.2 and 1.3)\n";
  std::cout << "listening on " << listen->first << ":" << (*server)->port() << std::endl;
  http::WaitForTerminationSignal();
  const bool failed = a.writer_failed();
  std::cerr << "caseledger: stopping (finishing in-flight requests)\n";
  (*server)->Stop();
  server->reset();
  app->reset();
  (*ledger)->writer().Stop();
  std::cerr << "caseledger: stopped; log size " << (*ledger)->writer().size() << "\n";
  if (failed) {
    std::cerr << "caseledger: exiting with " << kExitStorageFailed
              << ": the writer cannot resume in this process (a restart reopens the data "
                 "directory)\n";
    return kExitStorageFailed;
  }
  return kExitOk;
}

}  // namespace caseledger::cli
