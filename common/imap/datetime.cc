// IMAP date and date-time parsing and formatting (RFC 3501 section 9: date, date-time).
#include "common/imap/datetime.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hadron::imap {
namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view StripQuotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool Digits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  i += n;
  out = v;
  return true;
}

// date-day "-" date-month "-" date-year, leaving i after the year. `fixed` allows " 7".
bool ParseDayMonthYear(std::string_view s, size_t& i, bool fixed, int& day, int& month,
                       int& year) {
  if (fixed && i < s.size() && s[i] == ' ') ++i;
  size_t start = i;
  int v = 0;
  while (i < s.size() && i - start < 2 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == start) return false;
  day = v;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  if (i + 3 > s.size()) return false;
  std::string_view mon = s.substr(i, 3);
  month = 0;
  for (int m = 0; m < 12; ++m) {
    if (EqualsNoCase(mon, kMonths[m])) month = m + 1;
  }
  if (month == 0) return false;
  i += 3;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  return Digits(s, i, 4, year);
}

bool ValidDay(int y, int m, int d) {
  absl::CivilDay cd(y, m, d);
  return d >= 1 && cd.year() == y && cd.month() == m && cd.day() == d;
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text) {
  std::string_view s = StripQuotes(text);
  size_t i = 0;
  int d, m, y;
  if (!ParseDayMonthYear(s, i, false, d, m, y) || i != s.size() || !ValidDay(y, m, d)) {
    return absl::InvalidArgumentError("Invalid date");
  }
  return absl::CivilDay(y, m, d);
}

absl::StatusOr<DateTime> ParseDateTime(std::string_view text) {
  std::string_view s = StripQuotes(text);
  auto bad = [] { return absl::InvalidArgumentError("Invalid date-time"); };
  size_t i = 0;
  int d, mo, y, h, mi, se, zh, zm;
  if (!ParseDayMonthYear(s, i, true, d, mo, y) || !ValidDay(y, mo, d)) return bad();
  if (i >= s.size() || s[i++] != ' ') return bad();
  if (!Digits(s, i, 2, h) || i >= s.size() || s[i++] != ':') return bad();
  if (!Digits(s, i, 2, mi) || i >= s.size() || s[i++] != ':') return bad();
  if (!Digits(s, i, 2, se)) return bad();
  if (h > 23 || mi > 59 || se > 60) return bad();
  if (i >= s.size() || s[i++] != ' ') return bad();
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return bad();
  bool neg = s[i++] == '-';
  if (!Digits(s, i, 2, zh) || !Digits(s, i, 2, zm) || i != s.size() || zm > 59) return bad();
  int32_t tz = (zh * 60 + zm) * (neg ? -1 : 1);
  absl::Time local = absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, se), absl::UTCTimeZone());
  DateTime out;
  out.unix_seconds = absl::ToUnixSeconds(local) - int64_t{tz} * 60;
  out.tz_minutes = tz;
  return out;
}

std::string FormatDateTime(int64_t unix_seconds, int32_t tz_minutes) {
  if (tz_minutes > 99 * 60 + 59) tz_minutes = 99 * 60 + 59;
  if (tz_minutes < -(99 * 60 + 59)) tz_minutes = -(99 * 60 + 59);
  absl::CivilSecond cs = absl::ToCivilSecond(
      absl::FromUnixSeconds(unix_seconds + int64_t{tz_minutes} * 60), absl::UTCTimeZone());
  int32_t az = tz_minutes < 0 ? -tz_minutes : tz_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04lld %02d:%02d:%02d %c%02d%02d", cs.day(),
                kMonths[cs.month() - 1], static_cast<long long>(cs.year()), cs.hour(),
                cs.minute(), cs.second(), tz_minutes < 0 ? '-' : '+', az / 60, az % 60);
  return buf;
}

std::string FormatDate(absl::CivilDay day) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04lld", day.day(), kMonths[day.month() - 1],
                static_cast<long long>(day.year()));
  return buf;
}

}  // namespace hadron::imap
