// `caseledger demo`: a synthetic, deterministic case history written through
// the normal write path (Writer), with clearly fake identities: names
// "Testperson NNNN", CPR-like numbers starting "000000-" (no such date).
#include <algorithm>
#include <deque>
#include <future>
#include <iostream>
#include <random>

#include "api/commands.h"
#include "api/exit_codes.h"
#include "base/ids.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"

namespace caseledger::api {

namespace {

using ledger::Json;
using ledger::Micros;

constexpr Micros kHour = 3600LL * 1000000;
constexpr Micros kDay = 24 * kHour;

struct Planned {
  Micros time;
  std::uint64_t order;  // tie-breaker: keeps a case's events in order
  ledger::Command cmd;
};

class DemoGenerator {
 public:
  explicit DemoGenerator(std::uint64_t seed) : rng_(seed) {}

  std::string Id(std::string_view prefix) {
    std::array<std::uint8_t, kIdRandomBytes> b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
    return FormatId(prefix, b);
  }
  std::uint64_t Uniform(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(v.size())];
  }

  std::vector<Planned> Plan(std::uint64_t cases, Micros start, Micros end) {
    std::vector<std::string> caseworkers, coordinators;
    for (int i = 0; i < 4; ++i) caseworkers.push_back(Id("u"));
    for (int i = 0; i < 2; ++i) coordinators.push_back(Id("u"));
    static const std::vector<std::string> kSources = {
        "school", "youth_club", "social_services", "psychiatry",  "housing",
        "police", "relative",   "hotline",         "advice_phone"};
    static const std::vector<std::string> kGrounds = {
        "b.threat",      "b.legitimises_violence",
        "b.violence",    "b.incitement_content",
        "b.recruitment", "b.illegal_act"};
    std::vector<Planned> out;
    std::uint64_t order = 0;
    for (std::uint64_t i = 0; i < cases; ++i) {
      // Cases open early enough that their follow-up (up to ~45 days) is
      // mostly in the past; a window shorter than that (a re-run soon after
      // the previous one) still gets at least one day.
      const Micros window = std::max<Micros>(end - start - 60 * kDay, kDay);
      Micros t = start + static_cast<Micros>(
                             Uniform(static_cast<std::uint64_t>(window)));
      std::string case_id = Id("c"), subject = Id("s");
      const std::string& cw = Pick(caseworkers);
      const std::string& co = Pick(coordinators);
      auto add = [&](Micros at, std::string type, const std::string& actor,
                     std::string role, Json h, std::optional<Json> body) {
        ledger::Command c;
        c.type = std::move(type);
        c.actor = actor;
        c.role = std::move(role);
        c.case_id = case_id;
        c.subject = subject;
        c.h = std::move(h);
        c.body = std::move(body);
        c.time = at;
        out.push_back({at, order++, std::move(c)});
      };
      char name[64];
      std::snprintf(name, sizeof name, "Testperson %04llu",
                    static_cast<unsigned long long>(i + 1));
      char cpr[32];
      std::snprintf(cpr, sizeof cpr, "000000-%04llu",
                    static_cast<unsigned long long>((i + 1) % 10000));
      std::string ground = Pick(kGrounds);
      std::string observed =
          ledger::FormatTime(t - static_cast<Micros>(Uniform(20) + 1) * kDay)
              .substr(0, 10);
      add(t, "concern.reported", cw, "caseworker",
          Json{{"source", Pick(kSources)},
               {"subject_kind", "person"},
               {"grounds", Json::array({Json{{"code", ground},
                                             {"observed_on", observed}}})},
               {"context", Json::array()},
               {"minor", Chance(0.4)},
               {"new_subject", true}},
          Json{{"subject",
                {{"name", name},
                 {"cpr", cpr},
                 {"address", "Syntetisk Vej " + std::to_string(i % 97 + 1) +
                                 ", 9999 Demoby"}}},
               {"reporter", "synthetic reporter"},
               {"narrative",
                "Synthetic narrative for demonstration only. The reporter "
                "describes observed "
                "conduct in general terms; no real person or event is "
                "described. "
                "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed "
                "do eiusmod "
                "tempor incididunt ut labore et dolore magna aliqua."},
               {"grounds",
                Json::array({Json{
                    {"code", ground},
                    {"description",
                     "synthetic description of the observed behaviour"}}})}});
      add(t + kHour, "case.assigned", co, "coordinator",
          Json{{"assignees", Json::array({cw})}}, std::nullopt);
      Micros responded =
          t + (Chance(0.9) ? static_cast<Micros>(Uniform(20) + 2) * kHour
                           : static_cast<Micros>(Uniform(72) + 25) * kHour);
      add(responded, "concern.responded", cw, "caseworker",
          Json{{"channel", Chance(0.5) ? "phone" : "meeting"}},
          Json{{"note", "synthetic note of the first contact"}});
      // Founded share rises over the years (about 10 % early, 25 % later).
      double share = 0.10 + 0.15 * static_cast<double>(t - start) /
                                static_cast<double>(end - start);
      bool founded = Chance(share);
      Micros assessed = responded + static_cast<Micros>(Uniform(20) + 3) * kDay;
      add(assessed, "assessment.recorded", co, "coordinator",
          Json{{"outcome", founded ? "founded" : "unfounded"},
               {"grounds", founded
                               ? Json::array({Json{{"code", ground},
                                                   {"observed_on", observed}}})
                               : Json::array()},
               {"panel", "infohus"}},
          Json{{"reasoning", "synthetic reasoning of the assessment"}});
      if (founded) {
        add(assessed + 2 * kDay, "consent.recorded", cw, "caseworker",
            Json{{"decision", "given"}, {"by", "subject"}},
            Json{{"note", "synthetic consent note"}});
        add(assessed + 3 * kDay, "intervention.started", cw, "caseworker",
            Json{{"kind", Chance(0.5) ? "mentor" : "relatives_coach"},
                 {"provider", "municipality"}},
            Json{{"plan", "synthetic intervention plan"}});
      } else {
        add(assessed + kDay, "case.closed", co, "coordinator",
            Json{{"reason", "unfounded"}},
            Json{{"note", "synthetic closing note"}});
      }
    }
    std::sort(out.begin(), out.end(), [](const Planned& a, const Planned& b) {
      return a.time != b.time ? a.time < b.time : a.order < b.order;
    });
    // Nothing in the future: follow-ups not yet due happen "now" (clamping a
    // sorted sequence keeps it non-decreasing).
    for (auto& p : out) {
      p.time = std::min(p.time, end);
      p.cmd.time = p.time;
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

int CmdDemo(const std::string& dir, std::uint64_t cases, std::uint64_t seed) {
  if (!ledger::LogStore::Open(dir, true).ok()) {
    if (int rc = CmdInit(dir, "demo.caseledger.invalid/copenhagen");
        rc != kExitOk)
      return rc;
  }
  auto l = OpenDomainLedger(dir);
  if (!l.ok()) {
    std::cerr << "caseledger: " << l.status().ToString() << "\n";
    return ExitCodeFor(l.status());
  }
  ledger::Writer& writer = (*l)->writer();
  const Micros now = ledger::NowMicros();
  Micros start = std::max(writer.last_time() + 1, now - 5 * 365 * kDay);
  DemoGenerator gen(seed + writer.size());
  auto plan = gen.Plan(cases, start, now);
  std::cout << "writing " << plan.size() << " synthetic events for " << cases
            << " cases to " << dir << "\n";
  // At most a window of commands in flight: the writer's queue is bounded.
  std::deque<std::future<Result<ledger::Appended>>> in_flight;
  std::uint64_t ok = 0;
  auto wait_until = [&](std::size_t keep) -> Status {
    while (in_flight.size() > keep) {
      auto r = in_flight.front().get();
      in_flight.pop_front();
      if (!r.ok()) return r.status();
      ++ok;
    }
    return Status::Ok();
  };
  for (auto& p : plan) {
    in_flight.push_back(writer.Submit(std::move(p.cmd)));
    if (Status s = wait_until(4096); !s.ok()) {
      std::cerr << "caseledger demo: " << s.ToString() << "\n";
      return ExitCodeFor(s);
    }
  }
  if (Status s = wait_until(0); !s.ok()) {
    std::cerr << "caseledger demo: " << s.ToString() << "\n";
    return ExitCodeFor(s);
  }
  auto stats = writer.stats();
  std::cout << "appended " << ok << " events in " << stats.batches
            << " group commits; log size " << writer.size() << "\n";
  l->reset();
  std::cout << "verifying the whole log...\n";
  return CmdVerify(dir, false, 0);
}

}  // namespace caseledger::api
