#include "ledger/verify.h"

#include <sys/stat.h>

#include <cstring>
#include <future>
#include <fstream>
#include <sstream>

#include "crypto/ed25519.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"
#include "ledger/lmdb/env.h"
#include "ledger/log_store.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/time.h"

namespace caseledger::ledger {

namespace {

}  // namespace

bool StreamVerifier::Fail(std::optional<std::uint64_t> seq,
                          std::string problem) {
  report_.ok = false;
  report_.first_bad_seq = seq;
  report_.problem = std::move(problem);
  return false;
}

void StreamVerifier::Resume(merkle::CompactRange tree, std::int64_t last_time) {
  tree_ = std::move(tree);
  last_time_ = last_time;
  report_.events = tree_.size();
}

std::vector<StreamVerifier::Checked> StreamVerifier::Check(const std::vector<Entry>& entries) {
  std::vector<Checked> checked(entries.size());
  pool_.ParallelFor(entries.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      Checked& c = checked[i];
      auto line = CheckEventLine(entries[i].line, verifier_.key);
      if (!line.ok()) {
        c.status = line.status();
        continue;
      }
      const ScannedEvent& e = line->event;
      c.seq = e.seq;
      c.prev = e.prev;
      auto t = ParseTime(e.time);
      if (!t.ok()) {
        c.status = Corruption("field \"time\" is not a valid time");
        continue;
      }
      c.time = *t;
      if (!line->signature_valid) {
        c.status = Corruption("signature does not verify under the node key " + verifier_.ToString());
        continue;
      }
      c.leaf = line->leaf;
    }
  });
  return checked;
}

bool StreamVerifier::Feed(const std::vector<Entry>& entries, const OnNode& on_node, const OnSize& on_size) {
  return Fold(entries, Check(entries), on_node, on_size);
}

Status StreamVerifier::Run(const std::function<Status(std::vector<Entry>&)>& next, const OnNode& on_node,
                           const OnSize& on_size) {
  std::vector<Entry> current, upcoming;
  // Reading may touch pages of a truncated file: a fault must come back here
  // as a status (never jump past the folding thread, which uses this frame).
  auto read = [&](std::vector<Entry>& chunk) {
    return lmdb::GuardMapFaults([&] { return next(chunk); });
  };
  CL_RETURN_IF_ERROR(read(current));
  std::vector<Checked> current_checked = Check(current);
  while (!current.empty()) {
    auto folded = std::async(std::launch::async, [&] {
      bool ok = true;
      // This thread reads mapped pages too (stored nodes): guard it as well.
      Status fault = lmdb::GuardMapFaults([&]() -> Status {
        ok = Fold(current, current_checked, on_node, on_size);
        return Status::Ok();
      });
      if (!fault.ok()) ok = Fail(tree_.size() + 1, fault.message());
      return ok;
    });
    upcoming.clear();
    Status read_status = read(upcoming);
    std::vector<Checked> upcoming_checked;
    if (read_status.ok()) upcoming_checked = Check(upcoming);
    if (!folded.get()) return Status::Ok();  // the report names the problem
    CL_RETURN_IF_ERROR(read_status);
    current.swap(upcoming);
    current_checked.swap(upcoming_checked);
  }
  return Status::Ok();
}

bool StreamVerifier::Fold(const std::vector<Entry>& entries, const std::vector<Checked>& checked,
                          const OnNode& on_node, const OnSize& on_size) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t expected = tree_.size() + 1;
    const Entry& entry = entries[i];
    const Checked& c = checked[i];
    if (entry.key != expected) {
      if (entry.key > expected) {
        return Fail(expected, "event missing: the next stored event is at " +
                                  std::to_string(entry.key));
      }
      return Fail(expected, "stored out of order (found key " +
                                std::to_string(entry.key) + ")");
    }
    if (!c.status.ok()) return Fail(expected, c.status.message());
    if (c.seq != expected) {
      return Fail(expected, "the event stored at position " +
                                std::to_string(expected) + " says seq " +
                                std::to_string(c.seq) +
                                " (events removed, reordered or moved)");
    }
    crypto::Digest root = tree_.Root();
    if (c.prev != root) {
      return Fail(expected,
                  "prev " + c.prev.Hex() + " != Merkle root of events 1.." +
                      std::to_string(expected - 1) + " " + root.Hex());
    }
    if (c.time < last_time_) {
      return Fail(expected, "time is earlier than the previous event's time");
    }
    last_time_ = c.time;
    std::string node_problem;
    tree_.Append(c.leaf, [&](merkle::NodeId id, const crypto::Digest& d) {
      if (on_node && node_problem.empty()) node_problem = on_node(id, d);
    });
    if (!node_problem.empty()) return Fail(expected, node_problem);
    report_.events = tree_.size();
    if (on_size) {
      std::string p = on_size(tree_);
      if (!p.empty()) return Fail(expected, p);
    }
  }
  return true;
}

Result<crypto::NoteVerifier> ReadVerifierFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read the verifier key file " + path);
  std::string text;
  std::getline(in, text);
  auto v = crypto::NoteVerifier::Parse(text);
  if (!v.ok()) return v.status().WithContext(path);
  return v;
}

namespace {

// A data file shorter than LMDB's own record of its used pages was truncated.
// Reads only the meta pages (with read(2), not the map), so it is safe on a
// truncated file. Returns the problem text, or "" if the size is consistent.
std::string TruncationOf(const std::string& dir) {
  lmdb::EnvOptions ro;
  ro.read_only = true;
  auto env = lmdb::Env::Open(dir + "/ledger", ro);
  if (!env.ok()) return {};
  auto info = (*env)->Info();
  struct stat st {};
  std::string file = dir + "/ledger/data.mdb";
  if (!info.ok() || ::stat(file.c_str(), &st) != 0) return {};
  auto need = static_cast<std::uint64_t>(info->last_page + 1) * info->page_size;
  if (static_cast<std::uint64_t>(st.st_size) >= need) return {};
  return "data file truncated: " + std::to_string(st.st_size) +
         " bytes, LMDB needs " + std::to_string(need);
}

// `pool` lives outside the fault guard: its threads wait on its members, so
// it must never be in a frame that a fault jumps over.
Result<VerifyReport> VerifyStore(LogStore& store, const VerifyOptions& options,
                                 const crypto::NoteVerifier& verifier, const std::string& truncation,
                                 WorkerPool& pool);

Result<VerifyReport> VerifyOpenedLedger(const std::string& dir, const VerifyOptions& options,
                                        const crypto::NoteVerifier& verifier, const std::string& truncation,
                                        WorkerPool& pool) {
  auto opened = LogStore::Open(dir, /*read_only=*/true);
  if (!opened.ok()) {
    if (truncation.empty()) return opened.status();
    StreamVerifier sv(verifier, pool);
    sv.Fail(1, truncation + " (" + opened.status().message() + ")");
    return sv.report();
  }
  return VerifyStore(**opened, options, verifier, truncation, pool);
}

Result<VerifyReport> VerifyStore(LogStore& store, const VerifyOptions& options,
                                 const crypto::NoteVerifier& verifier, const std::string& truncation,
                                 WorkerPool& pool) {
  StreamVerifier sv(verifier, pool);
  if (store.origin() != verifier.name) {
    sv.Fail(std::nullopt,
            "the ledger's origin differs from the verifier key's name");
    return sv.report();
  }
  // Two read txns: the event cursor is read on this thread while the folding
  // thread reads nodes and checkpoints (a txn is used by one thread at a time).
  // Stored nodes and checkpoints never change, so the snapshots agree on them.
  CL_ASSIGN_OR_RETURN(auto scan_txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
  CL_ASSIGN_OR_RETURN(auto events,
                      lmdb::Cursor::Open(scan_txn, store.events()));
  CL_ASSIGN_OR_RETURN(auto cps,
                      lmdb::Cursor::Open(txn, store.checkpoints()));

  // Checkpoints are checked as the scan reaches their size.
  std::optional<std::pair<std::uint64_t, std::string>> next_cp;
  auto load_cp = [&](bool first) -> Status {
    auto kv = first ? cps.First() : cps.Next();
    if (!kv.ok()) return kv.status();
    if (!*kv) {
      next_cp.reset();
    } else {
      if ((*kv)->key.size() != 8)
        return Corruption("checkpoint key is not 8 bytes");
      next_cp.emplace(DecodeBigEndian64((*kv)->key),
                      std::string(AsChars((*kv)->value)));
    }
    return Status::Ok();
  };
  auto on_size = [&](const merkle::CompactRange& tree) -> std::string {
    while (next_cp && next_cp->first <= tree.size()) {
      if (next_cp->first < tree.size())
        return "checkpoint of size " + std::to_string(next_cp->first) +
               " was skipped";
      auto cp = OpenCheckpoint(next_cp->second, verifier);
      if (!cp.ok())
        return "checkpoint of size " + std::to_string(next_cp->first) + ": " +
               cp.status().message();
      if (cp->size != next_cp->first)
        return "checkpoint stored under size " +
               std::to_string(next_cp->first) + " says size " +
               std::to_string(cp->size);
      crypto::Digest root = tree.Root();
      if (cp->root != root) {
        return "checkpoint of size " + std::to_string(cp->size) + " has root " +
               cp->root.Hex() + " but the events give " + root.Hex();
      }
      ++sv.report().checkpoints;
      sv.report().latest_checkpoint = cp->size;
      Status s = load_cp(false);
      if (!s.ok()) return "checkpoints unreadable: " + s.message();
    }
    return {};
  };
  auto on_node = [&](merkle::NodeId id,
                     const crypto::Digest& d) -> std::string {
    auto key = NodeKey(id);
    auto v = txn.Get(store.nodes(), key);
    if (!v.ok())
      return "Merkle node " + id.ToString() +
             " unreadable: " + v.status().message();
    if (!*v) return "Merkle node " + id.ToString() + " is missing";
    if ((*v)->size() != d.bytes.size() ||
        std::memcmp((*v)->data(), d.bytes.data(), d.bytes.size()) != 0) {
      return "stored Merkle node " + id.ToString() + " " + ToHex(**v) +
             " != recomputed " + d.Hex();
    }
    return {};
  };

  std::uint64_t read = 0, total = 0;  // for options.progress (total 0: unknown)
  if (options.progress) {
    if (auto n = TreeSize(scan_txn, store); n.ok()) total = *n;
  }
  Status scan = lmdb::GuardMapFaults([&]() -> Status {
    CL_RETURN_IF_ERROR(load_cp(true));
    auto kv = events.First();
    auto next = [&](std::vector<StreamVerifier::Entry>& chunk) -> Status {
      while (chunk.size() < options.chunk) {
        if (!kv.ok()) return kv.status();
        if (!*kv) break;
        if ((*kv)->key.size() != 8) return Corruption("event key is not 8 bytes");
        chunk.push_back({DecodeBigEndian64((*kv)->key), std::string(AsChars((*kv)->value))});
        kv = events.Next();
      }
      read += chunk.size();
      if (options.progress) options.progress(read, total);
      store.env().ReleaseMappedPages();
      return Status::Ok();
    };
    return sv.Run(next, on_node, on_size);
  });
  if (!scan.ok()) {
    sv.Fail(
        sv.tree().size() + 1,
        scan.message() + (truncation.empty() ? "" : " (" + truncation + ")"));
    return sv.report();
  }
  if (!sv.report().problem.empty()) return sv.report();
  const std::uint64_t n = sv.tree().size();
  if (next_cp) {
    sv.Fail(n + 1, "checkpoint of size " + std::to_string(next_cp->first) +
                       " commits to events beyond the last stored one (" +
                       std::to_string(n) + "): events lost or removed");
    return sv.report();
  }
  if (n > 0 && sv.report().latest_checkpoint != n) {
    sv.Fail(std::nullopt,
            "no checkpoint covers the last event " + std::to_string(n));
    return sv.report();
  }
  if (!truncation.empty()) {
    sv.Fail(std::nullopt, truncation);
    return sv.report();
  }
  sv.report().ok = true;
  sv.report().root = sv.tree().Root();
  return sv.report();
}

}  // namespace

Result<VerifyReport> VerifyLedger(const std::string& dir,
                                  const VerifyOptions& options) {
  Result<crypto::NoteVerifier> parsed =
      options.trusted_key ? crypto::NoteVerifier::Parse(*options.trusted_key)
                          : ReadVerifierFile(dir + "/ledger.pub");
  if (!parsed.ok()) return parsed.status();
  const crypto::NoteVerifier verifier = std::move(parsed).value();
  const std::string truncation = TruncationOf(dir);
  if (!truncation.empty()) {
    // A file shorter than the pages LMDB points to: reading them would fault
    // (SIGBUS). Report it without touching the map; a fault caught by the
    // guard below would jump over live C++ objects (leaking what they own).
    VerifyReport r;
    r.problem = "the data file ends before data that LMDB points to (" + truncation + ")";
    return r;
  }
  // Opening the DBs also reads mapped pages: guard the whole run, so a file
  // truncated while the verify runs is a verification failure, never a crash.
  WorkerPool pool(options.threads);
  std::optional<Result<VerifyReport>> result;
  Status guarded = lmdb::GuardMapFaults([&]() -> Status {
    result.emplace(VerifyOpenedLedger(dir, options, verifier, truncation, pool));
    return Status::Ok();
  });
  if (!guarded.ok()) {
    VerifyReport r;
    r.problem =
        guarded.message() + (truncation.empty() ? "" : " (" + truncation + ")");
    return r;
  }
  return std::move(*result);
}

Result<VerifyReport> VerifyLogStore(LogStore& store, const crypto::NoteVerifier& verifier,
                                    const VerifyOptions& options) {
  WorkerPool pool(options.threads);
  std::optional<Result<VerifyReport>> result;
  Status guarded = lmdb::GuardMapFaults([&]() -> Status {
    result.emplace(VerifyStore(store, options, verifier, "", pool));
    return Status::Ok();
  });
  if (!guarded.ok()) {
    VerifyReport r;
    r.problem = guarded.message();
    return r;
  }
  return std::move(*result);
}

}  // namespace caseledger::ledger
