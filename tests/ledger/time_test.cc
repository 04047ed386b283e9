#include "ledger/time.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace caseledger::ledger
