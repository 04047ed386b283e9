// The verifying mirror's catch-up rate (app/mirror.h, docs/mirror.md): a
// fresh mirror follows a built log in one round, in-process (the transport
// reads the node's LogStore in the shapes of GET /v1/log/checkpoint/latest
// and /v1/log/entries; no sockets, no HTTP parsing), so the figure is the
// mirror's own work — every line verified, the root checked, one write
// transaction — to set beside VerifyLedger of the same log.
// Thread-safety: one call at a time; `node_dir` must not be written meanwhile.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace caseledger::bench {

struct MirrorFigure {
  std::uint64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  std::uint64_t gets = 0;  // transport calls (entry pages of 1000 + 1)
};

// Mirrors the log in `node_dir` (every event up to its latest checkpoint)
// into the new directory `mirror_dir` and checks the copy byte for byte.
Result<MirrorFigure> MirrorCatchUp(const std::string& node_dir, const std::string& mirror_dir);

}  // namespace caseledger::bench
