#include "ledger/mirror.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "crypto/key_file.h"
#include "ledger/event_scan.h"
#include "ledger/ledger.h"
#include "ledger/lmdb/env.h"
#include "ledger/time.h"
#include "ledger/verify.h"

namespace caseledger::ledger {

namespace {

std::string Path(const std::string& dir, std::string_view file) {
  return dir + "/" + std::string(file);
}

}  // namespace

bool IsFork(const Status& s) { return !s.ok() && s.reason() == kForkReason; }

Result<crypto::NoteVerifier> InitMirror(const std::string& dir, std::string_view verifier_vkey) {
  auto parsed = crypto::NoteVerifier::Parse(verifier_vkey);
  if (!parsed.ok()) return parsed.status().WithContext("the log's verifier key");
  crypto::NoteVerifier verifier = std::move(parsed).value();
  CL_RETURN_IF_ERROR(ValidateOrigin(verifier.name).WithContext("the log's verifier key name"));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  if (std::filesystem::exists(dir + "/ledger") || std::filesystem::exists(dir + "/node.key"))
    return AlreadyExists("a ledger already exists in " + dir);
  CL_RETURN_IF_ERROR(LogStore::Open(dir, /*read_only=*/false, /*create=*/true, verifier.name).status());
  CL_RETURN_IF_ERROR(WritePublicFile(dir + "/ledger.pub", verifier.ToString()));
  return verifier;
}

Result<std::string> CreateMirrorCosigner(const std::string& dir, std::string_view name) {
  CL_RETURN_IF_ERROR(crypto::ValidateNoteKeyName(name).WithContext("mirror cosigner name"));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  if (std::filesystem::exists(Path(dir, kMirrorKeyFile)))
    return AlreadyExists("a mirror cosigner key already exists in " + dir);
  CL_RETURN_IF_ERROR(PrepareMasterKey(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  const auto key = crypto::Ed25519SigningKey::Generate();
  CL_RETURN_IF_ERROR(
      crypto::WriteSealedKeyFile(Path(dir, kMirrorKeyFile), kMirrorKeyPurpose, master, key.Seed()));
  const std::string vkey = crypto::CosignerVerifier::For(name, key.public_key()).ToString();
  CL_RETURN_IF_ERROR(WritePublicFile(Path(dir, kMirrorPubFile), vkey));
  return vkey;
}

Result<MirrorCosigner> LoadMirrorCosigner(const std::string& dir) {
  if (!std::filesystem::exists(Path(dir, kMirrorKeyFile)))
    return NotFound("no mirror cosigner key in " + dir + " (run `caseledger mirror init`)");
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes seed, crypto::ReadSealedKeyFile(Path(dir, kMirrorKeyFile),
                                                                          kMirrorKeyPurpose, master));
  CL_ASSIGN_OR_RETURN(auto key, crypto::Ed25519SigningKey::FromSeed(seed.view()));
  CL_ASSIGN_OR_RETURN(const std::string pub, ReadFirstLine(Path(dir, kMirrorPubFile)));
  auto verifier = crypto::CosignerVerifier::Parse(pub);
  if (!verifier.ok()) return verifier.status().WithContext(Path(dir, kMirrorPubFile));
  if (verifier->key != key.public_key())
    return Corruption("mirror.pub does not match the mirror's cosigner key");
  return MirrorCosigner{std::move(key), std::move(verifier).value()};
}

Result<std::string> LogSignedNote(std::string_view note, const crypto::NoteVerifier& verifier) {
  CL_ASSIGN_OR_RETURN(crypto::ParsedNote parsed, crypto::ParseNote(note));
  std::string out = parsed.text;
  out += "\n";
  for (const crypto::NoteSignature& s : parsed.signatures) {
    if (s.name != verifier.name || s.key_id != verifier.key_id) continue;
    out += "\xE2\x80\x94 ";  // U+2014 EM DASH
    out += s.name;
    out += ' ';
    out += s.base64;
    out += '\n';
  }
  return out;
}

Result<Held> ReadHeld(LogStore& store) {
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  Held h;
  CL_ASSIGN_OR_RETURN(h.size, TreeSize(txn, store));
  if (h.size > 0) {
    auto cp = LatestCheckpoint(txn, store);
    if (!cp.ok()) return cp.status();
    h.note = std::move(cp->second);
  }
  CL_ASSIGN_OR_RETURN(merkle::CompactRange range, LoadCompactRange(txn, store, h.size));
  h.root = range.Root();
  return h;
}

Result<Comparison> CompareWithHeld(LogStore& store, const crypto::NoteVerifier& verifier,
                                   std::string_view note) {
  Comparison c;
  CL_ASSIGN_OR_RETURN(c.checkpoint, OpenCheckpoint(note, verifier));
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(c.held_size, TreeSize(txn, store));
  const std::uint64_t m = c.checkpoint.size;
  if (m > c.held_size) {
    c.relation = Relation::kAhead;
    return c;
  }
  CL_ASSIGN_OR_RETURN(merkle::CompactRange range, LoadCompactRange(txn, store, m));
  const crypto::Digest held_root = range.Root();
  if (held_root == c.checkpoint.root) {
    c.relation = m == c.held_size ? Relation::kSame : Relation::kBehind;
    return c;
  }
  c.relation = Relation::kFork;
  c.problem = "the log's signed checkpoint of size " + std::to_string(m) + " has root " +
              c.checkpoint.root.Hex() + ", but the events 1.." + std::to_string(m) +
              " this mirror holds give " + held_root.Hex();
  auto at = CheckpointAt(txn, store, m);
  if (at.ok()) {
    c.held_note = std::move(at).value();
    c.held_note_size = m;
  } else if (at.status().code() == StatusCode::kNotFound) {
    CL_ASSIGN_OR_RETURN(auto latest, LatestCheckpoint(txn, store));
    c.held_note = std::move(latest.second);
    c.held_note_size = latest.first;
  } else {
    return at.status();
  }
  return c;
}

Result<MirrorAppend> AppendVerified(LogStore& store, const crypto::NoteVerifier& verifier,
                                    const std::vector<std::string>& lines,
                                    std::string_view signed_checkpoint_note, WorkerPool* pool) {
  CL_ASSIGN_OR_RETURN(const Checkpoint cp, OpenCheckpoint(signed_checkpoint_note, verifier));
  CL_ASSIGN_OR_RETURN(const std::string note, LogSignedNote(signed_checkpoint_note, verifier));
  if (store.origin() != verifier.name)
    return FailedPrecondition("the mirror's origin " + store.origin() +
                              " is not the verifier key's name " + verifier.name);

  // The held tree and the time of the last held event: where verification
  // resumes.
  merkle::CompactRange tree;
  std::uint64_t held = 0;
  Micros last_time = 0;
  {
    CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
    CL_ASSIGN_OR_RETURN(held, TreeSize(txn, store));
    CL_ASSIGN_OR_RETURN(tree, LoadCompactRange(txn, store, held));
    if (held > 0) {
      CL_ASSIGN_OR_RETURN(const std::string last, ReadEventLine(txn, store, held));
      CL_ASSIGN_OR_RETURN(const ScannedEvent e, ScanEvent(last, /*signature_input=*/false));
      CL_ASSIGN_OR_RETURN(last_time, ParseTime(e.time));
    }
  }
  if (cp.size <= held || cp.size - held != lines.size()) {
    return FailedPrecondition("the checkpoint is of size " + std::to_string(cp.size) +
                              " but the mirror holds " + std::to_string(held) + " events and got " +
                              std::to_string(lines.size()) + " lines");
  }
  const crypto::Digest held_root = tree.Root();

  // A validly signed first line whose prev is not the held root: the log
  // signed another history of the prefix this mirror holds.
  if (held > 0) {
    auto first = CheckEventLine(lines.front(), verifier.key);
    if (first.ok() && first->signature_valid && first->event.seq == held + 1 &&
        first->event.prev != held_root) {
      return Status(StatusCode::kCorruption,
                    "fork: event " + std::to_string(held + 1) +
                        ", validly signed by the log, has prev " + first->event.prev.Hex() +
                        " but the events 1.." + std::to_string(held) +
                        " this mirror holds give " + held_root.Hex())
          .WithReason(std::string(kForkReason));
    }
  }

  std::optional<WorkerPool> own_pool;
  if (pool == nullptr) pool = &own_pool.emplace(0);
  StreamVerifier sv(verifier, *pool);
  sv.Resume(std::move(tree), last_time);
  std::vector<std::pair<merkle::NodeId, crypto::Digest>> nodes;
  nodes.reserve(2 * lines.size() + 64);
  std::size_t next_line = 0;
  constexpr std::size_t kChunk = 4096;
  auto next = [&](std::vector<StreamVerifier::Entry>& chunk) -> Status {
    while (chunk.size() < kChunk && next_line < lines.size()) {
      chunk.push_back({held + 1 + next_line, lines[next_line]});
      ++next_line;
    }
    return Status::Ok();
  };
  auto on_node = [&](merkle::NodeId id, const crypto::Digest& d) -> std::string {
    nodes.emplace_back(id, d);
    return {};
  };
  CL_RETURN_IF_ERROR(sv.Run(next, on_node, {}));
  const VerifyReport& report = sv.report();
  if (!report.problem.empty()) {
    const std::string where =
        report.first_bad_seq ? "seq " + std::to_string(*report.first_bad_seq) : "the stream";
    return Corruption(where + " refused: " + report.problem);
  }
  if (sv.tree().size() != cp.size)
    return Internal("the verifier folded " + std::to_string(sv.tree().size()) + " events, not " +
                    std::to_string(cp.size));
  const crypto::Digest root = sv.tree().Root();
  if (root != cp.root) {
    return Corruption("the signed checkpoint of size " + std::to_string(cp.size) + " has root " +
                      cp.root.Hex() + " but the events 1.." + std::to_string(cp.size) + " give " +
                      root.Hex());
  }

  // Everything verified: one write transaction, as the writer's commit.
  CL_RETURN_IF_ERROR(store.env().Write([&](lmdb::WriteTxn& txn) -> Status {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto key = EncodeBigEndian64(held + 1 + i);
      CL_RETURN_IF_ERROR(
          txn.Put(store.events(), key, AsBytes(lines[i]), lmdb::PutMode::kAppend));
    }
    for (const auto& [id, digest] : nodes) {
      const auto key = NodeKey(id);
      CL_RETURN_IF_ERROR(txn.Put(store.nodes(), key, digest.view(), lmdb::PutMode::kAppend));
    }
    const auto key = EncodeBigEndian64(cp.size);
    return txn.Put(store.checkpoints(), key, AsBytes(note), lmdb::PutMode::kAppend);
  }));
  return MirrorAppend{held + 1, cp.size};
}

}  // namespace caseledger::ledger
