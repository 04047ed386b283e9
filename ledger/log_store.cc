#include "ledger/log_store.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "ledger/lmdb/snapshot_access.h"

namespace caseledger::ledger {

namespace {
constexpr std::string_view kOriginKey = "origin";
constexpr std::string_view kFormatKey = "format";

// The stored hash of node `id` from its value `v` (as read from nodes).
Result<crypto::Digest> NodeValue(merkle::NodeId id, const std::optional<ByteView>& v) {
  if (!v) return NotFound("Merkle node " + id.ToString() + " is not stored");
  if (v->size() != crypto::kSha256Bytes)
    return Corruption("Merkle node " + id.ToString() + " is not 32 bytes");
  crypto::Digest d;
  std::memcpy(d.bytes.data(), v->data(), d.bytes.size());
  return d;
}

// Stored perfect-subtree hashes, read inside a write txn (TruncateLog).
class WriteTxnNodeSource : public merkle::NodeSource {
 public:
  WriteTxnNodeSource(const lmdb::WriteTxn& txn, const LogStore& store)
      : txn_(txn), store_(store) {}
  Result<crypto::Digest> GetNode(merkle::NodeId id) override {
    CL_ASSIGN_OR_RETURN(auto v, txn_.Get(store_.nodes(), NodeKey(id)));
    return NodeValue(id, v);
  }

 private:
  const lmdb::WriteTxn& txn_;
  const LogStore& store_;
};
}  // namespace

std::array<std::uint8_t, 9> NodeKey(merkle::NodeId id) {
  // Keyed by the last leaf the subtree covers, then its level: the nodes an
  // append completes share that leaf and come level 0 first, so keys grow in
  // append order and every put is an MDB_APPEND to the tail page.
  std::array<std::uint8_t, 9> k{};
  auto last = EncodeBigEndian64(id.end() - 1);
  std::memcpy(k.data(), last.data(), 8);
  k[8] = id.level;
  return k;
}

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& data_dir,
                                                 bool read_only, bool create,
                                                 const std::string& origin,
                                                 bool no_sync) {
  std::string dir = data_dir + "/ledger";
  std::error_code ec;
  if (create) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("no ledger in " + data_dir +
                    " (run `caseledger init` first)");
  }
  lmdb::EnvOptions opts;
  opts.read_only = read_only;
  opts.no_sync = no_sync;
  std::unique_ptr<LogStore> s(new LogStore());
  CL_ASSIGN_OR_RETURN(s->env_, lmdb::Env::Open(dir, opts));
  s->tables_ = std::make_unique<Tables>(*s->env_);
  CL_ASSIGN_OR_RETURN(s->events_, s->env_->OpenDb("events", create));
  CL_ASSIGN_OR_RETURN(s->nodes_, s->env_->OpenDb("nodes", create));
  CL_ASSIGN_OR_RETURN(s->checkpoints_, s->env_->OpenDb("checkpoints", create));
  CL_ASSIGN_OR_RETURN(s->meta_, s->env_->OpenDb("meta", create));
  if (create) {
    CL_RETURN_IF_ERROR(s->env_->Write([&](lmdb::WriteTxn& txn) -> Status {
      CL_ASSIGN_OR_RETURN(auto existing,
                          txn.Get(s->meta_, AsBytes(kOriginKey)));
      if (existing)
        return AlreadyExists("a ledger already exists in " + data_dir);
      CL_RETURN_IF_ERROR(
          txn.Put(s->meta_, AsBytes(kFormatKey), AsBytes(kLedgerFormat)));
      return txn.Put(s->meta_, AsBytes(kOriginKey), AsBytes(origin));
    }));
  }
  CL_ASSIGN_OR_RETURN(auto txn, s->env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto format, txn.Get(s->meta_, AsBytes(kFormatKey)));
  if (!format || AsChars(*format) != kLedgerFormat)
    return Corruption("ledger format record missing or unknown");
  CL_ASSIGN_OR_RETURN(auto o, txn.Get(s->meta_, AsBytes(kOriginKey)));
  if (!o) return Corruption("ledger origin record missing");
  s->origin_ = std::string(AsChars(*o));
  return s;
}

Result<std::uint64_t> TreeSize(const lmdb::ReadTxn& txn,
                               const LogStore& store) {
  CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(txn, store.events()));
  CL_ASSIGN_OR_RETURN(auto last, c.Last());
  if (!last) return std::uint64_t{0};
  if (last->key.size() != 8) return Corruption("event key is not 8 bytes");
  return DecodeBigEndian64(last->key);
}

Result<std::string> ReadEventLine(const lmdb::ReadTxn& txn,
                                  const LogStore& store, std::uint64_t seq) {
  auto key = EncodeBigEndian64(seq);
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(store.events(), key));
  if (!v) return NotFound("no event with seq " + std::to_string(seq));
  return std::string(AsChars(*v));
}

Result<std::pair<std::uint64_t, std::string>> LatestCheckpoint(
    const lmdb::ReadTxn& txn, const LogStore& store) {
  CL_ASSIGN_OR_RETURN(auto c,
                      lmdb::Cursor::Open(txn, store.checkpoints()));
  CL_ASSIGN_OR_RETURN(auto last, c.Last());
  if (!last) return NotFound("no checkpoint stored yet");
  if (last->key.size() != 8) return Corruption("checkpoint key is not 8 bytes");
  return std::make_pair(DecodeBigEndian64(last->key),
                        std::string(AsChars(last->value)));
}

Result<std::string> CheckpointAt(const lmdb::ReadTxn& txn,
                                 const LogStore& store, std::uint64_t size) {
  auto key = EncodeBigEndian64(size);
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(store.checkpoints(), key));
  if (!v) return NotFound("no checkpoint of size " + std::to_string(size));
  return std::string(AsChars(*v));
}

Result<merkle::CompactRange> LoadCompactRange(const lmdb::ReadTxn& txn,
                                              const LogStore& store,
                                              std::uint64_t size) {
  TxnNodeSource source(txn, store);
  return merkle::CompactRangeFromSource(size, source);
}

Result<crypto::Digest> TxnNodeSource::GetNode(merkle::NodeId id) {
  auto key = NodeKey(id);
  CL_ASSIGN_OR_RETURN(auto v, txn_.Get(store_.nodes(), key));
  return NodeValue(id, v);
}

// --- The same reads in a Snapshot ------------------------------------------

Result<std::uint64_t> TreeSize(const Snapshot& snap, const LogStore& store) {
  return TreeSize(SnapshotAccess::Txn(snap), store);
}

Result<std::string> ReadEventLine(const Snapshot& snap, const LogStore& store,
                                  std::uint64_t seq) {
  return ReadEventLine(SnapshotAccess::Txn(snap), store, seq);
}

Result<std::pair<std::uint64_t, std::string>> LatestCheckpoint(
    const Snapshot& snap, const LogStore& store) {
  return LatestCheckpoint(SnapshotAccess::Txn(snap), store);
}

Result<std::pair<std::uint64_t, std::string>> CheckpointInRange(const Snapshot& snap,
                                                                const LogStore& store,
                                                                std::uint64_t after,
                                                                std::uint64_t at_most) {
  CL_ASSIGN_OR_RETURN(auto c, lmdb::Cursor::Open(SnapshotAccess::Txn(snap), store.checkpoints()));
  // The first checkpoint past at_most, then one back; or the last one.
  if (at_most == std::numeric_limits<std::uint64_t>::max()) return NotFound("no checkpoint in the range");
  auto past = EncodeBigEndian64(at_most + 1);
  CL_ASSIGN_OR_RETURN(auto kv, c.SeekAtLeast(past));
  if (kv) {
    CL_ASSIGN_OR_RETURN(kv, c.Prev());
  } else {
    CL_ASSIGN_OR_RETURN(kv, c.Last());
  }
  if (!kv) return NotFound("no checkpoint in the range");
  if (kv->key.size() != 8) return Corruption("checkpoint key is not 8 bytes");
  const std::uint64_t size = DecodeBigEndian64(kv->key);
  if (size <= after || size > at_most) return NotFound("no checkpoint in the range");
  return std::make_pair(size, std::string(AsChars(kv->value)));
}

Result<merkle::CompactRange> LoadCompactRange(const Snapshot& snap,
                                              const LogStore& store,
                                              std::uint64_t size) {
  return LoadCompactRange(SnapshotAccess::Txn(snap), store, size);
}

TxnNodeSource::TxnNodeSource(const Snapshot& snap, const LogStore& store)
    : txn_(SnapshotAccess::Txn(snap)), store_(store) {}

Status ForEachEventLine(
    const Snapshot& snap, const LogStore& store, std::uint64_t first_seq,
    const std::function<Result<bool>(std::uint64_t seq, std::string_view line)>& fn) {
  first_seq = std::max<std::uint64_t>(first_seq, 1);  // seqs start at 1
  CL_ASSIGN_OR_RETURN(auto cur, lmdb::Cursor::Open(SnapshotAccess::Txn(snap), store.events()));
  CL_ASSIGN_OR_RETURN(auto kv, cur.SeekAtLeast(EncodeBigEndian64(first_seq)));
  while (kv) {
    if (kv->key.size() != 8) return Corruption("event key is not 8 bytes");
    CL_ASSIGN_OR_RETURN(bool more, fn(DecodeBigEndian64(kv->key), AsChars(kv->value)));
    if (!more) break;
    CL_ASSIGN_OR_RETURN(kv, cur.Next());
  }
  return Status::Ok();
}

// --- Truncation ----------------------------------------------------------------

Result<Truncation> TruncateLog(LogStore& store, std::uint64_t keep,
                               const CheckpointSigner& sign_checkpoint) {
  Truncation out;
  // Env::Write reruns the function after growing a full map: it starts over.
  Status s = store.env().Write([&](lmdb::WriteTxn& txn) -> Status {
    out = Truncation{};
    // Keys and lines are copied out before the first delete (views into the
    // map are valid only until the next write).
    std::vector<std::array<std::uint8_t, 8>> event_keys;
    std::vector<std::array<std::uint8_t, 9>> node_keys;
    std::vector<std::array<std::uint8_t, 8>> checkpoint_keys;
    {
      CL_ASSIGN_OR_RETURN(auto events, lmdb::Cursor::Open(txn, store.events()));
      CL_ASSIGN_OR_RETURN(auto last, events.Last());
      std::uint64_t size = 0;
      if (last) {
        if (last->key.size() != 8) return Corruption("event key is not 8 bytes");
        size = DecodeBigEndian64(last->key);
      }
      if (keep > size) {
        return InvalidArgument("the log has only " + std::to_string(size) + " events");
      }
      out.old_size = size;
      out.new_size = keep;
      if (keep == size) return Status::Ok();
      CL_ASSIGN_OR_RETURN(auto kv, events.SeekAtLeast(EncodeBigEndian64(keep + 1)));
      for (std::uint64_t seq = keep + 1; kv; ++seq) {
        if (kv->key.size() != 8) return Corruption("event key is not 8 bytes");
        if (DecodeBigEndian64(kv->key) != seq) {
          return Corruption("event " + std::to_string(seq) + " is missing (found " +
                            std::to_string(DecodeBigEndian64(kv->key)) + ")");
        }
        event_keys.push_back(EncodeBigEndian64(seq));
        out.dropped.emplace_back(AsChars(kv->value));
        CL_ASSIGN_OR_RETURN(kv, events.Next());
      }
    }
    {
      // Keys are last leaf covered ‖ level, so the nodes covering a leaf >=
      // keep (0-based) are exactly those from the 8-byte prefix keep on.
      CL_ASSIGN_OR_RETURN(auto nodes, lmdb::Cursor::Open(txn, store.nodes()));
      CL_ASSIGN_OR_RETURN(auto kv, nodes.SeekAtLeast(EncodeBigEndian64(keep)));
      while (kv) {
        if (kv->key.size() != 9) return Corruption("Merkle node key is not 9 bytes");
        std::array<std::uint8_t, 9> k{};
        std::memcpy(k.data(), kv->key.data(), k.size());
        node_keys.push_back(k);
        CL_ASSIGN_OR_RETURN(kv, nodes.Next());
      }
    }
    {
      CL_ASSIGN_OR_RETURN(auto cps, lmdb::Cursor::Open(txn, store.checkpoints()));
      CL_ASSIGN_OR_RETURN(auto kv, cps.SeekAtLeast(EncodeBigEndian64(keep + 1)));
      while (kv) {
        if (kv->key.size() != 8) return Corruption("checkpoint key is not 8 bytes");
        checkpoint_keys.push_back(EncodeBigEndian64(DecodeBigEndian64(kv->key)));
        CL_ASSIGN_OR_RETURN(kv, cps.Next());
      }
    }
    for (const auto& k : event_keys) CL_RETURN_IF_ERROR(txn.Delete(store.events(), k));
    for (const auto& k : node_keys) CL_RETURN_IF_ERROR(txn.Delete(store.nodes(), k));
    for (const auto& k : checkpoint_keys) CL_RETURN_IF_ERROR(txn.Delete(store.checkpoints(), k));
    if (keep == 0) return Status::Ok();  // an empty log has no checkpoint
    const auto cp_key = EncodeBigEndian64(keep);
    CL_ASSIGN_OR_RETURN(auto stored, txn.Get(store.checkpoints(), cp_key));
    if (stored) return Status::Ok();
    WriteTxnNodeSource source(txn, store);
    CL_ASSIGN_OR_RETURN(merkle::CompactRange range, merkle::CompactRangeFromSource(keep, source));
    CL_ASSIGN_OR_RETURN(std::string note, sign_checkpoint(keep, range.Root()));
    return txn.Put(store.checkpoints(), cp_key, AsBytes(note));
  });
  if (!s.ok()) return s.WithContext("truncating the log to " + std::to_string(keep) + " events");
  // Commits are fsync'd unless the store was opened no_sync; make it durable
  // either way.
  if (out.old_size != out.new_size) CL_RETURN_IF_ERROR(store.Sync());
  return out;
}

}  // namespace caseledger::ledger
