#include "witness/witness_store.h"

#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "base/json.h"
#include "crypto/base64.h"
#include "ledger/lmdb/env.h"
#include "ledger/time.h"

namespace caseledger::witness {

namespace {

namespace lmdb = ledger::lmdb;

// DB names (docs/witness.md, "On-disk state").
constexpr std::string_view kMetaDb = "meta";
constexpr std::string_view kLogKeysDb = "log_keys";
constexpr std::string_view kLatestDb = "latest";
constexpr std::string_view kEvidenceDb = "evidence";
constexpr std::string_view kEvidenceIndexDb = "evidence_index";
constexpr std::string_view kNameKey = "name";

// LMDB keys are at most 511 bytes: origins and vkeys are keyed by their hash.
crypto::Digest KeyOf(std::string_view text) {
  return crypto::Sha256(AsBytes(text));
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string RfcTime(std::uint64_t seconds) {
  constexpr std::uint64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds > kMaxSeconds) seconds = kMaxSeconds;
  return ledger::FormatTime(static_cast<ledger::Micros>(seconds) * 1000000);
}

std::string LatestJson(const CosignedCheckpoint& c) {
  return Dump(Json{{"origin", c.origin},
                   {"size", c.size},
                   {"root", crypto::Base64Encode(c.root.view())},
                   {"note", c.note},
                   {"cosignature", c.cosignature},
                   {"time", c.time}});
}

Result<CosignedCheckpoint> ParseLatest(std::string_view text) {
  try {
    const Json j = Json::parse(text);
    CosignedCheckpoint c;
    c.origin = j.at("origin").get<std::string>();
    c.size = j.at("size").get<std::uint64_t>();
    auto root = crypto::Base64Decode(j.at("root").get<std::string>());
    if (!root.ok() || root->size() != c.root.bytes.size())
      return Corruption("witness state: a stored root is not a 32-byte hash");
    std::memcpy(c.root.bytes.data(), root->data(), c.root.bytes.size());
    c.note = j.at("note").get<std::string>();
    c.cosignature = j.at("cosignature").get<std::string>();
    c.time = j.at("time").get<std::uint64_t>();
    return c;
  } catch (const Json::exception&) {
    return Corruption("witness state: a stored latest checkpoint is malformed");
  }
}

Result<EvidenceRecord> ParseEvidence(std::string_view text) {
  try {
    const Json j = Json::parse(text);
    EvidenceRecord r;
    r.seq = j.at("seq").get<std::uint64_t>();
    r.time = j.at("time_unix").get<std::uint64_t>();
    r.status = j.at("status").get<int>();
    r.reason = j.at("reason").get<std::string>();
    r.detail = j.at("detail").get<std::string>();
    r.origin = j.at("origin").get<std::string>();
    r.old_size = j.at("old_size").get<std::uint64_t>();
    r.proof = j.at("proof").get<std::vector<std::string>>();
    r.note = j.at("note").get<std::string>();
    r.fork = j.at("fork").get<bool>();
    if (j.contains("conflicting_note"))
      r.conflicting_note = j.at("conflicting_note").get<std::string>();
    return r;
  } catch (const Json::exception&) {
    return Corruption("witness state: a stored evidence record is malformed");
  }
}

// The text of a signed note (up to and including the line before the last
// blank line): what a log signed. Used so that replays with other signature
// lines count as the same evidence.
std::string_view NoteText(std::string_view note) {
  const std::size_t blank = note.rfind("\n\n");
  return blank == std::string_view::npos ? note : note.substr(0, blank + 1);
}

// The key of an evidence record in the index: SHA-256 over what a replay
// cannot vary (the signed checkpoint text, the stored note's text, and our
// verdict), each length-prefixed.
crypto::Digest DedupeKey(const EvidenceRecord& r) {
  crypto::Sha256Hasher h;
  auto add = [&h](std::string_view s) {
    const auto len = EncodeBigEndian64(s.size());
    h.Update(ByteView(len.data(), len.size()));
    h.Update(AsBytes(s));
  };
  add("caseledger/witness-evidence/v1");
  add(std::to_string(r.status));
  add(r.reason);
  add(NoteText(r.note));
  add(r.conflicting_note ? NoteText(*r.conflicting_note)
                         : std::string_view("-"));
  return h.Final();
}

}  // namespace

std::string EvidenceJson(const EvidenceRecord& r) {
  Json j{{"seq", r.seq},       {"time", RfcTime(r.time)}, {"time_unix", r.time},
         {"status", r.status}, {"reason", r.reason},      {"detail", r.detail},
         {"origin", r.origin}, {"old_size", r.old_size},  {"proof", r.proof},
         {"note", r.note},     {"fork", r.fork}};
  if (r.conflicting_note) j["conflicting_note"] = *r.conflicting_note;
  return Dump(j);
}

struct WitnessStore::Db {
  std::unique_ptr<lmdb::Env> env;
  lmdb::Dbi meta = 0;
  lmdb::Dbi log_keys = 0;
  lmdb::Dbi latest = 0;
  lmdb::Dbi evidence = 0;
  lmdb::Dbi evidence_index = 0;
};

WitnessStore::~WitnessStore() = default;

Result<std::unique_ptr<WitnessStore>> WitnessStore::Open(const std::string& dir,
                                                         bool create) {
  const std::string state = dir + "/state";
  std::error_code ec;
  if (create) {
    std::filesystem::create_directories(state, ec);
    if (ec) return IoError("cannot create " + state + ": " + ec.message());
  } else if (!std::filesystem::is_directory(state, ec)) {
    return NotFound("no witness state in " + dir +
                    " (run `caseledger witness init` first)");
  }
  std::unique_ptr<WitnessStore> s(new WitnessStore());
  s->db_ = std::make_unique<Db>();
  CL_ASSIGN_OR_RETURN(s->db_->env, lmdb::Env::Open(state, lmdb::EnvOptions{}));
  CL_ASSIGN_OR_RETURN(s->db_->meta, s->db_->env->OpenDb(kMetaDb, true));
  CL_ASSIGN_OR_RETURN(s->db_->log_keys, s->db_->env->OpenDb(kLogKeysDb, true));
  CL_ASSIGN_OR_RETURN(s->db_->latest, s->db_->env->OpenDb(kLatestDb, true));
  CL_ASSIGN_OR_RETURN(s->db_->evidence, s->db_->env->OpenDb(kEvidenceDb, true));
  CL_ASSIGN_OR_RETURN(s->db_->evidence_index,
                      s->db_->env->OpenDb(kEvidenceIndexDb, true));
  return s;
}

Result<std::string> WitnessStore::Name() const {
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, db_->env->BeginRead());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(db_->meta, AsBytes(kNameKey)));
  if (!v)
    return NotFound("the witness has no name (run `caseledger witness init`)");
  return std::string(AsChars(*v));
}

Status WitnessStore::SetName(std::string_view name) {
  Status s = db_->env->Write([&](lmdb::WriteTxn& txn) {
    return txn.Put(db_->meta, AsBytes(kNameKey), AsBytes(name),
                   lmdb::PutMode::kNoOverwrite);
  });
  if (s.code() == StatusCode::kAlreadyExists)
    return AlreadyExists("the witness already has a name");
  return s;
}

Status WitnessStore::AddLogKey(std::string_view vkey) {
  auto v = crypto::NoteVerifier::Parse(vkey);
  if (!v.ok()) return v.status().WithContext("log key");
  const std::string canonical = v->ToString();
  const crypto::Digest key = KeyOf(canonical);
  Status s = db_->env->Write([&](lmdb::WriteTxn& txn) {
    return txn.Put(db_->log_keys, key.view(), AsBytes(canonical),
                   lmdb::PutMode::kNoOverwrite);
  });
  if (s.code() == StatusCode::kAlreadyExists)
    return AlreadyExists("this log key is already trusted");
  return s;
}

Result<std::vector<crypto::NoteVerifier>> WitnessStore::LogKeys() const {
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, db_->env->BeginRead());
  CL_ASSIGN_OR_RETURN(lmdb::Cursor cursor,
                      lmdb::Cursor::Open(txn, db_->log_keys));
  std::vector<crypto::NoteVerifier> out;
  CL_ASSIGN_OR_RETURN(auto kv, cursor.First());
  while (kv) {
    auto v = crypto::NoteVerifier::Parse(AsChars(kv->value));
    if (!v.ok())
      return Corruption("witness state: a stored log key does not parse");
    out.push_back(std::move(v).value());
    CL_ASSIGN_OR_RETURN(kv, cursor.Next());
  }
  return out;
}

Result<std::optional<CosignedCheckpoint>> WitnessStore::Latest(
    std::string_view origin) const {
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, db_->env->BeginRead());
  const crypto::Digest key = KeyOf(origin);
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(db_->latest, key.view()));
  if (!v) return std::optional<CosignedCheckpoint>();
  CL_ASSIGN_OR_RETURN(CosignedCheckpoint c, ParseLatest(AsChars(*v)));
  if (c.origin != origin)
    return Corruption("witness state: a stored origin does not match its key");
  return std::optional<CosignedCheckpoint>(std::move(c));
}

Result<Decision> WitnessStore::Decide(
    std::string_view origin,
    const std::function<Decision(const std::optional<CosignedCheckpoint>&)>&
        decide) {
  const crypto::Digest key = KeyOf(origin);
  std::optional<Decision> made;
  Status s = db_->env->Write([&](lmdb::WriteTxn& txn) -> Status {
    made.reset();
    std::optional<CosignedCheckpoint> latest;
    CL_ASSIGN_OR_RETURN(auto v, txn.Get(db_->latest, key.view()));
    if (v) {
      CL_ASSIGN_OR_RETURN(CosignedCheckpoint c, ParseLatest(AsChars(*v)));
      if (c.origin != origin)
        return Corruption(
            "witness state: a stored origin does not match its key");
      latest = std::move(c);
    }
    Decision d = decide(latest);
    if (auto* accept = std::get_if<Accept>(&d)) {
      if (accept->record.origin != origin)
        return Internal(
            "witness: the accepted checkpoint is of another origin");
      CL_RETURN_IF_ERROR(txn.Put(db_->latest, key.view(),
                                 AsBytes(LatestJson(accept->record))));
    } else {
      EvidenceRecord& e = std::get<Refuse>(d).evidence;
      const crypto::Digest dedupe = DedupeKey(e);
      CL_ASSIGN_OR_RETURN(auto seen,
                          txn.Get(db_->evidence_index, dedupe.view()));
      if (seen) {
        if (seen->size() != 8)
          return Corruption("witness state: a malformed evidence index entry");
        e.seq = DecodeBigEndian64(*seen);
      } else {
        CL_ASSIGN_OR_RETURN(lmdb::Cursor cursor,
                            lmdb::Cursor::Open(txn, db_->evidence));
        CL_ASSIGN_OR_RETURN(auto last, cursor.Last());
        std::uint64_t next = 1;
        if (last) {
          if (last->key.size() != 8)
            return Corruption("witness state: a malformed evidence key");
          next = DecodeBigEndian64(last->key) + 1;
        }
        e.seq = next;
        const auto seq_key = EncodeBigEndian64(next);
        const ByteView seq_view(seq_key.data(), seq_key.size());
        CL_RETURN_IF_ERROR(txn.Put(db_->evidence, seq_view,
                                   AsBytes(EvidenceJson(e)),
                                   lmdb::PutMode::kAppend));
        CL_RETURN_IF_ERROR(txn.Put(db_->evidence_index, dedupe.view(), seq_view,
                                   lmdb::PutMode::kNoOverwrite));
      }
    }
    made = std::move(d);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::move(*made);
}

Result<std::vector<std::string>> WitnessStore::EvidenceLines() const {
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, db_->env->BeginRead());
  CL_ASSIGN_OR_RETURN(lmdb::Cursor cursor,
                      lmdb::Cursor::Open(txn, db_->evidence));
  std::vector<std::string> out;
  CL_ASSIGN_OR_RETURN(auto kv, cursor.First());
  while (kv) {
    out.emplace_back(AsChars(kv->value));
    CL_ASSIGN_OR_RETURN(kv, cursor.Next());
  }
  return out;
}

Result<std::vector<EvidenceRecord>> WitnessStore::Evidence() const {
  CL_ASSIGN_OR_RETURN(std::vector<std::string> lines, EvidenceLines());
  std::vector<EvidenceRecord> out;
  for (const std::string& line : lines) {
    CL_ASSIGN_OR_RETURN(EvidenceRecord r, ParseEvidence(line));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace caseledger::witness
