#include "ledger/bundle.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/cosignature_store.h"
#include "ledger/log_store.h"

namespace caseledger::ledger {

namespace {

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return NotFound(std::filesystem::path(path).filename().string() +
                    " is missing");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::optional<BundleCheckpoint>> WitnessedBundleCheckpoint(const std::string& data_dir) {
  auto store = CosignatureStore::Open(data_dir, /*read_only=*/true);
  if (!store.ok() && store.status().code() == StatusCode::kNotFound)
    return std::optional<BundleCheckpoint>();
  if (!store.ok()) return store.status();
  CL_ASSIGN_OR_RETURN(auto c, (*store)->NewestReachedQuorum());
  if (!c) return std::optional<BundleCheckpoint>();
  return std::optional<BundleCheckpoint>(BundleCheckpoint{c->size, c->Note()});
}

Result<ExportResult> WriteBundle(LogStore& store, std::string_view verifier_line,
                                 const BundleSink& sink, const std::optional<BundleCheckpoint>& at,
                                 const ProgressFn& progress) {
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(auto latest, LatestCheckpoint(txn, store));
  ExportResult r;
  CL_ASSIGN_OR_RETURN(r.log_size, TreeSize(txn, store));
  std::string note = latest.second;
  r.checkpoint_size = latest.first;
  std::uint64_t last = ~std::uint64_t{0};
  if (at) {
    CL_ASSIGN_OR_RETURN(std::string own, CheckpointAt(txn, store, at->size));
    if (!at->note.starts_with(own))
      return Corruption("the cosigned checkpoint of size " + std::to_string(at->size) +
                        " is not the one the log stores");
    note = at->note;
    r.checkpoint_size = at->size;
    last = at->size;
    CL_ASSIGN_OR_RETURN(crypto::ParsedNote all, crypto::ParseNote(at->note));
    CL_ASSIGN_OR_RETURN(crypto::ParsedNote mine, crypto::ParseNote(own));
    r.cosignatures = all.signatures.size() - mine.signatures.size();
  }
  CL_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::Open(txn, store.events()));
  const std::uint64_t total = std::min(last, r.log_size);  // for `progress`
  if (progress) progress(0, total);
  std::string line;
  for (auto kv = cursor.First();; kv = cursor.Next()) {
    if (!kv.ok()) return kv.status();
    if (!*kv || DecodeBigEndian64((*kv)->key) > last) break;
    line.assign(reinterpret_cast<const char*>((*kv)->value.data()), (*kv)->value.size());
    line.push_back('\n');
    CL_RETURN_IF_ERROR(sink("events.jsonl", line));
    ++r.events;
    if (progress && r.events % 4096 == 0) progress(r.events, total);
  }
  if (progress) progress(r.events, total);
  CL_RETURN_IF_ERROR(sink("checkpoint.txt", note));
  CL_RETURN_IF_ERROR(sink("verifier.txt", std::string(verifier_line) + "\n"));
  return r;
}

Result<ExportResult> ExportBundle(const std::string& data_dir,
                                  const std::string& out_dir, bool latest,
                                  const ProgressFn& progress) {
  std::error_code ec;
  if (std::filesystem::exists(out_dir) &&
      !std::filesystem::is_empty(out_dir, ec)) {
    return AlreadyExists("bundle directory " + out_dir + " is not empty");
  }
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create " + out_dir + ": " + ec.message());
  CL_ASSIGN_OR_RETURN(std::string verifier,
                      ReadWhole(data_dir + "/ledger.pub"));
  while (!verifier.empty() && (verifier.back() == '\n' || verifier.back() == '\r'))
    verifier.pop_back();
  CL_ASSIGN_OR_RETURN(auto store, LogStore::Open(data_dir, /*read_only=*/true));
  std::optional<BundleCheckpoint> at;
  if (!latest) {
    CL_ASSIGN_OR_RETURN(at, WitnessedBundleCheckpoint(data_dir));
  }
  std::map<std::string, std::ofstream, std::less<>> files;
  for (const char* name : {"events.jsonl", "checkpoint.txt", "verifier.txt"})
    files.emplace(name, std::ofstream(out_dir + "/" + name, std::ios::binary | std::ios::trunc));
  CL_ASSIGN_OR_RETURN(ExportResult r,
                      WriteBundle(*store, verifier,
                                  [&](std::string_view file, std::string_view bytes) -> Status {
                                    auto it = files.find(file);
                                    it->second.write(bytes.data(),
                                                     static_cast<std::streamsize>(bytes.size()));
                                    return it->second ? Status::Ok()
                                                      : IoError("cannot write " + std::string(file));
                                  },
                                  at, progress));
  for (auto& [name, out] : files) {
    out.close();
    if (!out) return IoError("cannot write " + name);
  }
  return r;
}

BundleReport VerifyBundle(const std::string& dir,
                          const std::optional<std::string>& trusted_key,
                          const VerifyOptions& options) {
  BundleReport r;
  auto done = [&](BundleVerdict v, std::string m) {
    r.verdict = v;
    r.message = std::move(m);
    return r;
  };
  auto vtext = ReadWhole(dir + "/verifier.txt");
  if (!vtext.ok())
    return done(BundleVerdict::kIncomplete, vtext.status().message());
  std::string vline = *vtext;
  while (!vline.empty() && (vline.back() == '\n' || vline.back() == '\r'))
    vline.pop_back();
  auto verifier = crypto::NoteVerifier::Parse(vline);
  if (!verifier.ok())
    return done(BundleVerdict::kIncomplete,
                "verifier.txt: " + verifier.status().message());
  if (trusted_key && *trusted_key != vline) {
    return done(BundleVerdict::kUnknownKey,
                "verifier.txt is not the trusted key " + *trusted_key);
  }
  auto cptext = ReadWhole(dir + "/checkpoint.txt");
  if (!cptext.ok())
    return done(BundleVerdict::kIncomplete, cptext.status().message());
  auto cp = OpenCheckpoint(*cptext, *verifier);
  if (!cp.ok()) {
    if (cp.status().code() == StatusCode::kNotFound) {
      return done(
          BundleVerdict::kUnknownKey,
          "checkpoint.txt carries no signature by " + verifier->ToString());
    }
    return done(BundleVerdict::kTampered,
                "checkpoint.txt: " + cp.status().message());
  }
  r.checkpoint_size = cp->size;

  std::ifstream in(dir + "/events.jsonl", std::ios::binary);
  if (!in) return done(BundleVerdict::kIncomplete, "events.jsonl is missing");
  WorkerPool pool(options.threads);
  StreamVerifier sv(*verifier, pool);
  std::optional<crypto::Digest> root_at_checkpoint;
  if (cp->size == 0) root_at_checkpoint = sv.tree().Root();
  auto on_size = [&](const merkle::CompactRange& tree) -> std::string {
    if (tree.size() == cp->size) root_at_checkpoint = tree.Root();
    return {};
  };
  std::uint64_t line_no = 0;
  bool truncated = false;
  std::string line;
  auto next = [&](std::vector<StreamVerifier::Entry>& chunk) -> Status {
    while (!truncated && chunk.size() < options.chunk) {
      if (!std::getline(in, line)) break;
      if (in.eof()) {  // no final newline: the last line was cut off
        truncated = true;
        break;
      }
      chunk.push_back({++line_no, std::move(line)});
    }
    return Status::Ok();
  };
  (void)sv.Run(next, nullptr, on_size);  // reading a file stream reports no errors
  if (!sv.report().problem.empty()) {
    r.details = sv.report();
    return done(BundleVerdict::kTampered,
                "seq " + std::to_string(*sv.report().first_bad_seq) + ": " + sv.report().problem);
  }
  r.details = sv.report();
  r.details.root = sv.tree().Root();
  if (truncated) {
    return done(BundleVerdict::kIncomplete,
                "events.jsonl ends in a cut-off line after event " +
                    std::to_string(line_no));
  }
  if (sv.tree().size() < cp->size) {
    return done(BundleVerdict::kIncomplete,
                "the checkpoint covers " + std::to_string(cp->size) +
                    " events but events.jsonl has only " +
                    std::to_string(sv.tree().size()));
  }
  if (!root_at_checkpoint || *root_at_checkpoint != cp->root) {
    return done(BundleVerdict::kTampered,
                "the checkpoint's root " + cp->root.Hex() +
                    " != the root of the first " + std::to_string(cp->size) +
                    " events " +
                    (root_at_checkpoint ? root_at_checkpoint->Hex()
                                        : std::string("?")));
  }
  r.details.ok = true;
  r.details.latest_checkpoint = cp->size;
  return done(BundleVerdict::kVerified,
              "verified " + std::to_string(sv.tree().size()) +
                  " events; checkpoint of size " + std::to_string(cp->size) +
                  " matches");
}

}  // namespace caseledger::ledger
