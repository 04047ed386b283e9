// One disclosure's page in the workspace (docs/web.md, "One disclosure"):
// how each step of its evidence file verifies. The evidence is the file of
// app::MakeDisclosureEvidence (the same as `caseledger evidence
// --disclosure`), checked with ledger::VerifyEvidenceSet under the node's
// own verifier key. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace caseledger::web {

struct StepVerification {
  std::uint64_t seq = 0;
  bool verified = false;
  std::uint64_t tree_size = 0;  // of the checkpoint it was proven against (if verified)
};

// For each of `steps` (ascending, as the evidence holds them): whether its
// document in `evidence` (one per line, in the same order) verifies under
// `trusted_key` and is the evidence of that very seq, all against one
// checkpoint. A step without such a document (a line missing, tampered,
// under another key) is not verified.
std::vector<StepVerification> VerifySteps(std::string_view evidence,
                                          const std::vector<std::uint64_t>& steps,
                                          const std::string& trusted_key);

}  // namespace caseledger::web
