#include "tests/cluster/etcd_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "cluster/etcd.h"

namespace caseledger::testing {
namespace {

// Binds 127.0.0.1:0 and returns the socket and the port the kernel chose.
// The socket stays open until the caller closes it, so that two calls give
// two different ports.
int BindFree(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

bool EtcdServer::Available() { return ::access(kBinary, X_OK) == 0; }

std::string UnusedEndpoint() {
  int port = 0;
  int fd = BindFree(port);
  if (fd >= 0) ::close(fd);
  return "http://127.0.0.1:" + std::to_string(port);
}

Result<std::unique_ptr<EtcdServer>> EtcdServer::Start() {
  std::unique_ptr<EtcdServer> server(new EtcdServer());
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = server->StartOnce();
    if (last.ok()) return server;
  }
  return last;
}

Status EtcdServer::StartOnce() {
  int client_port = 0, peer_port = 0;
  int client_fd = BindFree(client_port);
  int peer_fd = BindFree(peer_port);
  if (client_fd >= 0) ::close(client_fd);
  if (peer_fd >= 0) ::close(peer_fd);
  if (client_fd < 0 || peer_fd < 0) return Unavailable("no free loopback port");
  endpoint_ = "http://127.0.0.1:" + std::to_string(client_port);
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  const std::string data = dir_ / "data";
  std::filesystem::remove_all(data);
  const std::vector<std::string> args = {
      kBinary,
      "--name=n1",
      "--data-dir=" + data,
      "--listen-client-urls=" + endpoint_,
      "--advertise-client-urls=" + endpoint_,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=n1=" + peer,
      "--initial-cluster-state=new",
      "--initial-cluster-token=caseledger-test",
      "--logger=zap",
      "--log-level=warn",
  };
  const std::string log = dir_ / "etcd.log";
  // Everything the child needs is made before fork (no allocation after it).
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) return Unavailable("fork failed");
  if (pid_ == 0) {
    // The child: dies with the test process, output to etcd.log.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(kBinary, argv.data());
    ::_exit(127);
  }
  cluster::EtcdClient probe({{endpoint_}, std::chrono::milliseconds(1000)});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("etcd exited at start: " + LogTail());
    }
    if (probe.Health(endpoint_).ok()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return Unavailable("etcd did not become healthy within 30 s: " + LogTail());
}

EtcdServer::~EtcdServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);  // also ends a stopped process
    ::waitpid(pid_, nullptr, 0);
  }
  // dir_ removes itself.
}

namespace {

// Whether every thread of process `pid` is stopped ('T' or 't' in
// /proc/<pid>/task/<tid>/stat: the state after the command's parenthesis).
bool AllThreadsStopped(pid_t pid) {
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  bool any = false;
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(t.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    const char state = stat[close + 2];
    if (state != 'T' && state != 't') return false;
    any = true;
  }
  return any && !ec;
}

}  // namespace

void EtcdServer::Pause() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGSTOP);
  // kill() returns before the stop takes effect: a request sent meanwhile
  // could still be answered. Wait until every thread is stopped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!AllThreadsStopped(pid_) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void EtcdServer::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string EtcdServer::LogTail() const {
  std::ifstream in(dir_ / "etcd.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace caseledger::testing
