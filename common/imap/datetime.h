// IMAP dates: SEARCH date (RFC 3501 "date") and APPEND/INTERNALDATE date-time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace hadron::imap {

// "1-Feb-1994" or "01-Feb-1994" (month case-insensitive). A surrounding pair of double quotes
// is accepted too. Errors are InvalidArgument.
absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text);

struct DateTime {
  int64_t unix_seconds = 0;  // the instant, UTC
  int32_t tz_minutes = 0;    // the zone the client wrote, minutes east of UTC (-0700 -> -420)
};

// "17-Jul-1996 02:44:25 -0700"; the day may be " 7", "07" or "7". Surrounding double quotes
// are accepted. Errors are InvalidArgument.
absl::StatusOr<DateTime> ParseDateTime(std::string_view text);

// "17-Jul-1996 02:44:25 -0700" (no quotes; day zero-padded to two digits, as Dovecot prints it;
// RFC 3501 date-day-fixed allows both). tz_minutes is clamped to +-99:59.
std::string FormatDateTime(int64_t unix_seconds, int32_t tz_minutes);
inline std::string FormatDateTime(const DateTime& dt) {
  return FormatDateTime(dt.unix_seconds, dt.tz_minutes);
}

// "1-Feb-1994" style for a civil day ("01-Feb-1994").
std::string FormatDate(absl::CivilDay day);

}  // namespace hadron::imap
