#include "crypto/sha256.h"

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace caseledger::crypto {
namespace {

TEST_CASE("SHA-256 known answers (FIPS 180-2)", "[crypto]") {
  CHECK(Sha256(AsBytes("abc")).Hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256(AsBytes("")).Hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256(
            AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
            .Hex() ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-256 incremental equals one-shot", "[crypto]") {
  const std::string msg(1000, 'x');
  Sha256Hasher h;
  h.Update(AsBytes(std::string_view(msg).substr(0, 333)));
  h.Update(static_cast<std::uint8_t>('x'));
  h.Update(AsBytes(std::string_view(msg).substr(334)));
  CHECK(h.Final() == Sha256(AsBytes(msg)));
  CHECK_FALSE(Sha256(AsBytes("abc")) == Sha256(AsBytes("abd")));
}

TEST_CASE("SHA-256 hashers that reuse a finished hasher's context start from scratch", "[crypto]") {
  // A hasher's context goes back to its thread's pool when it is destroyed
  // (finished or not) and is initialised again when the next one takes it.
  // Twelve hashers alive at once (more than the pool keeps), each abandoned
  // half-way or finished, in rounds, and on four threads at once.
  auto rounds = [](int seed) {
    bool ok = true;
    for (int round = 0; round < 50; ++round) {
      std::vector<std::string> msgs;
      std::vector<std::unique_ptr<Sha256Hasher>> hashers;
      for (int k = 0; k < 12; ++k) {
        msgs.push_back(std::string(static_cast<std::size_t>(1 + (seed + round * 7 + k * 13) % 300),
                                   static_cast<char>('a' + k)));
        hashers.push_back(std::make_unique<Sha256Hasher>());
        hashers.back()->Update(AsBytes(std::string_view(msgs.back()).substr(0, msgs.back().size() / 2)));
      }
      for (int k = 0; k < 12; ++k) {
        if ((k + round) % 3 == 0) {
          hashers[static_cast<std::size_t>(k)].reset();  // abandoned half-way
          continue;
        }
        hashers[static_cast<std::size_t>(k)]->Update(
            AsBytes(std::string_view(msgs[static_cast<std::size_t>(k)]).substr(msgs[static_cast<std::size_t>(k)].size() / 2)));
        ok = ok && hashers[static_cast<std::size_t>(k)]->Final() == Sha256(AsBytes(msgs[static_cast<std::size_t>(k)]));
      }
      // Fresh hashers now take the abandoned and finished contexts.
      Sha256Hasher fresh;
      ok = ok && fresh.Update(AsBytes("abc")).Final().Hex() ==
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    }
    return ok;
  };
  CHECK(rounds(0));
  std::vector<std::future<bool>> others;
  for (int t = 1; t <= 4; ++t) others.push_back(std::async(std::launch::async, rounds, t));
  for (auto& f : others) CHECK(f.get());
}

}  // namespace
}  // namespace caseledger::crypto
