#include "ledger/keystore.h"

#include <catch2/catch.hpp>

#include "crypto/key_file.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::NewId;
using testing::TempDir;

crypto::SecretBytes RandomMaster() {
  crypto::SecretBytes m(32);
  m.Randomize();
  return m;
}

TEST_CASE("Keystore gives each owner one data key that survives reopening",
          "[ledger]") {
  TempDir dir;
  auto master = RandomMaster();
  std::string a = NewId("s"), b = NewId("s");
  std::string kid_a;
  std::shared_ptr<const crypto::SecretBytes> dek_a;
  {
    auto ks = Keystore::Open(dir.path(), master, true).value();
    std::vector<std::string> owners{a, b, a};
    auto kids = ks->EnsureKeys(owners).value();
    REQUIRE(kids.size() == 3);
    CHECK(kids[0] == kids[2]);
    CHECK(kids[0] != kids[1]);
    CHECK(ValidateId(kids[0], "k", "kid").ok());
    kid_a = kids[0];
    dek_a = ks->DataKey(kid_a).value();
    CHECK(ks->KidOf(a).value() == kid_a);
    std::vector<std::string> again{a};
    CHECK(ks->EnsureKeys(again).value()[0] == kid_a);
  }
  auto ks = Keystore::Open(dir.path(), master, false).value();
  auto dek = ks->DataKey(kid_a).value();
  CHECK(std::equal(dek->view().begin(), dek->view().end(),
                   dek_a->view().begin()));
  CHECK(ks->DataKey(NewId("k")).status().code() == StatusCode::kNotFound);
  CHECK(ks->KidOf(NewId("s")).status().code() == StatusCode::kNotFound);
}

TEST_CASE("Keystore does not open under another master key", "[ledger]") {
  TempDir dir;
  { auto ks = Keystore::Open(dir.path(), RandomMaster(), true).value(); }
  auto other = Keystore::Open(dir.path(), RandomMaster(), false);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace caseledger::ledger

namespace caseledger::ledger {
namespace {

TEST_CASE("Keystore keeps working past its in-memory cache bound", "[ledger]") {
  testing::TempDir dir;
  auto master = RandomMaster();
  auto ks = Keystore::Open(dir.path(), master, true).value();
  const std::size_t n = Keystore::kMaxCachedKeys * 3;
  std::vector<std::string> owners;
  for (std::size_t i = 0; i < n; ++i) owners.push_back(testing::NewId("s"));
  auto kids = ks->EnsureKeys(owners).value();
  REQUIRE(kids.size() == n);
  // Every key, cached or evicted, unwraps again, and stays the same key.
  auto first = ks->DataKey(kids.front()).value();
  for (const auto& kid : kids) REQUIRE(ks->DataKey(kid).ok());
  auto again = ks->DataKey(kids.front()).value();
  CHECK(std::equal(first->view().begin(), first->view().end(), again->view().begin()));
}

}  // namespace
}  // namespace caseledger::ledger
