#include "cli/commands.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "app/disclosure_evidence.h"
#include "cli/exit_codes.h"
#include "ledger/bundle.h"
#include "ledger/evidence.h"
#include "ledger/command.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/proofs.h"
#include "ledger/verify.h"
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

int CmdImport(const std::string& dir, std::istream& in, bool print_acks, bool legacy) {
  auto ledger = app::OpenDomainLedger(dir);
  if (!ledger.ok()) return Fail(ledger.status());
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
        std::cerr << "caseledger import: line " << f.line << ": refused: "
                  << r.status().message() << "\n";
        ++refused;
        continue;
      }
      if (!r.ok()) {
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
              const std::optional<std::string>& trusted_key) {
  ledger::VerifyOptions opts;
  opts.threads = threads;
  opts.trusted_key = trusted_key;
  auto r = ledger::VerifyLedger(dir, opts);
  if (!r.ok()) return Fail(r.status());
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

int CmdExportBundle(const std::string& dir, const std::string& out) {
  auto r = ledger::ExportBundle(dir, out);
  if (!r.ok()) return Fail(r.status());
  std::cout << "exported " << r->events << " events and the checkpoint of size "
            << r->checkpoint_size << " to " << out << "\n";
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
    auto made = app::MakeDisclosureEvidence(*store, *verifier, snap->state.Derive(), *disclosure);
    if (!made.ok()) return Fail(made.status().WithContext("--disclosure"));
    seqs = made->steps;
    text = std::move(made->text);
  }
  if (seq) {
    auto set = ledger::MakeEvidenceSet(*store, *verifier, seqs);
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

int CmdVerifyEvidence(const std::string& file, const std::optional<std::string>& key) {
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
  return static_cast<int>(verdict);
}

int CmdVerifyBundle(const std::string& bundle,
                    const std::optional<std::string>& key, unsigned threads) {
  ledger::VerifyOptions opts;
  opts.threads = threads;
  ledger::BundleReport r = ledger::VerifyBundle(bundle, key, opts);
  static constexpr const char* kNames[] = {"verified", "tampered", "incomplete",
                                           "unknown key"};
  std::cout << kNames[static_cast<int>(r.verdict)] << ": " << r.message << "\n";
  return static_cast<int>(r.verdict);
}

}  // namespace caseledger::cli

namespace caseledger::cli {

int CmdRebuild(const std::string& dir, bool compare) {
  auto l = ledger::Ledger::Open(dir);  // owns the data dir while rebuilding
  if (!l.ok()) return Fail(l.status());
  ledger::LogStore& store = (*l)->store();
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
        .count();
  };
  if (!compare) {
    auto n = projections::Rebuild(store, store.tables());
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
    auto n = projections::Rebuild(store, **tables);
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
