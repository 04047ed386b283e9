// Copenhagen time (web/local_time.h): the EU rule's transitions, and every
// hour of 1970-2037 against the system's tz database where it is installed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include "ledger/time.h"
#include "web/local_time.h"

namespace caseledger::web {
namespace {

ledger::Micros At(const char* rfc3339) { return ledger::ParseTime(rfc3339).value(); }

TEST_CASE("Copenhagen time changes at 01:00 UTC on the last Sundays of March and October",
          "[web][time]") {
  CHECK(CopenhagenOffsetMinutes(At("2026-03-29T00:59:59.999999Z")) == 60);
  CHECK(CopenhagenOffsetMinutes(At("2026-03-29T01:00:00Z")) == 120);
  CHECK(CopenhagenOffsetMinutes(At("2026-10-25T00:59:59Z")) == 120);
  CHECK(CopenhagenOffsetMinutes(At("2026-10-25T01:00:00Z")) == 60);
  CHECK(CopenhagenOffsetMinutes(At("2026-12-05T12:00:00Z")) == 60);
  // Until 1995 summer time ended in September; before 1980 there was none.
  CHECK(CopenhagenOffsetMinutes(At("1990-09-30T00:30:00Z")) == 120);
  CHECK(CopenhagenOffsetMinutes(At("1990-09-30T01:00:00Z")) == 60);
  CHECK(CopenhagenOffsetMinutes(At("1975-07-01T12:00:00Z")) == 60);
  // Summer time's first year began a week after the last Sunday of March.
  CHECK(CopenhagenOffsetMinutes(At("1980-03-30T12:00:00Z")) == 60);
  CHECK(CopenhagenOffsetMinutes(At("1980-04-06T00:59:59Z")) == 60);
  CHECK(CopenhagenOffsetMinutes(At("1980-04-06T01:00:00Z")) == 120);

  CHECK(FormatDateTime(At("2026-03-29T00:59:00Z")) == "29-03-2026 01:59");
  CHECK(FormatDateTime(At("2026-03-29T01:00:00Z")) == "29-03-2026 03:00");
  CHECK(FormatDateTime(At("2026-12-31T23:30:00Z")) == "01-01-2027 00:30");
  CHECK(FormatDate(At("2026-12-31T22:59:59Z")) == "31-12-2026");
  CHECK(FormatDate(At("2026-12-31T23:00:00Z")) == "01-01-2027");
}

TEST_CASE("every hour of 1970-2037 agrees with the system's Europe/Copenhagen zone",
          "[web][time]") {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Copenhagen")) {
    WARN("no tz database (/usr/share/zoneinfo): compared with the fixed transitions only");
    return;
  }
  setenv("TZ", "Europe/Copenhagen", 1);
  tzset();
  int mismatches = 0;
  for (std::time_t t = 0; t < std::time_t{2145916800}; t += 3600) {  // to 2038-01-01
    std::tm tm{};
    localtime_r(&t, &tm);
    const ledger::Micros micros = static_cast<ledger::Micros>(t) * 1000000;
    if (CopenhagenOffsetMinutes(micros) != static_cast<int>(tm.tm_gmtoff / 60) && ++mismatches <= 5)
      FAIL_CHECK("offset differs at " << ledger::FormatTime(micros));
  }
  unsetenv("TZ");
  tzset();
  CHECK(mismatches == 0);
}

TEST_CASE("dates people type are read as dd-mm-åååå or åååå-mm-dd, and nothing else",
          "[web][time]") {
  CHECK(ParseDate("05-12-2026").value() == LocalDate{2026, 12, 5});
  CHECK(ParseDate("5-2-2026").value() == LocalDate{2026, 2, 5});
  CHECK(ParseDate("05.12.2026").value() == LocalDate{2026, 12, 5});
  CHECK(ParseDate("2026-12-05").value() == LocalDate{2026, 12, 5});
  CHECK(ParseDate("29-02-2028").ok());
  for (const char* bad : {"", "31-02-2026", "29-02-2026", "2026-12-5", "12-2026", "05-12-26",
                          "05-13-2026", "00-01-2026", "a5-12-2026", "05-12-2026-1", "05 12 2026"}) {
    INFO(bad);
    auto d = ParseDate(bad);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("the end of a local day is its last microsecond in Copenhagen, in UTC", "[web][time]") {
  CHECK(ledger::FormatTime(EndOfLocalDay({2026, 12, 5})) == "2026-12-05T22:59:59.999999Z");
  CHECK(ledger::FormatTime(EndOfLocalDay({2026, 7, 1})) == "2026-07-01T21:59:59.999999Z");
  // The day summer time begins and the day it ends.
  CHECK(ledger::FormatTime(EndOfLocalDay({2026, 3, 29})) == "2026-03-29T21:59:59.999999Z");
  CHECK(ledger::FormatTime(EndOfLocalDay({2026, 10, 25})) == "2026-10-25T22:59:59.999999Z");
  CHECK(FormatDate(EndOfLocalDay({2026, 12, 5})) == "05-12-2026");
  CHECK(FormatDate(EndOfLocalDay({2026, 12, 5}) + 1) == "06-12-2026");
}

TEST_CASE("the start of a local day is its first microsecond in Copenhagen, in UTC, across "
          "month, year and summer-time boundaries",
          "[web][time]") {
  CHECK(ledger::FormatTime(StartOfLocalDay({2026, 12, 5})) == "2026-12-04T23:00:00.000000Z");
  CHECK(ledger::FormatTime(StartOfLocalDay({2026, 1, 1})) == "2025-12-31T23:00:00.000000Z");
  CHECK(ledger::FormatTime(StartOfLocalDay({2026, 3, 1})) == "2026-02-28T23:00:00.000000Z");
  // The day after summer time begins, and the day it ends (25 hours long).
  CHECK(ledger::FormatTime(StartOfLocalDay({2026, 3, 30})) == "2026-03-29T22:00:00.000000Z");
  CHECK(ledger::FormatTime(StartOfLocalDay({2026, 10, 25})) == "2026-10-24T22:00:00.000000Z");
  CHECK(EndOfLocalDay({2026, 10, 25}) - StartOfLocalDay({2026, 10, 25}) + 1 == 25LL * 3600 * 1000000);
  CHECK(EndOfLocalDay({2026, 3, 29}) - StartOfLocalDay({2026, 3, 29}) + 1 == 23LL * 3600 * 1000000);
}

}  // namespace
}  // namespace caseledger::web
