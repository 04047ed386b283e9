#include "cluster/node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <utility>

#include "base/bytes.h"
#include "base/json.h"
#include "cluster/election.h"
#include "cluster/etcd.h"
#include "cluster/forward.h"
#include "app/concern.h"
#include "cluster/replication.h"
#include "crypto/blake2b.h"
#include "crypto/constant_time.h"
#include "crypto/note.h"
#include "http/client.h"
#include "ledger/backup.h"
#include "ledger/checkpoint.h"
#include "ledger/keystore.h"
#include "ledger/log_store.h"
#include "ledger/mirror.h"
#include "ledger/time.h"
#include "projections/projector.h"

namespace caseledger::cluster {

namespace fs = std::filesystem;

namespace {

// Peers' requests carry MAC(auth key, prefix ‖ body) in this header; the
// auth key is a subkey of the master key, which every node holds.
constexpr std::string_view kMacHeader = "x-caseledger-cluster-mac";
constexpr std::string_view kAuthContext = "caseledger/cluster-auth/v1";
constexpr std::string_view kMacPrefix = "caseledger/cluster-append/v1\n";
constexpr std::string_view kAppendPath = "/v1/cluster/append";
constexpr std::string_view kSubmitPath = "/v1/cluster/submit";
// How long a forwarded command may take at the leader: its batch's
// replication (ship_timeout) and some queueing. Bounded, because a request
// forwarded to a frozen leader holds up this node's own promotion.
std::chrono::milliseconds ForwardTimeout(const ClusterConfig& c) { return 2 * c.ship_timeout + std::chrono::milliseconds(1000); }

bool ValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool ValidUrl(std::string_view url) {
  return url.rfind("http://", 0) == 0 && url.size() > 7 && url.back() != '/' &&
         url.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::string Mac(const crypto::SecretBytes& key, std::string_view body) {
  std::string data(kMacPrefix);
  data += body;
  return ToHex(crypto::Blake2bKeyed(key, AsBytes(data)));
}

bool IsStaleTerm(const Status& s) { return s.reason() == kStaleTermReason; }

// The answer to a node-to-node request without this cluster's MAC.
http::HttpResponse NotAMember() {
  return http::ProblemResponse(401, "cluster-unauthenticated", "Not a member of this cluster",
                               "the request does not carry this cluster's MAC");
}

http::HttpResponse JsonResponse(int status, const Json& doc) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = doc.dump();
  return r;
}

// One follower as the leader reaches it: one keep-alive connection, one
// request at a time (a slow follower's requests queue behind each other).
struct PeerLink {
  PeerConfig peer;
  std::mutex mu;
  http::HttpClient client;
};

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kStarting: return "starting";
    case Role::kFollower: return "follower";
    case Role::kLeader: return "leader";
    case Role::kChanging: return "changing";
  }
  return "unknown";
}

Result<ClusterConfig> ParseClusterConfig(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("the cluster file is not a JSON object");
  for (const auto& [key, value] : j.items())
    if (key != "node_id" && key != "url" && key != "etcd" && key != "peers" && key != "min_acks" &&
        key != "lease_ttl_s" && key != "ship_timeout_ms")
      return InvalidArgument("the cluster file has an unknown member \"" + key + "\"");
  ClusterConfig c;
  if (!j.contains("node_id") || !j["node_id"].is_string() || !ValidNodeId(j["node_id"].get<std::string>()))
    return InvalidArgument("the cluster file's \"node_id\" must be 1 to 32 of [a-z0-9-]");
  c.node_id = j["node_id"].get<std::string>();
  if (!j.contains("url") || !j["url"].is_string() || !ValidUrl(j["url"].get<std::string>()))
    return InvalidArgument("the cluster file's \"url\" must be http://host:port");
  c.url = j["url"].get<std::string>();
  if (!j.contains("etcd") || !j["etcd"].is_array() || j["etcd"].empty())
    return InvalidArgument("the cluster file's \"etcd\" must list at least one endpoint");
  for (const Json& e : j["etcd"]) {
    if (!e.is_string() || !ValidUrl(e.get<std::string>()))
      return InvalidArgument("the cluster file's \"etcd\" endpoints must be http://host:port");
    c.etcd.push_back(e.get<std::string>());
  }
  if (!j.contains("peers") || !j["peers"].is_array())
    return InvalidArgument("the cluster file's \"peers\" must list the other nodes");
  for (const Json& p : j["peers"]) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string() || !p.contains("url") ||
        !p["url"].is_string() || p.size() != 2 || !ValidNodeId(p["id"].get<std::string>()) ||
        !ValidUrl(p["url"].get<std::string>()))
      return InvalidArgument("each of the cluster file's \"peers\" is {\"id\", \"url\"}");
    PeerConfig peer{p["id"].get<std::string>(), p["url"].get<std::string>()};
    if (peer.id == c.node_id) return InvalidArgument("the cluster file names this node among its peers");
    for (const PeerConfig& q : c.peers)
      if (q.id == peer.id) return InvalidArgument("the cluster file names a peer twice");
    c.peers.push_back(std::move(peer));
  }
  auto count = [&](const char* name, std::int64_t lo, std::int64_t hi, std::int64_t fallback) -> Result<std::int64_t> {
    if (!j.contains(name)) return fallback;
    if (!j[name].is_number_integer() || j[name].get<std::int64_t>() < lo || j[name].get<std::int64_t>() > hi)
      return InvalidArgument(std::string("the cluster file's \"") + name + "\" must be a whole number from " +
                             std::to_string(lo) + " to " + std::to_string(hi));
    return j[name].get<std::int64_t>();
  };
  CL_ASSIGN_OR_RETURN(std::int64_t min_acks, count("min_acks", 0, 16, 1));
  if (static_cast<std::size_t>(min_acks) > c.peers.size())
    return InvalidArgument("the cluster file's \"min_acks\" exceeds the number of peers");
  c.min_acks = static_cast<std::size_t>(min_acks);
  CL_ASSIGN_OR_RETURN(std::int64_t ttl, count("lease_ttl_s", 2, 600, 5));
  c.lease_ttl = std::chrono::seconds(ttl);
  CL_ASSIGN_OR_RETURN(std::int64_t ship, count("ship_timeout_ms", 50, 600000, 2000));
  c.ship_timeout = std::chrono::milliseconds(ship);
  return c;
}

Result<ClusterConfig> ReadClusterConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the cluster file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseClusterConfig(text.str());
}

// What every role shares: etcd, the election, the node's keys.
struct NodeShared {
  std::unique_ptr<EtcdClient> etcd;
  std::unique_ptr<Election> election;
  std::optional<crypto::SecretBytes> master;
  std::optional<crypto::Ed25519SigningKey> node_key;
  std::optional<crypto::NoteVerifier> verifier;
  std::optional<crypto::SecretBytes> auth_key;
  std::vector<std::unique_ptr<PeerLink>> peers;
};

// What the current role holds open. Both roles: the domain ledger and the
// client app on it. A follower's writer forwards every command to the
// leader; a leader's replicates every batch through the shipper.
struct Node::Parts {
  std::unique_ptr<app::DomainLedger> ledger;
  std::unique_ptr<LeaderApp> app;
  std::unique_ptr<Follower> follower;  // follower
  std::unique_ptr<Shipper> shipper;    // leader
  std::mutex append_mu;  // one append (and tail drop) at a time

  // Precondition: no request is inside the role (Drain).
  void Close() {
    app.reset();
    follower.reset();
    if (ledger) ledger->writer().Stop();
    shipper.reset();  // after the writer: its replicate step calls the shipper
    ledger.reset();
  }
};

Node::Node(NodeOptions options)
    : options_(std::move(options)), shared_(std::make_unique<NodeShared>()), parts_(std::make_unique<Parts>()) {}

Result<std::unique_ptr<Node>> Node::Create(NodeOptions options) {
  if (!options.make_app) return InvalidArgument("a cluster node needs its leader's app");
  std::unique_ptr<Node> n(new Node(std::move(options)));
  NodeShared& s = *n->shared_;
  const std::string& dir = n->options_.dir;
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
  s.master.emplace(std::move(master));
  CL_ASSIGN_OR_RETURN(crypto::Ed25519SigningKey key, ledger::LoadNodeKey(dir, *s.master));
  CL_ASSIGN_OR_RETURN(std::string vkey, ledger::ReadFirstLine(dir + "/ledger.pub"));
  CL_ASSIGN_OR_RETURN(crypto::NoteVerifier verifier, crypto::NoteVerifier::Parse(vkey));
  if (!(verifier.key == key.public_key())) return Corruption("ledger.pub is not the public key of node.key");
  s.node_key.emplace(std::move(key));
  s.verifier.emplace(std::move(verifier));
  s.auth_key.emplace(crypto::DeriveSubkey(*s.master, kAuthContext));
  EtcdOptions eo;
  eo.endpoints = n->options_.config.etcd;
  s.etcd = std::make_unique<EtcdClient>(eo);
  ElectionOptions el;
  el.ttl = n->options_.config.lease_ttl;
  Node* self = n.get();
  el.on_lost = [self](std::int64_t term, const Status& why) {
    self->Log("cluster leadership lost term=" + std::to_string(term) + " why=" +
              std::string(StatusCodeName(why.code())));
    self->cv_.notify_all();
  };
  // One election per log: its origin names the prefix.
  s.election = std::make_unique<Election>(*s.etcd, "/caseledger/" + s.verifier->name, el);
  for (const PeerConfig& p : n->options_.config.peers) {
    auto link = std::make_unique<PeerLink>();
    link->peer = p;
    s.peers.push_back(std::move(link));
  }
  return n;
}

Node::~Node() { Stop(); }

void Node::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void Node::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Node::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "caseledger: " << line << "\n";
  }
}

bool Node::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stop_; });
}

NodeStatus Node::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void Node::LeaveRole() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  cv_.notify_all();
}

void Node::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Node::Loop() {
  while (true) {
    const bool elected = Follow();
    if (!elected) break;
    Lead();
  }
  // Stopping: close whatever is open.
  {
    std::lock_guard lock(mu_);
    status_.role = Role::kChanging;
  }
  Drain();
  StopProjections();
  parts_->Close();
  auto r = shared_->election->Resign();
  (void)r;  // best effort: an unrenewed lease ends by itself
}

bool Node::Follow() {
  // Open the follower's parts (the lock may still be held by a process
  // being stopped: retry).
  while (true) {
    ledger::LedgerOptions lo = options_.ledger;
    lo.writer.replicate = nullptr;
    lo.writer.forward = [this](const ledger::Command& cmd) { return Forward(cmd); };
    // A follower appends nothing itself, so it hands out no pool key: no
    // pool to fill (1,024 keys wrapped and an fsync at every start). The
    // pool's recovery still binds what its log names; as leader it reopens
    // with the pool.
    lo.writer.key_pool = false;
    auto opened = app::DomainLedger::Open(options_.dir, std::move(lo));
    if (opened.ok()) {
      parts_->ledger = std::move(*opened);
      parts_->follower = std::make_unique<Follower>(parts_->ledger->store(), &parts_->ledger->keys(),
                                                    *shared_->verifier, *shared_->election);
      auto made = options_.make_app(*parts_->ledger, /*leader=*/false);
      if (made.ok()) {
        parts_->app = std::move(*made);
      } else {
        Log("cluster follower serves no client requests (redirects them): its app did not start: " +
            std::string(StatusCodeName(made.status().code())));
      }
      break;
    }
    Log("cluster cannot open the data dir as a follower: " +
        std::string(StatusCodeName(opened.status().code())));
    if (!Sleep(std::chrono::milliseconds(500))) return false;
  }
  ledger::LogStore& store = parts_->ledger->store();
  auto size_of = [&]() -> std::uint64_t {
    auto snap = store.Read();
    if (!snap.ok()) return 0;
    auto n = ledger::TreeSize(*snap, store);
    return n.ok() ? *n : 0;
  };
  {
    std::lock_guard lock(mu_);
    projected_ = size_of();  // Open brought the projections up to the log
  }
  StartProjections();
  {
    std::lock_guard lock(mu_);
    status_.role = Role::kFollower;
    status_.log_size = size_of();
  }
  Log("cluster role=follower size=" + std::to_string(size_of()));
  while (Sleep(options_.poll)) {
    const std::uint64_t held = size_of();
    auto leader = shared_->election->Observe();
    std::optional<AckedHead> acked;
    auto acked_text = shared_->election->ReadAcked();
    if (acked_text.ok() && *acked_text) {
      auto head = ParseAckedHead(**acked_text);
      if (head.ok()) acked = *head;
    }
    {
      std::lock_guard lock(mu_);
      status_.log_size = held;
      if (acked) status_.acked = acked->size;
      if (leader.ok()) {
        status_.term = *leader ? (*leader)->term : 0;
        status_.leader = *leader ? (*leader)->node_id : "";
        leader_url_ = *leader ? (*leader)->value : "";
      }
    }
    if (!leader.ok() || *leader || !acked_text.ok()) continue;
    if (*acked_text && !acked) continue;  // unreadable head: never guess
    // No leader: campaign if this node holds every acknowledged event.
    if (acked) {
      auto holds = HoldsAcked(store, *acked);
      if (!holds.ok() || !*holds) continue;
    }
    auto won = shared_->election->Campaign(options_.config.node_id, options_.config.url);
    if (!won.ok() || !won->elected) continue;
    // Elected. The head cannot move without a leader, but another leader
    // may have come and gone since it was read: read it again.
    auto again = shared_->election->ReadAcked();
    std::optional<AckedHead> head;
    bool eligible = again.ok();
    if (eligible && *again) {
      auto parsed = ParseAckedHead(**again);
      eligible = parsed.ok();
      if (eligible) {
        head = *parsed;
        auto holds = HoldsAcked(store, *head);
        eligible = holds.ok() && *holds;
      }
    }
    if (!eligible) {
      Log("cluster resigning: elected without holding the acknowledged head");
      auto r = shared_->election->Resign();
      (void)r;
      continue;
    }
    // Only acknowledged events outlive a change of leader.
    if (head && size_of() > head->size) {
      std::lock_guard append(parts_->append_mu);
      Status s = DropTail(head->size, "promotion");
      if (!s.ok()) {
        Log("cluster resigning: cannot drop the unacknowledged tail: " +
            std::string(StatusCodeName(s.code())));
        auto r = shared_->election->Resign();
        (void)r;
        continue;
      }
    }
    return true;
  }
  return false;
}

void Node::StartProjections() {
  {
    std::lock_guard lock(proj_mu_);
    proj_stop_ = false;
    proj_dirty_ = false;
  }
  proj_thread_ = std::thread([this] {
    std::unique_lock lock(proj_mu_);
    while (true) {
      proj_cv_.wait(lock, [&] { return proj_stop_ || proj_dirty_; });
      if (proj_stop_) return;
      proj_dirty_ = false;
      // Under proj_mu_: DropTail's rebuild waits for this, and this for it.
      ledger::LogStore& store = parts_->ledger->store();
      std::uint64_t size = 0;
      {
        auto snap = store.Read();
        if (!snap.ok()) continue;
        auto n = ledger::TreeSize(*snap, store);
        if (!n.ok()) continue;
        size = *n;
      }
      Status s = parts_->ledger->projector().Follow();
      if (!s.ok()) {
        Log("cluster follower projections failed: " + std::string(StatusCodeName(s.code())));
        continue;
      }
      {
        std::lock_guard status(mu_);
        projected_ = std::max(projected_, size);
      }
      cv_.notify_all();
    }
  });
}

void Node::StopProjections() {
  {
    std::lock_guard lock(proj_mu_);
    proj_stop_ = true;
  }
  proj_cv_.notify_all();
  if (proj_thread_.joinable()) proj_thread_.join();
}

Status Node::DropTail(std::uint64_t keep, std::string_view why) {
  ledger::LogStore& store = parts_->ledger->store();
  const crypto::Ed25519SigningKey& key = *shared_->node_key;
  const std::string origin = store.origin();
  CL_ASSIGN_OR_RETURN(
      ledger::Truncation t,
      ledger::TruncateLog(store, keep, [&](std::uint64_t size, const crypto::Digest& root) {
        return ledger::SignCheckpoint(ledger::Checkpoint{origin, size, root}, key);
      }));
  if (t.dropped.empty()) return Status::Ok();
  // The report: the dropped lines, as stored, in <dir>/dropped/.
  const std::string report_dir = options_.dir + "/dropped";
  std::error_code ec;
  fs::create_directories(report_dir, ec);
  const std::string file = report_dir + "/" + std::to_string(ledger::NowMicros()) + "-seq" +
                           std::to_string(keep + 1) + "-" + std::to_string(t.old_size) + ".jsonl";
  {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string text;
      for (const std::string& line : t.dropped) text += line + "\n";
      const ssize_t w = ::write(fd, text.data(), text.size());
      (void)w;
      ::fsync(fd);
      ::close(fd);
    }
  }
  {
    std::lock_guard projections(proj_mu_);
    CL_RETURN_IF_ERROR(projections::Rebuild(store, store.tables()).status());
    CL_RETURN_IF_ERROR(parts_->ledger->projector().Follow());
    std::lock_guard lock(mu_);
    projected_ = keep;
  }
  {
    std::lock_guard lock(mu_);
    status_.dropped += t.dropped.size();
    status_.log_size = keep;
  }
  Log("cluster dropped an unacknowledged tail why=" + std::string(why) + " from=" +
      std::to_string(keep + 1) + " to=" + std::to_string(t.old_size) + " count=" +
      std::to_string(t.dropped.size()) + " report=dropped/" + fs::path(file).filename().string());
  return Status::Ok();
}

void Node::Lead() {
  {
    std::lock_guard lock(mu_);
    status_.role = Role::kChanging;
  }
  Drain();
  StopProjections();
  parts_->Close();
  const Leadership me = shared_->election->state();
  NodeShared& s = *shared_;
  ledger::LedgerOptions lo = options_.ledger;
  // The writer is made before the shipper (which reads the writer's store):
  // it finds the shipper through this slot, set before any request arrives.
  auto shipper_slot = std::make_shared<std::atomic<Shipper*>>(nullptr);
  lo.writer.replicate = [shipper_slot](std::uint64_t first, const std::vector<std::string>& lines,
                                       const std::string& checkpoint) {
    Shipper* shipper = shipper_slot->load();
    if (shipper == nullptr) return Unavailable("the shipper is not ready");
    return shipper->Replicate(first, lines, checkpoint);
  };
  auto opened = app::DomainLedger::Open(options_.dir, std::move(lo));
  if (!opened.ok()) {
    Log("cluster resigning: cannot open the ledger as leader: " +
        std::string(StatusCodeName(opened.status().code())));
    auto r = s.election->Resign();
    (void)r;
    return;
  }
  parts_->ledger = std::move(*opened);
  std::vector<FollowerTransport> transports;
  const std::chrono::milliseconds timeout = options_.config.ship_timeout;
  const std::string node_id = options_.config.node_id;
  for (auto& link : s.peers) {
    PeerLink* l = link.get();
    const crypto::SecretBytes* auth = &*s.auth_key;
    transports.push_back([l, auth, timeout](const ShippedBatch& batch) -> Result<std::uint64_t> {
      const std::string body = EncodeBatch(batch);
      std::lock_guard lock(l->mu);
      auto r = l->client.Send("POST", l->peer.url + std::string(kAppendPath), body, "application/json",
                              {{std::string(kMacHeader), Mac(*auth, body)}}, timeout, 1 << 16);
      if (!r.ok()) return r.status();
      if (r->status == 409 && r->body.find("/cluster-fork\"") != std::string::npos)
        return Status(StatusCode::kCorruption, "follower " + l->peer.id + "'s log forks before the batch")
            .WithReason(std::string(ledger::kForkReason));
      if (r->status != 200)
        return Unavailable("follower " + l->peer.id + " answered " + std::to_string(r->status));
      Json j = Json::parse(r->body, nullptr, false);
      if (!j.is_object() || !j.contains("size") || !j["size"].is_number_unsigned())
        return Unavailable("follower " + l->peer.id + " answered without its size");
      return j["size"].get<std::uint64_t>();
    });
  }
  ShipperOptions so;
  so.min_acks = options_.config.min_acks;
  so.timeout = timeout;
  app::DomainLedger* dl = parts_->ledger.get();
  so.keys_for = [dl](const std::vector<std::string>& lines) { return KeysForLines(dl->keys(), lines); };
  parts_->shipper = std::make_unique<Shipper>(dl->store(), *s.election, node_id, std::move(transports), so);
  shipper_slot->store(parts_->shipper.get());
  auto made = options_.make_app(*dl, /*leader=*/true);
  if (made.ok()) {
    parts_->app = std::move(*made);
    {
      std::lock_guard lock(mu_);
      status_.role = Role::kLeader;
      status_.term = me.term;
      status_.leader = node_id;
      status_.log_size = dl->writer().size();
      leader_url_ = options_.config.url;
    }
    Log("cluster role=leader term=" + std::to_string(me.term) + " size=" +
        std::to_string(dl->writer().size()));
    auto next_heartbeat = std::chrono::steady_clock::now();
    while (Sleep(options_.poll)) {
      if (std::chrono::steady_clock::now() >= next_heartbeat) {
        parts_->shipper->Heartbeat();  // followers that are behind catch up while idle
        next_heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
      {
        std::lock_guard lock(mu_);
        status_.log_size = dl->writer().size();
        status_.acked = std::max(status_.acked, parts_->shipper->acknowledged());
      }
      if (!s.election->IsLeader()) break;
      if (dl->writer().health().state == ledger::WriterHealth::State::kFailed) break;
    }
  } else {
    Log("cluster resigning: the leader's app did not start: " +
        std::string(StatusCodeName(made.status().code())));
  }
  {
    std::lock_guard lock(mu_);
    status_.role = Role::kChanging;
  }
  Drain();
  Log("cluster stepping down term=" + std::to_string(me.term) + " size=" +
      std::to_string(dl->writer().size()) + " writer=" +
      std::string(ledger::StateName(dl->writer().health().state)));
  parts_->Close();
  shipper_slot->store(nullptr);
  auto r = s.election->Resign();  // let another node lead now, not after the TTL
  (void)r;
}

http::HttpResponse Node::Append(const http::HttpRequest& request) {
  if (!Authentic(request))
    return NotAMember();
  auto batch = DecodeBatch(request.body);
  if (!batch.ok()) return http::ErrorResponse(batch.status());
  {
    std::lock_guard lock(mu_);
    if (status_.role != Role::kFollower)
      return http::ProblemResponse(409, "cluster-not-follower", "Not a follower",
                                   "this node is not following now");
    ++in_flight_;
  }
  Result<std::uint64_t> r = Unavailable("not applied");
  {
    std::lock_guard append(parts_->append_mu);
    std::uint64_t fork_at = 0;
    r = parts_->follower->Apply(*batch, &fork_at);
    if (!r.ok() && ledger::IsFork(r.status()) && fork_at > batch->first_seq) {
      // This node holds events the leader does not: a deposed leader's (or
      // its follower's) unacknowledged tail. The event before fork_at is the
      // leader's, and so (by its prev) is every one before it; the leader
      // holds every acknowledged event, so none from fork_at on is one.
      // Drop them (reported) and take the batch.
      Status s = DropTail(fork_at - 1, "fork");
      r = s.ok() ? parts_->follower->Apply(*batch) : Result<std::uint64_t>(s);
    }
  }
  // The follower's projections follow its log on their own thread, off the
  // path of the leader's acknowledgement; reads wait for them.
  if (r.ok()) {
    std::lock_guard lock(proj_mu_);
    proj_dirty_ = true;
  }
  proj_cv_.notify_all();
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (r.ok()) status_.log_size = *r;
  }
  cv_.notify_all();
  if (!r.ok()) {
    // Names, numbers and the ledger's own words only (no personal data
    // below the API: docs/api/errors.md).
    if (ledger::IsFork(r.status()))  // the leader resends from further back
      return http::ProblemResponse(409, "cluster-fork", "The log forks before this batch",
                                   "resend from an earlier seq");
    if (!IsStaleTerm(r.status()))
      Log("cluster refused a batch first_seq=" + std::to_string(batch->first_seq) + " events=" +
          std::to_string(batch->lines.size()) + " term=" + std::to_string(batch->term) + " status=" +
          std::string(StatusCodeName(r.status().code())) + " why=\"" + r.status().message() + "\"");
    return http::ErrorResponse(r.status());
  }
  return JsonResponse(200, Json{{"size", *r}});
}

bool Node::Authentic(const http::HttpRequest& request) const {
  auto it = request.headers.find(std::string(kMacHeader));
  return it != request.headers.end() &&
         crypto::ConstantTimeEqual(it->second, Mac(*shared_->auth_key, request.body));
}

http::HttpResponse Node::Submit(const http::HttpRequest& request) {
  if (!Authentic(request))
    return NotAMember();
  auto cmd = DecodeForwarded(request.body);
  if (!cmd.ok()) return http::ErrorResponse(cmd.status());
  app::DomainLedger* dl = nullptr;
  {
    std::lock_guard lock(mu_);
    if (status_.role != Role::kLeader || !parts_->ledger)
      return http::ProblemResponse(409, "cluster-not-leader", "Not the leader", "this node does not lead now");
    dl = parts_->ledger.get();
    ++in_flight_;
  }
  Result<ledger::Appended> r = app::AppendAndWait(dl->writer(), std::move(*cmd), ForwardTimeout(options_.config));
  LeaveRole();
  return JsonResponse(200, Json::parse(EncodeForwardAnswer(r)));
}

Result<ledger::Appended> Node::Forward(const ledger::Command& cmd) {
  std::string url;
  {
    std::lock_guard lock(mu_);
    if (!status_.leader.empty() && status_.leader != options_.config.node_id) url = leader_url_;
  }
  if (url.empty()) return Unavailable("the cluster has no leader now; retry shortly");
  const std::string body = EncodeForwarded(cmd);
  // One keep-alive connection per handler thread.
  thread_local http::HttpClient client;
  auto r = client.Send("POST", url + std::string(kSubmitPath), body, "application/json",
                       {{std::string(kMacHeader), Mac(*shared_->auth_key, body)}},
                       ForwardTimeout(options_.config) + std::chrono::milliseconds(500), 1 << 20);
  if (!r.ok()) return Unavailable("the cluster's leader could not be reached; retry shortly");
  if (r->status != 200) return Unavailable("the cluster's leader did not take the command; retry shortly");
  Result<ledger::Appended> answer = DecodeForwardAnswer(r->body);
  if (!answer.ok()) return answer;
  // Read your writes: answer once this node holds the event too (it
  // usually does: the leader acknowledged it once a follower held it).
  const auto deadline = std::chrono::steady_clock::now() + options_.config.ship_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (projected_ >= answer->seq || stop_) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return answer;
}

Status Node::CatchUpToAcked(std::chrono::milliseconds timeout) {
  auto acked = shared_->election->ReadAcked();
  if (!acked.ok()) return Unavailable("etcd cannot be asked for the acknowledged head; retry shortly");
  std::uint64_t want = 0;
  if (*acked) {
    auto head = ParseAckedHead(**acked);
    if (!head.ok()) return Unavailable("the acknowledged head in etcd cannot be read");
    want = head->size;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (projected_ >= want) return Status::Ok();
      if (stop_ || status_.role != Role::kFollower) break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Unavailable("this node is behind the cluster's acknowledged writes; retry shortly");
}

http::HttpResponse Node::Health() {
  NodeStatus st = status();
  Json doc{{"role", std::string(RoleName(st.role))},
           {"node", options_.config.node_id},
           {"term", st.term},
           {"leader", st.leader},
           {"log_size", st.log_size},
           {"acked", st.acked},
           {"lag", st.acked > st.log_size ? st.acked - st.log_size : 0},
           {"dropped", st.dropped}};
  int code = 200;
  if (st.role == Role::kLeader) {
    // Under the lock, with the role still leader, the ledger stays open.
    std::lock_guard lock(mu_);
    if (status_.role == Role::kLeader && parts_->ledger) {
      doc["log_size"] = parts_->ledger->writer().size();
      if (parts_->shipper) doc["acked"] = std::max(st.acked, parts_->shipper->acknowledged());
      const ledger::WriterHealth h = parts_->ledger->writer().health();
      doc["status"] = std::string(ledger::StateName(h.state));
      if (h.state != ledger::WriterHealth::State::kOk) code = 503;
    }
  } else if (st.role == Role::kFollower) {
    doc["status"] = st.leader.empty() ? "no-leader" : "ok";
    if (st.leader.empty()) code = 503;
  } else {
    doc["status"] = "changing";
    code = 503;
  }
  return JsonResponse(code, doc);
}

http::HttpResponse Node::MetricsPage(const http::HttpRequest& request) {
  http::HttpResponse r;
  bool from_app = false;
  {
    std::unique_lock lock(mu_);
    if (status_.role == Role::kLeader && parts_->app) {
      ++in_flight_;
      lock.unlock();
      r = parts_->app->Handle(request);
      lock.lock();
      --in_flight_;
      from_app = true;
    }
  }
  cv_.notify_all();
  if (!from_app) {
    r.status = 200;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  }
  const NodeStatus st = status();
  std::string& m = r.body;
  m += "# HELP caseledger_cluster_role This node's role (1 for the current one).\n";
  m += "# TYPE caseledger_cluster_role gauge\n";
  for (Role role : {Role::kStarting, Role::kFollower, Role::kLeader, Role::kChanging})
    m += "caseledger_cluster_role{role=\"" + std::string(RoleName(role)) + "\"} " +
         (st.role == role ? "1" : "0") + "\n";
  m += "# HELP caseledger_cluster_term The leader's term as this node last saw it.\n";
  m += "# TYPE caseledger_cluster_term gauge\ncaseledger_cluster_term " + std::to_string(st.term) + "\n";
  m += "# HELP caseledger_cluster_acked_size The acknowledged head as this node last read it.\n";
  m += "# TYPE caseledger_cluster_acked_size gauge\ncaseledger_cluster_acked_size " +
       std::to_string(st.acked) + "\n";
  m += "# HELP caseledger_cluster_lag_events Acknowledged events this node does not hold yet.\n";
  m += "# TYPE caseledger_cluster_lag_events gauge\ncaseledger_cluster_lag_events " +
       std::to_string(st.acked > st.log_size ? st.acked - st.log_size : 0) + "\n";
  m += "# HELP caseledger_cluster_dropped_events_total Unacknowledged events dropped (reported in dropped/).\n";
  m += "# TYPE caseledger_cluster_dropped_events_total counter\ncaseledger_cluster_dropped_events_total " +
       std::to_string(st.dropped) + "\n";
  return r;
}

http::HttpResponse Node::Redirect(const http::HttpRequest& request) {
  std::string url;
  {
    std::lock_guard lock(mu_);
    if (status_.role == Role::kFollower && !status_.leader.empty() &&
        status_.leader != options_.config.node_id)
      url = leader_url_;
  }
  if (url.empty()) {
    http::HttpResponse r = http::ProblemResponse(503, "cluster-no-leader", "No leader",
                                                 "the cluster is electing a leader; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  http::HttpResponse r = http::ProblemResponse(307, "cluster-not-leader", "Not the leader",
                                               "this node follows; send the request to the leader");
  r.headers.emplace_back("Location", url + request.target);
  return r;
}

http::HttpResponse Node::Handle(const http::HttpRequest& request) {
  const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (path == kAppendPath) {
    if (request.method != "POST")
      return http::ProblemResponse(405, "method-not-allowed", "Method not allowed", "POST only");
    http::HttpResponse r = Append(request);
    r.route = std::string(kAppendPath);
    return r;
  }
  if (path == kSubmitPath) {
    if (request.method != "POST")
      return http::ProblemResponse(405, "method-not-allowed", "Method not allowed", "POST only");
    http::HttpResponse r = Submit(request);
    r.route = std::string(kSubmitPath);
    return r;
  }
  if (request.method == "GET" && path == "/healthz") {
    http::HttpResponse r = Health();
    r.route = "/healthz";
    return r;
  }
  if (request.method == "GET" && path == "/metrics") {
    http::HttpResponse r = MetricsPage(request);
    r.route = "/metrics";
    return r;
  }
  // The API is served by either role; the workspace's pages only by the
  // leader (its sign-in sessions live there).
  const bool api = path.rfind("/v1/", 0) == 0;
  LeaderApp* app = nullptr;
  bool follower = false;
  {
    std::lock_guard lock(mu_);
    if (parts_->app && (status_.role == Role::kLeader || (status_.role == Role::kFollower && api))) {
      app = parts_->app.get();
      follower = status_.role == Role::kFollower;
      ++in_flight_;
    }
  }
  if (app == nullptr) return Redirect(request);
  http::HttpResponse r;
  Status ready = follower ? CatchUpToAcked(options_.config.ship_timeout) : Status::Ok();
  if (ready.ok()) {
    r = app->Handle(request);
  } else {
    r = http::ErrorResponse(ready);
  }
  if (r.deferred && request.deferral != nullptr) {
    // The app answers later (its appender, after the commit), and its own
    // steps on the answer (the service's metrics) use the app. The request
    // stays inside the role until they have run, so a change of role
    // (Drain, then Parts::Close) never destroys the app under them. This
    // step runs after the app's: steps run in the order they were added.
    request.deferral->OnAnswer([this](http::HttpResponse&) { LeaveRole(); });
    return r;
  }
  LeaveRole();
  return r;
}

}  // namespace caseledger::cluster
