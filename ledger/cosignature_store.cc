#include "ledger/cosignature_store.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "base/json.h"
#include "crypto/note.h"
#include "ledger/canonical_json.h"

namespace caseledger::ledger {
namespace {

Json ToJson(const CosignedCheckpoint& c) {
  Json j = {{"note", c.log_note}, {"cosignatures", Json::object()}};
  for (const auto& [name, line] : c.cosignatures) j["cosignatures"][name] = line;
  if (c.quorum_at) j["quorum_at"] = *c.quorum_at;
  return j;
}

Result<CosignedCheckpoint> FromJson(std::uint64_t size, ByteView value) {
  Result<Json> j = ParseUntrustedJson(AsChars(value));
  const std::string bad = "cosignatures entry of size " + std::to_string(size);
  if (!j.ok() || !j->is_object() || !j->contains("note") ||
      !(*j)["note"].is_string() || !j->contains("cosignatures") ||
      !(*j)["cosignatures"].is_object())
    return Corruption(bad + " is not the stored JSON shape");
  CosignedCheckpoint c;
  c.size = size;
  c.log_note = (*j)["note"].get<std::string>();
  for (const auto& [name, line] : (*j)["cosignatures"].items()) {
    if (!line.is_string()) return Corruption(bad + " has a non-string line");
    c.cosignatures[name] = line.get<std::string>();
  }
  if (j->contains("quorum_at")) {
    if (!(*j)["quorum_at"].is_number_integer())
      return Corruption(bad + " has a non-integer quorum_at");
    c.quorum_at = (*j)["quorum_at"].get<std::int64_t>();
  }
  return c;
}

}  // namespace

std::string CosignedCheckpoint::Note() const {
  std::string n = log_note;
  for (const auto& [name, line] : cosignatures) n += line;
  return n;
}

Result<std::unique_ptr<CosignatureStore>> CosignatureStore::Open(
    const std::string& data_dir, bool read_only) {
  const std::string dir = data_dir + "/cosignatures";
  std::error_code ec;
  if (!read_only) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("no cosignatures in " + data_dir);
  }
  lmdb::EnvOptions opts;
  opts.read_only = read_only;
  opts.initial_map_size = std::size_t{16} << 20;
  opts.max_dbs = 2;
  std::unique_ptr<CosignatureStore> s(new CosignatureStore());
  CL_ASSIGN_OR_RETURN(s->env_, lmdb::Env::Open(dir, opts));
  CL_ASSIGN_OR_RETURN(s->cosigned_, s->env_->OpenDb("cosigned", !read_only));
  return s;
}

Status CosignatureStore::Add(std::uint64_t size, const std::string& log_note,
                             const std::map<std::string, std::string>& lines,
                             std::size_t quorum, std::int64_t now) {
  const auto key = EncodeBigEndian64(size);
  return env_->Write([&](lmdb::WriteTxn& txn) -> Status {
    CL_ASSIGN_OR_RETURN(auto existing, txn.Get(cosigned_, key));
    CosignedCheckpoint c;
    if (existing) {
      CL_ASSIGN_OR_RETURN(c, FromJson(size, *existing));
      if (c.log_note != log_note)
        return Corruption("checkpoint of size " + std::to_string(size) +
                          " differs from the one cosigned before");
    } else {
      c.size = size;
      c.log_note = log_note;
    }
    for (const auto& [name, line] : lines) c.cosignatures[name] = line;
    if (!c.quorum_at && quorum > 0 && c.cosignatures.size() >= quorum)
      c.quorum_at = now;
    CL_RETURN_IF_ERROR(txn.Put(cosigned_, key, AsBytes(CanonicalJson(ToJson(c)))));
    if (!c.quorum_at) return Status::Ok();
    // Older entries without a quorum can no longer be the newest witnessed
    // checkpoint: drop them.
    std::vector<std::uint64_t> drop;
    {
      CL_ASSIGN_OR_RETURN(auto cur, lmdb::Cursor::Open(txn, cosigned_));
      CL_ASSIGN_OR_RETURN(auto kv, cur.First());
      while (kv && DecodeBigEndian64(kv->key) < size) {
        CL_ASSIGN_OR_RETURN(CosignedCheckpoint old,
                            FromJson(DecodeBigEndian64(kv->key), kv->value));
        if (!old.quorum_at) drop.push_back(old.size);
        CL_ASSIGN_OR_RETURN(kv, cur.Next());
      }
    }
    for (std::uint64_t d : drop)
      CL_RETURN_IF_ERROR(txn.Delete(cosigned_, EncodeBigEndian64(d)));
    return Status::Ok();
  });
}

Result<std::optional<CosignedCheckpoint>> CosignatureStore::At(
    std::uint64_t size) const {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(cosigned_, EncodeBigEndian64(size)));
  if (!v) return std::optional<CosignedCheckpoint>();
  CL_ASSIGN_OR_RETURN(CosignedCheckpoint c, FromJson(size, *v));
  return std::optional<CosignedCheckpoint>(std::move(c));
}

Result<std::optional<CosignedCheckpoint>> CosignatureStore::NewestReachedQuorum() const {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto cur, lmdb::Cursor::Open(txn, cosigned_));
  CL_ASSIGN_OR_RETURN(auto kv, cur.Last());
  while (kv) {
    CL_ASSIGN_OR_RETURN(CosignedCheckpoint c, FromJson(DecodeBigEndian64(kv->key), kv->value));
    if (c.quorum_at) return std::optional<CosignedCheckpoint>(std::move(c));
    CL_ASSIGN_OR_RETURN(kv, cur.Prev());
  }
  return std::optional<CosignedCheckpoint>();
}

Result<std::optional<CosignedCheckpoint>> CosignatureStore::NewestWithQuorum(
    std::span<const crypto::CosignerVerifier> witnesses, std::size_t quorum,
    std::size_t max_entries) const {
  CL_ASSIGN_OR_RETURN(auto txn, env_->BeginRead());
  CL_ASSIGN_OR_RETURN(auto cur, lmdb::Cursor::Open(txn, cosigned_));
  CL_ASSIGN_OR_RETURN(auto kv, cur.Last());
  for (std::size_t seen = 0; kv && seen < max_entries; ++seen) {
    CL_ASSIGN_OR_RETURN(CosignedCheckpoint c,
                        FromJson(DecodeBigEndian64(kv->key), kv->value));
    if (quorum == 0) return std::optional<CosignedCheckpoint>(std::move(c));
    Result<crypto::ParsedNote> note = crypto::ParseNote(c.Note());
    if (!note.ok())
      return Corruption("cosigned checkpoint of size " + std::to_string(c.size) +
                        ": " + note.status().message());
    const crypto::CosignatureTally t = crypto::TallyCosignatures(*note, witnesses);
    if (t.valid.size() >= quorum)
      return std::optional<CosignedCheckpoint>(std::move(c));
    CL_ASSIGN_OR_RETURN(kv, cur.Prev());
  }
  return std::optional<CosignedCheckpoint>();
}

}  // namespace caseledger::ledger
