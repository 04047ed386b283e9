// EtcdClient: a small client of etcd's v3 API through its JSON gRPC gateway
// (etcd 3.4 serves it at /v3/… on the client URL; POST, JSON bodies): leases
// (grant, one keep-alive, revoke), single-key reads and writes, and
// transactions. On the wire keys and values are base64 and every int64 (lease
// ids, revisions, TTLs) is a decimal JSON string; fields equal to their
// proto3 default (0, false, empty) are left out by the gateway, so an absent
// field reads as its default. What each call sends and what the real etcd
// answers: docs/cluster-election.md ("The etcd calls").
//
// Endpoints are tried in order starting from the last one that answered; the
// next one is tried only when one is unreachable (Unavailable), never after
// an answer. A write whose answer was lost (timeout) may or may not have been
// applied: the caller finds out by reading (Election does).
// Errors are Status values, never exceptions, and carry no key or value:
// Unavailable when no endpoint answers in time (or etcd says it cannot serve:
// no leader, request timed out), Corruption when an answer is not the JSON
// the API describes, NotFound for a lease etcd does not know, and the
// caller's own mistakes (an empty key) as InvalidArgument.
// Thread-safety: thread-safe; concurrent calls use separate connections (a
// keep-alive never waits behind a slow transaction).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace caseledger::http {
class HttpClient;
}

namespace caseledger::cluster {

// An etcd lease id (etcd's int64; 0 means "no lease").
using LeaseId = std::int64_t;

struct EtcdOptions {
  // Client URLs, "http://host:port" (no trailing slash), at least one.
  std::vector<std::string> endpoints;
  // The deadline of one attempt at one endpoint (connect, send and answer).
  // HttpClient resends once on a reused connection the server had closed,
  // so one attempt takes at most about twice this.
  std::chrono::milliseconds request_timeout{2000};
};

// One key as etcd stores it. Revisions are etcd's store revisions: the
// revision of the transaction that created the key (create_revision; 0 for
// a key that does not exist) and that last changed it (mod_revision).
struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;  // number of changes since creation
  LeaseId lease = 0;         // 0: not attached to a lease
};

struct Lease {
  LeaseId id = 0;
  // What etcd granted: at least what was asked, and at least etcd's minimum
  // (1.5 election timeouts rounded up: 2 s with the default settings).
  std::chrono::seconds ttl{0};
};

// One comparison of a transaction. A key that does not exist compares as
// create_revision = mod_revision = version = lease = 0 (value: never equal).
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kVersion, kValue, kLease };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kCreateRevision;
  Op op = Op::kEqual;
  std::int64_t number = 0;  // for every target but kValue
  std::string value;        // for kValue

  static Compare CreateRevision(std::string key, Op op, std::int64_t revision);
  static Compare ModRevision(std::string key, Op op, std::int64_t revision);
  static Compare Version(std::string key, Op op, std::int64_t version);
  static Compare Value(std::string key, Op op, std::string value);
  static Compare LeaseIs(std::string key, Op op, LeaseId lease);
};

// One operation of a transaction branch (single keys only, no ranges).
struct TxnOp {
  enum class Kind { kPut, kGet, kDelete };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;  // kPut
  LeaseId lease = 0;  // kPut: attach the key to this lease (0: none)

  static TxnOp Put(std::string key, std::string value, LeaseId lease = 0);
  static TxnOp Get(std::string key);
  static TxnOp Delete(std::string key);
};

// If every comparison holds, the success ops run, otherwise the failure ops:
// atomically, at one revision.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<TxnOp> success;
  std::vector<TxnOp> failure;
};

// The answer to one op of the branch that ran, in the same order.
struct TxnOpResult {
  std::optional<KeyValue> kv;  // kGet: the key, if it exists
  std::int64_t deleted = 0;    // kDelete: keys deleted (0 or 1)
};

struct TxnResult {
  bool succeeded = false;  // the comparisons held (the success branch ran)
  // The store revision after the transaction: the revision of its writes if
  // it wrote anything.
  std::int64_t revision = 0;
  std::vector<TxnOpResult> results;  // of the branch that ran
};

class EtcdClient {
 public:
  // Precondition: at least one endpoint.
  explicit EtcdClient(EtcdOptions options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POST /v3/lease/grant. A new lease of (at least) `ttl`. InvalidArgument
  // for a TTL below 1 s.
  Result<Lease> Grant(std::chrono::seconds ttl);

  // POST /v3/lease/keepalive with one request (the gateway answers the
  // stream's first message and ends it). Renews `lease` to its granted TTL
  // and returns that TTL; NotFound when the lease has expired or was revoked
  // (etcd answers with TTL 0).
  Result<std::chrono::seconds> KeepAliveOnce(LeaseId lease);

  // POST /v3/lease/revoke. Ends `lease` and deletes every key attached to it,
  // in one revision. NotFound if etcd does not know the lease (expired,
  // already revoked).
  Status Revoke(LeaseId lease);

  // POST /v3/kv/range of one key. nullopt if the key does not exist.
  Result<std::optional<KeyValue>> Get(std::string_view key);

  // POST /v3/kv/put. Returns the revision of the write. NotFound if `lease`
  // is not 0 and etcd does not know it.
  Result<std::int64_t> Put(std::string_view key, std::string_view value, LeaseId lease = 0);

  // POST /v3/kv/txn. NotFound if a put names a lease etcd does not know.
  Result<TxnResult> Txn(const TxnRequest& txn);

  // GET /health: OK if the endpoint answers {"health":"true"}. Tries only
  // `endpoint` (one of the options' or any other).
  Status Health(const std::string& endpoint);

  const EtcdOptions& options() const { return options_; }

 private:
  struct Pool;
  // POSTs `request` to `path` at the endpoints in turn; the parsed JSON
  // answer of a 200, or the mapped error.
  Result<Json> Call(std::string_view path, const Json& request);
  Result<Json> CallOne(std::size_t endpoint, std::string_view path, const std::string& body);

  const EtcdOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace caseledger::cluster
