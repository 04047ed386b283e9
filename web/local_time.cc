#include "web/local_time.h"

#include <chrono>
#include <cstdio>

namespace caseledger::web {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::sys_days;
using ledger::Micros;

constexpr Micros kMicrosPerSecond = 1000000;
constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;

// 01:00 UTC on the last Sunday of `month` in `year`, in micros since the epoch.
Micros LastSundayOneUtc(int year, unsigned month) {
  const sys_days d{std::chrono::year{year} / std::chrono::month{month} /
                   std::chrono::Sunday[std::chrono::last]};
  const auto t = std::chrono::time_point_cast<std::chrono::microseconds>(d + hours{1});
  return t.time_since_epoch().count();
}

int YearOf(Micros utc) {
  const auto tp = std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds{utc});
  const std::chrono::year_month_day ymd{std::chrono::floor<days>(tp)};
  return static_cast<int>(ymd.year());
}

struct Civil {
  int year, month, day, hour, minute;
};

Civil LocalCivil(Micros utc) {
  const Micros local = utc + CopenhagenOffsetMinutes(utc) * kMicrosPerMinute;
  const auto tp = std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds{local});
  const auto day = std::chrono::floor<days>(tp);
  const std::chrono::year_month_day ymd{day};
  const auto since_midnight = std::chrono::duration_cast<std::chrono::minutes>(tp - day).count();
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(since_midnight / 60),
          static_cast<int>(since_midnight % 60)};
}

// Digits of text[from, to) as a number, or -1.
int Number(std::string_view s) {
  if (s.empty() || s.size() > 4) return -1;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

int CopenhagenOffsetMinutes(Micros utc) {
  const int year = YearOf(utc);
  if (year < 1980) return 60;
  // 1980, the first year: from the first Sunday of April (6 April).
  const Micros start = year == 1980 ? LastSundayOneUtc(1980, 3) + 7 * 24 * 60 * kMicrosPerMinute
                                    : LastSundayOneUtc(year, 3);
  const Micros end = LastSundayOneUtc(year, year <= 1995 ? 9u : 10u);
  return utc >= start && utc < end ? 120 : 60;
}

std::string FormatDate(Micros utc) {
  const Civil c = LocalCivil(utc);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", c.day, c.month, c.year);
  return buf;
}

std::string FormatDateTime(Micros utc) {
  const Civil c = LocalCivil(utc);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%04d %02d:%02d", c.day, c.month, c.year, c.hour,
                c.minute);
  return buf;
}

Result<LocalDate> ParseDate(std::string_view text) {
  const Status bad = InvalidArgument("a date is written dd-mm-åååå");
  std::string_view parts[3];
  std::size_t n = 0, start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '-' || text[i] == '.' || text[i] == '/') {
      if (n == 3) return bad;
      parts[n++] = text.substr(start, i - start);
      start = i + 1;
    }
  }
  if (n != 3) return bad;
  LocalDate d;
  if (parts[0].size() == 4) {  // åååå-mm-dd
    d = {Number(parts[0]), Number(parts[1]), Number(parts[2])};
    if (parts[1].size() != 2 || parts[2].size() != 2) return bad;
  } else {
    if (parts[0].size() > 2 || parts[1].size() > 2 || parts[2].size() != 4) return bad;
    d = {Number(parts[2]), Number(parts[1]), Number(parts[0])};
  }
  if (d.year < 1 || d.month < 1 || d.day < 1) return bad;
  const std::chrono::year_month_day ymd{std::chrono::year{d.year},
                                        std::chrono::month{static_cast<unsigned>(d.month)},
                                        std::chrono::day{static_cast<unsigned>(d.day)}};
  if (!ymd.ok()) return bad;
  return d;
}

Micros EndOfLocalDay(const LocalDate& date) {
  const sys_days next =
      sys_days{std::chrono::year{date.year} / std::chrono::month{static_cast<unsigned>(date.month)} /
               std::chrono::day{static_cast<unsigned>(date.day)}} +
      days{1};
  const Micros next_midnight_as_utc =
      std::chrono::time_point_cast<std::chrono::microseconds>(next).time_since_epoch().count();
  // Local midnight is at UTC midnight minus the offset then in force; the
  // offset an hour before that midnight is the day's last (transitions are
  // at 01:00 UTC, never at local midnight).
  const Micros guess = next_midnight_as_utc - 60 * kMicrosPerMinute;
  return next_midnight_as_utc - CopenhagenOffsetMinutes(guess) * kMicrosPerMinute - 1;
}

Micros StartOfLocalDay(const LocalDate& date) {
  const sys_days day = sys_days{std::chrono::year{date.year} /
                                std::chrono::month{static_cast<unsigned>(date.month)} /
                                std::chrono::day{static_cast<unsigned>(date.day)}} -
                       days{1};
  const std::chrono::year_month_day before{day};
  return EndOfLocalDay({static_cast<int>(before.year()), static_cast<int>(static_cast<unsigned>(before.month())),
                        static_cast<int>(static_cast<unsigned>(before.day()))}) +
         1;
}

}  // namespace caseledger::web
