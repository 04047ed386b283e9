// Server: the HTTP/1.1 front end (Boost.Beast, kept behind a pimpl so that
// this header and its includers never see Beast or Asio). A listener accepts
// connections; each connection is a session that reads one request at a time
// (keep-alive), enforces the body, header and time limits, hands the request
// to a separate pool of handler threads (handlers may block on durable
// appends) and writes the response back. Server-generated errors are
// problem+json (docs/api/errors.md, docs/api/server.md). With TLS options
// the port speaks HTTPS only (TLS 1.2 and 1.3, OpenSSL; docs/api/server.md,
// "TLS").
// Invariants: the access log never sees a raw target, a client address or a
// header value. Thread-safety: Start, port, Stop and the destructor may be
// called from any thread; the handler runs on handler threads, concurrently,
// and the access-log sink is called from io threads, one call at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/router.h"
#include "base/result.h"

namespace caseledger::http {

// The server's certificate and key (docs/api/server.md, "TLS"): PEM files,
// read once by Server::Start (a new certificate takes a restart).
struct TlsOptions {
  // The server's certificate first, then any intermediate certificates.
  std::string cert_file;
  // The certificate's private key, unencrypted (nothing prompts for a
  // passphrase). Its bytes are wiped from memory once OpenSSL holds the key.
  std::string key_file;
};

struct ServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t port = 8080;          // 0 = pick a free port (see port())
  // A declared or received body larger than this answers 413.
  std::size_t body_limit = std::size_t{1} << 20;  // 1 MiB
  // A request line plus header fields larger than this answers 431.
  std::size_t header_limit = 16 * 1024;
  // The whole request (header and body) must arrive within this time of its
  // first byte (of the accept, for a connection's first request); otherwise
  // the connection is closed, after a 408 if part of a request arrived
  // (slow-loris). Also bounds the writing of each response.
  std::chrono::milliseconds request_timeout{10000};
  // A keep-alive connection with no request started for this long is closed.
  std::chrono::milliseconds idle_timeout{30000};
  // Stop() waits at most this long for in-flight requests before it closes
  // the remaining connections.
  std::chrono::milliseconds drain_timeout{10000};
  unsigned io_threads = 1;       // >= 1: run the sockets
  unsigned handler_threads = 4;  // >= 1: run the handler, never on io threads
  // Requests queued or running in handlers beyond this answer 503
  // problem+json with `Retry-After: 1`.
  std::size_t max_in_flight = 256;  // >= 1
  // Connections beyond this are accepted, answered 503 best-effort and closed
  // (over TLS closed without an answer: one needs a handshake).
  std::size_t max_connections = 1024;  // >= 1
  // Set: the port speaks only HTTPS: TLS 1.2 or 1.3, for TLS 1.2 only ECDHE
  // with AEAD ciphers, no compression, no renegotiation. The handshake is part
  // of the first request's request_timeout and a handshaking connection counts
  // toward max_connections. Unset: plain HTTP.
  std::optional<TlsOptions> tls;
};

// The application: a plain function from request to response. It may block
// and may throw (the server answers 500 `internal`, logging nothing of the
// exception). Called concurrently from up to `handler_threads` threads.
using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

// Receives one line per answered request, without a newline:
//   method=GET route=/v1/cases/{case} status=200 bytes=123 micros=456 conn=7
//   req=2
// `route` is HttpResponse::route or "-"; `method` is "-" when the request
// could not be parsed and "OTHER" for a non-standard method; `bytes` is the
// response body's size; `micros` runs from the request's first byte to the
// end of the response's write; `conn` numbers connections from 1 and `req`
// the requests of a connection from 1. The view is valid during the call.
using AccessLogSink = std::function<void(std::string_view line)>;

class Server {
 public:
  // Binds `options.address`:`options.port`, starts the io and handler
  // threads and begins accepting. Errors: InvalidArgument for an address
  // that is not an IP literal or a zero thread/limit count; IoError naming
  // the address and the OS's words when it cannot be bound ("Address already
  // in use") or listened on. With `options.tls`: IoError naming a certificate
  // or key file that cannot be read; InvalidArgument when the certificate
  // file holds no PEM certificate, the key file no unencrypted PEM private
  // key, or the key does not match the certificate (messages name the files,
  // never quote their contents).
  static Result<std::unique_ptr<Server>> Start(ServerOptions options,
                                               RequestHandler handler,
                                               AccessLogSink access_log = {});

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Calls Stop().
  ~Server();

  // The bound port (the chosen one when options.port was 0).
  std::uint16_t port() const;

  // Graceful stop: stops accepting (new connections are refused once this
  // has begun), lets every request already received run and its response be
  // written (with `Connection: close`), closes idle connections, and returns
  // when every connection is closed and the threads are joined. After
  // `drain_timeout` the remaining connections are closed regardless; a
  // handler that never returns still blocks Stop. Idempotent; thread-safe;
  // must not be called from a handler or the access-log sink.
  void Stop();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it
// starts afterwards: call it first thing in `caseledger serve`, before any
// thread exists, so that a signal arriving at any moment — even before
// WaitForTerminationSignal runs — waits for it instead of killing the
// process with the default disposition.
void BlockTerminationSignals();
// Waits in the calling thread until SIGINT or SIGTERM arrives (blocked by
// BlockTerminationSignals; one that arrived earlier is taken at once). On
// return the calling thread unblocks both again, so a second signal during
// the drain ends the process.
void WaitForTerminationSignal();

}  // namespace caseledger::http
