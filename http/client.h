// HttpClient: a small HTTP/1.1 client for the node's outgoing requests (a
// witness's add-checkpoint, a mirror's reads): one keep-alive connection to
// one origin, reopened when the server closed it; every request bounded by a
// deadline. Plain http:// only for now (docs/witnessing.md says how to put a
// witness behind TLS). Beast stays in this translation unit (pimpl).
// Thread-safety: one request at a time per client (not thread-safe); separate
// clients are independent.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"

namespace caseledger::http {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method` to `url` ("http://host[:port]/path[?query]") with `body`
  // (Content-Type `content_type` when the body is not empty) and the extra
  // `headers`, and reads the whole response (at most `max_body` bytes).
  // InvalidArgument for a URL that is not http://; Unavailable when the
  // server cannot be reached, closes the connection, or does not answer
  // within `timeout`; ResourceExhausted when the body exceeds max_body.
  Result<ClientResponse> Send(const std::string& method, const std::string& url,
                              const std::string& body, const std::string& content_type,
                              const std::map<std::string, std::string>& headers,
                              std::chrono::milliseconds timeout,
                              std::size_t max_body = std::size_t{64} << 20);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace caseledger::http
