#include "bench/mirror_figures.h"

#include <chrono>
#include <map>
#include <string_view>

#include "app/mirror.h"
#include "ledger/log_store.h"
#include "ledger/mirror.h"
#include "ledger/verify.h"

namespace caseledger::bench {

namespace {

// The value of `name` in the query of `target`, or 0.
std::uint64_t QueryNumber(std::string_view target, std::string_view name) {
  const std::string key = std::string(name) + "=";
  auto at = target.find(key);
  if (at == std::string_view::npos) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = at + key.size(); i < target.size() && target[i] >= '0' && target[i] <= '9'; ++i)
    v = v * 10 + static_cast<std::uint64_t>(target[i] - '0');
  return v;
}

}  // namespace

Result<MirrorFigure> MirrorCatchUp(const std::string& node_dir, const std::string& mirror_dir) {
  CL_ASSIGN_OR_RETURN(auto node, ledger::LogStore::Open(node_dir, /*read_only=*/true));
  CL_ASSIGN_OR_RETURN(const crypto::NoteVerifier verifier,
                      ledger::ReadVerifierFile(node_dir + "/ledger.pub"));
  CL_RETURN_IF_ERROR(ledger::InitMirror(mirror_dir, verifier.ToString()).status());
  CL_ASSIGN_OR_RETURN(auto mirror_log, ledger::LogStore::Open(mirror_dir, /*read_only=*/false));
  MirrorFigure f;
  // The node's two read routes, as http::Service answers them.
  app::MirrorTransport transport =
      [&](const std::string& target, const std::map<std::string, std::string>&,
          std::chrono::milliseconds) -> Result<app::MirrorReply> {
    ++f.gets;
    CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, node->Read());
    app::MirrorReply r;
    r.status = 200;
    if (target == "/v1/log/checkpoint/latest") {
      CL_ASSIGN_OR_RETURN(auto cp, ledger::LatestCheckpoint(snap, *node));
      r.content_type = "text/plain; charset=utf-8";
      r.body = std::move(cp.second);
      return r;
    }
    const std::uint64_t from = QueryNumber(target, "from"), count = QueryNumber(target, "count");
    r.content_type = "application/jsonl";
    CL_RETURN_IF_ERROR(ledger::ForEachEventLine(
        snap, *node, from, [&](std::uint64_t seq, std::string_view line) -> Result<bool> {
          if (seq >= from + count) return false;
          r.body += line;
          r.body += '\n';
          return true;
        }));
    return r;
  };
  app::MirrorOptions o;
  o.page = 1000;
  app::Mirror m(mirror_dir, *mirror_log, verifier, std::move(o), std::move(transport));
  const auto start = std::chrono::steady_clock::now();
  CL_ASSIGN_OR_RETURN(app::CatchUpReport r, m.CatchUp());
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  f.events = r.added;
  f.events_per_s = static_cast<double>(f.events) / f.seconds;

  // The copy, byte for byte (not timed).
  CL_ASSIGN_OR_RETURN(ledger::Snapshot a, node->Read());
  CL_ASSIGN_OR_RETURN(ledger::Snapshot b, mirror_log->Read());
  std::uint64_t compared = 0;
  Status diff = Status::Ok();
  CL_RETURN_IF_ERROR(ledger::ForEachEventLine(
      b, *mirror_log, 1, [&](std::uint64_t seq, std::string_view line) -> Result<bool> {
        CL_ASSIGN_OR_RETURN(const std::string want, ledger::ReadEventLine(a, *node, seq));
        if (want != line) {
          diff = Internal("the mirror's event " + std::to_string(seq) + " differs from the node's");
          return false;
        }
        ++compared;
        return true;
      }));
  CL_RETURN_IF_ERROR(diff);
  if (compared != f.events)
    return Internal("the mirror holds " + std::to_string(compared) + " events, not " +
                    std::to_string(f.events));
  return f;
}

}  // namespace caseledger::bench
