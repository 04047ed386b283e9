// Event time: UTC microseconds since the Unix epoch, printed as
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always six fraction digits, so the text form
// sorts like the number). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace caseledger::ledger {

using Micros = std::int64_t;

// The current UTC time in microseconds.
Micros NowMicros();
// The canonical text of `t` (years 0001–9999).
std::string FormatTime(Micros t);
// Parses RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z". InvalidArgument
// otherwise.
Result<Micros> ParseTime(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H.
// Hinnant's algorithms).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);
void CivilFromDays(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace caseledger::ledger
