#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace caseledger::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  std::string host, port, target;
};

Result<Url> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return InvalidArgument("only http:// URLs are supported");
  std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string::npos)
    return InvalidArgument("URL has no host (or carries credentials)");
  if (authority.front() == '[') {  // [v6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return InvalidArgument("URL: unterminated IPv6 literal");
    u.host = authority.substr(1, close - 1);
    u.port = close + 1 < authority.size() && authority[close + 1] == ':'
                 ? authority.substr(close + 2)
                 : "80";
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    u.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  }
  if (u.host.empty() || u.port.empty()) return InvalidArgument("URL has no host or port");
  return u;
}

}  // namespace

struct HttpClient::Impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  std::string connected_to;  // host:port of the open connection
  beast::flat_buffer buffer;

  // Runs the io_context until `done` or the stream's deadline fires.
  void Run() {
    ioc.restart();
    ioc.run();
  }

  Status Connect(const Url& u, std::chrono::milliseconds timeout) {
    stream.emplace(ioc);
    buffer.clear();
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(u.host, u.port, ec);
    if (ec) return Unavailable("cannot resolve the host: " + ec.message());
    stream->expires_after(timeout);
    stream->async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    Run();
    if (ec) {
      stream.reset();
      return Unavailable("cannot connect: " + ec.message());
    }
    connected_to = u.host + ":" + u.port;
    return Status::Ok();
  }

  Result<ClientResponse> Exchange(bhttp::request<bhttp::string_body>& req,
                                  std::chrono::milliseconds timeout, std::size_t max_body) {
    beast::error_code ec;
    stream->expires_after(timeout);
    bhttp::async_write(*stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
    Run();
    if (ec) return Unavailable("cannot send the request: " + ec.message());
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(max_body);
    parser.header_limit(64 * 1024);
    bhttp::async_read(*stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    Run();
    if (ec == bhttp::error::body_limit) return ResourceExhausted("response body too large");
    if (ec) return Unavailable("no response: " + ec.message());
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    if (auto it = res.find(bhttp::field::content_type); it != res.end())
      out.content_type = std::string(it->value());
    out.body = std::move(res.body());
    if (!res.keep_alive()) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.reset();
      connected_to.clear();
    }
    return out;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

Result<ClientResponse> HttpClient::Send(const std::string& method, const std::string& url,
                                        const std::string& body, const std::string& content_type,
                                        const std::map<std::string, std::string>& headers,
                                        std::chrono::milliseconds timeout, std::size_t max_body) {
  CL_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(u.target);
  req.version(11);
  req.set(bhttp::field::host, u.host + ":" + u.port);
  req.set(bhttp::field::user_agent, "caseledger");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  const std::string key = u.host + ":" + u.port;
  const bool reused = impl_->stream && impl_->connected_to == key;
  if (!reused) CL_RETURN_IF_ERROR(impl_->Connect(u, timeout));
  Result<ClientResponse> r = impl_->Exchange(req, timeout, max_body);
  if (!r.ok() && reused && r.status().code() == StatusCode::kUnavailable) {
    // The server may have closed the idle connection: once more, fresh.
    CL_RETURN_IF_ERROR(impl_->Connect(u, timeout));
    r = impl_->Exchange(req, timeout, max_body);
  }
  if (!r.ok()) {
    impl_->stream.reset();
    impl_->connected_to.clear();
  }
  return r;
}

}  // namespace caseledger::http
