// The real HTTP server on 127.0.0.1 with a free port and a dummy handler,
// checked through an independent raw-socket client: round trips, keep-alive,
// body/header limits, malformed requests, slow-loris and idle timeouts,
// overload, graceful stop, and an access log free of personal data.
#include "base/json.h"
#include "http/server.h"
#include "http/client.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/http_client.h"

namespace caseledger::http {
namespace {

using caseledger::testing::HttpClient;
using caseledger::testing::HttpReply;
using caseledger::testing::Request;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kSleep{300};
constexpr milliseconds kSleepLong{2000};

ServerOptions TestOptions() {
  ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.body_limit = 4096;
  o.header_limit = 2048;
  o.request_timeout = milliseconds(2000);
  o.idle_timeout = milliseconds(2000);
  o.drain_timeout = milliseconds(3000);
  o.io_threads = 2;
  o.handler_threads = 2;
  return o;
}

long long MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

// After an attack or a limit crossed: the server still answers a plain request.
void CheckStillServes(std::uint16_t port) {
  auto after = Request(port, "GET", "/echo");
  REQUIRE(after);
  CHECK(after->status == 200);
}

// A started server with the dummy handler and a captured access log; stops
// the server before the members its callbacks use go away.
class Harness {
 public:
  explicit Harness(ServerOptions options = TestOptions()) {
    auto started = Server::Start(
        std::move(options), [this](const HttpRequest& r) { return Handle(r); },
        [this](std::string_view line) {
          std::lock_guard<std::mutex> lock(mu_);
          log_.emplace_back(line);
        });
    INFO(started.status().ToString());
    REQUIRE(started.ok());
    server_ = std::move(started).value();
  }
  ~Harness() {
    if (server_) server_->Stop();
    for (std::thread& t : answerers_) t.join();
  }

  Server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }

  // The access log once it has at least `n` lines (or after 2 s).
  std::vector<std::string> LogLines(std::size_t n) {
    const auto deadline = Clock::now() + milliseconds(2000);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (log_.size() >= n || Clock::now() > deadline) return log_;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

  // The number of /sleep or /defer handlers entered, once it is not 0 or
  // after 2 s.
  int WaitForSleeper() const {
    const auto deadline = Clock::now() + milliseconds(2000);
    while (sleepers_entered.load() == 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(2));
    return sleepers_entered.load();
  }

  std::atomic<int> sleepers_entered{0};
  std::atomic<int> sleepers_done{0};

 private:
  // /echo: what arrived, as JSON; /sleep: 300 ms, then 200; /throw: an
  // exception whose text must never reach anyone; otherwise 404.
  HttpResponse Handle(const HttpRequest& r) {
    const std::string path = r.target.substr(0, r.target.find('?'));
    HttpResponse resp;
    if (path == "/echo") {
      Json j{{"method", r.method},
                       {"target", r.target},
                       {"body_length", r.body.size()}};
      if (auto it = r.headers.find("x-test"); it != r.headers.end())
        j["x_test"] = it->second;
      resp.body = j.dump();
      resp.route = "/echo";
      resp.headers.emplace_back("X-Handler", "echo");
      return resp;
    }
    if (path == "/sleep-long") {  // far beyond any client deadline of the tests
      std::this_thread::sleep_for(kSleepLong);
      resp.body = "late";
      resp.route = "/sleep-long";
      return resp;
    }
    if (path == "/sleep") {
      ++sleepers_entered;
      std::this_thread::sleep_for(kSleep);
      resp.body = std::string(20000, 'z');  // more than one write's worth
      resp.route = "/sleep";
      ++sleepers_done;
      return resp;
    }
    if (path == "/throw")
      throw std::runtime_error("alice@example.org owes 100");
    // Deferred answers (Deferral): /defer answers from another thread after
    // 300 ms, /defer-now before the handler returns, /defer-lost never (the
    // answer is dropped), /defer-untaken returns Deferred() without taking.
    if (path == "/defer" || path == "/defer-now" || path == "/defer-lost") {
      if (!r.deferral) return ErrorResponse(Internal("no deferral"));
      Deferral::Answer answer = r.deferral->Take();
      HttpResponse a;
      a.body = "deferred";
      if (path == "/defer-now") {
        answer(std::move(a));
      } else if (path == "/defer") {
        ++sleepers_entered;
        std::lock_guard<std::mutex> lock(mu_);
        answerers_.emplace_back([this, answer = std::move(answer), a = std::move(a)]() mutable {
          std::this_thread::sleep_for(kSleep);
          ++sleepers_done;
          answer(std::move(a));
        });
      }
      HttpResponse d = Deferred();
      d.route = "/defer";
      return d;
    }
    if (path == "/defer-untaken") return Deferred();
    return ErrorResponse(NotFound("no such resource"));
  }

  std::mutex mu_;
  std::vector<std::thread> answerers_;  // (mu_) joined after Stop
  std::vector<std::string> log_;
  std::unique_ptr<Server> server_;  // last: destroyed (stopped) first
};

// "method=M route=R status=NNN bytes=N micros=N conn=N req=N": these keys in
// this order, no value empty or with a space, the last five decimal.
bool HasLogShape(const std::string& line) {
  static const std::vector<std::string> kKeys = {
      "method", "route", "status", "bytes", "micros", "conn", "req"};
  std::size_t pos = 0;
  for (std::size_t k = 0; k < kKeys.size(); ++k) {
    const std::string prefix = kKeys[k] + "=";
    if (line.compare(pos, prefix.size(), prefix) != 0) return false;
    pos += prefix.size();
    std::size_t end = line.find(' ', pos);
    if (end == std::string::npos) end = line.size();
    const std::string value = line.substr(pos, end - pos);
    if (value.empty()) return false;
    if (k >= 2 && value.find_first_not_of("0123456789") != std::string::npos)
      return false;
    if (k == 2 && value.size() != 3) return false;
    pos = end + 1;
    if ((k + 1 == kKeys.size()) != (end == line.size())) return false;
  }
  return true;
}

Json Json(const HttpReply& r) {
  return Json::parse(r.body);
}

// Checks `r` is a problem+json of the HTTP layer with `status` and `slug`.
void CheckProblem(const HttpReply& r, int status, const std::string& slug) {
  CHECK(r.status == status);
  CHECK(r.Header("content-type") == "application/problem+json");
  CHECK(r.Header("cache-control") == "no-store");
  CHECK(r.Header("server") == "caseledger");
  const auto j = Json(r);
  CHECK(j["status"] == status);
  CHECK(j["type"] == "https://caseledger.invalid/problems/" + slug);
  CHECK(j["title"].is_string());
  CHECK(j["detail"].is_string());
  // Canonical shape: exactly these keys, sorted.
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"detail", "status", "title", "type"});
  CHECK(r.body.rfind(R"({"detail":)", 0) == 0);
}

TEST_CASE("server: GET and POST round trips through the handler", "[api]") {
  Harness h;
  auto get =
      Request(h.port(), "GET", "/echo?x=1", {{"X-Test", "a"}, {"x-TEST", "b"}});
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->Header("content-type") == "application/json");
  CHECK(get->Header("server") == "caseledger");
  CHECK(get->Header("cache-control") == "no-store");
  CHECK(get->Header("x-handler") == "echo");
  CHECK(get->Header("date").empty());
  auto j = Json(*get);
  CHECK(j["method"] == "GET");
  CHECK(j["target"] == "/echo?x=1");
  CHECK(j["body_length"] == 0);
  CHECK(j["x_test"] == "a, b");  // names lower-cased, repeats joined

  auto post =
      Request(h.port(), "POST", "/echo", {{"Content-Type", "application/json"}},
              R"({"hello":"world"})");
  REQUIRE(post);
  CHECK(post->status == 200);
  j = Json(*post);
  CHECK(j["method"] == "POST");
  CHECK(j["body_length"] == 17);

  auto missing = Request(h.port(), "GET", "/nowhere");
  REQUIRE(missing);
  CheckProblem(*missing, 404, "not-found");

  SECTION(
      "a handler's exception is a 500 internal problem that shows nothing of "
      "it") {
    auto thrown = Request(h.port(), "GET", "/throw");
    REQUIRE(thrown);
    CheckProblem(*thrown, 500, "internal");
    CHECK(thrown->body.find("alice") == std::string::npos);
    for (const auto& line : h.LogLines(4))
      CHECK(line.find("alice") == std::string::npos);
  }

  SECTION("Expect: 100-continue gets an interim 100 before the body is sent") {
    HttpClient c(h.port());
    REQUIRE(c.connected());
    REQUIRE(
        c.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n"));
    auto interim = c.ReadResponse();
    REQUIRE(interim);
    CHECK(interim->status == 100);
    REQUIRE(c.SendRaw("hello"));
    auto final_reply = c.ReadResponse();
    REQUIRE(final_reply);
    CHECK(final_reply->status == 200);
    CHECK(Json(*final_reply)["body_length"] == 5);
  }
}

TEST_CASE("server: keep-alive, Connection: close and HTTP/1.0", "[api]") {
  Harness h;
  SECTION("two requests on one connection") {
    HttpClient c(h.port());
    REQUIRE(c.connected());
    auto first = c.Send("GET", "/echo?n=1");
    auto second = c.Send("POST", "/echo", {}, "abc");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->status == 200);
    CHECK(second->status == 200);
    CHECK(Json(*second)["body_length"] == 3);
    CHECK(first->Header("connection").empty());  // HTTP/1.1 default: keep-alive
    const auto lines = h.LogLines(2);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(" conn=1 req=1") != std::string::npos);
    CHECK(lines[1].find(" conn=1 req=2") != std::string::npos);
  }
  SECTION("Connection: close is honoured") {
    HttpClient c(h.port());
    auto r = c.Send("GET", "/echo", {{"Connection", "close"}});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->Header("connection") == "close");
    CHECK(c.WaitForClose(milliseconds(1000)));
  }
  SECTION("HTTP/1.0 without keep-alive closes") {
    HttpClient c(h.port());
    REQUIRE(c.SendRaw("GET /echo HTTP/1.0\r\n\r\n"));
    auto r = c.ReadResponse();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.WaitForClose(milliseconds(1000)));
  }
  SECTION("HTTP/1.0 with keep-alive stays open") {
    HttpClient c(h.port());
    REQUIRE(c.SendRaw("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.ReadResponse();
    REQUIRE(r);
    CHECK(r->Header("connection") == "keep-alive");
    REQUIRE(c.SendRaw("GET /echo HTTP/1.0\r\n\r\n"));
    r = c.ReadResponse();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("pipelined requests are answered in order") {
    HttpClient c(h.port());
    REQUIRE(
        c.SendRaw("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto a = c.ReadResponse();
    auto b = c.ReadResponse();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(Json(*a)["target"] == "/echo?n=1");
    CHECK(Json(*b)["target"] == "/echo?n=2");
  }
}

TEST_CASE("server: a body over the limit is 413 and the server stays up",
          "[api]") {
  Harness h;  // body_limit 4096
  SECTION("declared by Content-Length") {
    HttpClient c(h.port());
    auto r = c.Send("POST", "/echo", {}, std::string(5000, 'x'));
    REQUIRE(r);
    CheckProblem(*r, 413, "payload-too-large");
    CHECK(r->Header("connection") == "close");
    CHECK(c.WaitForClose(milliseconds(1500)));
  }
  SECTION("arriving chunked") {
    HttpClient c(h.port());
    std::string req =
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i)
      req += "400\r\n" + std::string(1024, 'y') + "\r\n";
    req += "0\r\n\r\n";
    REQUIRE(c.SendRaw(req));
    auto r = c.ReadResponse();
    REQUIRE(r);
    CheckProblem(*r, 413, "payload-too-large");
  }
  SECTION("exactly at the limit is fine") {
    auto r = Request(h.port(), "POST", "/echo", {}, std::string(4096, 'x'));
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CheckStillServes(h.port());
}

TEST_CASE("server: a header over the limit is 431", "[api]") {
  Harness h;  // header_limit 2048
  HttpClient c(h.port());
  auto r = c.Send("GET", "/echo", {{"X-Big", std::string(3000, 'h')}});
  REQUIRE(r);
  CheckProblem(*r, 431, "header-too-large");
  auto after =
      Request(h.port(), "GET", "/echo", {{"X-Fine", std::string(1000, 'h')}});
  REQUIRE(after);
  CHECK(after->status == 200);
}

TEST_CASE("server: malformed or ambiguous requests are 400", "[api]") {
  Harness h;
  const std::vector<std::string> bad = {
      "NOT A REQUEST\r\n\r\n",
      "GET /echo HTTP/1.1\r\nHost x\r\n\r\n",   // no colon
      "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n",  // not HTTP/1.x
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                  15),  // TLS
      // Both framings, in either order, or a Transfer-Encoding that is not
      // chunked: the body's length would be ambiguous (smuggling).
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\nContent-Length: 3\r\n\r\n"
      "0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: "
      "4\r\n\r\nabcd",
  };
  for (const auto& raw : bad) {
    INFO(raw);
    HttpClient c(h.port());
    REQUIRE(c.SendRaw(raw));
    auto r = c.ReadResponse();
    REQUIRE(r);
    CheckProblem(*r, 400, "bad-request");
    CHECK(c.WaitForClose(milliseconds(1500)));
  }
  CheckStillServes(h.port());
}

TEST_CASE("server: slow-loris connections are cut at request_timeout",
          "[api][slow]") {
  ServerOptions o = TestOptions();
  o.request_timeout = milliseconds(500);
  Harness h(o);
  const auto start = Clock::now();
  HttpClient half_line(h.port()), half_body(h.port()), silent(h.port());
  REQUIRE(half_line.SendRaw("GET /echo HT"));
  REQUIRE(half_body.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  REQUIRE(silent.connected());

  // Meanwhile others are served, promptly.
  for (int i = 0; i < 3; ++i) {
    const auto t = Clock::now();
    auto r = Request(h.port(), "GET", "/echo");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(MillisSince(t) < 200);
    std::this_thread::sleep_for(milliseconds(100));
  }

  for (HttpClient* c : {&half_line, &half_body}) {
    auto r = c->ReadResponse();
    REQUIRE(r);
    CheckProblem(*r, 408, "request-timeout");
    CHECK(c->WaitForClose(milliseconds(1500)));
  }
  // Nothing arrived on the silent one: closed without an answer.
  CHECK_FALSE(silent.ReadResponse());
  CHECK(silent.error() == "closed");
  const auto elapsed = MillisSince(start);
  CHECK(elapsed >= 450);
  CHECK(elapsed < 1500);
}

TEST_CASE("server: an idle keep-alive connection is closed after idle_timeout",
          "[api][slow]") {
  ServerOptions o = TestOptions();
  o.idle_timeout = milliseconds(300);
  Harness h(o);
  HttpClient c(h.port());
  auto r = c.Send("GET", "/echo");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto t = Clock::now();
  CHECK(c.WaitForClose(milliseconds(2000)));
  const auto elapsed = MillisSince(t);
  CHECK(elapsed >= 250);
  CHECK(elapsed < 1000);
}

TEST_CASE("server: over max_in_flight requests are 503 with Retry-After",
          "[api][slow]") {
  ServerOptions o = TestOptions();
  o.max_in_flight = 1;
  Harness h(o);
  std::vector<std::optional<HttpReply>> replies(3);
  std::vector<std::thread> threads;
  for (auto& reply : replies)
    threads.emplace_back(
        [&h, &reply] { reply = Request(h.port(), "GET", "/sleep"); });
  for (auto& t : threads) t.join();
  int ok = 0, busy = 0;
  for (const auto& r : replies) {
    REQUIRE(r);
    if (r->status == 200) {
      ++ok;
      CHECK(r->body.size() == 20000);
    } else {
      ++busy;
      CheckProblem(*r, 503, "unavailable");
      CHECK(r->Header("retry-after") == "1");
    }
  }
  CHECK(ok >= 1);
  CHECK(busy >= 1);
  CheckStillServes(h.port());  // the counter came back down
}

TEST_CASE("server: over max_connections a connection is refused", "[api]") {
  ServerOptions o = TestOptions();
  o.max_connections = 1;
  Harness h(o);
  HttpClient first(h.port());
  auto r = first.Send("GET", "/echo");  // registered and now idle
  REQUIRE(r);
  HttpClient second(h.port());
  auto refused = second.ReadResponse();
  if (refused) {
    CHECK(refused->status == 503);
    CHECK(refused->Header("retry-after") == "1");
  } else {
    CHECK(second.error() == "closed");
  }
  r = first.Send("GET", "/echo");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE(
    "server: Stop lets a request in flight finish and refuses new connections",
    "[api][slow]") {
  Harness h;
  HttpClient idle(h.port());
  REQUIRE(idle.Send("GET", "/echo"));  // an idle keep-alive connection

  std::optional<HttpReply> slow;
  std::thread client([&] { slow = Request(h.port(), "GET", "/sleep"); });
  REQUIRE(h.WaitForSleeper() == 1);

  const auto stop_start = Clock::now();
  std::thread stopper([&] { h.server().Stop(); });
  // New connections are refused while the slow request drains.
  const auto deadline = Clock::now() + milliseconds(2000);
  bool refused = false;
  while (!refused && Clock::now() < deadline) {
    HttpClient probe(h.port());
    refused = !probe.connected();
    if (!refused) std::this_thread::sleep_for(milliseconds(2));
  }
  CHECK(refused);
  CHECK(h.sleepers_done.load() == 0);  // still in flight when refusing began
  stopper.join();
  client.join();
  CHECK(MillisSince(stop_start) < 2000);

  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(slow->body == std::string(20000, 'z'));
  CHECK(slow->Header("connection") == "close");
  CHECK(idle.WaitForClose(milliseconds(200)));  // closed during Stop
  CHECK_FALSE(HttpClient(h.port()).connected());
  h.server().Stop();  // idempotent
}

TEST_CASE(
    "server: the access log has route and status, never the target or address",
    "[api]") {
  Harness h;
  REQUIRE(Request(h.port(), "GET", "/echo?name=alice-smith&id=c-123",
                  {{"X-Test", "personal-value"}}));
  REQUIRE(Request(h.port(), "GET", "/nowhere/alice-smith"));
  {
    HttpClient c(h.port());
    REQUIRE(c.SendRaw("NOT A REQUEST\r\n\r\n"));
    REQUIRE(c.ReadResponse());
  }
  const auto lines = h.LogLines(3);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) {
    INFO(line);
    CHECK(HasLogShape(line));
    for (const char* secret :
         {"alice", "c-123", "?", "name=", "personal", "127.0.0.1", "x-test"})
      CHECK(line.find(secret) == std::string::npos);
  }
  // Each request was on its own connection: the lines may come in any order.
  for (const char* expected :
       {"method=GET route=/echo status=200 bytes=",
        "method=GET route=- status=404 ", "method=- route=- status=400 "}) {
    INFO(expected);
    CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(expected, 0) == 0;
    }));
  }
}

TEST_CASE("server: a deferred answer is written when given, in either order", "[api]") {
  Harness h;
  HttpClient c(h.port());
  for (const char* path : {"/defer", "/defer-now", "/defer"}) {
    INFO(path);
    auto r = c.Send("GET", path);  // keep-alive: the connection goes on after each
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "deferred");
    CHECK(r->Header("cache-control") == "no-store");
  }
  // The answer has no route of its own: it gets the Deferred() response's.
  const auto lines = h.LogLines(3);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) CHECK(line.rfind("method=GET route=/defer status=200 ", 0) == 0);
}

TEST_CASE("server: a deferred answer lost or never taken is 500, and the server goes on",
          "[api]") {
  Harness h;
  for (const char* path : {"/defer-lost", "/defer-untaken"}) {
    INFO(path);
    auto r = Request(h.port(), "GET", path);
    REQUIRE(r);
    CheckProblem(*r, 500, "internal");
  }
  CheckStillServes(h.port());
}

TEST_CASE("server: deferred requests count toward max_in_flight until answered",
          "[api][slow]") {
  ServerOptions o = TestOptions();
  o.max_in_flight = 1;
  Harness h(o);
  std::optional<HttpReply> slow;
  std::thread client([&] { slow = Request(h.port(), "GET", "/defer"); });
  REQUIRE(h.WaitForSleeper() == 1);
  // The handler has returned, its thread is free, but the request is open.
  auto busy = Request(h.port(), "GET", "/echo");
  REQUIRE(busy);
  if (h.sleepers_done.load() == 0) CheckProblem(*busy, 503, "unavailable");
  client.join();
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CheckStillServes(h.port());
}

TEST_CASE("server: Stop waits for a deferred answer and writes it", "[api][slow]") {
  Harness h;
  std::optional<HttpReply> slow;
  std::thread client([&] { slow = Request(h.port(), "GET", "/defer"); });
  REQUIRE(h.WaitForSleeper() == 1);
  h.server().Stop();
  CHECK(h.sleepers_done.load() == 1);  // Stop returned after the answer
  client.join();
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(slow->body == "deferred");
  CHECK(slow->Header("connection") == "close");
}

TEST_CASE("server: Start reports a bad address and a port in use", "[api]") {
  Harness h;
  ServerOptions o = TestOptions();
  o.port = h.port();
  auto taken =
      Server::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.status().code() == StatusCode::kIoError);
  const std::string& message = taken.status().message();
  CHECK(message.find("127.0.0.1:" + std::to_string(h.port())) !=
        std::string::npos);
  CHECK(message.find("in use") != std::string::npos);

  o.port = 0;
  o.address = "localhost:80";
  auto bad =
      Server::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);

  o.address = "127.0.0.1";
  o.handler_threads = 0;
  auto no_threads =
      Server::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  CHECK_FALSE(no_threads.ok());
}

}  // namespace
}  // namespace caseledger::http

namespace caseledger::http {
namespace {

// The resident memory of this process, in KiB (/proc/self/status VmRSS).
long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Sends `head`, then `filler` again and again (64 MiB in all, or until the
// server stops taking it), then reads the answer. The growth of this
// process's memory (the server runs in it) is in `grown_kib`: an unbounded
// server grows by at least what was sent; a bounded one by a fixed amount.
std::optional<HttpReply> FloodWith(std::uint16_t port, const std::string& head,
                                   const std::string& unit, long& grown_kib) {
  const long before = RssKiB();
  HttpClient c(port);
  std::optional<HttpReply> r;
  if (!c.SendRaw(head)) return r;
  std::string piece;
  while (piece.size() + unit.size() <= 64 * 1024) piece += unit;
  for (std::size_t sent = 0; sent < (std::size_t{64} << 20); sent += piece.size())
    if (!c.SendRaw(piece)) break;
  r = c.ReadResponse();
  grown_kib = RssKiB() - before;
  return r;
}

std::optional<HttpReply> Flood(std::uint16_t port, const std::string& head, char filler,
                               long& grown_kib) {
  return FloodWith(port, head, std::string(1, filler), grown_kib);
}

// The memory bound of the framing tests: an unbounded server grows by what
// was sent (64 MiB), a bounded one by its buffers. Not measured under
// AddressSanitizer, whose quarantine keeps freed memory resident (every
// read's completion handler): the statuses still hold there, and the
// release build checks the memory.
void CheckBounded(long grown_kib) {
  INFO("memory grew by " << grown_kib << " KiB");
#if defined(__SANITIZE_ADDRESS__)
  (void)grown_kib;
#else
  CHECK(grown_kib < 16 * 1024);
#endif
}

constexpr char kChunkedHead[] =
    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST_CASE("server: every part of chunked framing is bounded, and answered before it is buffered",
          "[api][framing]") {
  Harness h;  // header_limit 2048: framing lines and trailers up to 3 KiB
  long grown = 0;
  SECTION("an endless chunk extension is 400") {
    auto r = Flood(h.port(), std::string(kChunkedHead) + "5;", 'e', grown);
    REQUIRE(r);
    CheckProblem(*r, 400, "bad-request");
    CHECK(Json(*r)["detail"].get<std::string>().find("chunk-size line") != std::string::npos);
  }
  SECTION("endless leading zeros in a chunk size are 400") {
    auto r = Flood(h.port(), std::string(kChunkedHead) + "0000", '0', grown);
    REQUIRE(r);
    CheckProblem(*r, 400, "bad-request");
  }
  SECTION("an endless trailer section is 431") {
    auto r = Flood(h.port(), std::string(kChunkedHead) + "5\r\nhello\r\n0\r\nX-Trailer: ", 't',
                   grown);
    REQUIRE(r);
    CheckProblem(*r, 431, "header-too-large");
    CHECK(Json(*r)["detail"].get<std::string>().find("trailer") != std::string::npos);
  }
  SECTION("an endless request line is 431") {
    auto r = Flood(h.port(), "GET /", 'a', grown);
    REQUIRE(r);
    CheckProblem(*r, 431, "header-too-large");
  }
  CheckBounded(grown);
  // The server is still up.
  CheckStillServes(h.port());
}

TEST_CASE("server: a chunk extension over 256 bytes is 400, within it the request is served",
          "[api][framing]") {
  Harness h;
  HttpClient c(h.port());
  REQUIRE(c.SendRaw(std::string(kChunkedHead) + "5;n=" + std::string(300, 'v') +
                    "\r\nhello\r\n0\r\n\r\n"));
  auto r = c.ReadResponse();
  REQUIRE(r);
  CheckProblem(*r, 400, "bad-request");
  CHECK(Json(*r)["detail"].get<std::string>().find("chunk extension") != std::string::npos);
  HttpClient ok(h.port());
  REQUIRE(ok.SendRaw(std::string(kChunkedHead) + "5;n=" + std::string(200, 'v') +
                     "\r\nhello\r\n0\r\nX-Trailer: fine\r\n\r\n"));
  r = ok.ReadResponse();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("server: a body in more than 4096 chunks is 413, 4096 are served", "[api][framing]") {
  ServerOptions o = TestOptions();
  o.body_limit = 1 << 20;  // so the count, not the size, is what is crossed
  Harness h(o);
  auto chunks = [](int n) {
    std::string req = kChunkedHead;
    for (int i = 0; i < n; ++i) req += "1\r\na\r\n";
    return req + "0\r\n\r\n";
  };
  HttpClient many(h.port());
  REQUIRE(many.SendRaw(chunks(5000)));
  auto r = many.ReadResponse();
  REQUIRE(r);
  CheckProblem(*r, 413, "payload-too-large");
  CHECK(Json(*r)["detail"].get<std::string>().find("4096 chunks") != std::string::npos);
  HttpClient fine(h.port());
  REQUIRE(fine.SendRaw(chunks(4096)));
  r = fine.ReadResponse();
  REQUIRE(r);
  CHECK(r->status == 200);
  // An endless stream of one-byte chunks: 413 at chunk 4097, memory bounded.
  long grown = 0;
  r = FloodWith(h.port(), kChunkedHead, "1\r\na\r\n", grown);
  REQUIRE(r);
  CheckProblem(*r, 413, "payload-too-large");
  CheckBounded(grown);
}

TEST_CASE("server: requests dripped a byte at a time are cut at request_timeout, memory bounded",
          "[api][framing][slow]") {
  ServerOptions o = TestOptions();
  o.request_timeout = milliseconds(600);
  Harness h(o);
  const long before = RssKiB();
  // Each connection drips one part of a request: the request line, a header,
  // a chunk-size line (extension), chunk data, a trailer.
  const std::vector<std::pair<std::string, std::string>> drips = {
      {"", "GET /echo?" + std::string(64, 'q')},
      {"GET /echo HTTP/1.1\r\nHost: x\r\nX-Drip: ", std::string(64, 'h')},
      {std::string(kChunkedHead) + "5;", std::string(64, 'e')},
      {std::string(kChunkedHead) + "400\r\n", std::string(64, 'd')},
      {std::string(kChunkedHead) + "1\r\na\r\n0\r\nX-T: ", std::string(64, 't')},
  };
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int copy = 0; copy < 8; ++copy) {
    for (const auto& [head, _] : drips) {
      clients.push_back(std::make_unique<HttpClient>(h.port()));
      if (!head.empty()) REQUIRE(clients.back()->SendRaw(head));
    }
  }
  const auto start = Clock::now();
  std::size_t i = 0;
  while (MillisSince(start) < 900) {
    for (std::size_t c = 0; c < clients.size(); ++c) {
      const std::string& body = drips[c % drips.size()].second;
      clients[c]->SendRaw(std::string(1, body[i % body.size()]));  // fails once cut
    }
    ++i;
    std::this_thread::sleep_for(milliseconds(20));
  }
  for (auto& c : clients) {
    auto r = c->ReadResponse();
    REQUIRE(r);
    CheckProblem(*r, 408, "request-timeout");
  }
  CheckBounded(RssKiB() - before);
  CheckStillServes(h.port());
}

// The request timer cancels the read it finds pending. A byte that arrives
// just before the timer fires completes the read without that cancel, and the
// parser starts another read: that read, too, must be cut. Clients drip as
// fast as they can, so the timer often fires between two reads.
TEST_CASE("server: a request dripped without pause is still cut at request_timeout",
          "[api][framing][slow]") {
  ServerOptions o = TestOptions();
  o.request_timeout = milliseconds(40);
  Harness h(o);
  constexpr int kRounds = 6;
  constexpr int kClients = 12;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> drippers;
    std::atomic<int> answered{0};
    std::atomic<int> uncut{0};
    std::mutex mu;
    std::string why;
    for (int c = 0; c < kClients; ++c) {
      drippers.emplace_back([&, c] {
        HttpClient client(h.port(), milliseconds(1500));
        const std::string head = c % 2 == 0 ? "GET /echo HTTP/1.1\r\nHost: x\r\nX-Drip: "
                                            : std::string(kChunkedHead) + "400\r\n";
        if (!client.SendRaw(head)) return;
        const auto start = Clock::now();
        // Drips until the server stops reading (send fails) or 1 s passes.
        while (MillisSince(start) < 1000 && client.SendRaw("d"))
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        auto r = client.ReadResponse();
        if (r && r->status == 408) {
          ++answered;
        } else {
          ++uncut;
          std::lock_guard<std::mutex> lock(mu);
          why += " [" + std::to_string(c) + ": " + (r ? std::to_string(r->status) : client.error()) +
                 " after " + std::to_string(MillisSince(start)) + " ms]";
        }
      });
    }
    for (auto& t : drippers) t.join();
    INFO("round " << round << why);
    CHECK(uncut.load() == 0);
    CHECK(answered.load() == kClients);
  }
  CheckStillServes(h.port());
}

// The outgoing client (http/client.h) against the real server: a round trip
// with body, content type and extra header; several requests on one
// keep-alive connection; the deadline; a closed port; a non-http URL.
TEST_CASE("HttpClient: round trips, keep-alive, deadline, unreachable", "[http]") {
  Harness h;
  const std::string base = "http://127.0.0.1:" + std::to_string(h.port());
  caseledger::http::HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto r = client.Send("POST", base + "/echo?n=" + std::to_string(i), "old 0\n", "text/plain",
                         {{"X-Test", "t" + std::to_string(i)}}, milliseconds(2000));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->content_type == "application/json");
    caseledger::Json j = caseledger::Json::parse(r->body);
    CHECK(j["method"] == "POST");
    CHECK(j["target"] == "/echo?n=" + std::to_string(i));
    CHECK(j["body_length"] == 6);
    CHECK(j["x_test"] == "t" + std::to_string(i));
  }
  // One connection for the three (conn=… is the same in the access log).
  auto lines = h.LogLines(3);
  REQUIRE(lines.size() >= 3);
  auto conn = [](const std::string& l) { return l.substr(l.find("conn=")); };
  CHECK(conn(lines[0]).substr(0, conn(lines[0]).find(' ')) ==
        conn(lines[2]).substr(0, conn(lines[2]).find(' ')));
  auto missing = client.Send("GET", base + "/nothing", "", "", {}, milliseconds(2000));
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(missing->content_type == "application/problem+json");

  // The deadline ends the wait long before the answer would come (a margin
  // that a loaded CI machine's scheduling delays cannot eat up).
  const auto start = Clock::now();
  auto slow = client.Send("GET", base + "/sleep-long", "", "", {}, milliseconds(100));
  CHECK(slow.status().code() == StatusCode::kUnavailable);
  CHECK(MillisSince(start) < 1500);
  // The client recovers on a fresh connection.
  auto again = client.Send("GET", base + "/echo", "", "", {}, milliseconds(2000));
  REQUIRE(again.ok());
  CHECK(again->status == 200);

  const std::uint16_t port = h.port();
  h.server().Stop();
  auto down = client.Send("GET", "http://127.0.0.1:" + std::to_string(port) + "/echo", "", "", {},
                          milliseconds(500));
  CHECK(down.status().code() == StatusCode::kUnavailable);
  CHECK(client.Send("GET", "https://127.0.0.1/", "", "", {}, milliseconds(500)).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger::http
