#include "ledger/time.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

namespace caseledger::ledger {
namespace {

TEST_CASE("Time text round-trips and sorts like the number", "[ledger]") {
  CHECK(FormatTime(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(ParseTime("2019-04-08T09:12:33.123456Z").value() == 1554714753123456);
  CHECK(FormatTime(1554714753123456) == "2019-04-08T09:12:33.123456Z");
  CHECK(ParseTime("2024-02-29T23:59:59.5Z").value() ==
        ParseTime("2024-02-29T23:59:59.500000Z").value());
  for (Micros t : {Micros{0}, Micros{951782400000000}, Micros{4102444799999999},
                   Micros{1}}) {
    CHECK(ParseTime(FormatTime(t)).value() == t);
  }
  CHECK(FormatTime(1000) < FormatTime(2000));
  CHECK_FALSE(ParseTime("2023-02-29T00:00:00Z").ok());
  CHECK_FALSE(ParseTime("2019-04-08 09:12:33Z").ok());
  CHECK_FALSE(ParseTime("2019-04-08T09:12:33+02:00").ok());
  CHECK_FALSE(ParseTime("2019-04-08T09:12:33.1234567Z").ok());
  CHECK_FALSE(ParseTime("2019-04-08T24:00:00Z").ok());
}

// FormatTime places the digits by hand; this is the printf form it replaced,
// kept here as the reference.
std::string PrintfTime(Micros t) {
  std::int64_t days = t >= 0 ? t / 86400000000 : (t - 86399999999) / 86400000000;
  std::int64_t rem = t - days * 86400000000;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  auto secs = rem / 1000000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>((secs / 60) % 60), static_cast<long long>(secs % 60),
                static_cast<long long>(rem % 1000000));
  return buf;
}

TEST_CASE("Time text is the printf form for every time, in range and out", "[ledger]") {
  std::mt19937_64 rng(20261207);
  // Years 0000..9999 (hand-placed digits), and beyond both ends (printf).
  const Micros lo = -62167219200000000;   // 0000-01-01T00:00:00Z
  const Micros hi = 253402300799999999;   // 9999-12-31T23:59:59.999999Z
  std::vector<Micros> times = {0, 1, -1, lo, lo - 1, hi, hi + 1, 86399999999, 86400000000,
                               951782400000000, 4102444799999999, lo * 2, hi * 2};
  std::uniform_int_distribution<Micros> any(lo * 3, hi * 3);
  for (int i = 0; i < 20000; ++i) times.push_back(any(rng));
  for (Micros t : times) {
    INFO(t);
    REQUIRE(FormatTime(t) == PrintfTime(t));
    // ParseTime reads years 0001..9999.
    if (t >= -62135596800000000 && t <= hi) REQUIRE(ParseTime(FormatTime(t)).value() == t);
  }
}

}  // namespace
}  // namespace caseledger::ledger
