#include "cluster/election.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "base/json.h"

namespace caseledger::cluster {
namespace {

using Clock = std::chrono::steady_clock;

Result<LeaderInfo> ParseLeader(const KeyValue& kv) {
  // Parse errors are answered as Corruption, so no exception escapes.
  Json j = Json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("node_id") || !j["node_id"].is_string() ||
      !j.contains("value") || !j["value"].is_string() || kv.create_revision <= 0)
    return Corruption("the leader key does not hold {node_id, value}");
  LeaderInfo info;
  info.node_id = j["node_id"].get<std::string>();
  info.value = j["value"].get<std::string>();
  info.term = kv.create_revision;
  info.lease = kv.lease;
  return info;
}

std::chrono::milliseconds IntervalOf(const ElectionOptions& o) {
  if (o.keepalive_interval.count() > 0) return o.keepalive_interval;
  return std::chrono::duration_cast<std::chrono::milliseconds>(o.ttl) / 3;
}

}  // namespace

Election::Election(EtcdClient& etcd, std::string prefix, ElectionOptions options)
    : etcd_(etcd),
      leader_key_(prefix + "/leader"),
      acked_key_(prefix + "/acked"),
      options_(std::move(options)),
      interval_(IntervalOf(options_)) {
  // A renewal attempt (HttpClient may resend once: two deadlines) takes at
  // most about one interval, so a stalled etcd is noticed in time.
  EtcdOptions ka = etcd_.options();
  ka.request_timeout = std::clamp(interval_ / 2, std::chrono::milliseconds(100),
                                  std::max(ka.request_timeout, std::chrono::milliseconds(100)));
  attempt_max_ = 2 * ka.request_timeout;
  keepalive_etcd_ = std::make_unique<EtcdClient>(std::move(ka));
}

Election::~Election() { (void)Resign(); }

void Election::StopThread() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  assert(!keepalive_.joinable() || keepalive_.get_id() != std::this_thread::get_id());
  if (keepalive_.joinable()) keepalive_.join();
}

void Election::StopKeepAliveForTesting() { StopThread(); }

Result<CampaignResult> Election::Campaign(const std::string& node_id, const std::string& value) {
  std::lock_guard campaign(campaign_mu_);
  {
    std::lock_guard lock(mu_);
    if (state_.state == LeadershipState::kLeader) return CampaignResult{true, mine_};
  }
  StopThread();  // the thread of a lost term may still be winding down

  // The lease's local deadline counts from before the grant was sent: etcd
  // starts the TTL later, so the node's view ends first.
  const Clock::time_point sent = Clock::now();
  CL_ASSIGN_OR_RETURN(Lease lease, etcd_.Grant(options_.ttl));
  const Json mine = {{"node_id", node_id}, {"value", value}};
  TxnRequest txn;
  txn.compare = {Compare::CreateRevision(leader_key_, Compare::Op::kEqual, 0)};
  txn.success = {TxnOp::Put(leader_key_, mine.dump(), lease.id), TxnOp::Get(leader_key_)};
  txn.failure = {TxnOp::Get(leader_key_)};
  Result<TxnResult> r = etcd_.Txn(txn);
  if (!r.ok()) {
    // It may have been applied; revoking the fresh lease undoes that.
    (void)etcd_.Revoke(lease.id);
    return r.status().WithContext("campaign");
  }
  const std::optional<KeyValue>& kv = r->results.back().kv;
  if (!kv) {
    (void)etcd_.Revoke(lease.id);
    return Corruption("campaign: the leader key is missing from the transaction's answer");
  }
  Result<LeaderInfo> leader = ParseLeader(*kv);
  if (!leader.ok()) {
    (void)etcd_.Revoke(lease.id);
    return leader.status();
  }
  // Elected if the key carries this lease: this transaction's put, or an
  // earlier attempt of it whose answer was lost before the client retried at
  // another endpoint (then the compare failed, but the key is this node's).
  if (leader->lease != lease.id) {
    (void)etcd_.Revoke(lease.id);  // followers hold no lease
    return CampaignResult{false, std::move(leader).value()};
  }
  {
    std::lock_guard lock(mu_);
    mine_ = *leader;
    state_ = Leadership{};
    state_.state = LeadershipState::kLeader;
    state_.term = leader->term;
    state_.lease = lease.id;
    state_.lease_valid_until = sent + lease.ttl;
    stop_ = false;
  }
  const std::int64_t term = leader->term;
  keepalive_ = std::thread([this, term, id = lease.id] { KeepAliveLoop(term, id); });
  return CampaignResult{true, std::move(leader).value()};
}

void Election::KeepAliveLoop(std::int64_t term, LeaseId lease) {
  // After a failed renewal the next one comes sooner, while the lease lasts.
  const std::chrono::milliseconds retry = interval_ / 3;
  std::chrono::milliseconds wait = interval_;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, wait, [&] { return stop_; });
    if (stop_) return;
    lock.unlock();

    const Clock::time_point sent = Clock::now();
    Result<std::chrono::seconds> ttl = keepalive_etcd_->KeepAliveOnce(lease);
    Status lost;
    bool reachable = true;
    if (ttl.ok()) {
      // The lease lives, but the key is what the other nodes see: it may
      // have been deleted or overwritten (by hand, by a bug), and then this
      // node is no longer leader. A failed read decides nothing.
      Result<std::optional<KeyValue>> kv = keepalive_etcd_->Get(leader_key_);
      if (kv.ok() && (!kv->has_value() || (*kv)->create_revision != term || (*kv)->lease != lease))
        lost = FailedPrecondition("the leader key is gone or belongs to another term");
    } else if (ttl.status().code() == StatusCode::kNotFound) {
      lost = FailedPrecondition("the lease has expired");
    } else {
      reachable = false;
    }

    lock.lock();
    if (stop_ || state_.state != LeadershipState::kLeader || state_.term != term) return;
    if (ttl.ok() && lost.ok()) state_.lease_valid_until = sent + *ttl;
    // Stop acting as leader while the lease surely lasts: if the next
    // renewal might be answered too late, this node gives up now.
    if (!reachable && Clock::now() + retry + attempt_max_ >= state_.lease_valid_until)
      lost = Unavailable("the lease could not be renewed before it ends: " +
                         ttl.status().ToString());
    wait = reachable ? interval_ : retry;
    if (!lost.ok()) {
      lock.unlock();
      Lose(term, lost, reachable);
      return;
    }
  }
}

void Election::Lose(std::int64_t term, Status why, bool revoke) {
  LeaseId lease = 0;
  {
    std::lock_guard lock(mu_);
    if (state_.state != LeadershipState::kLeader || state_.term != term) return;
    state_.state = LeadershipState::kLost;
    state_.lost_reason = why;
    lease = state_.lease;
    stop_ = true;
  }
  wake_.notify_all();
  if (revoke) (void)etcd_.Revoke(lease);
  if (options_.on_lost) options_.on_lost(term, why);
}

Result<std::optional<LeaderInfo>> Election::Observe() {
  CL_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_.Get(leader_key_));
  if (!kv) return std::optional<LeaderInfo>();
  CL_ASSIGN_OR_RETURN(LeaderInfo info, ParseLeader(*kv));
  return std::optional<LeaderInfo>(std::move(info));
}

Status Election::Resign() {
  std::lock_guard campaign(campaign_mu_);
  StopThread();
  Leadership was;
  {
    std::lock_guard lock(mu_);
    was = state_;
    state_ = Leadership{};  // stop acting as leader before asking etcd
    mine_ = LeaderInfo{};
  }
  if (was.state == LeadershipState::kFollower) return Status::Ok();
  Status s = etcd_.Revoke(was.lease);
  if (s.code() == StatusCode::kNotFound) return Status::Ok();  // already expired
  return s.WithContext("resign");
}

Leadership Election::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

bool Election::IsLeader() const {
  std::lock_guard lock(mu_);
  return state_.state == LeadershipState::kLeader && Clock::now() < state_.lease_valid_until;
}

Result<std::int64_t> Election::FencedPut(const std::string& key, const std::string& value) {
  if (key == leader_key_) return InvalidArgument("fenced put: the leader key is the election's");
  const Leadership held = state();
  if (held.state == LeadershipState::kFollower)
    return FailedPrecondition("fenced put: this node is not the leader");
  if (held.state == LeadershipState::kLost)
    return FailedPrecondition("fenced put: leadership of term " + std::to_string(held.term) +
                              " was lost");
  // Only etcd decides: the local deadline may still look fine to a node that
  // was paused, so the transaction itself proves term and lease.
  TxnRequest txn;
  txn.compare = {Compare::CreateRevision(leader_key_, Compare::Op::kEqual, held.term),
                 Compare::LeaseIs(leader_key_, Compare::Op::kEqual, held.lease)};
  txn.success = {TxnOp::Put(key, value)};
  CL_ASSIGN_OR_RETURN(TxnResult r, etcd_.Txn(txn));
  if (!r.succeeded) {
    Status why = FailedPrecondition("fenced put: deposed (the leader key no longer has term " +
                                    std::to_string(held.term) + " and this node's lease)");
    Lose(held.term, why, /*revoke=*/true);
    return why;
  }
  return r.revision;
}

Result<std::optional<std::string>> Election::ReadAcked() {
  CL_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_.Get(acked_key_));
  if (!kv) return std::optional<std::string>();
  return std::optional<std::string>(std::move(kv->value));
}

}  // namespace caseledger::cluster
