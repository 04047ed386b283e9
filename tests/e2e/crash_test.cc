// Crash test: kill (SIGKILL) an importing process at a random moment, several
// times; every acknowledged event survives, the log verifies, appending goes
// on.
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "base/json.h"
#include "ledger/log_store.h"
#include "tests/e2e/process.h"
#include "tests/e2e/synthetic.h"

namespace caseledger::testing {
namespace {

TEST_CASE("SIGKILL during appends loses no acknowledged event",
          "[e2e][fault][slow]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  REQUIRE(Run({"init", "--data", dir}).exit_code == 0);
  // Every round imports new cases (a case id is used once).
  auto input_for = [](std::uint64_t round) {
    std::string input;
    for (std::uint64_t i = 0; i < 20000; ++i) input += ConcernLine(round * 100000 + i + 1);
    return input;
  };
  std::mt19937_64 rng(std::random_device{}());
  std::uint64_t acked_max = 0;
  int killed_mid_write = 0;
  for (int round = 0; round < 6; ++round) {
    WriteFile(tmp / "input", input_for(static_cast<std::uint64_t>(round)));
    Child c({"import", "--data", dir, "--acks"}, tmp / "input", tmp / "err");
    std::string line;
    REQUIRE(c.ReadLine(
        line));  // the first acknowledgement: the process is appending
    // Read acknowledgements in a thread while the main thread sleeps a random
    // time and kills.
    std::uint64_t round_max = std::stoull(line.substr(4));
    std::thread reader([&] {
      std::string l;
      while (c.ReadLine(l)) {
        if (l.rfind("ack ", 0) == 0)
          round_max =
              std::max<std::uint64_t>(round_max, std::stoull(l.substr(4)));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    c.Kill();
    int code = c.Wait();
    reader.join();
    if (code == 128 + SIGKILL) ++killed_mid_write;
    acked_max = std::max(acked_max, round_max);
    // Every acknowledged event is there (seqs are dense) and the log verifies.
    auto v = Run({"verify", "--data", dir, "--json"});
    INFO(v.out << v.err);
    REQUIRE(v.exit_code == 0);
    auto report = Json::parse(v.out);
    CHECK(report["ok"] == true);
    CHECK(report["events"].get<std::uint64_t>() >= acked_max);
    // The projections were committed with the events: a rebuild from the
    // log finds no difference.
    auto cmp = Run({"rebuild", "--data", dir, "--compare"});
    INFO(cmp.out << cmp.err);
    CHECK(cmp.exit_code == 0);
  }
  CHECK(killed_mid_write >= 1);
  // Appending continues after the crashes.
  auto more = Run({"import", "--data", dir, "--acks"},
                  ConcernLine(999999));
  CHECK(more.exit_code == 0);
  auto v = Run({"verify", "--data", dir, "--json"});
  REQUIRE(v.exit_code == 0);
  CHECK(Json::parse(v.out)["events"].get<std::uint64_t>() >
        acked_max);
}

}  // namespace
}  // namespace caseledger::testing
