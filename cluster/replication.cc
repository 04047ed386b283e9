#include "cluster/replication.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "base/json.h"
#include "ledger/canonical_json.h"
#include "ledger/mirror.h"

namespace caseledger::cluster {

std::string EncodeBatch(const ShippedBatch& batch) {
  Json lines = Json::array();
  for (const std::string& l : batch.lines) lines.push_back(l);
  return ledger::CanonicalJson(Json{{"checkpoint", batch.checkpoint},
                                    {"first_seq", batch.first_seq},
                                    {"leader", batch.leader},
                                    {"lines", std::move(lines)},
                                    {"term", batch.term}});
}

Result<ShippedBatch> DecodeBatch(std::string_view text) {
  ledger::JsonLimits limits;
  limits.max_bytes = kMaxBatchBytes;
  limits.max_string_bytes = kMaxLineBytes;
  limits.max_depth = 3;
  auto parsed = ledger::ParseUntrustedJson(text, limits);
  if (!parsed.ok()) return InvalidArgument("a shipped batch: " + parsed.status().message());
  const Json& j = *parsed;
  if (!j.is_object()) return InvalidArgument("a shipped batch is a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "checkpoint" && key != "first_seq" && key != "leader" && key != "lines" &&
        key != "term")
      return InvalidArgument("a shipped batch has an unknown member");
  }
  auto member = [&](const char* name) -> const Json* {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  const Json* checkpoint = member("checkpoint");
  const Json* first_seq = member("first_seq");
  const Json* leader = member("leader");
  const Json* lines = member("lines");
  const Json* term = member("term");
  if (!checkpoint || !checkpoint->is_string() || !leader || !leader->is_string() || !lines ||
      !lines->is_array() || !first_seq || !first_seq->is_number_integer() || !term ||
      !term->is_number_integer())
    return InvalidArgument("a shipped batch lacks a member or has one of the wrong type");
  ShippedBatch b;
  b.checkpoint = checkpoint->get<std::string>();
  b.leader = leader->get<std::string>();
  b.term = term->get<std::int64_t>();
  const std::int64_t first = first_seq->get<std::int64_t>();
  if (b.term < 1 || first < 1) return InvalidArgument("a shipped batch's term and first seq start at 1");
  b.first_seq = static_cast<std::uint64_t>(first);
  if (lines->empty()) return InvalidArgument("a shipped batch has no events");
  for (const Json& l : *lines) {
    if (!l.is_string()) return InvalidArgument("a shipped batch's lines are strings");
    b.lines.push_back(l.get<std::string>());
  }
  if (b.first_seq + b.lines.size() - 1 > static_cast<std::uint64_t>(ledger::kMaxSafeInteger))
    return InvalidArgument("a shipped batch ends past the largest seq");
  return b;
}

Follower::Follower(ledger::LogStore& store, crypto::NoteVerifier verifier, Election& election)
    : store_(store), verifier_(std::move(verifier)), election_(election), pool_(0) {}

Result<std::uint64_t> Follower::Apply(const ShippedBatch& batch) {
  std::lock_guard lock(mu_);
  if (batch.lines.empty() || batch.first_seq == 0)
    return InvalidArgument("a shipped batch needs events and a first seq");
  // Fencing, follower side: etcd, not the sender, says who leads.
  auto stale = [&](const std::string& why) {
    return Status(StatusCode::kFailedPrecondition, "refused a batch of term " +
                                                       std::to_string(batch.term) + ": " + why)
        .WithReason(std::string(kStaleTermReason));
  };
  if (batch.term < highest_term_)
    return stale("a larger term (" + std::to_string(highest_term_) + ") was seen");
  CL_ASSIGN_OR_RETURN(std::optional<LeaderInfo> leader, election_.Observe());
  if (!leader) return stale("etcd names no leader");
  if (leader->term != batch.term || leader->node_id != batch.leader)
    return stale("etcd names the leader of term " + std::to_string(leader->term));
  highest_term_ = batch.term;

  const std::uint64_t end = batch.first_seq + batch.lines.size() - 1;
  std::uint64_t held = 0;
  {
    // One read snapshot for the size and the events already held; released
    // before AppendVerified writes (a map resize waits for open txns).
    CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, store_.Read());
    CL_ASSIGN_OR_RETURN(held, ledger::TreeSize(snap, store_));
    if (batch.first_seq > held + 1) return held;  // behind: the leader resends
    // Events held already must be these bytes.
    for (std::uint64_t seq = batch.first_seq; seq <= std::min(end, held); ++seq) {
      CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(snap, store_, seq));
      if (line != batch.lines[seq - batch.first_seq])
        return Status(StatusCode::kCorruption,
                      "seq " + std::to_string(seq) + ": the leader's event differs from the one held")
            .WithReason(std::string(ledger::kForkReason));
    }
  }
  if (end <= held) return held;
  std::vector<std::string> rest(batch.lines.begin() + static_cast<std::ptrdiff_t>(held + 1 - batch.first_seq),
                                batch.lines.end());
  CL_ASSIGN_OR_RETURN(ledger::MirrorAppend a,
                      ledger::AppendVerified(store_, verifier_, rest, batch.checkpoint, &pool_));
  return a.size;
}

Shipper::Shipper(ledger::LogStore& store, Election& election, std::string node_id,
                 std::vector<FollowerTransport> followers, ShipperOptions options)
    : store_(store),
      election_(election),
      node_id_(std::move(node_id)),
      followers_(std::move(followers)),
      options_(options) {}

Shipper::~Shipper() {
  std::unique_lock lock(flight_->mu);
  flight_->cv.wait(lock, [&] { return flight_->count == 0; });
}

Result<std::uint64_t> Shipper::ShipTo(std::size_t i, const ShippedBatch& batch) {
  const std::uint64_t end = batch.first_seq + batch.lines.size() - 1;
  CL_ASSIGN_OR_RETURN(std::uint64_t held, followers_[i](batch));
  // Behind (a follower that was down, or new): send what it lacks from the
  // leader's log, in chunks that end at stored checkpoints, then the batch.
  while (held < batch.first_seq - 1) {
    CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, store_.Read());
    ShippedBatch more{batch.leader, batch.term, held + 1, {}, {}};
    const std::uint64_t want = std::min(held + options_.max_catch_up, batch.first_seq - 1);
    CL_ASSIGN_OR_RETURN(auto cp, ledger::CheckpointInRange(snap, store_, held, want));
    more.checkpoint = std::move(cp.second);
    for (std::uint64_t seq = held + 1; seq <= cp.first; ++seq) {
      CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(snap, store_, seq));
      more.lines.push_back(std::move(line));
    }
    CL_ASSIGN_OR_RETURN(std::uint64_t now, followers_[i](more));
    if (now <= held) return Unavailable("a follower makes no progress catching up");
    held = now;
  }
  if (held < end) {
    CL_ASSIGN_OR_RETURN(held, followers_[i](batch));
  }
  return held;
}

Status Shipper::Replicate(std::uint64_t first_seq, const std::vector<std::string>& lines,
                          const std::string& checkpoint) {
  const Leadership me = election_.state();
  if (!election_.IsLeader())
    return Unavailable("this node is not the cluster's leader (term " + std::to_string(me.term) + ")");
  const std::uint64_t end = first_seq + lines.size() - 1;
  if (options_.min_acks > followers_.size())
    return FailedPrecondition("fewer followers than the acknowledgements required");

  struct Round {
    ShippedBatch batch;
    std::mutex mu;
    std::condition_variable cv;
    std::size_t acks = 0, answered = 0;
    Status last_error;
  };
  auto round = std::make_shared<Round>();
  round->batch = ShippedBatch{node_id_, me.term, first_seq, lines, checkpoint};
  // One thread per follower; the round ends at min_acks, and a slow
  // follower's request finishes in the background (the destructor waits).
  for (std::size_t i = 0; i < followers_.size(); ++i) {
    {
      std::lock_guard lock(flight_->mu);
      ++flight_->count;
    }
    // The thread holds the flight counter itself, so the mutex it unlocks
    // last outlives a Shipper destroyed the moment the count reaches zero.
    std::thread([this, flight = flight_, round, i, end] {
      Result<std::uint64_t> r = ShipTo(i, round->batch);
      {
        std::lock_guard lock(round->mu);
        ++round->answered;
        if (r.ok() && *r >= end) {
          ++round->acks;
        } else if (!r.ok()) {
          round->last_error = r.status();
        } else {
          round->last_error = Unavailable("a follower holds less than the batch");
        }
      }
      round->cv.notify_all();
      std::lock_guard lock(flight->mu);
      --flight->count;
      flight->cv.notify_all();
    }).detach();
  }
  {
    std::unique_lock lock(round->mu);
    round->cv.wait_for(lock, options_.timeout, [&] {
      return round->acks >= options_.min_acks || round->answered == followers_.size();
    });
    if (round->acks < options_.min_acks)
      return Unavailable(std::to_string(round->acks) + " of the " +
                         std::to_string(options_.min_acks) + " follower acknowledgements needed" +
                         (round->last_error.ok() ? std::string(" in time")
                                                 : " (" + round->last_error.message() + ")"));
  }
  // The acknowledged head, in the transaction that proves term and lease.
  auto put = election_.FencedPut(election_.acked_key(), std::to_string(end));
  if (!put.ok())
    return Unavailable("the acknowledged head could not be recorded in etcd: " +
                       put.status().message());
  acknowledged_ = end;
  return Status::Ok();
}

}  // namespace caseledger::cluster
