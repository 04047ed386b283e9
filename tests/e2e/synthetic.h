// Synthetic import lines for whole-process tests: each opens a new case about
// a new synthetic person with one observed-behaviour ground, so every line
// passes the policy engine on its own. Ids are derived from `n` (distinct n,
// distinct ids); names and numbers are clearly fake.
#pragma once

#include <cstdint>
#include <string>

namespace caseledger::testing {

// "<prefix>-" + 26 base32 chars encoding `n` (the last char carries no bits).
inline std::string SyntheticId(char prefix, std::uint64_t n) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string body(26, 'a');
  for (int i = 24; i >= 12 && n > 0; --i, n >>= 5) {
    body[static_cast<std::size_t>(i)] = kAlphabet[n & 31];
  }
  return std::string(1, prefix) + "-" + body;
}

inline std::string ConcernLine(std::uint64_t n, const std::string& extra = "") {
  return R"({"type":"concern.reported","actor":"u-aaaaaaaaaaaaaaaaaaaaaaaaaa","role":"caseworker",)"
         R"("case":")" + SyntheticId('c', n) + R"(","subject":")" + SyntheticId('s', n) +
         R"(","h":{"source":"school","subject_kind":"person","grounds":[{"code":"b.threat","observed_on":"2001-01-01"}],)"
         R"("context":[],"minor":false,"new_subject":true},)"
         R"("body":{"narrative":"synthetic narrative )" + std::to_string(n) + "\"}" + extra + "}\n";
}

}  // namespace caseledger::testing
