// The real `caseledger serve` for end-to-end tests: a data dir with one user
// per role (made with `caseledger user add`), the server on 127.0.0.1 (port
// 0), requests over real sockets, `caseledger verify`. The server is always
// stopped (SIGTERM, or SIGKILL by Kill) before the fixture goes. All data is
// synthetic.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/http/case_walk.h"
#include "tests/http/http_client.h"
#include "tests/e2e/process.h"

namespace caseledger::testing {

// "user <id> role <role> …" / "token <token>" from `user add`.
inline std::pair<std::string, std::string> AddUser(const std::string& dir, const std::string& role) {
  RunResult r = Run({"user", "add", "--data", dir, "--role", role, "--name", "Synthetic " + role});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::size_t u = r.out.find("user ") + 5;
  const std::size_t t = r.out.find("token ") + 6;
  return {r.out.substr(u, r.out.find(' ', u) - u), r.out.substr(t, r.out.find('\n', t) - t)};
}

struct Users {
  WalkTokens tok;
  std::string dpo_id;
};

inline Users MakeUsers(const std::string& dir) {
  REQUIRE(Run({"init", "--data", dir, "--origin", "test.caseledger.invalid/e2e"}).exit_code == 0);
  Users u;
  auto dpo = AddUser(dir, "dpo");  // the first DPO registers itself
  u.dpo_id = dpo.first;
  u.tok.dpo = dpo.second;
  auto cw = AddUser(dir, "caseworker");
  u.tok.cw_id = cw.first;
  u.tok.cw = cw.second;
  u.tok.cw2 = AddUser(dir, "caseworker").second;
  u.tok.co = AddUser(dir, "coordinator").second;
  u.tok.co2 = AddUser(dir, "coordinator").second;
  u.tok.lr = AddUser(dir, "legal_reviewer").second;
  u.tok.aud = AddUser(dir, "auditor").second;
  return u;
}

class Server {
 public:
  explicit Server(const std::string& dir, std::vector<std::string> extra = {})
      : err_(tmp_ / "stderr") {
    std::vector<std::string> args = {"serve", "--data", dir, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = std::make_unique<Child>(args, "", err_);
    std::string line;
    REQUIRE(child_->ReadLine(line));
    INFO(line);
    REQUIRE(line.rfind("listening on 127.0.0.1:", 0) == 0);
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }
  ~Server() {
    if (child_) {
      child_->Signal(SIGTERM);
      child_->Wait();
    }
  }
  // Graceful stop; the exit code.
  int Stop() {
    child_->Signal(SIGTERM);
    const int rc = child_->Wait();
    child_.reset();
    return rc;
  }
  // Waits until the server exits by itself; its exit code.
  int WaitExit() {
    const int rc = child_->Wait();
    child_.reset();
    return rc;
  }
  void Kill() {
    child_->Kill();
    child_->Wait();
    child_.reset();
  }
  std::uint16_t port() const { return port_; }
  std::string log() const { return ReadFile(err_); }
  bool Healthy() const {
    auto r = Request(port_, "GET", "/healthz");
    return r && r->status == 200;
  }

 private:
  TempDir tmp_;
  std::string err_;
  std::unique_ptr<Child> child_;
  std::uint16_t port_ = 0;
};

inline http::HttpResponse Over(std::uint16_t port, const http::HttpRequest& req) {
  HeaderList headers(req.headers.begin(), req.headers.end());
  auto reply = Request(port, req.method, req.target, headers, req.body);
  http::HttpResponse out;
  if (!reply) {
    out.status = 0;
    return out;
  }
  out.status = reply->status;
  out.content_type = reply->Header("content-type");
  for (const auto& [k, v] : reply->headers) out.headers.emplace_back(k, v);
  out.body = reply->body;
  return out;
}

inline int Verify(const std::string& dir) {
  RunResult r = Run({"verify", "--data", dir});
  INFO(r.out << r.err);
  return r.exit_code;
}

}  // namespace caseledger::testing
