#include "cluster/etcd.h"

#include <cassert>
#include <charconv>
#include <cstdint>
#include <mutex>
#include <utility>

#include "base/bytes.h"
#include "crypto/base64.h"
#include "http/client.h"

namespace caseledger::cluster {
namespace {

// Answers are small (one key, a lease); anything bigger is not etcd's.
constexpr std::size_t kMaxAnswer = std::size_t{4} << 20;

// The gateway's int64: a decimal string (proto3 JSON mapping). A JSON integer
// is accepted too; an absent field is the proto3 default, 0.
Result<std::int64_t> Int64Field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::int64_t{0};
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return Corruption(std::string("etcd answer: field ") + name + " is beyond int64");
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return v;
  }
  return Corruption(std::string("etcd answer: field ") + name + " is not an int64");
}

// A bytes field (base64); absent is empty.
Result<std::string> BytesField(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return Corruption(std::string("etcd answer: field ") + name + " is not a string");
  Result<Bytes> b = crypto::Base64Decode(it->get_ref<const std::string&>());
  if (!b.ok()) return Corruption(std::string("etcd answer: field ") + name + " is not base64");
  return std::string(AsChars(*b));
}

bool BoolField(const Json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string B64(std::string_view s) { return crypto::Base64Encode(AsBytes(s)); }

// int64s go out as strings, the way the gateway writes them.
std::string Dec(std::int64_t v) { return std::to_string(v); }

Result<KeyValue> ParseKeyValue(const Json& j) {
  if (!j.is_object()) return Corruption("etcd answer: a key-value is not an object");
  KeyValue kv;
  CL_ASSIGN_OR_RETURN(kv.key, BytesField(j, "key"));
  CL_ASSIGN_OR_RETURN(kv.value, BytesField(j, "value"));
  CL_ASSIGN_OR_RETURN(kv.create_revision, Int64Field(j, "create_revision"));
  CL_ASSIGN_OR_RETURN(kv.mod_revision, Int64Field(j, "mod_revision"));
  CL_ASSIGN_OR_RETURN(kv.version, Int64Field(j, "version"));
  CL_ASSIGN_OR_RETURN(kv.lease, Int64Field(j, "lease"));
  return kv;
}

// The one key of a range answer ({"kvs":[...]}, absent when none).
Result<std::optional<KeyValue>> ParseRange(const Json& j) {
  auto it = j.find("kvs");
  if (it == j.end() || it->is_null()) return std::optional<KeyValue>();
  if (!it->is_array() || it->size() > 1)
    return Corruption("etcd answer: kvs is not an array of at most one key");
  if (it->empty()) return std::optional<KeyValue>();
  CL_ASSIGN_OR_RETURN(KeyValue kv, ParseKeyValue((*it)[0]));
  return std::optional<KeyValue>(std::move(kv));
}

Result<std::int64_t> HeaderRevision(const Json& j) {
  auto it = j.find("header");
  if (it == j.end() || !it->is_object()) return Corruption("etcd answer without a header");
  CL_ASSIGN_OR_RETURN(std::int64_t rev, Int64Field(*it, "revision"));
  if (rev <= 0) return Corruption("etcd answer: header without a revision");
  return rev;
}

// What etcd said, for a status message: its own words (fixed strings such as
// "etcdserver: requested lease not found"; it never quotes keys or values),
// printable ASCII only and bounded, in case something else answered.
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 160)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// gRPC status codes (google.golang.org/grpc/codes) as caseledger's; the one
// place they are mapped.
Status FromGrpc(std::int64_t code, const std::string& message) {
  const std::string m = "etcd: " + Sanitize(message);
  switch (code) {
    case 3:  // InvalidArgument
    case 11:  // OutOfRange (a compacted revision)
      return InvalidArgument(m);
    case 5:  // NotFound (a lease)
      return NotFound(m);
    case 9:  // FailedPrecondition
      return FailedPrecondition(m);
    case 8:  // ResourceExhausted (too many requests, request too large)
      return ResourceExhausted(m);
    case 7:  // PermissionDenied
      return PermissionDenied(m);
    case 16:  // Unauthenticated
      return Unauthenticated(m);
    case 1:   // Canceled
    case 4:   // DeadlineExceeded
    case 10:  // Aborted
    case 14:  // Unavailable (no leader, request timed out, stopping)
      return Unavailable(m);
    default:  // Unknown, Internal, …: etcd or the gateway failed
      return Internal(m + " (gRPC code " + std::to_string(code) + ")");
  }
}

// An error answer: {"error": "...", "message": "...", "code": N} for unary
// calls, {"error": {"grpc_code": N, "message": "..."}} inside a stream.
std::optional<Status> ErrorOf(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto err = j.find("error");
  if (err != j.end() && err->is_object()) {
    auto code = Int64Field(*err, "grpc_code");
    auto msg = err->find("message");
    return FromGrpc(code.ok() ? *code : 2,
                    msg != err->end() && msg->is_string() ? msg->get<std::string>() : "");
  }
  auto code = j.find("code");
  if (code != j.end() && code->is_number_integer() && code->get<std::int64_t>() != 0) {
    auto msg = j.find("message");
    return FromGrpc(code->get<std::int64_t>(),
                    msg != j.end() && msg->is_string() ? msg->get<std::string>() : "");
  }
  return std::nullopt;
}

Json CompareJson(const Compare& c) {
  Json j = {{"key", B64(c.key)}};
  switch (c.op) {
    case Compare::Op::kEqual: j["result"] = "EQUAL"; break;
    case Compare::Op::kNotEqual: j["result"] = "NOT_EQUAL"; break;
    case Compare::Op::kGreater: j["result"] = "GREATER"; break;
    case Compare::Op::kLess: j["result"] = "LESS"; break;
  }
  switch (c.target) {
    case Compare::Target::kCreateRevision:
      j["target"] = "CREATE";
      j["create_revision"] = Dec(c.number);
      break;
    case Compare::Target::kModRevision:
      j["target"] = "MOD";
      j["mod_revision"] = Dec(c.number);
      break;
    case Compare::Target::kVersion:
      j["target"] = "VERSION";
      j["version"] = Dec(c.number);
      break;
    case Compare::Target::kValue:
      j["target"] = "VALUE";
      j["value"] = B64(c.value);
      break;
    case Compare::Target::kLease:
      j["target"] = "LEASE";
      j["lease"] = Dec(c.number);
      break;
  }
  return j;
}

Json OpJson(const TxnOp& op) {
  switch (op.kind) {
    case TxnOp::Kind::kPut: {
      Json put = {{"key", B64(op.key)}, {"value", B64(op.value)}};
      if (op.lease != 0) put["lease"] = Dec(op.lease);
      return {{"request_put", put}};
    }
    case TxnOp::Kind::kGet:
      return {{"request_range", {{"key", B64(op.key)}}}};
    case TxnOp::Kind::kDelete:
      return {{"request_delete_range", {{"key", B64(op.key)}}}};
  }
  return Json::object();
}

Status CheckKey(std::string_view key) {
  // etcd refuses an empty key ("key is not provided"); say so before asking.
  return key.empty() ? InvalidArgument("etcd: empty key") : Status::Ok();
}

}  // namespace

Compare Compare::CreateRevision(std::string key, Op op, std::int64_t revision) {
  return {std::move(key), Target::kCreateRevision, op, revision, {}};
}
Compare Compare::ModRevision(std::string key, Op op, std::int64_t revision) {
  return {std::move(key), Target::kModRevision, op, revision, {}};
}
Compare Compare::Version(std::string key, Op op, std::int64_t version) {
  return {std::move(key), Target::kVersion, op, version, {}};
}
Compare Compare::Value(std::string key, Op op, std::string value) {
  return {std::move(key), Target::kValue, op, 0, std::move(value)};
}
Compare Compare::LeaseIs(std::string key, Op op, LeaseId lease) {
  return {std::move(key), Target::kLease, op, lease, {}};
}

TxnOp TxnOp::Put(std::string key, std::string value, LeaseId lease) {
  return {Kind::kPut, std::move(key), std::move(value), lease};
}
TxnOp TxnOp::Get(std::string key) { return {Kind::kGet, std::move(key), {}, 0}; }
TxnOp TxnOp::Delete(std::string key) { return {Kind::kDelete, std::move(key), {}, 0}; }

// Idle connections per endpoint, and which endpoint answered last.
struct EtcdClient::Pool {
  std::mutex mu;
  std::vector<std::vector<std::unique_ptr<http::HttpClient>>> idle;  // per endpoint
  std::size_t preferred = 0;

  std::unique_ptr<http::HttpClient> Take(std::size_t endpoint) {
    std::lock_guard lock(mu);
    auto& v = idle[endpoint];
    if (v.empty()) return std::make_unique<http::HttpClient>();
    auto c = std::move(v.back());
    v.pop_back();
    return c;
  }
  void Give(std::size_t endpoint, std::unique_ptr<http::HttpClient> c) {
    std::lock_guard lock(mu);
    // A handful per endpoint is all the election's threads use at once.
    if (idle[endpoint].size() < 8) idle[endpoint].push_back(std::move(c));
  }
};

EtcdClient::EtcdClient(EtcdOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  assert(!options_.endpoints.empty());
  pool_->idle.resize(options_.endpoints.size());
}

EtcdClient::~EtcdClient() = default;

Result<Json> EtcdClient::CallOne(std::size_t endpoint, std::string_view path,
                                 const std::string& body) {
  std::unique_ptr<http::HttpClient> client = pool_->Take(endpoint);
  Result<http::ClientResponse> r =
      client->Send("POST", options_.endpoints[endpoint] + std::string(path), body,
                   "application/json", {}, options_.request_timeout, kMaxAnswer);
  // A client whose request failed has dropped its connection; it is reusable.
  pool_->Give(endpoint, std::move(client));
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kResourceExhausted)
      return Corruption("etcd answer too large");
    return r.status().WithContext("etcd");
  }
  Json j = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (r->status == 503 || r->status == 502 || r->status == 504)
      return Unavailable("etcd: HTTP " + std::to_string(r->status));
    return Corruption("etcd answer (HTTP " + std::to_string(r->status) + ") is not a JSON object");
  }
  if (std::optional<Status> err = ErrorOf(j)) return *err;
  if (r->status != 200)
    return Corruption("etcd answer: HTTP " + std::to_string(r->status) + " without an error");
  return j;
}

Result<Json> EtcdClient::Call(std::string_view path, const Json& request) {
  const std::string body = request.dump();
  const std::size_t n = options_.endpoints.size();
  std::size_t first;
  {
    std::lock_guard lock(pool_->mu);
    first = pool_->preferred;
  }
  Status last;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = (first + i) % n;
    Result<Json> r = CallOne(e, path, body);
    if (r.ok() || r.status().code() != StatusCode::kUnavailable) {
      if (r.ok() && e != first) {
        std::lock_guard lock(pool_->mu);
        pool_->preferred = e;
      }
      return r;
    }
    last = r.status();
  }
  return last;
}

Status EtcdClient::Health(const std::string& endpoint) {
  http::HttpClient client;
  Result<http::ClientResponse> r =
      client.Send("GET", endpoint + "/health", "", "", {}, options_.request_timeout, kMaxAnswer);
  if (!r.ok()) return r.status().WithContext("etcd health");
  Json j = Json::parse(r->body, nullptr, false);
  if (r->status == 200 && j.is_object() && j.contains("health") && j["health"] == "true")
    return Status::Ok();
  return Unavailable("etcd health: not healthy (HTTP " + std::to_string(r->status) + ")");
}

Result<Lease> EtcdClient::Grant(std::chrono::seconds ttl) {
  if (ttl.count() < 1) return InvalidArgument("etcd: a lease TTL must be at least 1 s");
  CL_ASSIGN_OR_RETURN(Json j, Call("/v3/lease/grant", {{"TTL", Dec(ttl.count())}}));
  Lease lease;
  CL_ASSIGN_OR_RETURN(lease.id, Int64Field(j, "ID"));
  CL_ASSIGN_OR_RETURN(std::int64_t granted, Int64Field(j, "TTL"));
  if (lease.id == 0 || granted <= 0) return Corruption("etcd answer: a grant without ID or TTL");
  lease.ttl = std::chrono::seconds(granted);
  return lease;
}

Result<std::chrono::seconds> EtcdClient::KeepAliveOnce(LeaseId lease) {
  CL_ASSIGN_OR_RETURN(Json j, Call("/v3/lease/keepalive", {{"ID", Dec(lease)}}));
  // A stream's message comes wrapped: {"result": LeaseKeepAliveResponse}.
  auto it = j.find("result");
  if (it == j.end() || !it->is_object()) return Corruption("etcd answer: keepalive without result");
  CL_ASSIGN_OR_RETURN(std::int64_t ttl, Int64Field(*it, "TTL"));
  if (ttl <= 0) return NotFound("etcd: the lease has expired or was revoked");
  return std::chrono::seconds(ttl);
}

Status EtcdClient::Revoke(LeaseId lease) {
  Result<Json> j = Call("/v3/lease/revoke", {{"ID", Dec(lease)}});
  if (!j.ok()) return j.status();
  return HeaderRevision(*j).status();
}

Result<std::optional<KeyValue>> EtcdClient::Get(std::string_view key) {
  CL_RETURN_IF_ERROR(CheckKey(key));
  CL_ASSIGN_OR_RETURN(Json j, Call("/v3/kv/range", {{"key", B64(key)}}));
  CL_RETURN_IF_ERROR(HeaderRevision(j).status());
  return ParseRange(j);
}

Result<std::int64_t> EtcdClient::Put(std::string_view key, std::string_view value, LeaseId lease) {
  CL_RETURN_IF_ERROR(CheckKey(key));
  Json req = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) req["lease"] = Dec(lease);
  CL_ASSIGN_OR_RETURN(Json j, Call("/v3/kv/put", req));
  return HeaderRevision(j);
}

Result<TxnResult> EtcdClient::Txn(const TxnRequest& txn) {
  Json compare = Json::array(), success = Json::array(), failure = Json::array();
  for (const Compare& c : txn.compare) {
    CL_RETURN_IF_ERROR(CheckKey(c.key));
    compare.push_back(CompareJson(c));
  }
  for (const TxnOp& op : txn.success) {
    CL_RETURN_IF_ERROR(CheckKey(op.key));
    success.push_back(OpJson(op));
  }
  for (const TxnOp& op : txn.failure) {
    CL_RETURN_IF_ERROR(CheckKey(op.key));
    failure.push_back(OpJson(op));
  }
  CL_ASSIGN_OR_RETURN(
      Json j, Call("/v3/kv/txn", {{"compare", compare}, {"success", success}, {"failure", failure}}));
  TxnResult out;
  CL_ASSIGN_OR_RETURN(out.revision, HeaderRevision(j));
  out.succeeded = BoolField(j, "succeeded");
  const std::vector<TxnOp>& ran = out.succeeded ? txn.success : txn.failure;
  auto it = j.find("responses");
  const Json empty = Json::array();
  const Json& responses = it == j.end() || it->is_null() ? empty : *it;
  if (!responses.is_array() || responses.size() != ran.size())
    return Corruption("etcd answer: a txn's responses do not match its ops");
  for (std::size_t i = 0; i < ran.size(); ++i) {
    const Json& r = responses[i];
    TxnOpResult res;
    const char* name = ran[i].kind == TxnOp::Kind::kPut   ? "response_put"
                       : ran[i].kind == TxnOp::Kind::kGet ? "response_range"
                                                          : "response_delete_range";
    auto body = r.is_object() ? r.find(name) : r.end();
    if (!r.is_object() || body == r.end() || !body->is_object())
      return Corruption(std::string("etcd answer: a txn response is not ") + name);
    if (ran[i].kind == TxnOp::Kind::kGet) {
      CL_ASSIGN_OR_RETURN(res.kv, ParseRange(*body));
    } else if (ran[i].kind == TxnOp::Kind::kDelete) {
      CL_ASSIGN_OR_RETURN(res.deleted, Int64Field(*body, "deleted"));
    }
    out.results.push_back(std::move(res));
  }
  return out;
}

}  // namespace caseledger::cluster
