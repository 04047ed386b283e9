#include "ledger/witness_quorum.h"

#include <algorithm>
#include <utility>

namespace caseledger::ledger {
namespace {

std::string Join(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// `verifiers` without repeats, in order; InvalidArgument if two different
// keys share a name.
Result<std::vector<crypto::CosignerVerifier>> Distinct(
    std::span<const crypto::CosignerVerifier> verifiers) {
  std::vector<crypto::CosignerVerifier> out;
  for (const crypto::CosignerVerifier& v : verifiers) {
    auto same_name = std::find_if(out.begin(), out.end(),
                                  [&](const crypto::CosignerVerifier& o) { return o.name == v.name; });
    if (same_name == out.end()) {
      out.push_back(v);
    } else if (!(*same_name == v)) {
      return InvalidArgument("two different witness keys are named " + v.name);
    }
  }
  return out;
}

}  // namespace

std::string QuorumReport::Summary() const {
  std::string s = "witnesses (quorum " + std::to_string(quorum) + " of " +
                  std::to_string(witnesses) + "): cosigned: " + Join(cosigned) +
                  "; not cosigned: " + Join(not_cosigned);
  if (!invalid.empty()) s += "; invalid cosignature: " + Join(invalid);
  return s;
}

std::string QuorumReport::Message() const {
  if (verdict == QuorumVerdict::kInvalidCosignature) {
    return invalid.size() == 1
               ? "the cosignature of witness " + invalid[0] + " does not verify"
               : "the cosignatures of witnesses " + Join(invalid) + " do not verify";
  }
  return std::string(verdict == QuorumVerdict::kMet ? "" : "only ") +
         std::to_string(cosigned.size()) + " of the " + std::to_string(witnesses) +
         " given witnesses cosigned the checkpoint; the quorum is " + std::to_string(quorum);
}

Result<std::vector<crypto::CosignerVerifier>> DistinctWitnesses(
    std::span<const std::string> vkeys) {
  std::vector<crypto::CosignerVerifier> parsed;
  parsed.reserve(vkeys.size());
  for (const std::string& vkey : vkeys) {
    Result<crypto::CosignerVerifier> v = crypto::CosignerVerifier::Parse(vkey);
    if (!v.ok()) return v.status().WithContext("witness key \"" + vkey + "\"");
    parsed.push_back(std::move(v).value());
  }
  return Distinct(parsed);
}

Result<QuorumReport> CheckWitnessQuorum(const crypto::ParsedNote& note,
                                        std::span<const crypto::CosignerVerifier> verifiers,
                                        std::size_t k) {
  CL_ASSIGN_OR_RETURN(std::vector<crypto::CosignerVerifier> distinct, Distinct(verifiers));
  if (k > distinct.size()) {
    return InvalidArgument("a quorum of " + std::to_string(k) + " needs at least " +
                           std::to_string(k) + " witness keys; " +
                           std::to_string(distinct.size()) + " given");
  }
  const crypto::CosignatureTally tally = crypto::TallyCosignatures(note, distinct);
  QuorumReport r;
  r.quorum = k;
  r.witnesses = distinct.size();
  r.invalid = tally.invalid;
  for (const crypto::CosignerVerifier& v : distinct) {
    const bool valid =
        std::find(tally.valid.begin(), tally.valid.end(), v.name) != tally.valid.end();
    (valid ? r.cosigned : r.not_cosigned).push_back(v.name);
  }
  r.verdict = !r.invalid.empty()         ? QuorumVerdict::kInvalidCosignature
              : r.cosigned.size() >= k ? QuorumVerdict::kMet
                                       : QuorumVerdict::kNotMet;
  return r;
}

Result<QuorumReport> CheckWitnessQuorum(std::string_view signed_note,
                                        std::span<const crypto::CosignerVerifier> verifiers,
                                        std::size_t k) {
  CL_ASSIGN_OR_RETURN(crypto::ParsedNote note, crypto::ParseNote(signed_note));
  return CheckWitnessQuorum(note, verifiers, k);
}

}  // namespace caseledger::ledger
