// EtcdServer: a real single-member etcd (Debian's /usr/bin/etcd) for the
// cluster tests, on loopback ports picked free at start, with a temporary
// data directory. The destructor SIGKILLs it and removes the directory; the
// child also dies with the test process (PR_SET_PDEATHSIG), so a crashed
// test leaves no etcd behind. Pause/Resume freeze it (SIGSTOP/SIGCONT) for
// failure tests: it then accepts connections but answers nothing.
// Thread-safety: one thread starts and stops it; Pause/Resume/endpoint may
// be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "tests/ledger/test_util.h"

namespace caseledger::testing {

class EtcdServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/etcd";

  // True if kBinary exists and is executable; tests skip otherwise.
  static bool Available();

  // Starts etcd and waits until /health says true (at most 30 s). Retries
  // with other ports if etcd exits at start (a port taken meanwhile).
  // Unavailable with etcd's last output if it does not come up.
  static Result<std::unique_ptr<EtcdServer>> Start();

  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // "http://127.0.0.1:<client port>".
  const std::string& endpoint() const { return endpoint_; }
  // SIGSTOP (returning once every thread of etcd is stopped) / SIGCONT.
  void Pause();
  void Resume();
  // The end of etcd's output (stderr), for failure messages.
  std::string LogTail() const;

 private:
  EtcdServer() = default;
  // One attempt on fresh ports; Unavailable if etcd exits or stays unhealthy.
  Status StartOnce();

  TempDir dir_;
  pid_t pid_ = -1;
  std::string endpoint_;
};

// A loopback URL on which nothing listens (a port bound and closed again).
std::string UnusedEndpoint();

// Polls `done` every 50 ms until it holds or `limit` passes: waits in the
// cluster tests have generous deadlines (a loaded two-core machine), and no
// assertion depends on how fast something happens.
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace caseledger::testing

// In a TEST_CASE: skips it (a WARN in the report, the test passes) when
// etcd is not installed; otherwise starts one into `var`
// (std::unique_ptr<EtcdServer>) or fails the test.
#define CL_START_ETCD_OR_SKIP(var)                                                         \
  if (!::caseledger::testing::EtcdServer::Available()) {                                   \
    WARN("SKIPPED: " << ::caseledger::testing::EtcdServer::kBinary                         \
                     << " is not installed (scripts/setup installs etcd-server)");        \
    return;                                                                                \
  }                                                                                        \
  auto var##_started = ::caseledger::testing::EtcdServer::Start();                         \
  INFO((var##_started.ok() ? std::string() : var##_started.status().ToString()));          \
  REQUIRE(var##_started.ok());                                                             \
  std::unique_ptr<::caseledger::testing::EtcdServer> var = std::move(var##_started).value()
