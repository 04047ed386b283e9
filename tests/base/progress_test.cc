#include "base/progress.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/progress_board.h"

namespace caseledger {
namespace {

using namespace std::chrono_literals;

// A line with a clock the test moves and a sink that keeps every write.
struct Harness {
  ProgressLine::TimePoint now{};
  std::vector<std::string> writes;

  ProgressLine::Options Options(std::string unit = "events") {
    ProgressLine::Options o;
    o.enabled = true;
    o.unit = std::move(unit);
    o.clock = [this] { return now; };
    o.sink = [this](std::string_view s) { writes.emplace_back(s); };
    return o;
  }
  void At(std::chrono::milliseconds t) { now = ProgressLine::TimePoint{} + t; }
  std::string All() const {
    std::string all;
    for (const auto& w : writes) all += w;
    return all;
  }
};

TEST_CASE("ProgressLine shows done of total, the percentage, the rate and the time left",
          "[base]") {
  Harness h;
  ProgressLine line("verify", 1000000, h.Options());
  h.At(13500ms);
  line.Update(412000);
  REQUIRE(h.writes.size() == 1);
  // 412,000 in 13.5 s: 30,518/s; 588,000 left at that rate: 19.3 s, shown
  // rounded up.
  CHECK(h.writes[0] == "\rverify  412,000/1,000,000 events  41%  30,518/s  20 s left");
}

TEST_CASE("ProgressLine shows minutes and hours left, and work of unknown total without a percentage",
          "[base]") {
  Harness h;
  {
    ProgressLine line("rebuild", 1000000, h.Options());
    h.At(10000ms);
    line.Update(50000);  // 5,000/s: 950,000 left is 190 s
    REQUIRE(h.writes.size() == 1);
    CHECK(h.writes[0] == "\rrebuild  50,000/1,000,000 events  5%  5,000/s  3 min 10 s left");
  }
  h.writes.clear();
  {
    h.At(0ms);
    ProgressLine line("keys rotate", 10000000, h.Options("keys"));
    h.At(10000ms);
    line.Update(1000);  // 100/s: 9,999,000 left is 27 h 46 min
    REQUIRE(h.writes.size() == 1);
    CHECK(h.writes[0] == "\rkeys rotate  1,000/10,000,000 keys  0%  100/s  27 h 46 min left");
  }
  CHECK(h.writes.size() == 2);  // the destructor cleared the unfinished line
  h.writes.clear();
  {
    h.At(0ms);
    ProgressLine line("import", 0, h.Options());
    h.At(5000ms);
    line.Update(5000);
    REQUIRE(h.writes.size() == 1);
    CHECK(h.writes[0] == "\rimport  5,000 events  1,000/s");
  }
}

TEST_CASE("ProgressLine shows bytes in megabytes", "[base]") {
  Harness h;
  ProgressLine line("import", 100000000, h.Options("bytes"));
  h.At(13500ms);
  line.Update(41000000);
  REQUIRE(h.writes.size() == 1);
  CHECK(h.writes[0] == "\rimport  41.0/100.0 MB  41%  3.0 MB/s  20 s left");
  h.At(20000ms);
  line.Finish();
  CHECK(h.writes.back().find("stopped at 41.0/100.0 MB after 20.0 s") != std::string::npos);
}

TEST_CASE("ProgressLine draws at most one line per interval, the first after one interval",
          "[base]") {
  Harness h;
  ProgressLine line("verify", 100, h.Options());
  h.At(100ms);
  line.Update(1);  // before the first interval: nothing
  CHECK(h.writes.empty());
  h.At(250ms);
  line.Update(2);
  CHECK(h.writes.size() == 1);
  h.At(300ms);
  line.Update(3);
  h.At(449ms);
  line.Update(4);
  CHECK(h.writes.size() == 1);  // within 200 ms of the last line
  h.At(450ms);
  line.Update(5);
  REQUIRE(h.writes.size() == 2);
  CHECK(h.writes[1].rfind("\rverify  5/100 events  5%", 0) == 0);
  // Many threads at one moment: one of them draws.
  h.At(700ms);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&line, t] {
      for (int i = 0; i < 1000; ++i) line.Update(static_cast<std::uint64_t>(t * 1000 + i));
    });
  for (auto& t : threads) t.join();
  CHECK(h.writes.size() == 3);
}

TEST_CASE("ProgressLine ends with a final line over the last one, and prints nothing after it",
          "[base]") {
  Harness h;
  ProgressLine line("verify", 1000000, h.Options());
  h.At(13500ms);
  line.Update(412000);
  REQUIRE(h.writes.size() == 1);
  const std::size_t shown = h.writes[0].size() - 1;  // without the '\r'
  h.At(13600ms);
  line.Update(1000000);  // within the interval: stored, not drawn
  CHECK(h.writes.size() == 1);
  h.At(32800ms);
  line.Finish();
  const std::string final_line = h.writes.back();
  CHECK(final_line.rfind("\rverify  1,000,000 events in 32.8 s  30,487/s", 0) == 0);
  CHECK(final_line.back() == '\n');
  // Padded to cover the longer line before it.
  CHECK(final_line.size() - 2 == shown);
  const std::size_t writes = h.writes.size();
  h.At(60000ms);
  line.Update(1000000);
  line.Finish();
  line.Clear();
  CHECK(h.writes.size() == writes);
}

TEST_CASE("ProgressLine says where work short of its total stopped", "[base]") {
  Harness h;
  ProgressLine line("verify", 1000000, h.Options());
  h.At(13500ms);
  line.Update(412000);
  line.Finish();
  REQUIRE(h.writes.size() == 2);
  CHECK(h.writes[1].rfind("\rverify  stopped at 412,000/1,000,000 events after 13.5 s", 0) == 0);
  CHECK(h.writes[1].back() == '\n');
}

TEST_CASE("ProgressLine of quick work prints only the final line", "[base]") {
  Harness h;
  ProgressLine line("rebuild", 7, h.Options());
  h.At(40ms);
  line.Update(7);
  line.Finish();
  REQUIRE(h.writes.size() == 1);
  CHECK(h.writes[0] == "\rrebuild  7 events in 0.0 s  175/s\n");
}

TEST_CASE("ProgressLine Clear erases the line shown, the destructor clears an unfinished line",
          "[base]") {
  Harness h;
  {
    ProgressLine line("import", 0, h.Options());
    h.At(1000ms);
    line.Update(10);
    REQUIRE(h.writes.size() == 1);
    const std::size_t width = h.writes[0].size() - 1;
    line.Clear();
    REQUIRE(h.writes.size() == 2);
    CHECK(h.writes[1] == "\r" + std::string(width, ' ') + "\r");
    line.Clear();  // nothing shown: nothing to erase
    CHECK(h.writes.size() == 2);
    h.At(2000ms);
    line.Update(20);
    CHECK(h.writes.size() == 3);
  }
  REQUIRE(h.writes.size() == 4);
  CHECK(h.writes[3].find_first_not_of(" \r") == std::string::npos);
}

TEST_CASE("ProgressLine disabled prints nothing, and ForStderr enables it only on a terminal",
          "[base]") {
  Harness h;
  ProgressLine::Options o = h.Options();
  o.enabled = false;
  {
    ProgressLine line("verify", 100, o);
    for (int t = 1; t <= 10; ++t) {
      h.At(std::chrono::milliseconds(t * 1000));
      line.Update(static_cast<std::uint64_t>(t * 10));
    }
    CHECK_FALSE(line.Fn());  // the work makes no calls at all
    line.Clear();
    line.Finish();
  }
  CHECK(h.writes.empty());
  CHECK_FALSE(ProgressLine::ForStderr(/*quiet=*/true).enabled);
  CHECK(ProgressLine::ForStderr(/*quiet=*/false).enabled == (::isatty(STDERR_FILENO) == 1));
  CHECK(ProgressLine::ForStderr(false, "keys").unit == "keys");
}

TEST_CASE("ProgressLine Fn feeds done and total", "[base]") {
  Harness h;
  ProgressLine line("rebuild", 0, h.Options());
  ProgressFn fn = line.Fn();
  h.At(1000ms);
  fn(250, 1000);
  REQUIRE(h.writes.size() == 1);
  CHECK(h.writes[0] == "\rrebuild  250/1,000 events  25%  250/s  3 s left");
}

TEST_CASE("ProgressBoard lists each task tracked with its latest done and total", "[base]") {
  ProgressBoard board;
  CHECK(board.Snapshot().empty());
  ProgressFn retention = board.Track("retention");
  ProgressFn projections = board.Track("projections");
  auto tasks = board.Snapshot();
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].name == "projections");  // by name
  CHECK(tasks[0].done == 0);
  CHECK(tasks[0].total == 0);
  projections(100000, 250000);
  projections(200000, 250000);
  retention(3, 4);
  tasks = board.Snapshot();
  CHECK(tasks[0].done == 200000);
  CHECK(tasks[0].total == 250000);
  CHECK(tasks[1].name == "retention");
  CHECK(tasks[1].done == 3);
  CHECK(tasks[1].total == 4);
  // Tracked again (a new run): the same task, its values kept until updated.
  ProgressFn again = board.Track("retention");
  CHECK(board.Snapshot().size() == 2);
  CHECK(board.Snapshot()[1].done == 3);
  again(0, 9);
  CHECK(board.Snapshot()[1].total == 9);
}

}  // namespace
}  // namespace caseledger
