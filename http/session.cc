// The HTTP/1.1 sessions: one per connection (see http/server.cc for the
// listener). A Session owns its socket and runs entirely on its own strand:
// it reads one request (header, optional `100 Continue`, body), hands it to
// the handler pool, gets the response posted back to the strand, writes it,
// and loops while keep-alive holds. Handlers run on an asio::thread_pool,
// never on io threads. A Session is written once over its stream: a plain
// beast::tcp_stream, or a beast::ssl_stream over one (TLS: the session
// handshakes before its first request, and sends close_notify before its
// lingering close).
// Timeouts: the handshake and the idle wait before a request use the
// tcp_stream expiry (it closes the socket, which is right: nothing to
// answer); the request itself is bounded by a steady_timer that cancels the
// read so a 408 can still be written; each write is bounded by the tcp_stream
// expiry.
// See docs/api/server.md.
#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "http/transport.h"

namespace caseledger::http {

namespace {


// A lingering close (after a response with `Connection: close`) reads and
// discards what the client still sends for at most this long, so that unread
// request bytes do not turn our FIN into a RST that destroys the response.
constexpr std::chrono::milliseconds kMaxLinger{1000};
// After request_timeout has cancelled a read, how soon the timer looks again
// whether a read started since (Session::OnRequestTimer).
constexpr std::chrono::milliseconds kRecancel{5};
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

// The server's side of a request's Deferral (http/router.h): where the
// handler's return and its answer meet. Whichever comes second delivers the
// answer (with the steps the layers added run on it first).
class PendingAnswer final : public Deferral,
                            public Deferral::Answer::State,
                            public std::enable_shared_from_this<PendingAnswer> {
 public:
  // Posts the answer to the session (and ends the request's in-flight count).
  using Deliver = std::function<void(HttpResponse)>;
  explicit PendingAnswer(Deliver deliver) : deliver_(std::move(deliver)) {}

  Answer Take() override {
    taken_ = true;
    return Answer(std::static_pointer_cast<Deferral::Answer::State>(shared_from_this()));
  }
  void OnAnswer(std::function<void(HttpResponse&)> step) override {
    steps_.push_back(std::move(step));
  }
  // On the handler thread once the handler has returned.
  bool taken() const { return taken_; }

  void Give(HttpResponse response) override {
    {
      std::lock_guard lock(mu_);
      if (answered_) return;  // Abandon()ed: the handler's own response was sent
      answered_ = true;
      answer_ = std::move(response);
      if (!returned_) return;
    }
    Finish();
  }
  // The handler returned Deferred() with `route`.
  void Returned(std::string route) {
    {
      std::lock_guard lock(mu_);
      returned_ = true;
      route_ = std::move(route);
      if (!answered_) return;
    }
    Finish();
  }
  // The handler took the answer but returned a response of its own (or
  // threw): that response is sent; a later answer is dropped.
  void Abandon() {
    std::lock_guard lock(mu_);
    answered_ = true;
    returned_ = true;
    deliver_ = nullptr;
  }

 private:
  // Once both happened: on the thread that came second, with no lock held.
  void Finish() {
    if (answer_.route.empty()) answer_.route = route_;
    for (auto& step : steps_) {
      try {
        step(answer_);
      } catch (...) {
        // A step's failure (metrics) must not lose the answer.
      }
    }
    steps_.clear();
    Deliver deliver = std::move(deliver_);
    deliver_ = nullptr;
    if (deliver) deliver(std::move(answer_));
  }

  bool taken_ = false;  // the handler's thread only
  std::vector<std::function<void(HttpResponse&)>> steps_;  // added by the handler's thread
  std::mutex mu_;
  bool returned_ = false;  // (mu_)
  bool answered_ = false;  // (mu_)
  HttpResponse answer_;    // (mu_ until both are set)
  std::string route_;
  Deliver deliver_;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection over `Stream` (PlainStream or TlsStream). Every member
// function except the constructor, the destructor and executor() runs on the
// session's strand.
template <class Stream>
class Session : public SessionHandle, public std::enable_shared_from_this<Session<Stream>> {
 public:
  using Executor = beast::tcp_stream::executor_type;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `stream_args` construct the stream (a socket; for TLS also the context).
  template <class... StreamArgs>
  Session(std::shared_ptr<ServerState> state, std::uint64_t id, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
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
    asio::dispatch(executor_, beast::bind_front_handler(&Session::Begin,
                                                        shared_from_this()));
  }

  void PostServerStop() override {
    asio::post(executor_, [self = shared_from_this()] { self->OnServerStop(); });
  }

  void PostForceClose() override {
    asio::post(executor_, [self = shared_from_this()] { self->Close(); });
  }

 private:
  enum class Phase {
    kHandshake,
    kIdle,
    kReading,
    kHandling,
    kWriting,
    kLingering,
    kClosed
  };

  // The server is stopping: an idle connection closes now; a request in
  // progress finishes (its response says `Connection: close`).
  void OnServerStop() {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) Tcp().cancel();
  }

  const ServerOptions& options() const { return state_->options; }
  // The TCP layer: its expiry, cancel and socket (the stream itself when plain).
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  // The most unparsed request bytes a session holds (docs/api/server.md).
  std::size_t FramingLimit() const { return options().header_limit + kFramingSlack + kReadChunk; }

  void StartRequestClock() {
    request_start_ = Clock::now();
    request_deadline_ = request_start_ + options().request_timeout;
  }

  // The connection's start: the first request (handshake included) is due
  // within request_timeout of the accept.
  void Begin() {
    StartRequestClock();
    if constexpr (kTls) {
      if (state_->stopping.load()) return Close();
      phase_ = Phase::kHandshake;
      Tcp().expires_at(request_deadline_);  // closes the socket: nothing to answer
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
    } else {
      BeginRequest();
    }
  }

  // Failed: not TLS (plain HTTP, say), a protocol version or cipher refused,
  // the timeout, or Stop. Nothing can be answered without the handshake.
  void OnHandshake(ErrorCode ec) {
    if (ec) return Close();
    BeginRequest();
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
      Tcp().expires_at(request_deadline_);  // Begin started the clock
    } else {
      Tcp().expires_after(options().idle_timeout);
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
    Tcp().expires_never();
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
    Tcp().cancel();
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
    if (!remote_known_) {  // once per connection: it cannot change
      remote_known_ = true;
      boost::system::error_code ec;
      const auto peer = Tcp().socket().remote_endpoint(ec);
      if (!ec) remote_ = peer.address().to_string();
    }
    request.remote = remote_;  // throttling only
    auto pending = std::make_shared<PendingAnswer>(
        [self = shared_from_this()](HttpResponse response) mutable {
          Answered(std::move(self), std::move(response));
        });
    request.deferral = pending;
    asio::post(*state_->handler_pool,
               [self = shared_from_this(), request = std::move(request),
                pending = std::move(pending)]() mutable {
                 HttpResponse response = self->state_->RunHandler(request);
                 request.deferral.reset();
                 if (pending->taken()) {
                   if (response.deferred) return pending->Returned(std::move(response.route));
                   pending->Abandon();
                 } else if (response.deferred) {
                   response = ErrorResponse(
                       Internal("the handler deferred its answer without taking it"));
                 }
                 pending.reset();
                 Answered(std::move(self), std::move(response));
               });
  }

  // From any thread: the request's answer, to be written on the strand.
  static void Answered(std::shared_ptr<Session> self, HttpResponse response) {
    self->state_->EndRequest();
    const Executor executor = self->executor();
    asio::post(executor, [session = std::move(self), response = std::move(response)]() mutable {
      session->WriteResponse(std::move(response));
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
    response_.set(bhttp::field::cache_control,
                  r.immutable ? "public, max-age=31536000, immutable" : "no-store");
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
    Tcp().expires_after(options().request_timeout);
    bhttp::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(ErrorCode ec, std::size_t) {
    Tcp().expires_never();
    state_->Log(log_method_, log_route_, log_status_, log_bytes_,
                Clock::now() - request_start_, id_, requests_);
    if (ec) return Close();
    if (!keep_alive_) return Linger();
    first_ = false;
    BeginRequest();
  }

  // Over TLS, close_notify first (the same expiry bounds it: a client that
  // never answers it holds nothing); then the TCP half-close and the drain,
  // which discards raw bytes (TLS records unread).
  void Linger() {
    phase_ = Phase::kLingering;
    Tcp().expires_after(std::min<std::chrono::milliseconds>(
        kMaxLinger, options().request_timeout));
    if constexpr (kTls) {
      stream_.async_shutdown(
          beast::bind_front_handler(&Session::OnTlsShutdown, shared_from_this()));
    } else {
      ShutdownSend();
    }
  }

  // Whatever the outcome (the peer's close_notify, its TCP close, the
  // expiry), the TCP connection closes as a plain one does.
  void OnTlsShutdown(ErrorCode) { ShutdownSend(); }

  void ShutdownSend() {
    ErrorCode ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    DrainRead();
  }

  void DrainRead() {
    buffer_.consume(buffer_.size());
    Tcp().async_read_some(
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
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().socket().close(ec);
  }

  Stream stream_;
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

  // The client's address (HttpRequest::remote), read at the first request.
  bool remote_known_ = false;
  std::string remote_;

  std::string log_method_ = "-";
  std::string log_route_;
  int log_status_ = 0;
  std::size_t log_bytes_ = 0;
};

}  // namespace

HttpResponse Overloaded() {
  return ErrorResponse(Unavailable("the server is at capacity; retry shortly"));
}

namespace {

template <class Stream, class... StreamArgs>
void Launch(const std::shared_ptr<ServerState>& state, std::uint64_t id,
            StreamArgs&&... stream_args) {
  auto session =
      std::make_shared<Session<Stream>>(state, id, std::forward<StreamArgs>(stream_args)...);
  {
    std::lock_guard<std::mutex> lock(state->sessions_mu);
    state->sessions.emplace(id, session);
  }
  session->Start();
}

}  // namespace

void StartSession(tcp::socket socket, std::shared_ptr<ServerState> state,
                  std::uint64_t id) {
  if (state->tls)
    Launch<TlsStream>(state, id, std::move(socket), *state->tls);
  else
    Launch<PlainStream>(state, id, std::move(socket));
}

}  // namespace caseledger::http
