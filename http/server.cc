// The HTTP/1.1 server: the only translation unit that includes Beast/Asio.
// Structure (after Beast's example/http/server/async and advanced):
//  - the listener (Server::Impl) accepts on its own strand and makes a
//    Session per connection, registered in ServerState so Stop can reach it;
//  - a Session owns its socket and runs entirely on its own strand: it reads
//    one request (header, optional `100 Continue`, body), hands it to the
//    handler pool, gets the response posted back to the strand, writes it,
//    and loops while keep-alive holds;
//  - handlers run on an asio::thread_pool, never on io threads.
// Timeouts: the idle wait before a request uses the tcp_stream expiry (it
// closes the socket, which is right: nothing to answer); the request itself
// is bounded by a steady_timer that cancels the read so a 408 can still be
// written; each write is bounded by the tcp_stream expiry.
// See docs/api/server.md.
#include "http/server.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/problem.h"

namespace caseledger::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;  // not `http`: that is this module
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

namespace {

// A lingering close (after a response with `Connection: close`) reads and
// discards what the client still sends for at most this long, so that unread
// request bytes do not turn our FIN into a RST that destroys the response.
constexpr std::chrono::milliseconds kMaxLinger{1000};
// After request_timeout has cancelled a read, how soon the timer looks again
// whether a read started since (Session::OnRequestTimer).
constexpr std::chrono::milliseconds kRecancel{5};
// After the drain timeout, how long Stop waits for force-closed sessions.
constexpr std::chrono::milliseconds kForceCloseWait{1000};
constexpr std::size_t kReadChunk = 4096;
// Chunked framing (docs/api/server.md, "Limits"). Beast bounds the header
// and the body, but buffers a chunk-size line (with extensions, leading
// zeros) and the trailer section until they end: the read buffer's own
// maximum bounds both (FramingLimit: header_limit + 1 KiB, and at least one
// read of kReadChunk beside it).
constexpr std::size_t kFramingSlack = 1024;
constexpr std::size_t kMaxChunkExtension = 256;  // bytes of one chunk's extensions
constexpr std::size_t kMaxChunks = 4096;         // chunks of one body

std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view Bsv(std::string_view s) { return {s.data(), s.size()}; }

char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  return true;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) !=
         std::string_view::npos;
}

HttpResponse BadRequest() {
  return ProblemResponse(400, "bad-request",
                          "The request is not valid HTTP/1.1",
                          "the request could not be parsed as HTTP/1.1");
}
HttpResponse RequestTimeout() {
  return ProblemResponse(408, "request-timeout", "Request timeout",
                          "the request did not arrive in time");
}
HttpResponse PayloadTooLarge(std::size_t limit) {
  return ProblemResponse(413, "payload-too-large", "Payload too large",
                          "the request body exceeds the limit of " +
                              std::to_string(limit) + " bytes");
}
HttpResponse HeaderTooLarge(std::size_t limit) {
  return ProblemResponse(431, "header-too-large",
                          "Request header fields too large",
                          "the request header exceeds the limit of " +
                              std::to_string(limit) + " bytes");
}
HttpResponse ChunkLineTooLong(std::size_t limit) {
  return ProblemResponse(400, "bad-request", "The request is not valid HTTP/1.1",
                          "a chunk-size line exceeds the limit of " + std::to_string(limit) +
                              " bytes");
}
HttpResponse ChunkExtensionTooLong() {
  return ProblemResponse(400, "bad-request", "The request is not valid HTTP/1.1",
                          "a chunk extension exceeds the limit of " +
                              std::to_string(kMaxChunkExtension) + " bytes");
}
HttpResponse TooManyChunks() {
  return ProblemResponse(413, "payload-too-large", "Payload too large",
                          "the request body arrives in more than " +
                              std::to_string(kMaxChunks) + " chunks");
}
HttpResponse TrailerTooLarge(std::size_t limit) {
  return ProblemResponse(431, "header-too-large", "Request header fields too large",
                          "the chunked trailer section exceeds the limit of " +
                              std::to_string(limit) + " bytes");
}

// True if the unparsed bytes of a chunked body (`data`: an optional CRLF
// ending the previous chunk, then the next chunk-size line) begin with a
// complete last-chunk line ("0" with optional extensions): what follows is
// the trailer section.
bool AtTrailers(std::string_view data) {
  if (data.starts_with("\r\n")) data.remove_prefix(2);
  const auto eol = data.find("\r\n");
  if (eol == std::string_view::npos) return false;
  std::string_view line = data.substr(0, eol);
  line = line.substr(0, line.find(';'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return !line.empty() && line.find_first_not_of('0') == std::string_view::npos;
}

HttpResponse Overloaded() {
  return ErrorResponse(Unavailable("the server is at capacity; retry shortly"));
}

// Header names that only the server sets (framing and house headers).
bool IsServerOwnedHeader(std::string_view name) {
  for (std::string_view owned :
       {"content-length", "transfer-encoding", "connection", "keep-alive",
        "upgrade", "server", "cache-control", "content-type"})
    if (EqualsIgnoreCase(name, owned)) return true;
  return false;
}

// The access log's method: a standard verb, "OTHER" (an extension method is
// caller-chosen text of any length), or "-" when nothing was parsed.
std::string LogMethod(bhttp::verb v) {
  if (v == bhttp::verb::unknown) return "OTHER";
  return std::string(Sv(bhttp::to_string(v)));
}

HttpRequest ToHttpRequest(bhttp::request<bhttp::string_body>& req) {
  HttpRequest out;
  out.method = std::string(Sv(req.method_string()));
  out.target = std::string(Sv(req.target()));
  for (const auto& field : req) {
    std::string name(Sv(field.name_string()));
    for (char& c : name) c = AsciiLower(c);
    const std::string_view value = Sv(field.value());
    auto [it, inserted] = out.headers.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second += ", ";
      it->second += value;
    }
  }
  out.body = std::move(req.body());
  return out;
}

const boost::system::error_category& HttpErrorCategory() {
  static const boost::system::error_category& category =
      bhttp::make_error_code(bhttp::error::end_of_stream).category();
  return category;
}

class Session;

// What the listener, the sessions and Stop share. Outlives every session
// (each holds a shared_ptr).
struct ServerState {
  ServerOptions options;
  RequestHandler handler;
  AccessLogSink access_log;
  // Owned by Server::Impl; used by sessions only on io threads, which Stop
  // joins before the pool is destroyed.
  asio::thread_pool* handler_pool = nullptr;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::uint64_t> next_connection{0};

  std::mutex sessions_mu;
  std::condition_variable sessions_cv;  // notified when sessions becomes empty
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;

  std::mutex log_mu;  // one sink call at a time

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

  std::vector<std::shared_ptr<Session>> LiveSessions() {
    std::vector<std::shared_ptr<Session>> out;
    std::lock_guard<std::mutex> lock(sessions_mu);
    out.reserve(sessions.size());
    for (auto& [id, weak] : sessions)
      if (auto s = weak.lock()) out.push_back(std::move(s));
    return out;
  }
};

// One connection. Every member function except the constructor, the
// destructor and executor() runs on the session's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Executor = beast::tcp_stream::executor_type;

  Session(tcp::socket socket, std::shared_ptr<ServerState> state,
          std::uint64_t id)
      : stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        request_timer_(executor_),
        state_(std::move(state)),
        id_(id) {}

  ~Session() {
    std::lock_guard<std::mutex> lock(state_->sessions_mu);
    state_->sessions.erase(id_);
    if (state_->sessions.empty()) state_->sessions_cv.notify_all();
  }

  const Executor& executor() const { return executor_; }

  void Start() {
    asio::dispatch(executor_, beast::bind_front_handler(&Session::BeginRequest,
                                                        shared_from_this()));
  }

  // The server is stopping: an idle connection closes now; a request in
  // progress finishes (its response says `Connection: close`).
  void OnServerStop() {
    if (phase_ == Phase::kIdle) stream_.cancel();
  }

  // The drain timeout passed: close whatever the state.
  void ForceClose() { Close(); }

 private:
  enum class Phase {
    kIdle,
    kReading,
    kHandling,
    kWriting,
    kLingering,
    kClosed
  };

  const ServerOptions& options() const { return state_->options; }
  // The most unparsed request bytes a session holds (docs/api/server.md).
  std::size_t FramingLimit() const { return options().header_limit + kFramingSlack + kReadChunk; }

  void StartRequestClock() {
    request_start_ = Clock::now();
    request_deadline_ = request_start_ + options().request_timeout;
  }

  void BeginRequest() {
    if (state_->stopping.load()) return Close();
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(options().body_limit));
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        options().header_limit, std::numeric_limits<std::uint32_t>::max())));
    // Every byte the parser has not consumed yet waits here: a request line,
    // a field, a chunk-size line or a trailer that does not end in time
    // overflows it instead of growing memory.
    buffer_.max_size(FramingLimit());
    chunks_ = 0;
    framing_ = Framing::kOk;
    parser_->on_chunk_header(on_chunk_header_);  // Beast keeps a reference
    timed_out_ = false;
    log_method_ = "-";
    if (buffer_.size() > 0) {  // a pipelined request has begun
      StartRequestClock();
      return ReadHeader();
    }
    phase_ = Phase::kIdle;
    if (first_) {
      StartRequestClock();  // the first request is due within request_timeout
      stream_.expires_at(request_deadline_);
    } else {
      stream_.expires_after(options().idle_timeout);
    }
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
  }

  void OnFirstBytes(ErrorCode ec, std::size_t n) {
    // Timeout (the stream closed the socket), peer closed, or Stop: nothing
    // of a request arrived, so there is nothing to answer.
    if (ec) return Close();
    buffer_.commit(n);
    if (!first_) StartRequestClock();
    ReadHeader();
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    stream_.expires_never();
    const std::uint64_t generation = ++timer_generation_;
    request_timer_.expires_at(request_deadline_);
    request_timer_.async_wait(
        [self = shared_from_this(), generation](ErrorCode ec) {
          self->OnRequestTimer(generation, ec);
        });
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnRequestTimer(std::uint64_t generation, ErrorCode ec) {
    if (ec || generation != timer_generation_ || phase_ != Phase::kReading)
      return;
    timed_out_ = true;
    // cancel() reaches only a read that is pending now. A read that has just
    // completed, its handler queued behind this one, escapes it, and the
    // parser then starts another: so cancel again until the read ends with
    // operation_aborted (OnReadError stops the timer). Without this, a client
    // dripping bytes fast enough outlives request_timeout.
    stream_.cancel();
    request_timer_.expires_after(kRecancel);
    request_timer_.async_wait([self = shared_from_this(), generation](ErrorCode e) {
      self->OnRequestTimer(generation, e);
    });
  }

  void StopRequestTimer() {
    ++timer_generation_;
    request_timer_.cancel();
  }

  void OnHeader(ErrorCode ec, std::size_t) {
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    log_method_ = LogMethod(req.method());
    if (req.version() != 10 && req.version() != 11) return Fail(BadRequest());
    // RFC 9112 §6.1: a Transfer-Encoding beside a Content-Length, or one that
    // does not end in chunked, leaves the body's length ambiguous (request
    // smuggling). Beast already refuses some orders of these; refuse all.
    if (req.find(bhttp::field::transfer_encoding) != req.end() &&
        (req.find(bhttp::field::content_length) != req.end() ||
         !parser_->chunked()))
      return Fail(BadRequest());
    if (req.version() == 11 && !parser_->is_done() &&
        EqualsIgnoreCase(Sv(req[bhttp::field::expect]), "100-continue")) {
      continue_ = {};
      continue_.version(11);
      continue_.result(bhttp::status::continue_);
      bhttp::async_write(stream_, continue_,
                        beast::bind_front_handler(&Session::OnContinueWritten,
                                                  shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinueWritten(ErrorCode ec, std::size_t) {
    if (ec) return OnReadError(ec);
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnBody({}, 0);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(ErrorCode ec, std::size_t) {
    if (ec) return OnReadError(ec);
    StopRequestTimer();
    Dispatch();
  }

  void OnReadError(ErrorCode ec) {
    StopRequestTimer();
    if (phase_ == Phase::kClosed) return;
    if (timed_out_) return Fail(RequestTimeout());  // part of a request arrived
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
      return Close();  // the client went away
    if (ec == bhttp::error::body_limit)
      return Fail(PayloadTooLarge(options().body_limit));
    if (ec == bhttp::error::header_limit)
      return Fail(HeaderTooLarge(options().header_limit));
    if (framing_ == Framing::kExtension) return Fail(ChunkExtensionTooLong());
    if (framing_ == Framing::kChunks) return Fail(TooManyChunks());
    if (ec == bhttp::error::buffer_overflow) {
      const std::size_t limit = FramingLimit();
      if (!parser_->is_header_done()) return Fail(HeaderTooLarge(options().header_limit));
      const auto data = buffer_.cdata();
      const std::string_view pending(static_cast<const char*>(data.data()), data.size());
      return Fail(AtTrailers(pending) ? TrailerTooLarge(limit) : ChunkLineTooLong(limit));
    }
    if (ec.category() == HttpErrorCategory()) return Fail(BadRequest());
    Close();  // a socket error or a forced close
  }

  // Answers a request that could not be read and closes the connection.
  void Fail(HttpResponse problem) {
    StopRequestTimer();
    ++requests_;
    version_ = 11;
    head_ = false;
    keep_alive_ = false;
    WriteResponse(std::move(problem));
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    ++requests_;
    auto& req = parser_->get();
    version_ = req.version();
    head_ = req.method() == bhttp::verb::head;
    keep_alive_ = req.keep_alive();
    if (state_->in_flight.fetch_add(1) >= options().max_in_flight) {
      state_->in_flight.fetch_sub(1);
      return WriteResponse(Overloaded());
    }
    HttpRequest request = ToHttpRequest(req);
    boost::system::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) request.remote = peer.address().to_string();  // throttling only
    asio::post(*state_->handler_pool, [self = shared_from_this(),
                                       request = std::move(request)]() mutable {
      HttpResponse response = self->state_->RunHandler(request);
      self->state_->in_flight.fetch_sub(1);
      const Executor executor = self->executor();
      asio::post(executor, [session = std::move(self),
                            response = std::move(response)]() mutable {
        session->WriteResponse(std::move(response));
      });
    });
  }

  // Fills response_ from `r`. May throw (Beast refuses some values).
  void BuildResponse(HttpResponse& r) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(bhttp::field::server, "caseledger");
    for (const auto& [name, value] : r.headers) {
      if (name.empty() || IsServerOwnedHeader(name) ||
          HasLineBreakOrNul(name) || HasLineBreakOrNul(value))
        continue;
      response_.insert(Bsv(name), Bsv(value));
    }
    if (!r.content_type.empty() && !HasLineBreakOrNul(r.content_type))
      response_.set(bhttp::field::content_type, Bsv(r.content_type));
    response_.set(bhttp::field::cache_control, "no-store");
    response_.keep_alive(keep_alive_);
    const bool no_body = r.status == 204 || r.status == 304;
    if (no_body) {
      r.body.clear();
    } else if (head_) {
      response_.content_length(r.body.size());
    } else {
      response_.body() = std::move(r.body);
      response_.prepare_payload();
    }
  }

  void WriteResponse(HttpResponse r) {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kWriting;
    if (state_->stopping.load()) keep_alive_ = false;
    if (r.status < 200 || r.status > 599)
      r = ErrorResponse(Internal("the handler answered an invalid status"));
    log_status_ = r.status;
    log_route_ = r.route;
    log_bytes_ = head_ ? 0 : r.body.size();
    try {
      BuildResponse(r);
    } catch (const std::exception&) {
      HttpResponse fallback =
          ErrorResponse(Internal("the response could not be built"));
      log_status_ = fallback.status;
      log_bytes_ = fallback.body.size();
      head_ = false;
      BuildResponse(fallback);  // fixed, valid values: does not throw
    }
    stream_.expires_after(options().request_timeout);
    bhttp::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(ErrorCode ec, std::size_t) {
    stream_.expires_never();
    state_->Log(log_method_, log_route_, log_status_, log_bytes_,
                Clock::now() - request_start_, id_, requests_);
    if (ec) return Close();
    if (!keep_alive_) return Linger();
    first_ = false;
    BeginRequest();
  }

  void Linger() {
    phase_ = Phase::kLingering;
    ErrorCode ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    stream_.expires_after(std::min<std::chrono::milliseconds>(
        kMaxLinger, options().request_timeout));
    DrainRead();
  }

  void DrainRead() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        beast::bind_front_handler(&Session::OnDrainRead, shared_from_this()));
  }

  void OnDrainRead(ErrorCode ec, std::size_t n) {
    if (ec) return Close();  // the client closed, or the linger time is up
    buffer_.commit(n);
    DrainRead();
  }

  void Close() {
    phase_ = Phase::kClosed;
    StopRequestTimer();
    ErrorCode ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  const Executor executor_;  // the strand; const, so other threads may copy it
  asio::steady_timer request_timer_;
  const std::shared_ptr<ServerState> state_;
  const std::uint64_t id_;

  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // What the chunk callback refused, for the answer (Beast reports both as
  // a plain parse error).
  enum class Framing : std::uint8_t { kOk, kExtension, kChunks };
  Framing framing_ = Framing::kOk;
  std::size_t chunks_ = 0;
  std::function<void(std::uint64_t, beast::string_view, ErrorCode&)> on_chunk_header_ =
      [this](std::uint64_t size, beast::string_view extensions, ErrorCode& ec) {
        if (extensions.size() > kMaxChunkExtension) {
          framing_ = Framing::kExtension;
          ec = bhttp::error::bad_chunk_extension;
        } else if (size != 0 && ++chunks_ > kMaxChunks) {  // the last chunk is 0
          framing_ = Framing::kChunks;
          ec = bhttp::error::bad_chunk;
        }
      };
  bhttp::response<bhttp::string_body> response_;
  bhttp::response<bhttp::empty_body> continue_;

  Phase phase_ = Phase::kIdle;
  bool first_ = true;       // no request finished on this connection yet
  bool timed_out_ = false;  // the request timer cancelled the read
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
  std::uint64_t timer_generation_ = 0;
  std::uint64_t requests_ = 0;
  Clock::time_point request_start_{};
  Clock::time_point request_deadline_{};

  std::string log_method_ = "-";
  std::string log_route_;
  int log_status_ = 0;
  std::size_t log_bytes_ = 0;
};

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
    const HttpResponse busy = Overloaded();
    rejection_ =
        "HTTP/1.1 503 Service Unavailable\r\nServer: caseledger\r\n"
        "Content-Type: application/problem+json\r\nCache-Control: no-store\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
        std::to_string(busy.body.size()) + "\r\n\r\n" + busy.body;
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
      for (auto& s : state_->LiveSessions())
        asio::post(s->executor(), [s] { s->OnServerStop(); });
      // 3. Drain, bounded.
      if (!WaitForNoSessions(state_->options.drain_timeout)) {
        for (auto& s : state_->LiveSessions())
          asio::post(s->executor(), [s] { s->ForceClose(); });
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
      auto session = std::make_shared<Session>(std::move(socket), state_, id);
      {
        std::lock_guard<std::mutex> lock(state_->sessions_mu);
        state_->sessions.emplace(id, session);
      }
      session->Start();
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
