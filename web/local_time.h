// Times as people in a Danish municipality read them (docs/web.md, "Dates"):
// Europe/Copenhagen time, dates as dd-mm-åååå. Stored times stay UTC
// (docs/formats/event.md); only what a page shows, and the dates a person
// types, are local. The offset follows Denmark's rules since 1970, as the
// IANA time zone database has them: CET (UTC+1) all year until 1979; from
// 1980 CEST (UTC+2) from the last Sunday of March (in 1980: 6 April) 01:00 UTC
// to the last Sunday of September (until 1995) or October (since 1996) 01:00
// UTC — the EU rule. tests/web/local_time_test.cc compares every hour of
// 1970–2037 with the system's tz database where it is installed (which is how
// 1980's later start was found). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "ledger/time.h"

namespace caseledger::web {

// Minutes east of UTC in Copenhagen at the instant `utc` (60 or 120).
int CopenhagenOffsetMinutes(ledger::Micros utc);

// "dd-mm-åååå" of the local date (the same digits in both languages).
std::string FormatDate(ledger::Micros utc);
// "dd-mm-åååå hh:mm", local time, 24-hour clock.
std::string FormatDateTime(ledger::Micros utc);

struct LocalDate {
  int year = 0, month = 0, day = 0;
  friend bool operator==(const LocalDate&, const LocalDate&) = default;
};

// A date a person typed: "dd-mm-åååå" (also with "." or "/"; one-digit day
// and month allowed), or "åååå-mm-dd" (what a browser's date field sends).
// InvalidArgument saying the expected form for anything else, including
// dates that do not exist (31-02-2026).
Result<LocalDate> ParseDate(std::string_view text);

// The last microsecond of `date` in Copenhagen, as UTC: "as the case stood
// on that date" includes everything of the day.
ledger::Micros EndOfLocalDay(const LocalDate& date);
// The first microsecond of `date` in Copenhagen, as UTC (the end of the day
// before, plus one).
ledger::Micros StartOfLocalDay(const LocalDate& date);

}  // namespace caseledger::web
