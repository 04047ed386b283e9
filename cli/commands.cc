#include "cli/commands.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "app/disclosure_evidence.h"
#include "base/progress.h"
#include "cli/exit_codes.h"
#include "ledger/bundle.h"
#include "ledger/evidence.h"
#include "ledger/command.h"
#include "ledger/cosignature_store.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/proofs.h"
#include "ledger/verify.h"
#include "ledger/witness_quorum.h"
#include "projections/disclosure_register.h"
#include "projections/policy.h"
#include "projections/projector.h"

namespace caseledger::cli {

namespace {

enum class LineRead { kOk, kEof, kTooLong };

// Reads one line of at most `max` bytes (without the newline); a longer line is
// skipped to its end and reported as kTooLong, so memory stays bounded.
LineRead ReadLineLimited(std::istream& in, std::string& line, std::size_t max) {
  line.clear();
  bool any = false;
  bool too_long = false;
  for (int c; (c = in.get()) != EOF;) {
    any = true;
    if (c == '\n') return too_long ? LineRead::kTooLong : LineRead::kOk;
    if (line.size() >= max) {
      too_long = true;
      line.clear();
      continue;
    }
    if (!too_long) line.push_back(static_cast<char>(c));
  }
  if (!any) return LineRead::kEof;
  return too_long ? LineRead::kTooLong : LineRead::kOk;
}

}  // namespace

int CmdInit(const std::string& dir, const std::string& origin) {
  auto r = ledger::InitDataDir(dir, origin);
  if (!r.ok()) return Fail(r.status());
  std::cout << "initialised ledger in " << dir << "\n"
            << "origin:   " << r->origin << "\n"
            << "verifier: " << r->verifier << "\n";
  return kExitOk;
}

int CmdImport(const std::string& dir, std::istream& in, bool print_acks, bool legacy,
              bool quiet, std::uint64_t in_bytes) {
  auto ledger = app::OpenDomainLedger(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  // Of the input's bytes when its size is known, else of the events stored;
  // none with --acks (the acks are the progress).
  ProgressLine progress("import", in_bytes,
                        ProgressLine::ForStderr(quiet || print_acks, in_bytes > 0 ? "bytes" : "events"));
  std::uint64_t bytes_read = 0;
  ledger::Writer& writer = (*ledger)->writer();
  const ledger::JsonLimits limits;
  ledger::Micros last_time = writer.last_time();
  const ledger::Micros now = ledger::NowMicros();
  struct InFlight {
    std::uint64_t line;
    std::future<Result<ledger::Appended>> result;
  };
  std::deque<InFlight> in_flight;
  std::uint64_t imported = 0;
  std::uint64_t refused = 0;
  Status failed;
  // Waits for the oldest in-flight commands; false if one failed.
  auto drain = [&](std::size_t keep) -> bool {
    while (in_flight.size() > keep) {
      InFlight f = std::move(in_flight.front());
      in_flight.pop_front();
      auto r = f.result.get();
      if (r.status().code() == StatusCode::kPolicyRefused) {
        // Recorded as a policy.refused event; the import goes on, as the
        // server answers 422 and takes the next request.
        progress.Clear();
        std::cerr << "caseledger import: line " << f.line << ": refused: "
                  << r.status().message() << "\n";
        ++refused;
        continue;
      }
      if (!r.ok()) {
        progress.Clear();
        std::cerr << "caseledger import: line " << f.line << ": "
                  << r.status().ToString() << "\n";
        failed = r.status();
        return false;
      }
      ++imported;
      if (print_acks) std::cout << "ack " << r->seq << "\n" << std::flush;
    }
    return true;
  };
  std::string line;
  std::uint64_t line_no = 0;
  Status bad;
  for (;;) {
    LineRead lr = ReadLineLimited(in, line, limits.max_bytes);
    if (lr == LineRead::kEof) break;
    ++line_no;
    bytes_read += line.size() + 1;
    if (line_no % 1024 == 0) progress.Update(in_bytes > 0 ? bytes_read : imported);
    if (lr == LineRead::kTooLong) {
      bad = InvalidArgument("line longer than " +
                            std::to_string(limits.max_bytes) + " bytes");
      break;
    }
    if (line.empty()) continue;
    auto cmd = ledger::ParseCommandJson(line, limits);
    if (!cmd.ok()) {
      bad = cmd.status();
      break;
    }
    // Checked here as well as in the writer, so that a bad line stops the
    // import before anything after it is submitted.
    if (cmd->time) {
      if (*cmd->time < last_time) {
        bad = InvalidArgument(
            "\"time\" is earlier than the previous event's time");
        break;
      }
      if (*cmd->time > now) {
        bad = InvalidArgument("\"time\" lies in the future");
        break;
      }
      last_time = *cmd->time;
    } else {
      last_time = std::max(last_time, now);
    }
    // --legacy: history migrated from the system caseledger replaces; a
    // disclosure step with h.legacy_ref is kept as it happened (policy.h).
    projections::SetOrigin(*cmd, {.legacy_import = legacy});
    in_flight.push_back({line_no, writer.Submit(std::move(*cmd))});
    if (!drain(1024)) return ExitCodeFor(failed);
  }
  if (!drain(0)) return ExitCodeFor(failed);
  progress.Update(in_bytes > 0 ? (bad.ok() ? in_bytes : std::min(bytes_read, in_bytes)) : imported);
  progress.Finish();
  if (!bad.ok()) {
    std::cerr << "caseledger import: line " << line_no << ": " << bad.ToString()
              << "\n"
              << "caseledger import: " << imported
              << " lines before it were stored; nothing of line " << line_no
              << " or after it\n";
    return ExitCodeFor(bad);
  }
  std::cerr << "imported " << imported << " events; log size " << writer.size()
            << "\n";
  if (refused > 0) {
    std::cerr << "caseledger import: " << refused
              << " commands were refused by the policy engine (each is "
                 "recorded as a policy.refused event)\n";
    return ExitCodeFor(Status(StatusCode::kPolicyRefused, ""));
  }
  return kExitOk;
}

int CmdVerify(const std::string& dir, bool json, unsigned threads,
              const std::optional<std::string>& trusted_key, bool quiet) {
  ledger::VerifyOptions opts;
  opts.threads = threads;
  opts.trusted_key = trusted_key;
  ProgressLine progress("verify", 0, ProgressLine::ForStderr(quiet));
  opts.progress = progress.Fn();
  auto r = ledger::VerifyLedger(dir, opts);
  if (!r.ok()) {
    progress.Clear();
    return Fail(r.status());
  }
  progress.Finish();
  if (json) {
    Json j{
        {"ok", r->ok}, {"events", r->events}, {"checkpoints", r->checkpoints}};
    if (r->ok) j["root"] = r->root.Hex();
    if (r->first_bad_seq) j["first_bad_seq"] = *r->first_bad_seq;
    if (!r->ok) j["problem"] = r->problem;
    std::cout << j.dump() << "\n";
  } else if (r->ok) {
    std::cout << "verified " << r->events << " events and " << r->checkpoints
              << " checkpoints; root " << r->root.Hex() << "\n";
  } else {
    std::cout << "FAILED";
    if (r->first_bad_seq) std::cout << " at seq " << *r->first_bad_seq;
    std::cout << ": " << r->problem << "\n"
              << "(" << r->events << " events before it verified)\n";
  }
  return r->ok ? kExitOk : kExitVerifyFailed;
}

int CmdCheckpoint(const std::string& dir) {
  auto store = ledger::LogStore::Open(dir, true);
  if (!store.ok()) return Fail(store.status());
  auto txn = (*store)->Read();
  if (!txn.ok()) return Fail(txn.status());
  auto cp = ledger::LatestCheckpoint(*txn, **store);
  if (!cp.ok()) return Fail(cp.status());
  std::cout << cp->second;
  return kExitOk;
}

namespace {
Result<std::uint64_t> LogSize(ledger::LogStore& store) {
  CL_ASSIGN_OR_RETURN(auto txn, store.Read());
  return ledger::TreeSize(txn, store);
}
}  // namespace

int CmdProveInclusion(const std::string& dir, std::uint64_t seq,
                      std::optional<std::uint64_t> size) {
  auto store = ledger::LogStore::Open(dir, true);
  if (!store.ok()) return Fail(store.status());
  if (!size) {
    auto n = LogSize(**store);
    if (!n.ok()) return Fail(n.status());
    size = *n;
  }
  auto j = ledger::InclusionProofJson(**store, seq, *size);
  if (!j.ok()) return Fail(j.status());
  std::cout << j->dump() << "\n";
  return kExitOk;
}

int CmdProveConsistency(const std::string& dir, std::uint64_t from,
                        std::optional<std::uint64_t> to) {
  auto store = ledger::LogStore::Open(dir, true);
  if (!store.ok()) return Fail(store.status());
  if (!to) {
    auto n = LogSize(**store);
    if (!n.ok()) return Fail(n.status());
    to = *n;
  }
  auto j = ledger::ConsistencyProofJson(**store, from, *to);
  if (!j.ok()) return Fail(j.status());
  std::cout << j->dump() << "\n";
  return kExitOk;
}

int CmdExportBundle(const std::string& dir, const std::string& out, bool unwitnessed,
                    bool quiet) {
  ProgressLine progress("export-bundle", 0, ProgressLine::ForStderr(quiet));
  auto r = ledger::ExportBundle(dir, out, unwitnessed, progress.Fn());
  if (!r.ok()) {
    progress.Clear();
    return Fail(r.status());
  }
  progress.Finish();
  std::cout << "exported " << r->events << " events and the checkpoint of size "
            << r->checkpoint_size;
  if (r->cosignatures > 0) std::cout << " with " << r->cosignatures << " witness cosignatures";
  std::cout << " to " << out << "\n";
  if (r->log_size > r->events)
    std::cout << "the " << (r->log_size - r->events)
              << " newer events are not yet witnessed (--unwitnessed includes them)\n";
  return kExitOk;
}

int CmdEvidence(const std::string& dir, std::optional<std::uint64_t> seq,
                std::optional<std::uint64_t> disclosure, const std::string& out) {
  auto verifier = ledger::ReadVerifierFile(dir + "/ledger.pub");
  if (!verifier.ok()) return Fail(verifier.status());
  // The log alone for one event; with the projections for a disclosure.
  std::unique_ptr<ledger::LogStore> store;
  std::vector<std::uint64_t> seqs;
  std::string text;
  // Against the newest witnessed checkpoint when it covers them (docs/witnessing.md).
  auto witnessed = ledger::WitnessedBundleCheckpoint(dir);
  if (!witnessed.ok()) return Fail(witnessed.status());
  if (seq) {
    auto opened = ledger::LogStore::Open(dir, /*read_only=*/true);
    if (!opened.ok()) return Fail(opened.status());
    store = std::move(*opened);
    seqs.push_back(*seq);
  } else {
    // One disclosure: every step of it, read from the projections.
    auto domain = app::OpenReadOnlyDomain(dir);
    if (!domain.ok()) return Fail(domain.status());
    store = std::move(domain->store);
    // The same file as the workspace's download (app/disclosure_evidence.h).
    auto case_id = app::DisclosureCaseOf(*store, *disclosure);
    if (!case_id.ok()) return Fail(case_id.status().WithContext("--disclosure"));
    auto snap = projections::ReadCase(*store, domain->dbs, *case_id);
    if (!snap.ok()) return Fail(snap.status());
    auto made = app::MakeDisclosureEvidence(*store, *verifier, snap->state.Derive(), *disclosure,
                                             *witnessed);
    if (!made.ok()) return Fail(made.status().WithContext("--disclosure"));
    seqs = made->steps;
    text = std::move(made->text);
  }
  if (seq) {
    auto set = ledger::MakeEvidenceSet(*store, *verifier, seqs, *witnessed);
    if (!set.ok()) return Fail(set.status());
    for (const Json& e : *set) text += ledger::CanonicalJson(e) + "\n";
  }
  if (out.empty()) {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Fail(IoError("cannot write the evidence file"));
  if (seq) {
    std::cout << "evidence of event " << *seq << " written to " << out << "\n";
  } else {
    std::cout << "evidence of disclosure " << *disclosure << " (" << seqs.size()
              << " events) written to " << out << "\n";
  }
  return kExitOk;
}

Result<WitnessPolicy> ResolveWitnesses(const WitnessArgs& args) {
  std::vector<std::string> vkeys;
  for (const std::string& arg : args.keys) {
    if (arg.empty() || arg[0] != '@') {
      vkeys.push_back(arg);
      continue;
    }
    std::ifstream in(arg.substr(1), std::ios::binary);
    if (!in) return InvalidArgument("--witness " + arg + ": cannot read the file");
    for (std::string line; std::getline(in, line);) {
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      const std::size_t last = line.find_last_not_of(" \t\r");
      vkeys.push_back(line.substr(first, last - first + 1));
    }
    if (in.bad()) return InvalidArgument("--witness " + arg + ": cannot read the file");
  }
  WitnessPolicy p;
  CL_ASSIGN_OR_RETURN(p.witnesses, ledger::DistinctWitnesses(vkeys));
  p.quorum = args.quorum.value_or(p.witnesses.size());
  if (p.quorum > p.witnesses.size()) {
    return InvalidArgument("--quorum " + std::to_string(p.quorum) + " exceeds the " +
                           std::to_string(p.witnesses.size()) + " distinct --witness keys given");
  }
  return p;
}

int WitnessUsage(const Status& s) {
  std::cerr << "caseledger: " << s.ToString() << "\n";
  return kExitUsage;
}

WitnessOutcome CheckWitnesses(const WitnessPolicy& policy, std::optional<std::string_view> note) {
  Result<ledger::QuorumReport> q =
      note ? ledger::CheckWitnessQuorum(*note, policy.witnesses, policy.quorum)
           : ledger::CheckWitnessQuorum(crypto::ParsedNote{}, policy.witnesses, policy.quorum);
  WitnessOutcome o;
  if (!q.ok()) {  // ResolveWitnesses checked the arguments: the note is malformed
    o.exit_code = kExitVerifyFailed;
    o.verdict = "tampered: the checkpoint note: " + q.status().message();
    return o;
  }
  o.summary = q->Summary();
  switch (q->verdict) {
    case ledger::QuorumVerdict::kMet:
      break;
    case ledger::QuorumVerdict::kInvalidCosignature:
      o.exit_code = kExitVerifyFailed;
      o.verdict = "tampered: " + q->Message();
      break;
    case ledger::QuorumVerdict::kNotMet:
      o.exit_code = kExitNoWitnessQuorum;
      o.verdict = "no witness quorum: " + q->Message();
      break;
  }
  return o;
}

Result<std::string> CosignedCheckpointNote(const std::string& dir, std::uint64_t size,
                                           const std::string& log_note) {
  auto store = ledger::CosignatureStore::Open(dir, /*read_only=*/true);
  if (store.status().code() == StatusCode::kNotFound) return log_note;  // none collected
  if (!store.ok()) return store.status().WithContext("the cosignature store");
  CL_ASSIGN_OR_RETURN(std::optional<ledger::CosignedCheckpoint> entry, (*store)->At(size));
  if (!entry) return log_note;
  if (entry->log_note != log_note) {
    return Corruption("the cosignature store holds another checkpoint note for size " +
                      std::to_string(size) + " than the log");
  }
  return entry->Note();
}

int ReportWitnesses(const WitnessPolicy& policy, const std::string& dir, const Json& checkpoint,
                    ReportFormat format, std::string& text) {
  WitnessOutcome w;
  std::string heading = "Witness cosignatures of the latest checkpoint";
  // The newest checkpoint the given witnesses cosigned with the quorum
  // (docs/witnessing.md): the log's own note of that size must be its first
  // part. Without one, the latest checkpoint is judged (and fails).
  std::optional<std::pair<std::uint64_t, std::string>> witnessed;
  if (auto store = ledger::CosignatureStore::Open(dir, /*read_only=*/true); store.ok()) {
    auto c = (*store)->NewestWithQuorum(policy.witnesses, policy.quorum);
    if (!c.ok()) return Fail(c.status());
    if (*c) witnessed = std::make_pair((*c)->size, (*c)->log_note);
  } else if (store.status().code() != StatusCode::kNotFound) {
    return Fail(store.status().WithContext("the cosignature store"));
  }
  const bool has_latest = checkpoint.is_object() && checkpoint.contains("note") &&
                          checkpoint["note"].is_string() && checkpoint.contains("size") &&
                          checkpoint["size"].is_number_unsigned();
  std::optional<std::pair<std::uint64_t, std::string>> judged;
  if (witnessed && witnessed->first > 0) {
    auto log = ledger::LogStore::Open(dir, /*read_only=*/true);
    if (!log.ok()) return Fail(log.status());
    auto txn = (*log)->env().BeginRead();
    if (!txn.ok()) return Fail(txn.status());
    auto own = ledger::CheckpointAt(*txn, **log, witnessed->first);
    if (!own.ok() || *own != witnessed->second) {
      w.exit_code = kExitVerifyFailed;
      w.verdict = "tampered: the cosigned checkpoint of size " +
                  std::to_string(witnessed->first) + " is not the one the log stores";
    } else {
      judged = witnessed;
      heading = "Witness cosignatures of the newest witnessed checkpoint (size " +
                std::to_string(witnessed->first) + ")";
      if (has_latest && checkpoint["size"].get<std::uint64_t>() > witnessed->first)
        heading += "; the " +
                   std::to_string(checkpoint["size"].get<std::uint64_t>() - witnessed->first) +
                   " newer events are not yet witnessed";
    }
  } else if (has_latest) {
    judged = std::make_pair(checkpoint["size"].get<std::uint64_t>(),
                            checkpoint["note"].get<std::string>());
  }
  if (w.exit_code == 0) {
    if (judged) {
      Result<std::string> note = CosignedCheckpointNote(dir, judged->first, judged->second);
      if (note.status().code() == StatusCode::kCorruption) {
        w.exit_code = kExitVerifyFailed;
        w.verdict = "tampered: " + note.status().message();
      } else if (!note.ok()) {
        return Fail(note.status());
      } else {
        w = CheckWitnesses(policy, *note);
      }
    } else {
      w = CheckWitnesses(policy, std::nullopt);  // no checkpoint: nobody cosigned
    }
  }
  std::string lines;
  if (!w.verdict.empty()) lines += "  " + w.verdict + "\n";
  if (!w.summary.empty()) lines += "  " + w.summary + "\n";
  if (format == ReportFormat::kText) {
    text += heading + "\n" + lines;
  } else {
    std::cerr << "caseledger: " << heading << ":\n" << lines;
  }
  return w.exit_code;
}

namespace {

// Prints the witness check's lines (its verdict unless met, then the
// witnesses) and returns its exit code.
int PrintWitnessOutcome(const WitnessOutcome& o) {
  if (!o.verdict.empty()) std::cout << o.verdict << "\n";
  if (!o.summary.empty()) std::cout << o.summary << "\n";
  return o.exit_code;
}

// The checkpoint note of the first document of an evidence file whose every
// document verified (so all carry this one checkpoint).
std::optional<std::string> FirstEvidenceCheckpoint(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line == "\r") continue;
    auto doc = ledger::ParseUntrustedJson(line);
    if (!doc.ok() || !doc->is_object() || !doc->contains("checkpoint") ||
        !(*doc)["checkpoint"].is_string())
      return std::nullopt;
    return (*doc)["checkpoint"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

int CmdVerifyEvidence(const std::string& file, const std::optional<std::string>& key,
                      const WitnessArgs& witnesses) {
  auto policy = ResolveWitnesses(witnesses);
  if (!policy.ok()) return WitnessUsage(policy.status());
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cout << "incomplete: cannot read the evidence file\n";
    return static_cast<int>(ledger::BundleVerdict::kIncomplete);
  }
  std::stringstream text;
  text << in.rdbuf();
  static constexpr const char* kNames[] = {"verified", "tampered", "incomplete", "unknown key"};
  // One line per document; the first that fails decides the exit code.
  const auto reports = ledger::VerifyEvidenceSet(text.str(), key);
  ledger::BundleVerdict verdict = ledger::BundleVerdict::kVerified;
  for (const ledger::EvidenceReport& r : reports) {
    std::cout << kNames[static_cast<int>(r.verdict)] << ": " << r.message << "\n";
    if (verdict == ledger::BundleVerdict::kVerified) verdict = r.verdict;
  }
  if (verdict != ledger::BundleVerdict::kVerified || !policy->active())
    return static_cast<int>(verdict);
  // Every document verified, all against one checkpoint: its cosignatures.
  const std::optional<std::string> note = FirstEvidenceCheckpoint(text.str());
  if (!note) {  // cannot happen for documents that verified
    std::cout << "tampered: the evidence's checkpoint cannot be read\n";
    return kExitVerifyFailed;
  }
  return PrintWitnessOutcome(CheckWitnesses(*policy, *note));
}

int CmdVerifyBundle(const std::string& bundle,
                    const std::optional<std::string>& key, unsigned threads,
                    const WitnessArgs& witnesses) {
  auto policy = ResolveWitnesses(witnesses);
  if (!policy.ok()) return WitnessUsage(policy.status());
  ledger::VerifyOptions opts;
  opts.threads = threads;
  ledger::BundleReport r = ledger::VerifyBundle(bundle, key, opts);
  static constexpr const char* kNames[] = {"verified", "tampered", "incomplete",
                                           "unknown key"};
  if (r.verdict != ledger::BundleVerdict::kVerified || !policy->active()) {
    std::cout << kNames[static_cast<int>(r.verdict)] << ": " << r.message << "\n";
    return static_cast<int>(r.verdict);
  }
  // The bundle verified: the cosignatures of the checkpoint it verified.
  std::ifstream in(bundle + "/checkpoint.txt", std::ios::binary);
  std::stringstream note;
  note << in.rdbuf();
  if (!in) {
    std::cout << "incomplete: cannot read checkpoint.txt again\n";
    return static_cast<int>(ledger::BundleVerdict::kIncomplete);
  }
  const WitnessOutcome w = CheckWitnesses(*policy, note.str());
  if (w.verdict.empty()) std::cout << kNames[0] << ": " << r.message << "\n";
  return PrintWitnessOutcome(w);
}

}  // namespace caseledger::cli

namespace caseledger::cli {

int CmdRebuild(const std::string& dir, bool compare, bool quiet) {
  auto l = ledger::Ledger::Open(dir);  // owns the data dir while rebuilding
  if (!l.ok()) return Fail(l.status());
  ledger::LogStore& store = (*l)->store();
  ProgressLine progress("rebuild", 0, ProgressLine::ForStderr(quiet));
  // The final line before the result, or the line erased before an error.
  auto rebuilt = [&progress](const Result<std::uint64_t>& n) {
    if (n.ok()) {
      progress.Finish();
    } else {
      progress.Clear();
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
        .count();
  };
  if (!compare) {
    auto n = projections::Rebuild(store, store.tables(), nullptr, progress.Fn());
    rebuilt(n);
    if (!n.ok()) return Fail(n.status());
    const double s = seconds();
    std::cout << "rebuilt the projections from " << *n << " events in " << s
              << " s (" << static_cast<std::uint64_t>(static_cast<double>(*n) / std::max(s, 1e-9))
              << " events/s)\n";
    return kExitOk;
  }
  const std::string scratch = dir + "/rebuild-scratch";
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  std::filesystem::create_directories(scratch, ec);
  if (ec) return Fail(IoError("cannot create " + scratch));
  int rc = kExitOk;
  {
    auto tables = ledger::Tables::OpenScratch(scratch);  // thrown away
    if (!tables.ok()) return Fail(tables.status());
    auto n = projections::Rebuild(store, **tables, nullptr, progress.Fn());
    rebuilt(n);
    if (!n.ok()) return Fail(n.status());
    auto diff = projections::CompareProjections(store.tables(), **tables);
    if (!diff.ok()) return Fail(diff.status());
    if (diff->empty()) {
      std::cout << "no difference: the live projections equal a rebuild from "
                   "the log ("
                << *n << " events, rebuilt in " << seconds() << " s)\n";
    } else {
      std::cout << "DIFFERENT: the live projections differ from a rebuild from "
                   "the log ("
                << *n << " events):\n";
      for (const auto& line : *diff) std::cout << "  " << line << "\n";
      rc = kExitVerifyFailed;
    }
  }
  std::filesystem::remove_all(scratch, ec);
  return rc;
}

std::string ReportText(ReportFormat format, const Json& doc,
                       std::string (*html)(const Json&),
                       void (*summary)(std::ostream&, const Json&)) {
  if (format == ReportFormat::kJson) return ledger::CanonicalJson(doc) + "\n";
  if (format == ReportFormat::kHtml) return html(doc);
  std::ostringstream text;
  summary(text, doc);
  return text.str();
}

Status WriteReport(const std::string& out, std::string_view what, std::string_view text) {
  if (out.empty()) {
    std::cout << text;
    std::cout.flush();
    return std::cout ? Status::Ok() : IoError("cannot write the " + std::string(what) + " to stdout");
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return IoError("cannot write the " + std::string(what) + " file");
  std::cout << what << " written to " << out << "\n";
  return Status::Ok();
}

}  // namespace caseledger::cli
