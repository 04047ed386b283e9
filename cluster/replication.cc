#include "cluster/replication.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "base/bytes.h"
#include "base/json.h"
#include "crypto/base64.h"
#include "ledger/event.h"
#include "ledger/canonical_json.h"
#include "ledger/mirror.h"

namespace caseledger::cluster {

std::string FormatAckedHead(const AckedHead& head) {
  return std::to_string(head.size) + " " + head.root.Hex();
}

Result<AckedHead> ParseAckedHead(std::string_view text) {
  const std::size_t space = text.find(' ');
  const auto bad = [] { return Corruption("the acknowledged head in etcd is not \"<size> <root hex>\""); };
  if (space == std::string_view::npos || space == 0 || space > 16) return bad();
  const std::string_view size = text.substr(0, space), hex = text.substr(space + 1);
  if (size.find_first_not_of("0123456789") != std::string_view::npos || (size.size() > 1 && size[0] == '0'))
    return bad();
  AckedHead head;
  head.size = std::stoull(std::string(size));
  auto bytes = FromHex(hex);
  if (!bytes.ok() || bytes->size() != head.root.bytes.size() || ToHex(*bytes) != hex) return bad();
  std::copy(bytes->begin(), bytes->end(), head.root.bytes.begin());
  return head;
}

Result<AckedHead> HeadAt(const ledger::LogStore& store, std::uint64_t size) {
  CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, store.Read());
  CL_ASSIGN_OR_RETURN(std::uint64_t held, ledger::TreeSize(snap, store));
  if (held < size) return NotFound("the log holds " + std::to_string(held) + " events, fewer than " + std::to_string(size));
  CL_ASSIGN_OR_RETURN(merkle::CompactRange range, ledger::LoadCompactRange(snap, store, size));
  return AckedHead{size, range.Root()};
}

Result<bool> HoldsAcked(const ledger::LogStore& store, const AckedHead& head) {
  auto mine = HeadAt(store, head.size);
  if (!mine.ok() && mine.status().code() == StatusCode::kNotFound) return false;
  CL_RETURN_IF_ERROR(mine.status());
  return mine->root == head.root;
}

Result<std::vector<ledger::Keystore::KeyExport>> KeysForLines(ledger::Keystore& keys,
                                                             const std::vector<std::string>& lines) {
  std::vector<std::string> owners;
  for (const std::string& line : lines) {
    CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    if (e.body) owners.push_back(e.subject ? *e.subject : e.actor);
  }
  if (owners.empty()) return std::vector<ledger::Keystore::KeyExport>{};
  return keys.ExportKeys(owners);
}

std::string EncodeBatch(const ShippedBatch& batch) {
  Json lines = Json::array();
  for (const std::string& l : batch.lines) lines.push_back(l);
  Json keys = Json::array();
  for (const ledger::Keystore::KeyExport& k : batch.keys) {
    Json key{{"kid", k.kid}, {"owner", k.owner}, {"sealed", crypto::Base64Encode(AsBytes(k.sealed))}};
    if (k.lookup) key["lookup"] = ToHex(ByteView(k.lookup->data(), k.lookup->size()));
    keys.push_back(std::move(key));
  }
  return ledger::CanonicalJson(Json{{"checkpoint", batch.checkpoint},
                                    {"first_seq", batch.first_seq},
                                    {"keys", std::move(keys)},
                                    {"leader", batch.leader},
                                    {"lines", std::move(lines)},
                                    {"term", batch.term}});
}

namespace {

Result<ledger::Keystore::KeyExport> DecodeKey(const Json& j) {
  const auto bad = [] { return InvalidArgument("a shipped key is {kid, lookup?, owner, sealed}"); };
  if (!j.is_object()) return bad();
  for (const auto& [key, value] : j.items())
    if (key != "kid" && key != "lookup" && key != "owner" && key != "sealed") return bad();
  if (!j.contains("kid") || !j["kid"].is_string() || !j.contains("owner") || !j["owner"].is_string() ||
      !j.contains("sealed") || !j["sealed"].is_string())
    return bad();
  ledger::Keystore::KeyExport k;
  k.kid = j["kid"].get<std::string>();
  k.owner = j["owner"].get<std::string>();
  auto sealed = crypto::Base64Decode(j["sealed"].get<std::string>());
  if (!sealed.ok()) return bad();
  k.sealed.assign(sealed->begin(), sealed->end());
  if (j.contains("lookup")) {
    if (!j["lookup"].is_string()) return bad();
    auto lookup = FromHex(j["lookup"].get<std::string>());
    if (!lookup.ok() || lookup->size() != ledger::Keystore::LookupKey{}.size()) return bad();
    k.lookup.emplace();
    std::copy(lookup->begin(), lookup->end(), k.lookup->begin());
  }
  return k;
}

}  // namespace

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
    if (key != "checkpoint" && key != "first_seq" && key != "keys" && key != "leader" &&
        key != "lines" && key != "term")
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
  if (const Json* keys = member("keys")) {
    if (!keys->is_array()) return InvalidArgument("a shipped batch's keys are an array");
    for (const Json& k : *keys) {
      CL_ASSIGN_OR_RETURN(ledger::Keystore::KeyExport key, DecodeKey(k));
      b.keys.push_back(std::move(key));
    }
  }
  return b;
}

Follower::Follower(ledger::LogStore& store, ledger::Keystore* keys, crypto::NoteVerifier verifier,
                   Election& election)
    : store_(store), keys_(keys), verifier_(std::move(verifier)), election_(election), pool_(0) {}

Result<std::uint64_t> Follower::Apply(const ShippedBatch& batch, std::uint64_t* fork_at) {
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
      if (line != batch.lines[seq - batch.first_seq]) {
        if (fork_at != nullptr) *fork_at = seq;
        return Status(StatusCode::kCorruption,
                      "seq " + std::to_string(seq) + ": the leader's event differs from the one held")
            .WithReason(std::string(ledger::kForkReason));
      }
    }
  }
  if (end <= held) return held;
  std::vector<std::string> rest(batch.lines.begin() + static_cast<std::ptrdiff_t>(held + 1 - batch.first_seq),
                                batch.lines.end());
  // Keys first: an event is never held here without the key of its body.
  if (keys_ != nullptr && !batch.keys.empty()) CL_RETURN_IF_ERROR(keys_->ImportKeys(batch.keys).status());
  auto appended = ledger::AppendVerified(store_, verifier_, rest, batch.checkpoint, &pool_);
  if (!appended.ok()) {
    // The first new event does not follow what this node holds: it forks at
    // or before held + 1 (the leader resends from further back).
    if (ledger::IsFork(appended.status()) && fork_at != nullptr) *fork_at = held + 1;
    return appended.status();
  }
  ledger::MirrorAppend& a = *appended;
  // An erasure stored here is applied here: its subject's key goes (a
  // follower promoted later must not decrypt what the DPO erased).
  if (keys_ != nullptr) {
    for (const std::string& line : rest) {
      if (line.find("\"subject.erased\"") == std::string::npos) continue;
      CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
      if (e.type != "subject.erased" || !e.subject) continue;
      auto destroyed = keys_->Destroy(*e.subject);
      if (!destroyed.ok() && destroyed.status().code() != StatusCode::kNotFound)
        return destroyed.status();
    }
  }
  return a.size;
}

Shipper::Shipper(ledger::LogStore& store, Election& election, std::string node_id,
                 std::vector<FollowerTransport> followers, ShipperOptions options)
    : store_(store),
      election_(election),
      node_id_(std::move(node_id)),
      followers_(std::move(followers)),
      options_(options),
      held_(std::make_unique<std::atomic<std::uint64_t>[]>(followers_.size())) {}

Shipper::~Shipper() {
  std::unique_lock lock(flight_->mu);
  flight_->cv.wait(lock, [&] { return flight_->count == 0; });
}

void Shipper::Heartbeat() {
  const Leadership me = election_.state();
  if (!election_.IsLeader()) return;
  ShippedBatch batch{node_id_, me.term, 0, {}, {}, {}};
  {
    // The read snapshot ends here: ShipTo reads its own.
    auto snap = store_.Read();
    if (!snap.ok()) return;
    auto last = ledger::LatestCheckpoint(*snap, store_);
    if (!last.ok() || last->first == 0) return;
    auto line = ledger::ReadEventLine(*snap, store_, last->first);
    if (!line.ok()) return;
    batch.first_seq = last->first;
    batch.lines.push_back(std::move(*line));
    batch.checkpoint = std::move(last->second);
  }
  if (options_.keys_for) {
    auto keys = options_.keys_for(batch.lines);
    if (!keys.ok()) return;
    batch.keys = std::move(*keys);
  }
  for (std::size_t i = 0; i < followers_.size(); ++i) {
    if (held_[i].load() >= batch.first_seq) continue;
    auto r = ShipTo(i, batch);
    (void)r;  // the next heartbeat or write tries again
  }
}

Result<std::uint64_t> Shipper::ShipTo(std::size_t i, const ShippedBatch& batch) {
  Result<std::uint64_t> r = ShipToOnce(i, batch);
  if (r.ok()) held_[i].store(*r);
  return r;
}

Result<std::uint64_t> Shipper::ShipToOnce(std::size_t i, const ShippedBatch& batch) {
  const std::uint64_t end = batch.first_seq + batch.lines.size() - 1;
  Result<std::uint64_t> r = followers_[i](batch);
  std::uint64_t from = batch.first_seq;  // the first seq of the last request
  std::uint64_t back = 1;                // how far before it to start after a fork
  // A follower behind (down, new) is sent what it lacks from the leader's
  // log, in chunks ending at stored checkpoints. A follower whose log forks
  // from the leader's (a deposed leader's unacknowledged tail) is sent
  // chunks that start ever further back, 1, 2, 4 … events before the last:
  // the follower compares the overlap byte for byte and, once an event it
  // holds matches (and so, by its prev, everything before it), drops what
  // follows the match and takes the rest (docs/cluster-election.md).
  for (int requests = 0; requests < 256; ++requests) {
    std::uint64_t start = 0;
    if (!r.ok()) {
      if (!ledger::IsFork(r.status()) || from <= 1) return r.status();
      start = from > back ? from - back : 1;
      back *= 2;
    } else if (*r >= end) {
      return *r;
    } else if (*r + 1 >= batch.first_seq) {
      from = batch.first_seq;
      r = followers_[i](batch);
      continue;
    } else {
      start = *r + 1;
    }
    CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, store_.Read());
    auto cp = ledger::CheckpointInRange(snap, store_, start - 1,
                                        std::min(start - 1 + options_.max_catch_up, end));
    if (!cp.ok() && cp.status().code() == StatusCode::kNotFound)
      cp = ledger::CheckpointInRange(snap, store_, start - 1, end);  // the batch's own
    CL_RETURN_IF_ERROR(cp.status());
    ShippedBatch more{batch.leader, batch.term, start, {}, std::move(cp->second), {}};
    for (std::uint64_t seq = start; seq <= cp->first; ++seq) {
      CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(snap, store_, seq));
      more.lines.push_back(std::move(line));
    }
    if (options_.keys_for) {
      CL_ASSIGN_OR_RETURN(more.keys, options_.keys_for(more.lines));
    }
    const std::uint64_t before = r.ok() ? *r : 0;
    from = start;
    r = followers_[i](more);
    if (r.ok() && *r <= before && !(*r >= end)) return Unavailable("a follower makes no progress catching up");
  }
  return Unavailable("a follower could not be brought up to the leader's log");
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
  round->batch = ShippedBatch{node_id_, me.term, first_seq, lines, checkpoint, {}};
  if (options_.keys_for) {
    auto keys = options_.keys_for(lines);
    if (!keys.ok()) return keys.status();
    round->batch.keys = std::move(*keys);
  }
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
  auto head = HeadAt(store_, end);
  if (!head.ok()) return head.status();
  auto put = election_.FencedPut(election_.acked_key(), FormatAckedHead(*head));
  if (!put.ok())
    return Unavailable("the acknowledged head could not be recorded in etcd: " +
                       put.status().message());
  acknowledged_ = end;
  return Status::Ok();
}

}  // namespace caseledger::cluster
