// The HTTP transport's private parts, shared by the listener
// (http/server.cc) and the sessions (http/session.cc): the two translation
// units that include Beast/Asio, Asio's SSL and OpenSSL, and the only
// includers of this header (tools/check_includes.py). See docs/api/server.md.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/problem.h"
#include "http/server.h"

namespace caseledger::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;  // not `http`: that is this module
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// A session as the listener and Stop see it (http/session.cc).
class SessionHandle {
 public:
  virtual ~SessionHandle() = default;
  // Posted onto the session's strand: an idle connection closes now; a
  // request in progress finishes (its response says `Connection: close`).
  virtual void PostServerStop() = 0;
  // Posted onto the session's strand: close whatever the state (the drain
  // timeout passed).
  virtual void PostForceClose() = 0;
};

// What the listener, the sessions and Stop share. Outlives every session
// (each holds a shared_ptr).
struct ServerState {
  ServerOptions options;
  RequestHandler handler;
  AccessLogSink access_log;
  // Owned by Server::Impl; used by sessions only on io threads, which Stop
  // joins before the pool is destroyed.
  asio::thread_pool* handler_pool = nullptr;
  // Set when options.tls is: every session is HTTPS. Configured before the
  // first accept and only read afterwards (OpenSSL allows that concurrently).
  std::unique_ptr<asio::ssl::context> tls;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::uint64_t> next_connection{0};

  std::mutex sessions_mu;
  std::condition_variable sessions_cv;  // notified when sessions becomes empty
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionHandle>> sessions;

  std::mutex log_mu;  // one sink call at a time

  // A request's answer is in (returned, or given through its Deferral): it
  // no longer counts toward max_in_flight. During Stop, the last one wakes
  // WaitForAnswers.
  void EndRequest() {
    if (in_flight.fetch_sub(1) == 1 && stopping.load()) {
      std::lock_guard<std::mutex> lock(sessions_mu);
      sessions_cv.notify_all();
    }
  }
  // Stop, once the handler pool is joined: waits for the deferred answers
  // still to come (the handler that took one gives it; app/async_append.h
  // within its timeout), so that none is posted after the io_context is gone.
  void WaitForAnswers() {
    std::unique_lock<std::mutex> lock(sessions_mu);
    sessions_cv.wait(lock, [this] { return in_flight.load() == 0; });
  }

  void Log(std::string_view method, std::string_view route, int status,
           std::size_t bytes, Clock::duration elapsed, std::uint64_t conn,
           std::uint64_t req) {
    if (!access_log) return;
    std::string line;
    line.reserve(128);
    line += "method=";
    line += method;
    line += " route=";
    line += route.empty() ? std::string_view("-") : route;
    line += " status=" + std::to_string(status);
    line += " bytes=" + std::to_string(bytes);
    line += " micros=" +
            std::to_string(
                std::chrono::duration_cast<std::chrono::microseconds>(elapsed)
                    .count());
    line += " conn=" + std::to_string(conn);
    line += " req=" + std::to_string(req);
    std::lock_guard<std::mutex> lock(log_mu);
    try {
      access_log(line);
    } catch (...) {
      // A failing sink must not take the connection down.
    }
  }

  HttpResponse RunHandler(const HttpRequest& request) const {
    try {
      return handler(request);
    } catch (...) {
      // The exception's text may quote the request: it is not logged.
      return ErrorResponse(Internal("the request handler threw an exception"));
    }
  }

  std::vector<std::shared_ptr<SessionHandle>> LiveSessions() {
    std::vector<std::shared_ptr<SessionHandle>> out;
    std::lock_guard<std::mutex> lock(sessions_mu);
    out.reserve(sessions.size());
    for (auto& [id, weak] : sessions)
      if (auto s = weak.lock()) out.push_back(std::move(s));
    return out;
  }
};

// Makes a session for `socket` (a TLS one when state->tls is set: it
// handshakes first), registers it in state->sessions (a session removes
// itself when it ends) and starts it on its own strand.
void StartSession(tcp::socket socket, std::shared_ptr<ServerState> state,
                  std::uint64_t id);

// The 503 of a server at capacity (a session's max_in_flight, the
// listener's max_connections).
HttpResponse Overloaded();

}  // namespace caseledger::http
