// The replicated cluster end to end (issue 19, docs/operations.md
// "Cluster"): a real etcd and three `caseledger serve --cluster` processes on
// loopback, a write load through HTTP, the leader killed (SIGKILL) at random
// moments ten times and once paused past its lease (SIGSTOP, SIGCONT).
// Checked: every acknowledged (201) write is in the final log — the root of
// the log at its checkpoint's size is the one the 201 carried, which pins the
// event and every one before it —, no seq was acknowledged with two different
// logs behind it, every node's log verifies and is a byte-identical prefix of
// the others', writes resume after each kill (the time is measured and
// printed), and the paused leader acknowledges nothing after its lease ended
// and comes back as a follower.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "base/json.h"
#include "crypto/base64.h"
#include "ledger/log_store.h"
#include "tests/cluster/etcd_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace caseledger::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One node's process; restartable on the same port and data dir.
class NodeProcess {
 public:
  NodeProcess(std::string dir, std::string config, std::uint16_t port, std::string log)
      : dir_(std::move(dir)), config_(std::move(config)), port_(port), log_(std::move(log)) {}
  void Start() {
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"serve", "--data", dir_, "--listen",
                                 "127.0.0.1:" + std::to_string(port_), "--cluster", config_,
                                 "--retention-every", "0"},
        "", log_ + "." + std::to_string(++starts_));
    std::string line;
    REQUIRE(child_->ReadLine(line));
    REQUIRE(line.rfind("listening on", 0) == 0);
  }
  void Kill() {
    child_->Kill();
    child_->Wait();
    child_.reset();
  }
  int Stop() {
    child_->Signal(SIGTERM);
    const int rc = child_->Wait();
    child_.reset();
    return rc;
  }
  void Pause() { child_->Signal(SIGSTOP); }
  void Resume() { child_->Signal(SIGCONT); }
  // role from /healthz, "" if it does not answer.
  std::string Role() const {
    auto r = Request(port_, "GET", "/healthz", {}, {}, milliseconds(1000));
    if (!r) return "";
    Json j = Json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("role") ? j["role"].get<std::string>() : "";
  }
  std::string Logs() const {
    std::string all;
    for (int i = 1; i <= starts_; ++i) all += ReadFile(log_ + "." + std::to_string(i));
    return all;
  }
  // The last `max` lines of its logs that are not access lines (roles,
  // dropped tails, storage lines, what it refused), for a failure's report.
  std::string ClusterLines(std::size_t max = 40) const {
    std::vector<std::string> kept;
    std::istringstream all(Logs());
    for (std::string line; std::getline(all, line);)
      if (line.rfind("access ", 0) != 0) kept.push_back(line);
    std::string out;
    for (std::size_t i = kept.size() > max ? kept.size() - max : 0; i < kept.size(); ++i) out += kept[i] + "\n";
    return out;
  }
  // The exit code if the running process ended by itself (a crash), not
  // after Kill or Stop; nullopt while it runs.
  std::optional<int> Exited() { return child_ ? child_->Exited() : std::nullopt; }
  std::uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, config_;
  std::uint16_t port_;
  std::string log_;
  int starts_ = 0;
  std::unique_ptr<Child> child_;
};

// Every event line of the log in `dir` (opened read-only).
std::vector<std::string> Lines(const std::string& dir) {
  auto store = ledger::LogStore::Open(dir, /*read_only=*/true).value();
  auto snap = store->Read().value();
  const std::uint64_t n = ledger::TreeSize(snap, *store).value();
  std::vector<std::string> out;
  for (std::uint64_t seq = 1; seq <= n; ++seq) out.push_back(ledger::ReadEventLine(snap, *store, seq).value());
  return out;
}

std::string RootAt(const std::string& dir, std::uint64_t size) {
  auto store = ledger::LogStore::Open(dir, /*read_only=*/true).value();
  auto snap = store->Read().value();
  return ledger::LoadCompactRange(snap, *store, size).value().Root().Hex();
}

// The root hex of a checkpoint note (line 3, base64).
std::string NoteRootHex(const std::string& note) {
  const std::size_t a = note.find('\n');
  const std::size_t b = note.find('\n', a + 1);
  const std::size_t c = note.find('\n', b + 1);
  auto bytes = crypto::Base64Decode(note.substr(b + 1, c - b - 1)).value();
  return ToHex(bytes);
}

// Where the nodes' logs go: $CASELEDGER_CLUSTER_LOGS (kept, for
// investigating a failure) or the test's temporary directory.
std::string LogDir(const TempDir& tmp) {
  const char* keep = std::getenv("CASELEDGER_CLUSTER_LOGS");
  if (keep == nullptr || *keep == '\0') return tmp.path();
  std::filesystem::create_directories(keep);
  return keep;
}

struct Ack {
  std::uint64_t seq = 0, size = 0;
  std::string root;  // hex, of the log at `size`
  std::uint16_t port = 0;  // the node that answered
  Clock::time_point at;
};

TEST_CASE("cluster: ten leader kills and a paused leader lose no acknowledged write, and all logs "
          "are identical prefixes and verify",
          "[cluster][failover][e2e]") {
  CL_START_ETCD_OR_SKIP(etcd);
  TempDir tmp;
  const std::string d1 = tmp / "n1";
  Users u = MakeUsers(d1);
  {
    RunResult b = Run({"backup", "--data", d1, "--out", tmp / "seed"});
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
  }
  for (const char* n : {"n2", "n3"}) {
    RunResult r = Run({"restore", tmp / "seed", "--data", tmp / n, "--backup-only"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const std::vector<std::uint16_t> ports = {FreePort(), FreePort(), FreePort()};
  std::vector<std::unique_ptr<NodeProcess>> nodes;
  for (int i = 0; i < 3; ++i) {
    Json peers = Json::array();
    for (int j = 0; j < 3; ++j)
      if (j != i)
        peers.push_back({{"id", "n" + std::to_string(j + 1)},
                         {"url", "http://127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(j)])}});
    const std::string id = "n" + std::to_string(i + 1);
    Json config{{"node_id", id},
                {"url", "http://127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(i)])},
                {"etcd", {etcd->endpoint()}},
                {"peers", peers},
                {"min_acks", 1},
                {"lease_ttl_s", 2},
                {"ship_timeout_ms", 1500}};
    WriteFile(tmp / (id + ".json"), config.dump());
    nodes.push_back(std::make_unique<NodeProcess>(tmp / id, tmp / (id + ".json"),
                                                  ports[static_cast<std::size_t>(i)], LogDir(tmp) + "/" + id + ".log"));
    nodes.back()->Start();
  }
  auto leader = [&]() -> int {
    for (int i = 0; i < 3; ++i)
      if (nodes[static_cast<std::size_t>(i)]->Role() == "leader") return i;
    return -1;
  };
  auto wait_leader = [&](int not_this) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      const int l = leader();
      if (l >= 0 && l != not_this) return l;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return -1;
  };
  const int first = wait_leader(-1);
  REQUIRE(first >= 0);
  // The node-to-node routes take nothing without the cluster's MAC (a
  // subkey of the master key): no batch stored, no command appended.
  for (std::uint16_t port : ports) {
    for (const char* path : {"/v1/cluster/append", "/v1/cluster/submit"}) {
      INFO(path);
      auto none = Request(port, "POST", path, {{"Content-Type", "application/json"}}, "{}");
      REQUIRE(none);
      CHECK(none->status == 401);
      auto forged = Request(port, "POST", path,
                            {{"Content-Type", "application/json"},
                             {"X-Caseledger-Cluster-Mac", std::string(64, '0')}},
                            R"({"command":{},"from_server":true,"legacy_import":false,"need_to_know":false})");
      REQUIRE(forged);
      CHECK(forged->status == 401);
    }
  }

  // Posts through any node, following the follower's 307 to the leader.
  const HeaderList cw = {{"Authorization", "Bearer " + u.tok.cw}, {"Content-Type", "application/json"}};
  auto post = [&](std::size_t start, const std::string& target, const std::string& body,
                  std::uint16_t* answered) -> std::optional<HttpReply> {
    std::uint16_t port = ports[start % 3];
    for (int hop = 0; hop < 3; ++hop) {
      auto r = Request(port, "POST", target, cw, body, milliseconds(4000));
      if (!r) return std::nullopt;
      if (r->status != 307) {
        *answered = port;
        return r;
      }
      const std::string loc = r->Header("location");
      const std::size_t colon = loc.rfind(':', loc.find('/', 7));
      port = static_cast<std::uint16_t>(std::stoi(loc.substr(colon + 1)));
    }
    return std::nullopt;
  };
  std::string load_case;
  {
    // A node may say "leader" before the others have learnt it: until then a
    // follower answers 503 (no leader known), which clients retry (ctest -j2
    // on a busy machine once saw it here).
    std::uint16_t at = 0;
    std::optional<HttpReply> r;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    do {
      r = post(0, "/v1/cases", CaseWalk::Concern("b.threat").dump(), &at);
      if (!r || r->status != 503) break;
      std::this_thread::sleep_for(milliseconds(100));
    } while (Clock::now() < deadline);
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    load_case = Json::parse(r->body)["case"].get<std::string>();
  }

  std::mutex mu;
  std::vector<Ack> acks;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  // Stops and joins the writers however the test ends (a failed REQUIRE
  // must not leave joinable threads behind).
  struct JoinWriters {
    std::atomic<bool>& stop;
    std::vector<std::thread>& writers;
    ~JoinWriters() {
      stop = true;
      for (auto& w : writers)
        if (w.joinable()) w.join();
    }
  } join_writers{stop, writers};
  for (std::size_t t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (std::size_t i = 0; !stop; ++i) {
        Json b{{"type", "concern.responded"},
               {"h", {{"channel", "phone"}}},
               {"body", {{"note", "synthetic load " + std::to_string(t) + "/" + std::to_string(i)}}}};
        std::uint16_t at = 0;
        auto r = post(t + i, "/v1/cases/" + load_case + "/events", b.dump(), &at);
        if (!r || r->status != 201) {
          std::this_thread::sleep_for(milliseconds(20));
          continue;
        }
        Json j = Json::parse(r->body);
        Ack a;
        a.seq = j["seq"].get<std::uint64_t>();
        a.size = j["checkpoint"]["size"].get<std::uint64_t>();
        a.root = NoteRootHex(j["checkpoint"]["note"].get<std::string>());
        a.port = at;
        a.at = Clock::now();
        std::lock_guard lock(mu);
        acks.push_back(std::move(a));
      }
    });
  }
  // A reader on every node in turn: a follower serves the read itself, and
  // must record its access.read through the leader before it answers 200.
  std::atomic<std::size_t> reads_ok{0}, reads_on_followers{0};
  writers.emplace_back([&] {
    const HeaderList auth = {{"Authorization", "Bearer " + u.tok.cw}};
    for (std::size_t i = 0; !stop; ++i) {
      const std::uint16_t port = ports[i % 3];
      auto r = Request(port, "GET", "/v1/cases/" + load_case + "?purpose=casework", auth, {}, milliseconds(4000));
      if (r && r->status == 200) {
        ++reads_ok;
        auto h = Request(port, "GET", "/healthz", {}, {}, milliseconds(1000));
        if (h && h->body.find("\"role\":\"follower\"") != std::string::npos) ++reads_on_followers;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  auto ack_count = [&] {
    std::lock_guard lock(mu);
    return acks.size();
  };
  auto first_ack_after = [&](Clock::time_point t) -> std::optional<Clock::time_point> {
    std::lock_guard lock(mu);
    std::optional<Clock::time_point> best;
    for (const Ack& a : acks)
      if (a.at > t && (!best || a.at < *best)) best = a.at;
    return best;
  };

  // A node that ended by itself (a crash) is a failure of its own, found
  // at once rather than as writes that never resume; "" while none did.
  auto ended = [&]() -> std::string {
    std::string out;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (auto rc = nodes[i]->Exited())
        out += "node n" + std::to_string(i + 1) + " ended by itself with " + std::to_string(*rc) + "\n";
    return out;
  };
  // What the nodes said, for a failure's report.
  auto node_lines = [&] {
    std::string out;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      out += "--- n" + std::to_string(i + 1) + "\n" + nodes[i]->ClusterLines();
    return out;
  };

  // Writes go on (at most a minute each wait, and no node ended by itself).
  auto await_acks = [&](std::size_t n) {
    const std::size_t from = ack_count();
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (ack_count() < from + n && Clock::now() < deadline && ended().empty())
      std::this_thread::sleep_for(milliseconds(10));
    const bool progressed = ended().empty() && ack_count() >= from + n;
    INFO((progressed ? std::string() : ended() + node_lines()));
    REQUIRE(ended().empty());
    REQUIRE(ack_count() >= from + n);
  };

  std::mt19937 rng(std::random_device{}());
  std::vector<double> failover_ms;
  for (int round = 0; round < 10; ++round) {
    INFO("round " << round);
    await_acks(20);
    const int l = wait_leader(-1);
    REQUIRE(l >= 0);
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
    const auto killed_at = Clock::now();
    nodes[static_cast<std::size_t>(l)]->Kill();
    const auto resume_deadline = killed_at + std::chrono::seconds(60);
    std::optional<Clock::time_point> resumed;
    while (!(resumed = first_ack_after(killed_at)) && Clock::now() < resume_deadline && ended().empty())
      std::this_thread::sleep_for(milliseconds(5));
    INFO("after the kill of n" << (l + 1) << "\n" << (resumed ? std::string() : ended() + node_lines()));
    REQUIRE(ended().empty());
    REQUIRE(resumed);
    failover_ms.push_back(std::chrono::duration<double, std::milli>(*resumed - killed_at).count());
    // The new leader holds every write acknowledged before the kill: its log
    // has the acknowledged root at each acknowledged size.
    const int now_leading = wait_leader(l);
    REQUIRE(now_leading >= 0);
    {
      std::vector<Ack> before_kill;
      {
        std::lock_guard lock(mu);
        for (const Ack& a : acks)
          if (a.at < killed_at) before_kill.push_back(a);
      }
      const std::string dir = nodes[static_cast<std::size_t>(now_leading)]->dir();
      const std::uint64_t held = Lines(dir).size();
      std::size_t missing_on_leader = 0;
      for (const Ack& a : before_kill)
        if (a.size > held || RootAt(dir, a.size) != a.root) ++missing_on_leader;
      CHECK(missing_on_leader == 0);
    }
    nodes[static_cast<std::size_t>(l)]->Start();  // rejoins as a follower
  }

  // The paused leader: frozen past its lease, then resumed.
  {
    await_acks(20);
    const int l = wait_leader(-1);
    REQUIRE(l >= 0);
    const std::uint16_t paused_port = ports[static_cast<std::size_t>(l)];
    nodes[static_cast<std::size_t>(l)]->Pause();
    const auto paused_at = Clock::now();
    REQUIRE(wait_leader(l) >= 0);  // another node leads (the lease ended)
    await_acks(20);
    nodes[static_cast<std::size_t>(l)]->Resume();
    const auto resumed_at = Clock::now();
    // It finds its leadership lost and follows.
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (nodes[static_cast<std::size_t>(l)]->Role() != "follower" && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(50));
    CHECK(nodes[static_cast<std::size_t>(l)]->Role() == "follower");
    // Nothing it answered after it woke up was acknowledged with a
    // checkpoint past the head it held when frozen (checked again below:
    // every 201 is in the final log).
    std::lock_guard lock(mu);
    std::uint64_t before_pause = 0;
    for (const Ack& a : acks)
      if (a.at < paused_at) before_pause = std::max(before_pause, a.size);
    for (const Ack& a : acks) {
      INFO("seq " << a.seq << " answered by the paused node after it resumed");
      if (a.port == paused_port && a.at > resumed_at) CHECK(a.size <= before_pause);
    }
  }

  // A little more load with every node up, so followers catch up.
  await_acks(30);
  stop = true;
  for (auto& w : writers) w.join();
  for (auto& n : nodes) CHECK(n->Stop() == 0);

  // Every node's log verifies; all are byte-identical prefixes of the longest.
  std::vector<std::vector<std::string>> logs;
  for (auto& n : nodes) {
    INFO(n->Logs());
    CHECK(Verify(n->dir()) == 0);
    logs.push_back(Lines(n->dir()));
  }
  std::size_t longest = 0;
  for (std::size_t i = 1; i < logs.size(); ++i)
    if (logs[i].size() > logs[longest].size()) longest = i;
  for (const auto& log : logs) {
    REQUIRE(log.size() <= logs[longest].size());
    CHECK(std::equal(log.begin(), log.end(), logs[longest].begin()));
  }
  // Every 201 is in the final log: the root at its checkpoint's size is the
  // one it was acknowledged with; no seq acknowledged with two histories.
  std::map<std::uint64_t, std::string> root_at;
  std::size_t missing = 0, conflicting = 0;
  const std::string& final_dir = nodes[longest]->dir();
  for (const Ack& a : acks) {
    auto [it, fresh] = root_at.emplace(a.size, a.root);
    if (!fresh && it->second != a.root) ++conflicting;
    if (a.size > logs[longest].size() || RootAt(final_dir, a.size) != a.root) ++missing;
  }
  CHECK(conflicting == 0);
  CHECK(missing == 0);
  std::map<std::uint64_t, int> seqs;
  for (const Ack& a : acks) ++seqs[a.seq];
  std::size_t twice = 0;
  for (const auto& [seq, n] : seqs) twice += n > 1 ? 1 : 0;
  CHECK(twice == 0);  // each seq acknowledged once (each write is its own event)
  // Every read answered 200, on whichever node, was recorded first.
  std::size_t access_reads = 0;
  for (const std::string& line : logs[longest])
    if (line.find("\"type\":\"access.read\"") != std::string::npos) ++access_reads;
  CHECK(reads_ok.load() > 0);
  CHECK(reads_on_followers.load() > 0);
  CHECK(access_reads >= reads_ok.load());

  std::sort(failover_ms.begin(), failover_ms.end());
  const double p50 = failover_ms[failover_ms.size() / 2], worst = failover_ms.back();
  std::size_t dropped = 0;
  for (auto& n : nodes) {
    const std::string logs_text = n->Logs();
    for (std::size_t at = 0; (at = logs_text.find("dropped an unacknowledged tail", at)) != std::string::npos; ++at)
      ++dropped;
  }
  WARN("cluster failover: " << acks.size() << " writes acknowledged, final log " << logs[longest].size()
                            << " events; appends resumed after a leader kill in p50 " << p50
                            << " ms, max " << worst << " ms (lease TTL 2 s); unacknowledged tails dropped "
                            << dropped << "; reads answered 200: " << reads_ok.load() << " ("
                            << reads_on_followers.load() << " by a follower), access.read records "
                            << access_reads);
  std::printf("cluster failover: appends resumed after a leader kill in p50 %.0f ms, max %.0f ms over %zu kills\n",
              p50, worst, failover_ms.size());
  CHECK(worst < 30000);
}

}  // namespace
}  // namespace caseledger::testing
