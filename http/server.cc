// The HTTP/1.1 server's listener (after Beast's example/http/server/async
// and advanced): Server::Impl accepts on its own strand and starts a session
// per connection (http/session.cc), registered in ServerState so Stop can
// reach it; over max_connections it answers 503 and closes. Stop closes the
// acceptor, closes idle sessions, drains the rest within drain_timeout, then
// joins the io threads and the handler pool. With http/session.cc, the only
// translation units that include Beast/Asio (http/transport.h).
// See docs/api/server.md.
#include "http/server.h"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "http/transport.h"

namespace caseledger::http {

namespace {

// After the drain timeout, how long Stop waits for force-closed sessions.
constexpr std::chrono::milliseconds kForceCloseWait{1000};

std::string EndpointName(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, RequestHandler handler, AccessLogSink access_log)
      : state_(std::make_shared<ServerState>()),
        ioc_(static_cast<int>(options.io_threads)),
        work_(asio::make_work_guard(ioc_)),
        acceptor_(asio::make_strand(ioc_)),
        accept_backoff_(acceptor_.get_executor()),
        handler_pool_(options.handler_threads) {
    state_->options = std::move(options);
    state_->handler = std::move(handler);
    state_->access_log = std::move(access_log);
    state_->handler_pool = &handler_pool_;
    // Written raw, without waiting (Reject): the same status, headers and
    // body as a session's 503.
    const HttpResponse busy = Overloaded();
    rejection_ = "HTTP/1.1 " + std::to_string(busy.status) +
                 " Service Unavailable\r\nServer: caseledger\r\n"
                 "Content-Type: " + busy.content_type +
                 "\r\nCache-Control: no-store\r\n";
    for (const auto& [name, value] : busy.headers) rejection_ += name + ": " + value + "\r\n";
    rejection_ += "Connection: close\r\nContent-Length: " + std::to_string(busy.body.size()) +
                  "\r\n\r\n" + busy.body;
    rejection_body_bytes_ = busy.body.size();
  }

  ~Impl() { Stop(); }

  Status Listen() {
    const ServerOptions& o = state_->options;
    const std::string where = EndpointName(o.address, o.port);
    ErrorCode ec;
    const asio::ip::address address = asio::ip::make_address(o.address, ec);
    if (ec) return InvalidArgument("server: not an IP address: " + o.address);
    const tcp::endpoint endpoint(address, o.port);
    if (acceptor_.open(endpoint.protocol(), ec); ec)
      return IoError("server: cannot open a socket for " + where + ": " +
                     ec.message());
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec)
      return IoError("server: cannot set SO_REUSEADDR for " + where + ": " +
                     ec.message());
    if (acceptor_.bind(endpoint, ec); ec)
      return IoError("server: cannot bind " + where + ": " + ec.message());
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec)
      return IoError("server: cannot listen on " + where + ": " + ec.message());
    const tcp::endpoint bound = acceptor_.local_endpoint(ec);
    if (ec)
      return IoError("server: cannot read the bound port of " + where + ": " +
                     ec.message());
    port_ = bound.port();
    return Status::Ok();
  }

  void Run() {
    asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
    io_threads_.reserve(state_->options.io_threads);
    for (unsigned i = 0; i < state_->options.io_threads; ++i)
      io_threads_.emplace_back([this] { RunIo(); });
  }

  std::uint16_t port() const { return port_; }

  void Stop() {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    state_->stopping.store(true);
    if (!io_threads_.empty()) {
      // 1. Stop accepting; once the acceptor is closed, connects are refused.
      std::promise<void> closed;
      std::future<void> closed_future = closed.get_future();
      asio::post(acceptor_.get_executor(), [this, &closed] {
        ErrorCode ignored;
        acceptor_.close(ignored);
        accept_backoff_.cancel();
        closed.set_value();
      });
      closed_future.wait();
      // 2. Close idle connections; the others close after their response.
      for (auto& s : state_->LiveSessions()) s->PostServerStop();
      // 3. Drain, bounded.
      if (!WaitForNoSessions(state_->options.drain_timeout)) {
        for (auto& s : state_->LiveSessions()) s->PostForceClose();
        (void)WaitForNoSessions(kForceCloseWait);
      }
      // 4. Join the io threads (left-over handlers are destroyed with ioc_),
      //    then the handler pool.
      work_.reset();
      ioc_.stop();
      for (std::thread& t : io_threads_) t.join();
    }
    handler_pool_.join();
  }

 private:
  bool WaitForNoSessions(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(state_->sessions_mu);
    return state_->sessions_cv.wait_for(
        lock, timeout, [this] { return state_->sessions.empty(); });
  }

  void RunIo() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception&) {
        // A completion handler threw (Beast/Asio boundary): that session is
        // dropped, the others go on. No request data is in the message.
        std::fputs(
            "caseledger server: an io handler threw; its connection was "
            "dropped\n",
            stderr);
      }
    }
  }

  // On the acceptor's strand.
  void DoAccept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [this](ErrorCode ec, tcp::socket socket) {
                             OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(ErrorCode ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // For example EMFILE: back off so that a full descriptor table does
      // not turn the accept loop into a busy loop.
      accept_backoff_.expires_after(std::chrono::milliseconds(50));
      accept_backoff_.async_wait([this](ErrorCode wait_ec) {
        if (!wait_ec && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    if (state_->stopping.load()) {
      ErrorCode ignored;
      socket.close(ignored);
      return;
    }
    const std::uint64_t id = ++state_->next_connection;
    bool full;
    {
      std::lock_guard<std::mutex> lock(state_->sessions_mu);
      full = state_->sessions.size() >= state_->options.max_connections;
    }
    if (full) {
      Reject(std::move(socket), id);
    } else {
      ErrorCode ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      StartSession(std::move(socket), state_, id);
    }
    DoAccept();
  }

  // Over max_connections: a best-effort 503 without waiting, then close.
  void Reject(tcp::socket socket, std::uint64_t id) {
    ErrorCode ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(rejection_), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    state_->Log("-", "", 503, rejection_body_bytes_, Clock::duration::zero(),
                id, 0);
  }

  std::shared_ptr<ServerState> state_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_backoff_;
  asio::thread_pool handler_pool_;
  std::vector<std::thread> io_threads_;
  std::uint16_t port_ = 0;
  std::string rejection_;
  std::size_t rejection_body_bytes_ = 0;

  std::mutex stop_mu_;
  bool stopped_ = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::uint16_t Server::port() const { return impl_->port(); }

void Server::Stop() { impl_->Stop(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                              RequestHandler handler,
                                              AccessLogSink access_log) {
  if (!handler) return InvalidArgument("server: no request handler");
  if (options.io_threads == 0 || options.handler_threads == 0)
    return InvalidArgument(
        "server: io_threads and handler_threads must be at least 1");
  if (options.max_in_flight == 0 || options.max_connections == 0)
    return InvalidArgument(
        "server: max_in_flight and max_connections must be at least 1");
  try {
    auto impl = std::make_unique<Impl>(std::move(options), std::move(handler),
                                       std::move(access_log));
    CL_RETURN_IF_ERROR(impl->Listen());
    impl->Run();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
  } catch (const std::exception& e) {
    return IoError(std::string("server: could not start: ") + e.what());
  }
}

namespace {
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForTerminationSignal() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // in case the caller did not
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace caseledger::http

