#include "ledger/time.h"

#include <chrono>
#include <cstdio>

namespace caseledger::ledger {

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {
bool IsLeap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
bool Digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  out = 0;
  if (pos + n > s.size()) return false;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}
}  // namespace

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTime(Micros t) {
  std::int64_t days =
      t >= 0 ? t / 86400000000 : (t - 86399999999) / 86400000000;
  std::int64_t rem = t - days * 86400000000;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  auto secs = rem / 1000000;
  auto micros = rem % 1000000;
  if (y < 0 || y > 9999) {  // not four digits: printf's form
    char buf[64];
    std::snprintf(
        buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
        static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
        static_cast<long long>((secs / 60) % 60),
        static_cast<long long>(secs % 60), static_cast<long long>(micros));
    return buf;
  }
  // The digits placed by hand: every event's time is formatted on the
  // writer thread, and snprintf cost about 0.4 µs per call there, a percent
  // of an append's CPU at batch 256 (docs/performance.md). Same text as the
  // printf form above.
  std::string out(27, '0');  // YYYY-MM-DDTHH:MM:SS.ffffffZ
  auto put = [&out](std::size_t at, std::size_t width, std::uint64_t v) {
    for (std::size_t i = at + width; i > at; --i, v /= 10)
      out[i - 1] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, static_cast<std::uint64_t>(y));
  out[4] = '-';
  put(5, 2, m);
  out[7] = '-';
  put(8, 2, d);
  out[10] = 'T';
  put(11, 2, static_cast<std::uint64_t>(secs / 3600));
  out[13] = ':';
  put(14, 2, static_cast<std::uint64_t>((secs / 60) % 60));
  out[16] = ':';
  put(17, 2, static_cast<std::uint64_t>(secs % 60));
  out[19] = '.';
  put(20, 6, static_cast<std::uint64_t>(micros));
  out[26] = 'Z';
  return out;
}

Result<Micros> ParseTime(std::string_view s) {
  auto bad = [] {
    return InvalidArgument(
        "time is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
  };
  unsigned y, mo, d, h, mi, se;
  if (s.size() < 20 || !Digits(s, 0, 4, y) || s[4] != '-' ||
      !Digits(s, 5, 2, mo) || s[7] != '-' || !Digits(s, 8, 2, d) ||
      s[10] != 'T' || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se)) {
    return bad();
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || se > 59) {
    return bad();
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++digits > 6) return bad();
      micros = micros * 10 + (s[pos] - '0');
      ++pos;
    }
    if (digits == 0) return bad();
    for (std::size_t k = digits; k < 6; ++k) micros *= 10;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return bad();
  std::int64_t days = DaysFromCivil(y, mo, d);
  return ((days * 24 + h) * 60 + mi) * 60 * 1000000 +
         static_cast<std::int64_t>(se) * 1000000 + micros;
}

}  // namespace caseledger::ledger
