// Election: one node's side of the leader election of one ledger origin,
// decided by etcd alone (docs/cluster-election.md). Keys under the
// election's prefix P (e.g. "/caseledger/<origin>"):
//
//   P/leader  {"node_id":…,"value":…}, attached to the leader's lease; exists
//             exactly while some node is leader. Its create_revision is the
//             leader's TERM.
//   P/acked   the leader's acknowledged head, written only by FencedPut (not
//             attached to a lease: it outlives every leader).
//
// Campaign grants a lease and runs one transaction:
//   if create_revision(P/leader) == 0 then put(P/leader, me, lease); get(P/leader)
//                                     else get(P/leader)
// so at most one node holds P/leader at a time, and each holder's term is the
// store revision at which it won: etcd's revisions only grow, so terms of
// successive leaders strictly increase. The winner keeps its lease alive
// from a background thread every TTL/3; when the lease ends (not renewed,
// revoked) etcd deletes P/leader, and the next Campaign can win.
//
// Fencing: FencedPut(key, value) is one transaction
//   if create_revision(P/leader) == term and lease(P/leader) == lease then put(key, value)
// so a write of a deposed leader fails at etcd, whether or not the deposed
// leader has noticed (a paused process, a lost keep-alive): once its lease
// ended, P/leader is gone or was created again at a larger revision.
//
// Leadership is lost (OnLost called once, state kLost) when a keep-alive
// finds the lease gone, when the key P/leader is gone or holds another term
// or lease, when a FencedPut is refused, or when renewals fail long enough
// that the lease may end before the next one (the node stops acting as
// leader before etcd could elect another: Patroni's rule).
// Thread-safety: thread-safe. The on_lost callback runs on the keep-alive
// thread or on the thread whose FencedPut was refused, never with the
// election's lock held; it may call state(), IsLeader() and Observe(), but
// not Campaign, Resign or the destructor (hand those to another thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"
#include "cluster/etcd.h"

namespace caseledger::cluster {

// The current holder of P/leader.
struct LeaderInfo {
  std::string node_id;
  std::string value;      // what the leader published with its campaign (e.g. its URL)
  std::int64_t term = 0;  // the create_revision of P/leader
  LeaseId lease = 0;
};

struct CampaignResult {
  bool elected = false;  // this node is now leader (of leader.term)
  LeaderInfo leader;     // the leader after the campaign: this node or the other one
};

enum class LeadershipState {
  kFollower,  // never elected, or resigned
  kLeader,    // holds P/leader (as far as this node knows)
  kLost,      // was leader of `term` and lost it (why: lost_reason)
};

struct Leadership {
  LeadershipState state = LeadershipState::kFollower;
  std::int64_t term = 0;  // kLeader, kLost: the term held
  LeaseId lease = 0;      // kLeader, kLost: the lease it was held by
  // kLeader: the lease ends no earlier than this (local monotonic clock;
  // measured from before each renewal was sent).
  std::chrono::steady_clock::time_point lease_valid_until{};
  Status lost_reason;  // kLost: why (never OK)
};

struct ElectionOptions {
  // The lease's TTL (etcd raises it to its minimum, 2 s by default).
  std::chrono::seconds ttl{10};
  // How often the lease is renewed; zero: ttl / 3.
  std::chrono::milliseconds keepalive_interval{0};
  // Called once per lost term (see above); not called on Resign.
  std::function<void(std::int64_t term, const Status& why)> on_lost;
};

class Election {
 public:
  // `prefix` is P, e.g. "/caseledger/<origin>" (no trailing '/'). `etcd`
  // must outlive the election.
  Election(EtcdClient& etcd, std::string prefix, ElectionOptions options);
  // Stops the keep-alive thread and, if leader, resigns (best effort).
  ~Election();
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  // One attempt to become leader as `node_id`, publishing `value` (see the
  // transaction above). If elected, the lease is kept alive from now on;
  // if not, the lease is revoked and `leader` names the current leader. If
  // already leader, returns the current term. Unavailable when etcd cannot
  // be reached (no lease is left behind for long: it expires unrenewed).
  // Followers retry (e.g. when Observe shows no leader); there is no wait.
  Result<CampaignResult> Campaign(const std::string& node_id, const std::string& value);

  // The current leader as etcd has it (one read), nullopt if none.
  // Corruption if P/leader does not hold what Campaign writes.
  Result<std::optional<LeaderInfo>> Observe();

  // Ends this node's leadership: stops renewing and revokes the lease, which
  // deletes P/leader at once, so another node can win without waiting for
  // the TTL. OK if not leader. Unavailable if etcd cannot be reached (the
  // lease then simply expires: the node has stopped acting as leader).
  Status Resign();

  // This node's view of its leadership (no etcd call).
  Leadership state() const;
  // state() is kLeader and the lease's local deadline has not passed: the
  // node may act as leader (its writes still go through FencedPut).
  bool IsLeader() const;

  // Writes `key` = `value` in one transaction that holds only if P/leader
  // still has this node's term and lease; returns the write's revision.
  // FailedPrecondition if this node never held a term, or if etcd refused
  // (deposed: leadership is then marked lost). Unavailable: unknown whether
  // it was written (read to find out). The local state does not decide:
  // etcd does, so a deposed leader that has not noticed is refused too.
  Result<std::int64_t> FencedPut(const std::string& key, const std::string& value);

  // P/acked, the key the leader records its acknowledged head under.
  const std::string& acked_key() const { return acked_key_; }
  const std::string& leader_key() const { return leader_key_; }
  // The value of P/acked, nullopt if never written.
  Result<std::optional<std::string>> ReadAcked();

  // Tests only: stops renewing the lease as a frozen process would — no
  // resign, no revoke, state stays kLeader, OnLost is not called.
  void StopKeepAliveForTesting();

 private:
  void KeepAliveLoop(std::int64_t term, LeaseId lease);
  // Marks `term` lost (if it is still the held term) and calls on_lost.
  // With `revoke`, also revokes the lease (best effort): etcd is reachable
  // and the lease may still hold keys.
  void Lose(std::int64_t term, Status why, bool revoke);
  // Stops and joins the keep-alive thread. Precondition: mu_ not held.
  void StopThread();

  EtcdClient& etcd_;
  // The keep-alive thread's own client: its request deadline is at most the
  // renewal interval, so a stalled etcd is noticed before the lease ends.
  std::unique_ptr<EtcdClient> keepalive_etcd_;
  const std::string leader_key_;
  const std::string acked_key_;
  const ElectionOptions options_;
  const std::chrono::milliseconds interval_;
  std::chrono::milliseconds attempt_max_{0};  // the longest one renewal can take

  mutable std::mutex mu_;
  std::condition_variable wake_;
  Leadership state_;
  LeaderInfo mine_;  // kLeader, kLost: what this node's campaign wrote
  bool stop_ = false;  // the keep-alive thread is to end
  std::thread keepalive_;
  std::mutex campaign_mu_;  // one Campaign/Resign at a time
};

}  // namespace caseledger::cluster
