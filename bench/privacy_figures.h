// Figures of erasure (DESIGN §7.2, issue 5): destroying one subject's data key
// in a keystore of N subjects, the whole erasure path through the writer
// (subject.erased durable, then the key destroyed), and `keys rotate` (re-wrap
// every live key under a new KEK, compact the file) over N subjects. Each
// beside its raw building block measured in the same run: one durable LMDB
// commit of one small put. Thread-safety: used from one thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace caseledger::bench {

struct PrivacyFigures {
  std::uint64_t subjects = 0;
  double setup_seconds = 0;              // creating the N keys (not a figure)
  double destroy_p50_micros = 0, destroy_max_micros = 0;
  double raw_commit_p50_micros = 0;      // one small put + durable commit, raw LMDB
  double erase_p50_micros = 0, erase_max_micros = 0;  // the whole path, durable
  double rotate_seconds = 0;
  double rewrap_seconds = 0;             // step 1 alone (in a second keystore)
  std::uint64_t rewrapped = 0;
  std::uint64_t file_before = 0, file_after = 0;
  int samples = 0;
};

// In `dir` (created): a data dir whose keystore holds `subjects` keys, then
// the measurements. `samples` erasures are timed each way.
Result<PrivacyFigures> MeasurePrivacy(const std::string& dir, std::uint64_t subjects, int samples);

}  // namespace caseledger::bench
