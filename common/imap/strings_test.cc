// Tests for IMAP string rendering; expected values were checked against Dovecot 2.3.19.
#include "common/imap/strings.h"

#include <gtest/gtest.h>

namespace hadron::imap {
namespace {

TEST(QuoteTest, PlainAndEscapes) {
  EXPECT_EQ(Quote("hello"), "\"hello\"");
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("utf\"8"), "\"utf\\\"8\"");
  EXPECT_EQ(Quote("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(Quote("tab\there"), "\"tab\there\"");  // Dovecot keeps a tab inside quotes.
}

TEST(QuoteTest, LiteralForEightBitAndLineBreaks) {
  EXPECT_TRUE(NeedsLiteral("f\xc3\xa9.txt"));
  EXPECT_EQ(Quote("f\xc3\xa9.txt"), "{7}\r\nf\xc3\xa9.txt");
  EXPECT_EQ(Quote("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(Quote(std::string_view("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_FALSE(NeedsLiteral("plain ascii"));
}

TEST(QuoteTest, LiteralAfterFourSpecials) {
  EXPECT_EQ(Quote("\"\"\"\""), "\"\\\"\\\"\\\"\\\"\"");
  EXPECT_EQ(Quote("\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");
}

TEST(NStringTest, NilOrQuoted) {
  EXPECT_EQ(NString(std::nullopt), "NIL");
  EXPECT_EQ(NString("x"), "\"x\"");
}

TEST(QuoteForHumansTest, MatchesDovecot) {
  EXPECT_EQ(QuoteForHumans("afternoon meeting"), "\"afternoon meeting\"");
  EXPECT_EQ(QuoteForHumans(""), "\"\"");
  EXPECT_EQ(QuoteForHumans("   "), "\"\"");
  // Folded subject "one\r\n two" -> literal "one two" (Dovecot output for such a header).
  EXPECT_EQ(QuoteForHumans("one\r\n two"), "{7}\r\none two");
  EXPECT_EQ(QuoteForHumans("has \"quotes\" and \\ back"), "{23}\r\nhas \"quotes\" and \\ back");
  EXPECT_EQ(QuoteForHumans("Quote \"me\""), "{10}\r\nQuote \"me\"");
  EXPECT_EQ(QuoteForHumans("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(QuoteForHumans(" a\t b "), "{3}\r\na b");
}

}  // namespace
}  // namespace hadron::imap
