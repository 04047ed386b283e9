#include "crypto/secret.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <type_traits>
#include <utility>

namespace caseledger::crypto {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

bool AllZero(const SecretBytes& s) {
  return std::all_of(s.view().begin(), s.view().end(),
                     [](std::uint8_t b) { return b == 0; });
}

TEST_CASE("SecretBytes starts zeroed, Randomize fills it", "[crypto]") {
  SecretBytes s(32);
  CHECK(s.size() == 32);
  CHECK(s.data() != nullptr);
  CHECK(AllZero(s));
  s.Randomize();
  CHECK_FALSE(AllZero(s));  // 2^-256 chance of a false failure
  SecretBytes empty(0);
  CHECK(empty.size() == 0);
  CHECK(empty.view().empty());
}

TEST_CASE("SecretBytes move leaves the source empty, Clone copies content",
          "[crypto]") {
  SecretBytes a(16);
  a.Randomize();
  const std::uint8_t* where = a.data();
  const std::vector<std::uint8_t> content(a.view().begin(), a.view().end());

  SecretBytes b(std::move(a));
  CHECK(a.size() ==
        0);  // NOLINT(bugprone-use-after-move): the point of the test
  CHECK(a.data() == nullptr);
  CHECK(a.view().empty());
  CHECK(b.data() == where);
  CHECK(std::equal(b.view().begin(), b.view().end(), content.begin(),
                   content.end()));

  SecretBytes c(4);
  c = std::move(b);
  CHECK(b.size() == 0);  // NOLINT(bugprone-use-after-move)
  CHECK(b.data() == nullptr);
  CHECK(c.size() == 16);
  CHECK(c.data() == where);

  SecretBytes d = c.Clone();
  CHECK(d.size() == c.size());
  CHECK(d.data() != c.data());
  CHECK(std::equal(d.view().begin(), d.view().end(), c.view().begin(),
                   c.view().end()));
  d.mutable_view()[0] ^= 0xff;
  CHECK_FALSE(std::equal(d.view().begin(), d.view().end(), c.view().begin(),
                         c.view().end()));

  // A moved-from secret can be cloned, assigned to and destroyed.
  SecretBytes e = b.Clone();  // NOLINT(bugprone-use-after-move)
  CHECK(e.size() == 0);
  b = std::move(d);
  CHECK(b.size() == 16);
}

}  // namespace
}  // namespace caseledger::crypto
