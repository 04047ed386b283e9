// Node: one member of a replicated cluster (`caseledger serve --cluster`,
// docs/cluster-election.md, docs/operations.md "Cluster"). A node is a
// follower or the leader, and changes role in-process:
//
//   follower  holds the data dir: its log, keystore and projections; stores
//             the batches the leader ships (POST /v1/cluster/append,
//             verified by cluster::Follower) and brings its projections up
//             to them. Serves the client API from them, once it holds every
//             event acknowledged before the request (a read of P/acked);
//             every command — a write, the access.read of a read, before
//             its body is released — is forwarded to the leader's writer
//             (cluster/forward.h). Without a leader it answers 503; the web
//             workspace's pages are redirected (307) to the leader, whose
//             sign-in they share. When etcd names no leader and this node
//             holds the acknowledged head (P/acked), it campaigns.
//   leader    elected: cuts its log back to the acknowledged head (an
//             unacknowledged tail is reported, never kept), opens the domain
//             ledger with the Shipper as the writer's replicate step, and
//             serves the client API (LeaderApp). It steps down when its
//             leadership is lost or its writer stops (a batch could not be
//             replicated in time), and follows again.
//
// A follower whose held events differ from the leader's (the tail of a
// deposed leader) drops them back to the fork — never an acknowledged event
// — and reports them in <dir>/dropped/. Peers authenticate to each other
// with a MAC under a subkey of the master key every node holds.
// Thread-safety: Handle may be called from any thread, concurrently;
// Start and Stop from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/domain_ledger.h"
#include "base/result.h"
#include "http/router.h"
#include "ledger/ledger.h"
#include "ledger/writer.h"

namespace caseledger::cluster {

struct PeerConfig {
  std::string id;
  std::string url;  // "http://host:port"
};

// The cluster file (docs/operations.md "Cluster"), JSON:
//   {"node_id":"n1","url":"http://10.0.0.1:8080","etcd":["http://…:2379"],
//    "peers":[{"id":"n2","url":"http://…"},…],"min_acks":1,
//    "lease_ttl_s":5,"ship_timeout_ms":2000}
struct ClusterConfig {
  std::string node_id;  // [a-z0-9-], 1..32
  std::string url;      // how peers and clients reach this node
  std::vector<std::string> etcd;
  std::vector<PeerConfig> peers;  // the other nodes
  std::size_t min_acks = 1;       // followers that must hold a batch before 201
  std::chrono::seconds lease_ttl{5};
  std::chrono::milliseconds ship_timeout{2000};
};
// InvalidArgument naming the member that is missing, mistyped or out of range.
Result<ClusterConfig> ParseClusterConfig(std::string_view text);
Result<ClusterConfig> ReadClusterConfig(const std::string& path);

// The client API a node serves: what `serve` runs on a single node, built
// on the node's open ledger for its current role. Destroyed when the role
// ends, after every request routed to it has returned.
class LeaderApp {
 public:
  virtual ~LeaderApp() = default;
  virtual http::HttpResponse Handle(const http::HttpRequest& request) = 0;
};

struct NodeOptions {
  ClusterConfig config;
  std::string dir;
  // For the leader's domain ledger; the node sets writer.replicate.
  ledger::LedgerOptions ledger;
  // `leader`: the app runs the leader's background duties too (retention
  // runs, witnessing); a follower's serves requests only.
  std::function<Result<std::unique_ptr<LeaderApp>>(app::DomainLedger&, bool leader)> make_app;
  // Operator lines (names and counts only). Unset: standard error.
  std::function<void(std::string_view)> log;
  // How often a follower looks at etcd, and a leader at its health.
  std::chrono::milliseconds poll{200};
};

enum class Role { kStarting, kFollower, kLeader, kChanging };
std::string_view RoleName(Role r);

struct NodeStatus {
  Role role = Role::kStarting;
  std::int64_t term = 0;          // the leader's term, as last seen (0: none)
  std::string leader;             // its node id ("" if none known)
  std::uint64_t log_size = 0;     // events held here
  std::uint64_t acked = 0;        // the acknowledged head, as last read from etcd
  std::uint64_t dropped = 0;      // unacknowledged events dropped by this process
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Create(NodeOptions options);
  ~Node();  // Stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the role loop on its own thread (a follower first).
  void Start();
  // Stops leading or following (a leader resigns at once, so another node
  // takes over without waiting for the lease) and joins the thread.
  void Stop();

  // The server's handler: the cluster's routes and /healthz and /metrics;
  // everything else goes to the leader's app, or is redirected (follower).
  http::HttpResponse Handle(const http::HttpRequest& request);

  NodeStatus status() const;

 private:
  struct Parts;
  explicit Node(NodeOptions options);
  void Loop();
  // Follower phase: returns when elected (true) or stopping (false).
  bool Follow();
  // Leader phase: returns when leadership ends or stopping.
  void Lead();
  http::HttpResponse Append(const http::HttpRequest& request);
  // Leader: a command forwarded by a follower (POST /v1/cluster/submit).
  http::HttpResponse Submit(const http::HttpRequest& request);
  // Follower: the writer's forward step (cluster/forward.h).
  Result<ledger::Appended> Forward(const ledger::Command& cmd);
  // Follower: waits until this node holds every event acknowledged before
  // now (one read of P/acked), so a read here sees every acknowledged
  // write (and every revocation). Unavailable if it cannot.
  Status CatchUpToAcked(std::chrono::milliseconds timeout);
  http::HttpResponse Health();
  // The request carries this cluster's MAC of its body.
  bool Authentic(const http::HttpRequest& request) const;
  http::HttpResponse MetricsPage(const http::HttpRequest& request);
  http::HttpResponse Redirect(const http::HttpRequest& request);
  // Cuts the held log back to `keep` (> acked), reports the dropped events.
  Status DropTail(std::uint64_t keep, std::string_view why);
  // Waits for requests in the current role to finish (role_ already changed):
  // a deferred request's (an append) once its answer has been given.
  void Drain();
  // A request counted in in_flight_ has finished (Drain may go on).
  void LeaveRole();
  void Log(const std::string& line);
  // A follower's projection thread: Follow() after each stored batch.
  void StartProjections();
  void StopProjections();
  bool Sleep(std::chrono::milliseconds d);  // false: stopping

  NodeOptions options_;
  std::unique_ptr<struct NodeShared> shared_;
  std::unique_ptr<Parts> parts_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  NodeStatus status_;
  std::string leader_url_;  // the known leader's URL
  std::size_t in_flight_ = 0;  // requests inside the role's handlers or awaiting their answer
  std::uint64_t projected_ = 0;  // follower: the projections are built to this size
  std::thread thread_;

  std::mutex proj_mu_;  // the follower's projections (thread and DropTail)
  std::condition_variable proj_cv_;
  bool proj_dirty_ = false, proj_stop_ = false;
  std::thread proj_thread_;
};

}  // namespace caseledger::cluster
