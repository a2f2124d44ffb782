// IMAP date and date-time parsing and formatting.
#include "common/imap/datetime.h"

#include <gtest/gtest.h>

namespace hadron::imap {
namespace {

TEST(DateTest, Parses) {
  EXPECT_EQ(*ParseDate("1-Feb-1994"), absl::CivilDay(1994, 2, 1));
  EXPECT_EQ(*ParseDate("01-feb-1994"), absl::CivilDay(1994, 2, 1));
  EXPECT_EQ(*ParseDate("\"29-FEB-2024\""), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(*ParseDate("31-Dec-1999"), absl::CivilDay(1999, 12, 31));
}

TEST(DateTest, Rejects) {
  for (const char* bad : {"", "29-Feb-2023", "0-Jan-2000", "32-Jan-2000", "1-Foo-2000",
                          "1-Jan-200", "1-Jan-20000", "123-Jan-2000", "1 Jan 2000",
                          "1-Jan-2000 ", " 1-Jan-2000", "1-January-2000", "\"1-Jan-2000"}) {
    EXPECT_FALSE(ParseDate(bad).ok()) << bad;
  }
}

TEST(DateTimeTest, Parses) {
  auto dt = ParseDateTime("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt.ok());
  EXPECT_EQ(dt->unix_seconds, 837596665);  // 1996-07-17T09:44:25Z
  EXPECT_EQ(dt->tz_minutes, -420);
  auto padded = ParseDateTime("\" 7-Jul-1996 02:44:25 +0530\"");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->tz_minutes, 330);
  EXPECT_EQ(padded->unix_seconds, 836707465 - 330 * 60);
  EXPECT_TRUE(ParseDateTime("07-Jul-1996 02:44:25 +0000").ok());
  EXPECT_TRUE(ParseDateTime("7-Jul-1996 02:44:25 +0000").ok());
}

TEST(DateTimeTest, Rejects) {
  for (const char* bad : {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 2:44:25 -0700",
                          "17-Jul-1996 24:00:00 -0700", "17-Jul-1996 02:60:00 -0700",
                          "17-Jul-1996 02:44:25 -07", "17-Jul-1996 02:44:25 0700",
                          "17-Jul-1996 02:44:25 -0760", "17-Jul-1996  02:44:25 -0700",
                          "31-Jun-1996 02:44:25 -0700", "17-Jul-1996 02:44:25 -0700 "}) {
    EXPECT_FALSE(ParseDateTime(bad).ok()) << bad;
  }
}

TEST(DateTimeTest, Formats) {
  EXPECT_EQ(FormatDateTime(837596665, -420), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(FormatDateTime(0, 0), "01-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(FormatDateTime(0, 90), "01-Jan-1970 01:30:00 +0130");
  EXPECT_EQ(FormatDate(absl::CivilDay(1994, 2, 1)), "01-Feb-1994");
}

TEST(DateTimeTest, RoundTrip) {
  for (const char* s : {"17-Jul-1996 02:44:25 -0700", "29-Feb-2024 23:59:59 +1400",
                        "01-Jan-2000 00:00:00 -1200"}) {
    auto dt = ParseDateTime(s);
    ASSERT_TRUE(dt.ok()) << s;
    EXPECT_EQ(FormatDateTime(*dt), s);
  }
}

}  // namespace
}  // namespace hadron::imap
