// EtcdClient (cluster/etcd.h) against a real etcd: leases (grant, keep-alive,
// revoke, expiry), reads and writes with base64 keys and values of any
// bytes, transactions on every compare target with both branches, the
// gateway's error answers, an unreachable or frozen etcd (Unavailable, the
// next endpoint tried), and answers that are not etcd's (Corruption, from a
// fake server).
#include "cluster/etcd.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/etcd_fixture.h"

namespace caseledger::cluster {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;

EtcdOptions OptionsFor(std::vector<std::string> endpoints,
                       std::chrono::milliseconds timeout = 2000ms) {
  EtcdOptions o;
  o.endpoints = std::move(endpoints);
  o.request_timeout = timeout;
  return o;
}

// A loopback HTTP server that answers every request with one fixed response
// and closes the connection: stands in for something that is not etcd.
class FakeServer {
 public:
  FakeServer(int status, std::string body) : status_(status), body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    endpoint_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      // Read the head and the Content-Length body, then answer.
      std::string in;
      char buf[4096];
      for (;;) {
        const std::size_t head = in.find("\r\n\r\n");
        if (head != std::string::npos) {
          std::size_t want = 0;
          const std::size_t cl = in.find("Content-Length: ");
          if (cl != std::string::npos && cl < head) want = std::stoul(in.substr(cl + 16));
          if (in.size() >= head + 4 + want) break;
        }
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
      }
      const std::string out = "HTTP/1.1 " + std::to_string(status_) +
                              " X\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" +
                              body_;
      (void)!::write(c, out.data(), out.size());
      ::close(c);
    }
  }

  int status_;
  std::string body_;
  int fd_ = -1;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("etcd: leases: grant, attach, keep alive, revoke deletes the key", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor({etcd->endpoint()}));

  // etcd raises a TTL below its minimum (2 s with the default timing).
  Result<Lease> small = client.Grant(1s);
  REQUIRE(small.ok());
  CHECK(small->ttl >= 2s);

  Result<Lease> lease = client.Grant(30s);
  REQUIRE(lease.ok());
  CHECK(lease->id != 0);
  CHECK(lease->ttl == 30s);

  Result<std::int64_t> rev = client.Put("/t/leased", "v", lease->id);
  REQUIRE(rev.ok());
  Result<std::optional<KeyValue>> kv = client.Get("/t/leased");
  REQUIRE(kv.ok());
  REQUIRE(kv->has_value());
  CHECK((*kv)->lease == lease->id);  // a lease id above 2^53: exact through the string form
  CHECK((*kv)->create_revision == *rev);
  CHECK((*kv)->mod_revision == *rev);
  CHECK((*kv)->version == 1);

  Result<std::chrono::seconds> ttl = client.KeepAliveOnce(lease->id);
  REQUIRE(ttl.ok());
  CHECK(*ttl == 30s);

  REQUIRE(client.Revoke(lease->id).ok());
  kv = client.Get("/t/leased");
  REQUIRE(kv.ok());
  CHECK(!kv->has_value());

  // A lease that is gone: keep-alive, revoke and put say NotFound.
  CHECK(client.KeepAliveOnce(lease->id).status().code() == StatusCode::kNotFound);
  CHECK(client.Revoke(lease->id).code() == StatusCode::kNotFound);
  CHECK(client.Put("/t/x", "v", lease->id).status().code() == StatusCode::kNotFound);
  CHECK(client.KeepAliveOnce(12345).status().code() == StatusCode::kNotFound);
}

TEST_CASE("etcd: a lease left alone expires and takes its key with it", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor({etcd->endpoint()}));
  Result<Lease> lease = client.Grant(2s);
  REQUIRE(lease.ok());
  REQUIRE(client.Put("/t/short", "v", lease->id).ok());
  // TTL plus etcd's expiry sweep (every 500 ms), with room for a slow machine.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    Result<std::optional<KeyValue>> kv = client.Get("/t/short");
    REQUIRE(kv.ok());
    gone = !kv->has_value();
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  CHECK(gone);
  CHECK(client.KeepAliveOnce(lease->id).status().code() == StatusCode::kNotFound);
}

TEST_CASE("etcd: keys and values of any bytes round-trip (base64)", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor({etcd->endpoint()}));
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  const std::string key = std::string("/t/\0\xff/", 6) + "k";
  REQUIRE(client.Put(key, bytes).ok());
  Result<std::optional<KeyValue>> kv = client.Get(key);
  REQUIRE(kv.ok());
  REQUIRE(kv->has_value());
  CHECK((*kv)->key == key);
  CHECK((*kv)->value == bytes);

  // The gateway leaves an empty value out of its answer: it reads as "".
  REQUIRE(client.Put("/t/empty", "").ok());
  kv = client.Get("/t/empty");
  REQUIRE(kv.ok());
  REQUIRE(kv->has_value());
  CHECK((*kv)->value.empty());

  CHECK(client.Get("").status().code() == StatusCode::kInvalidArgument);
  CHECK(client.Put("", "v").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("etcd: transactions compare every target and run one branch", "[cluster]") {
  CL_START_ETCD_OR_SKIP(etcd);
  EtcdClient client(OptionsFor({etcd->endpoint()}));
  using Op = Compare::Op;

  // Create-if-absent: the first succeeds (and the get sees the put), the
  // second runs the failure branch and sees the first one's key.
  TxnRequest create;
  create.compare = {Compare::CreateRevision("/t/k", Op::kEqual, 0)};
  create.success = {TxnOp::Put("/t/k", "first"), TxnOp::Get("/t/k")};
  create.failure = {TxnOp::Get("/t/k")};
  Result<TxnResult> r = client.Txn(create);
  REQUIRE(r.ok());
  CHECK(r->succeeded);
  REQUIRE(r->results.size() == 2);
  REQUIRE(r->results[1].kv.has_value());
  const std::int64_t created = r->results[1].kv->create_revision;
  CHECK(created == r->revision);
  CHECK(r->results[1].kv->value == "first");

  create.success[0].value = "second";
  r = client.Txn(create);
  REQUIRE(r.ok());
  CHECK(!r->succeeded);
  REQUIRE(r->results.size() == 1);
  REQUIRE(r->results[0].kv.has_value());
  CHECK(r->results[0].kv->value == "first");
  CHECK(r->revision == created);  // nothing written

  // Each target, true and false.
  Result<Lease> lease = client.Grant(30s);
  REQUIRE(lease.ok());
  REQUIRE(client.Put("/t/k", "leased", lease->id).ok());
  Result<std::optional<KeyValue>> now = client.Get("/t/k");
  REQUIRE(now.ok());
  REQUIRE(now->has_value());
  const KeyValue kv = **now;
  struct Case {
    Compare compare;
    bool holds;
  };
  const std::vector<Case> cases = {
      {Compare::CreateRevision("/t/k", Op::kEqual, created), true},
      {Compare::CreateRevision("/t/k", Op::kEqual, created + 1), false},
      {Compare::CreateRevision("/t/k", Op::kLess, created + 1), true},
      {Compare::ModRevision("/t/k", Op::kEqual, kv.mod_revision), true},
      {Compare::ModRevision("/t/k", Op::kGreater, kv.mod_revision), false},
      {Compare::Version("/t/k", Op::kEqual, 2), true},
      {Compare::Value("/t/k", Op::kEqual, "leased"), true},
      {Compare::Value("/t/k", Op::kNotEqual, "leased"), false},
      {Compare::LeaseIs("/t/k", Op::kEqual, lease->id), true},
      {Compare::LeaseIs("/t/k", Op::kEqual, lease->id + 1), false},
      // A missing key: create_revision and lease 0.
      {Compare::CreateRevision("/t/none", Op::kEqual, 0), true},
      {Compare::LeaseIs("/t/none", Op::kEqual, 0), true},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    TxnRequest t;
    t.compare = {cases[i].compare};
    Result<TxnResult> c = client.Txn(t);
    REQUIRE(c.ok());
    CHECK(c->succeeded == cases[i].holds);
  }

  // Several compares are ANDed; a delete reports what it deleted.
  TxnRequest del;
  del.compare = {Compare::LeaseIs("/t/k", Op::kEqual, lease->id),
                 Compare::CreateRevision("/t/k", Op::kEqual, created)};
  del.success = {TxnOp::Delete("/t/k"), TxnOp::Delete("/t/k"), TxnOp::Get("/t/k")};
  r = client.Txn(del);
  REQUIRE(r.ok());
  CHECK(r->succeeded);
  REQUIRE(r->results.size() == 3);
  CHECK(r->results[0].deleted == 1);
  CHECK(r->results[1].deleted == 0);
  CHECK(!r->results[2].kv.has_value());

  // A put naming an unknown lease fails the whole transaction.
  TxnRequest bad;
  bad.success = {TxnOp::Put("/t/k2", "v", 999)};
  CHECK(client.Txn(bad).status().code() == StatusCode::kNotFound);
}

TEST_CASE("etcd: unreachable or frozen is Unavailable, the next endpoint is tried",
          "[cluster][fault]") {
  // Nothing listens: every call is Unavailable, none crashes.
  {
    EtcdClient dead(OptionsFor({testing::UnusedEndpoint()}, 500ms));
    CHECK(dead.Grant(5s).status().code() == StatusCode::kUnavailable);
    CHECK(dead.KeepAliveOnce(1).status().code() == StatusCode::kUnavailable);
    CHECK(dead.Revoke(1).code() == StatusCode::kUnavailable);
    CHECK(dead.Get("/k").status().code() == StatusCode::kUnavailable);
    CHECK(dead.Put("/k", "v").status().code() == StatusCode::kUnavailable);
    CHECK(dead.Txn(TxnRequest{}).status().code() == StatusCode::kUnavailable);
  }

  CL_START_ETCD_OR_SKIP(etcd);
  // A dead endpoint first: the live one answers, and stays preferred.
  EtcdClient both(OptionsFor({testing::UnusedEndpoint(), etcd->endpoint()}, 1000ms));
  REQUIRE(both.Put("/t/k", "v").ok());
  Result<std::optional<KeyValue>> kv = both.Get("/t/k");
  REQUIRE(kv.ok());
  CHECK(kv->has_value());

  // A frozen etcd accepts connections but answers nothing: the deadline.
  EtcdClient client(OptionsFor({etcd->endpoint()}, 500ms));
  REQUIRE(client.Get("/t/k").ok());
  etcd->Pause();
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::optional<KeyValue>> frozen = client.Get("/t/k");
  const auto took = std::chrono::steady_clock::now() - t0;
  etcd->Resume();
  CHECK(frozen.status().code() == StatusCode::kUnavailable);
  CHECK(took < 10s);  // bounded by the deadline (and one resend), not hung
  // And it recovers once etcd runs again.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool back = false;
  while (!back && std::chrono::steady_clock::now() < deadline) {
    back = client.Get("/t/k").ok();
    if (!back) std::this_thread::sleep_for(100ms);
  }
  CHECK(back);
}

TEST_CASE("etcd: answers that are not etcd's are Corruption, errors are mapped",
          "[cluster][fault]") {
  struct Case {
    int status;
    std::string body;
    StatusCode want;
  };
  const std::vector<Case> cases = {
      {200, "not json", StatusCode::kCorruption},
      {404, "404 page not found", StatusCode::kCorruption},
      {200, "[]", StatusCode::kCorruption},
      {200, R"({"kvs":[]})", StatusCode::kCorruption},  // no header
      {200, R"({"header":{"revision":"x"}})", StatusCode::kCorruption},
      {200, R"({"header":{"revision":"7"},"kvs":[{"key":"!!","value":"dg=="}]})",
       StatusCode::kCorruption},  // key not base64
      {200, R"({"header":{"revision":"7"},"kvs":[{"key":"L2s=","lease":"12x"}]})",
       StatusCode::kCorruption},  // int64 not decimal
      {200, R"({"header":{"revision":"7"},"kvs":[{"key":"L2s="},{"key":"L2s="}]})",
       StatusCode::kCorruption},  // two keys for one
      {200, R"({"header":{"revision":"7"},"kvs":{"key":"L2s="}})", StatusCode::kCorruption},
      {503, R"({"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14})",
       StatusCode::kUnavailable},
      {503, "busy", StatusCode::kUnavailable},
      {404, R"({"error":"x","message":"etcdserver: requested lease not found","code":5})",
       StatusCode::kNotFound},
      {500, R"({"error":"x","message":"x","code":2})", StatusCode::kInternal},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].body);
    FakeServer fake(cases[i].status, cases[i].body);
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    Result<std::optional<KeyValue>> r = client.Get("/k");
    CHECK(r.status().code() == cases[i].want);
  }

  // Keep-alive and grant: the fields they need.
  {
    FakeServer fake(200, R"({"header":{"revision":"1"}})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    CHECK(client.KeepAliveOnce(1).status().code() == StatusCode::kCorruption);  // no result
    CHECK(client.Grant(5s).status().code() == StatusCode::kCorruption);         // no ID
  }
  {
    FakeServer fake(200, R"({"result":{"header":{"revision":"1"},"ID":"1","TTL":3}})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    // A JSON number is taken too (the gateway writes strings).
    Result<std::chrono::seconds> ttl = client.KeepAliveOnce(1);
    REQUIRE(ttl.ok());
    CHECK(*ttl == 3s);
  }
  {
    FakeServer fake(200, R"({"result":{"header":{"revision":"1"},"ID":"1","TTL":"3s"}})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    CHECK(client.KeepAliveOnce(1).status().code() == StatusCode::kCorruption);
  }
  {
    FakeServer fake(200, R"({"header":{"revision":"18446744073709551615"}})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    CHECK(client.Put("/k", "v").status().code() == StatusCode::kCorruption);  // beyond int64
  }
  {
    FakeServer fake(200, R"({"error":{"grpc_code":14,"http_code":503,"message":"stopping"}})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    CHECK(client.KeepAliveOnce(1).status().code() == StatusCode::kUnavailable);
  }
  {
    // A txn whose responses do not match its ops.
    FakeServer fake(200, R"({"header":{"revision":"3"},"succeeded":true})");
    EtcdClient client(OptionsFor({fake.endpoint()}, 1000ms));
    TxnRequest t;
    t.success = {TxnOp::Get("/k")};
    CHECK(client.Txn(t).status().code() == StatusCode::kCorruption);
  }
}

}  // namespace
}  // namespace caseledger::cluster
