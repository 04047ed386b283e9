// Helpers for ledger tests: temporary data directories and synthetic commands.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/ids.h"
#include "crypto/random.h"
#include "ledger/command.h"

namespace caseledger::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("caseledger-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter++) + "-" +
              std::to_string(std::random_device{}())))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const {
    return path_ + "/" + rel;
  }

 private:
  std::string path_;
};

inline std::string NewId(std::string_view prefix) {
  return FormatId(prefix, crypto::RandomArray<kIdRandomBytes>());
}

// A synthetic command: clear header only, or with a body about `subject`.
inline ledger::Command SyntheticCommand(
    int i, std::optional<std::string> subject = std::nullopt,
    std::string actor = NewId("u")) {
  ledger::Command c;
  c.type = "concern.responded";
  c.actor = std::move(actor);
  c.role = "caseworker";
  c.case_id = NewId("c");
  c.h = Json{{"channel", "phone"}, {"n", i}};
  if (subject) {
    c.subject = subject;
    c.body = Json{{"note", "synthetic note " + std::to_string(i)}};
  }
  return c;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

}  // namespace caseledger::testing
