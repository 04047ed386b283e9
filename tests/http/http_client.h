// HttpClient: a small blocking HTTP/1.1 client on raw POSIX sockets (no
// Beast, so the server is checked by independent code) for tests: connects to
// 127.0.0.1:port, sends raw bytes or a built request, reads one response at a
// time (status, lower-cased header names, body by Content-Length) and keeps
// the connection for the next one. Every wait is bounded by the client's
// timeout. No chunked responses, no HEAD bodies (the server sends neither).
// Thread-safety: one HttpClient per thread; distinct clients are independent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace caseledger::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string>
      headers;  // names lower-case; repeats joined ", "
  std::string body;

  // The value of header `name` (lower-case), "" when absent.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  using Millis = std::chrono::milliseconds;

  // Connects to 127.0.0.1:`port`; connected() says whether it worked and
  // error() why not. `timeout` bounds each later read of a response.
  explicit HttpClient(std::uint16_t port, Millis timeout = Millis(5000))
      : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      Fail("socket");
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) !=
        0) {
      Fail("connect");
      CloseFd();
      return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~HttpClient() { CloseFd(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // What failed last ("connect: Connection refused", "timeout", …).
  const std::string& error() const { return error_; }

  // Sends all of `bytes`; false (see error()) if the connection failed.
  bool SendRaw(std::string_view bytes) {
    if (fd_ < 0) return Fail("not connected", 0);
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail("send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Sends a request with `Host` and `Content-Length` (when there is a body
  // or the method is POST/PUT/PATCH) added, then reads its response.
  std::optional<HttpReply> Send(std::string_view method,
                                std::string_view target,
                                const HeaderList& headers = {},
                                std::string_view body = {}) {
    if (!SendRaw(BuildRequest(method, target, headers, body)))
      return std::nullopt;
    return ReadResponse();
  }

  // Reads one response (an interim 1xx one too: call again for the final).
  // nullopt on timeout, on close before a whole response, or on a response
  // this client cannot frame; error() says which.
  std::optional<HttpReply> ReadResponse() {
    const auto deadline = Clock::now() + timeout_;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill(deadline)) return std::nullopt;
    HttpReply reply;
    std::string_view head(buffer_.data(), header_end);
    const std::size_t line_end = std::min(head.find("\r\n"), head.size());
    const std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" ||
        status_line[8] != ' ') {
      Fail("bad status line", 0);
      return std::nullopt;
    }
    for (std::size_t i = 9; i < 12; ++i) {
      if (status_line[i] < '0' || status_line[i] > '9') {
        Fail("bad status code", 0);
        return std::nullopt;
      }
      reply.status = reply.status * 10 + (status_line[i] - '0');
    }
    std::size_t pos = line_end;
    while (pos < head.size()) {
      pos += 2;  // "\r\n"
      std::size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view line = head.substr(pos, end - pos);
      pos = end;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        Fail("bad header line", 0);
        return std::nullopt;
      }
      std::string name(line.substr(0, colon));
      for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      std::string value(Trim(line.substr(colon + 1)));
      auto [it, inserted] = reply.headers.try_emplace(std::move(name), value);
      if (!inserted) it->second += ", " + value;
    }
    buffer_.erase(0, header_end + 4);
    if (reply.status < 200 || reply.status == 204 || reply.status == 304)
      return reply;
    if (!reply.Header("transfer-encoding").empty()) {
      Fail("chunked responses are not supported", 0);
      return std::nullopt;
    }
    const std::string length = reply.Header("content-length");
    if (length.empty()) {  // the body runs to the end of the connection
      while (Fill(deadline)) {
      }
      if (error_ != "closed") return std::nullopt;
      reply.body = std::move(buffer_);
      buffer_.clear();
      return reply;
    }
    std::size_t n = 0;
    for (char c : length) {
      if (c < '0' || c > '9') {
        Fail("bad content-length", 0);
        return std::nullopt;
      }
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    while (buffer_.size() < n)
      if (!Fill(deadline)) return std::nullopt;
    reply.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return reply;
  }

  // Waits up to `timeout` for the server to close the connection, discarding
  // any bytes it still sends; true if it closed (FIN or RST) in time.
  bool WaitForClose(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Fill(deadline)) buffer_.clear();
    return error_ == "closed";
  }

  // Closes our end now.
  void Close() { CloseFd(); }

  static std::string BuildRequest(std::string_view method,
                                  std::string_view target,
                                  const HeaderList& headers,
                                  std::string_view body) {
    std::string out;
    out.append(method).append(" ").append(target).append(
        " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (const auto& [name, value] : headers)
      out.append(name).append(": ").append(value).append("\r\n");
    if (!body.empty() || method == "POST" || method == "PUT" ||
        method == "PATCH")
      out.append("Content-Length: ")
          .append(std::to_string(body.size()))
          .append("\r\n");
    out.append("\r\n").append(body);
    return out;
  }

 private:
  using Clock = std::chrono::steady_clock;

  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  }

  // Appends what arrives before `deadline` to buffer_. False on timeout
  // (error "timeout"), on close (error "closed", also for a reset) or on
  // another error.
  bool Fill(Clock::time_point deadline) {
    if (fd_ < 0) return Fail("not connected", 0);
    for (;;) {
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      if (left <= 0) return Fail("timeout", 0);
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return Fail("poll");
      if (ready == 0) continue;  // the loop re-checks the deadline
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return Fail("closed", 0);
      if (n < 0) return Fail("recv");
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  // Records `what` (with strerror(errno) when `err` is nonzero); false.
  bool Fail(const char* what, int err = -1) {
    if (err == -1) err = errno;
    error_ = what;
    if (err != 0) error_ += std::string(": ") + std::strerror(err);
    return false;
  }

  void CloseFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
  Millis timeout_;
  std::string buffer_;  // received, not yet consumed (keep-alive, pipelining)
  std::string error_;
};

// One request on a fresh connection; nullopt if it could not be made or
// answered (the reason is lost: use HttpClient to see it).
inline std::optional<HttpReply> Request(
    std::uint16_t port, std::string_view method, std::string_view target,
    const HeaderList& headers = {}, std::string_view body = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  HttpClient client(port, timeout);
  if (!client.connected()) return std::nullopt;
  return client.Send(method, target, headers, body);
}

}  // namespace caseledger::testing
