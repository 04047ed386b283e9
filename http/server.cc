// The HTTP/1.1 server's listener (after Beast's example/http/server/async
// and advanced): Server::Impl accepts on its own strand and starts a session
// per connection (http/session.cc), registered in ServerState so Stop can
// reach it; over max_connections it answers 503 and closes. Stop closes the
// acceptor, closes idle sessions, drains the rest within drain_timeout, then
// joins the io threads and the handler pool. With TLS options it first builds
// the OpenSSL context every session shares (MakeTlsContext). With
// http/session.cc, the only translation units that include Beast/Asio,
// Asio's SSL and OpenSSL (http/transport.h). See docs/api/server.md.
#include "http/server.h"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <exception>
#include <future>
#include <limits>
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

// TLS 1.2's cipher suites: ephemeral ECDH key exchange with an AEAD cipher
// (AES-GCM, ChaCha20-Poly1305), nothing else. TLS 1.3's suites are
// OpenSSL's defaults, all of them AEAD over (EC)DHE.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
// A PEM certificate chain or key is a few KiB; a larger file is not one.
constexpr off_t kMaxPemFile = 1 << 20;

// A file's bytes, wiped when destroyed (it may hold a private key).
struct PemBytes {
  std::string bytes;
  PemBytes() = default;
  PemBytes(const PemBytes&) = delete;
  PemBytes& operator=(const PemBytes&) = delete;
  ~PemBytes() { OPENSSL_cleanse(bytes.data(), bytes.capacity()); }
};

// Reads the whole of `path` into `out` (sized once, so no copy of the bytes
// is left behind by a reallocation). IoError names the file (`what` says
// which) and the OS's words.
Status ReadPemFile(const char* what, const std::string& path, PemBytes& out) {
  const auto fail = [&](int err) {
    return IoError(std::string("server: cannot read the TLS ") + what + " file " + path +
                   ": " + ErrorCode(err, boost::system::system_category()).message());
  };
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) return fail(errno);
  struct stat st {};
  if (::fstat(fileno(f), &st) != 0) {
    const int err = errno;
    std::fclose(f);
    return fail(err);
  }
  if (st.st_size > kMaxPemFile) {
    std::fclose(f);
    return InvalidArgument(std::string("server: the TLS ") + what + " file " + path +
                           " is larger than 1 MiB: not a PEM file");
  }
  out.bytes.resize(static_cast<std::size_t>(st.st_size));
  const std::size_t n = std::fread(out.bytes.data(), 1, out.bytes.size(), f);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) return fail(err);
  out.bytes.resize(n);  // shrinks: no reallocation
  return Status::Ok();
}

// OpenSSL's passphrase callback: never a passphrase, so an encrypted key
// fails to load instead of prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

// The OpenSSL context of a TLS server: protocol versions, ciphers and
// options as documented in docs/api/server.md ("TLS"), then the certificate
// chain and the private key, checked to match. Errors as Server::Start
// says; OpenSSL's error queue is left empty either way.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_default_passwd_cb(native, NoPassphrase);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return Internal("server: OpenSSL refused the TLS protocol or cipher policy");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);

  PemBytes cert;
  CL_RETURN_IF_ERROR(ReadPemFile("certificate", tls.cert_file, cert));
  ErrorCode ec;
  ctx->use_certificate_chain(asio::buffer(cert.bytes), ec);
  if (ec || SSL_CTX_get0_certificate(native) == nullptr) {
    ERR_clear_error();
    return InvalidArgument("server: the TLS certificate file " + tls.cert_file +
                           " holds no PEM certificate");
  }

  PemBytes key;
  CL_RETURN_IF_ERROR(ReadPemFile("key", tls.key_file, key));
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> pkey;
  if (key.bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(key.bytes.data(), static_cast<int>(key.bytes.size())));
    if (bio) pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  }
  if (!pkey) {
    ERR_clear_error();
    return InvalidArgument("server: the TLS key file " + tls.key_file +
                           " holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(native), pkey.get()) != 1 ||
      SSL_CTX_use_PrivateKey(native, pkey.get()) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return InvalidArgument("server: the TLS private key in " + tls.key_file +
                           " does not match the certificate in " + tls.cert_file);
  }
  return ctx;
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

  // Before Listen: the TLS context, when options.tls asks for one.
  Status LoadTls() {
    if (!state_->options.tls) return Status::Ok();
    auto ctx = MakeTlsContext(*state_->options.tls);
    if (!ctx.ok()) return ctx.status();
    state_->tls = std::move(ctx).value();
    return Status::Ok();
  }

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
    // 5. Deferred answers still to come are posted to the stopped io_context
    //    (and destroyed with it), never after it.
    state_->WaitForAnswers();
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
  // Over TLS nothing is written (an answer would need a handshake, which
  // waits for the client): the connection is closed, logged as a 503 of 0
  // bytes.
  void Reject(tcp::socket socket, std::uint64_t id) {
    ErrorCode ignored;
    const bool answer = state_->tls == nullptr;
    if (answer) {
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(rejection_), ignored);
    }
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    state_->Log("-", "", 503, answer ? rejection_body_bytes_ : 0, Clock::duration::zero(),
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
    CL_RETURN_IF_ERROR(impl->LoadTls());
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

