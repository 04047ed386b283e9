// Running the real `caseledger` binary from tests: fork/exec with stdin from a
// file and stdout/stderr captured. Linux only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "tests/ledger/test_util.h"

namespace caseledger::testing {

inline const std::string kBinary = CASELEDGER_BINARY;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

class Child {
 public:
  // Starts kBinary with `args`; stdin from `stdin_path` ("" = /dev/null);
  // stdout readable line by line through ReadLine(); stderr to `err_path`.
  Child(const std::vector<std::string>& args, const std::string& stdin_path,
        const std::string& err_path) {
    int out_pipe[2];
    if (pipe(out_pipe) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      int in =
          open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(out_pipe[1], 1);
      dup2(err, 2);
      close(out_pipe[0]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(kBinary.c_str()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(kBinary.c_str(), argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    out_ = fdopen(out_pipe[0], "r");
  }
  ~Child() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ != nullptr) fclose(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line of stdout without its newline; false at end of output.
  bool ReadLine(std::string& line) {
    line.clear();
    if (out_ == nullptr) return false;
    for (int c; (c = fgetc(out_)) != EOF;) {
      if (c == '\n') return true;
      line.push_back(static_cast<char>(c));
    }
    return !line.empty();
  }
  std::string ReadAll() {
    std::string all, line;
    while (ReadLine(line)) all += line + "\n";
    return all;
  }
  void Kill() { kill(pid_, SIGKILL); }
  void Signal(int sig) { kill(pid_, sig); }
  // The exit code (or 128 + signal) if the process has ended, without
  // waiting; nullopt while it runs.
  std::optional<int> Exited() {
    if (!waited_ && !Reap(WNOHANG)) return std::nullopt;
    return exit_;
  }
  // Exit code, or 128 + signal.
  int Wait() {
    if (!waited_) Reap(0);
    return exit_;
  }

 private:
  // waitpid with `flags`; true (and exit_ set) once the process is reaped.
  bool Reap(int flags) {
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid_, &status, flags)) == -1 && errno == EINTR) {
    }
    if (r != pid_) return false;
    waited_ = true;
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool waited_ = false;
  int exit_ = -1;  // once waited_
};

// Runs the binary to completion.
inline RunResult Run(const std::vector<std::string>& args,
                     const std::string& stdin_data = "") {
  TempDir tmp;
  std::string in = tmp / "stdin";
  WriteFile(in, stdin_data);
  RunResult r;
  Child c(args, in, tmp / "stderr");
  r.out = c.ReadAll();
  r.exit_code = c.Wait();
  r.err = ReadFile(tmp / "stderr");
  return r;
}

}  // namespace caseledger::testing
