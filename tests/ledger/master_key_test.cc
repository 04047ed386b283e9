// Where the master key may come from (issue 5, item 6): a key file outside
// the data dir, a passphrase (Argon2id), or the demo key only in demo mode;
// loose permissions are refused. Each test sets the environment it needs and
// restores the test main's (demo mode on, no configured key).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "ledger/ledger.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::TempDir;

// Sets (or, with nullopt, unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void WriteWithMode(const std::string& path, const std::string& text, mode_t mode) {
  { std::ofstream(path, std::ios::trunc) << text; }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

TEST_CASE("the demo master key in the data dir is accepted only in demo mode", "[ledger][keys]") {
  TempDir tmp;
  const std::string dir = tmp / "data";
  {
    ScopedEnv no_demo(kDemoEnv, std::nullopt);
    auto r = InitDataDir(dir, "test.caseledger.invalid/keys");
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("--demo"));
  }
  REQUIRE(InitDataDir(dir, "test.caseledger.invalid/keys").ok());  // demo mode (test main)
  REQUIRE(Ledger::Open(dir).ok());
  ScopedEnv no_demo(kDemoEnv, std::nullopt);
  auto key = LoadMasterKey(dir);
  CHECK(key.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(key.status().message(), Catch::Contains("demo master key"));
  CHECK(Ledger::Open(dir).status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("a master key file must lie outside the data dir and be private", "[ledger][keys]") {
  TempDir tmp;
  const std::string dir = tmp / "data", key = tmp / "master.key";
  ScopedEnv no_demo(kDemoEnv, std::nullopt);
  {
    ScopedEnv inside(kMasterKeyEnv, dir + "/my.key");
    CHECK(InitDataDir(dir, "test.caseledger.invalid/keys").status().code() ==
          StatusCode::kFailedPrecondition);
  }
  ScopedEnv file(kMasterKeyEnv, key);
  REQUIRE(InitDataDir(dir, "test.caseledger.invalid/keys").ok());  // creates the key file
  CHECK_FALSE(std::filesystem::exists(dir + "/master.key"));
  REQUIRE(Ledger::Open(dir).ok());
  REQUIRE(::chmod(key.c_str(), 0640) == 0);
  CHECK(LoadMasterKey(dir).status().code() == StatusCode::kPermissionDenied);
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  CHECK(LoadMasterKey(dir).ok());
}

TEST_CASE("a passphrase derives the master key with Argon2id, a wrong one opens nothing", "[ledger][keys]") {
  TempDir tmp;
  const std::string dir = tmp / "data", pass = tmp / "passphrase";
  ScopedEnv no_demo(kDemoEnv, std::nullopt);
  ScopedEnv fast(kArgon2Env, "interactive");  // the test's limits; production: moderate
  WriteWithMode(pass, "synthetic correct horse battery staple\n", 0600);
  ScopedEnv phrase(kPassphraseEnv, pass);
  REQUIRE(InitDataDir(dir, "test.caseledger.invalid/keys").ok());
  CHECK(std::filesystem::exists(dir + "/master.salt"));
  CHECK_FALSE(std::filesystem::exists(dir + "/master.key"));
  const auto k1 = LoadMasterKey(dir).value();
  REQUIRE(Ledger::Open(dir).ok());
  // The trailing newline is not part of the passphrase.
  WriteWithMode(pass, "synthetic correct horse battery staple", 0600);
  CHECK(std::equal(k1.view().begin(), k1.view().end(), LoadMasterKey(dir).value().view().begin()));
  WriteWithMode(pass, "synthetic wrong horse\n", 0600);
  CHECK(Ledger::Open(dir).status().code() == StatusCode::kCorruption);
  WriteWithMode(pass, "synthetic correct horse battery staple\n", 0644);
  CHECK(LoadMasterKey(dir).status().code() == StatusCode::kPermissionDenied);
  ::chmod(pass.c_str(), 0600);
  { std::ofstream(dir + "/master.salt", std::ios::trunc) << "caseledger-argon2id-v1 ops=1 mem=999999999999 salt=00\n"; }
  CHECK(LoadMasterKey(dir).status().code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace caseledger::ledger
