#include "bench/workload.h"

#include <array>

#include "base/ids.h"
#include "ledger/canonical_json.h"

namespace caseledger::bench {


namespace {

Json Factors(std::uint64_t n) {
  static constexpr std::array<const char*, 9> kDimensions = {
      "convictions_rhetoric",    "personality",      "violence_willingness",
      "mental_vulnerability",    "criminal_history", "family",
      "socialisation_relations", "network_leisure",  "education_work"};
  Json f = Json::object();
  for (std::uint64_t i = 0; i < 3; ++i) {
    f[kDimensions[(n + i * 4) % kDimensions.size()]] =
        Json{{"risk", static_cast<int>((n + i) % 4)},
             {"resources", static_cast<int>((n / 3 + i) % 4)}};
  }
  return f;
}

Json Grounds(std::uint64_t n) {
  static constexpr std::array<const char*, 4> kCodes = {
      "b.threat", "b.legitimises_violence", "b.violence",
      "b.incitement_content"};
  return Json::array({Json{{"code", kCodes[n % kCodes.size()]},
                           {"observed_on", "2024-03-02"}}});
}

}  // namespace

Workload::Workload(const WorkloadOptions& options)
    : options_(options), rng_(options.seed) {
  for (int i = 0; i < 8; ++i) actors_.push_back(Id("u"));
  for (std::size_t i = 0; i < options_.subjects; ++i) {
    subjects_.push_back(Id("s"));
    cases_.push_back(Id("c"));
  }
}

std::string Workload::Id(const char* prefix) {
  std::array<std::uint8_t, kIdRandomBytes> b{};
  for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
  return FormatId(prefix, b);
}

Json Workload::Body(std::uint64_t n) const {
  Json body{{"author_unit", "Infohus test unit"},
            {"reference", "ref-" + std::to_string(100000 + n)},
            {"narrative", ""}};
  const std::size_t fixed = ledger::CanonicalJson(body).size();
  static constexpr std::string_view kText =
      "Synthetic note for benchmarking only; no real person or event is "
      "described. The caseworker "
      "records the contact, what was observed and agreed, and the next step in "
      "the plan. ";
  std::string text = "#" + std::to_string(n) + " ";
  while (fixed + text.size() < options_.body_bytes) text += kText;
  if (fixed < options_.body_bytes) text.resize(options_.body_bytes - fixed);
  body["narrative"] = std::move(text);
  return body;
}

ledger::Command Workload::Make(std::size_t subject_index, bool concern) {
  const std::uint64_t n = count_++;
  ledger::Command c;
  c.actor = actors_[n % actors_.size()];
  c.role = "caseworker";
  if (subject_index < subjects_.size()) {
    c.subject = subjects_[subject_index];
    c.case_id = cases_[subject_index];
  } else {
    c.subject = Id("s");
    c.case_id = Id("c");
  }
  if (concern) {
    c.type = "concern.reported";
    c.h = Json{{"source", "school"},    {"subject_kind", "person"},
               {"grounds", Grounds(n)}, {"context", Json::array()},
               {"minor", n % 3 == 0},   {"new_subject", true}};
  } else {
    switch (n % 4) {
      case 0:
        c.type = "concern.responded";
        c.h = Json{{"channel", n % 8 == 0 ? "phone" : "meeting"}};
        break;
      case 1:
        c.type = "information.received";
        c.h = Json{{"from", "school"},
                   {"basis", "fvl-28"},
                   {"categories", Json::array({"concern", "contact"})}};
        break;
      case 2:
        c.type = "assessment.recorded";
        c.role = "coordinator";
        c.h = Json{{"outcome", "founded"},
                   {"grounds", Grounds(n)},
                   {"panel", "infohus"},
                   {"factors", Factors(n)}};
        break;
      default:
        c.type = "progress.assessed";
        c.h = Json{{"intervention", 1000 + n % 5000}, {"factors", Factors(n)}};
        break;
    }
  }
  c.body = Body(n);
  return c;
}

std::vector<ledger::Command> Workload::WarmUp() {
  std::vector<ledger::Command> out;
  out.reserve(subjects_.size());
  for (std::size_t i = 0; i < subjects_.size(); ++i)
    out.push_back(Make(i, /*concern=*/true));
  return out;
}

ledger::Command Workload::Next() {
  if (options_.new_subject_every > 0 &&
      count_ % options_.new_subject_every == 0) {
    return Make(subjects_.size(), /*concern=*/true);
  }
  return Make(count_ % subjects_.size(), /*concern=*/false);
}

}  // namespace caseledger::bench
