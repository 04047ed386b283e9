// Workload: a deterministic stream of realistic case-work commands for the
// benchmark — case events (contacts, information received, assessments,
// progress) about a pool of subjects, each with a clear pseudonymous header h
// of structured codes and a body object of about `body_bytes` canonical bytes
// of synthetic free text (fake data only). Commands carry no time: the writer
// assigns it, as for live writes.
// Thread-safety: a Workload is used from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ledger/command.h"

namespace caseledger::bench {

struct WorkloadOptions {
  std::size_t subjects =
      256;  // distinct subjects (each its own case and data key)
  std::size_t body_bytes = 450;  // canonical size of each body object
  std::uint64_t seed = 1;
  // When > 0, every k-th command is a concern about a NEW subject (a new data
  // key that the writer must create and commit first); 0 = never.
  std::size_t new_subject_every = 0;
};

class Workload {
 public:
  explicit Workload(const WorkloadOptions& options);

  // One concern per pool subject: writing these first creates every data key,
  // so the measured commands find their keys in place.
  std::vector<ledger::Command> WarmUp();
  // The next command: a case event about the next pool subject (round robin),
  // or a concern about a new subject (see new_subject_every).
  ledger::Command Next();

 private:
  std::string Id(const char* prefix);
  ledger::Command Make(std::size_t subject_index, bool concern);
  Json Body(std::uint64_t n) const;

  WorkloadOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::string> subjects_, cases_, actors_;
  std::uint64_t count_ = 0;
};

}  // namespace caseledger::bench
