// Modified UTF-7 <-> UTF-8, from RFC 3501 5.1.3's example and the edge cases.
#include "common/imap/utf7.h"

#include <gtest/gtest.h>

namespace hadron::imap {
namespace {

TEST(Utf7Test, Rfc3501Example) {
  // "~peter/mail/台北/日本語"
  const std::string utf8 = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
  EXPECT_EQ(*Utf8ToMutf7(utf8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(*Mutf7ToUtf8("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), utf8);
}

TEST(Utf7Test, AmpersandAndAscii) {
  EXPECT_EQ(*Utf8ToMutf7("A&B"), "A&-B");
  EXPECT_EQ(*Mutf7ToUtf8("A&-B"), "A&B");
  EXPECT_EQ(*Utf8ToMutf7("INBOX/Sub folder"), "INBOX/Sub folder");
  EXPECT_EQ(*Utf8ToMutf7(""), "");
}

TEST(Utf7Test, RoundTrips) {
  for (std::string s : {std::string("B\xc3\xa4r"), std::string("\xc3\xa4\xc3\xb6\xc3\xbc"),
                        std::string("x\xf0\x9f\x93\xa7y"),  // U+1F4E7, a surrogate pair
                        std::string("\xe2\x82\xac&\xe2\x82\xac"), std::string("Entw\xc3\xbcrfe")}) {
    auto m = Utf8ToMutf7(s);
    ASSERT_TRUE(m.ok()) << s;
    for (char c : *m) EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << *m;
    auto back = Mutf7ToUtf8(*m);
    ASSERT_TRUE(back.ok()) << *m;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(*Utf8ToMutf7("Entw\xc3\xbcrfe"), "Entw&APw-rfe");
}

TEST(Utf7Test, InvalidUtf8) {
  EXPECT_FALSE(Utf8ToMutf7("\xff").ok());
  EXPECT_FALSE(Utf8ToMutf7("\xc3").ok());           // truncated
  EXPECT_FALSE(Utf8ToMutf7("\xc0\xaf").ok());       // overlong
  EXPECT_FALSE(Utf8ToMutf7("\xed\xa0\x80").ok());   // surrogate
  EXPECT_FALSE(Utf8ToMutf7(std::string("a\0b", 3)).ok());
}

TEST(Utf7Test, InvalidMutf7) {
  EXPECT_FALSE(Mutf7ToUtf8("&").ok());          // unterminated
  EXPECT_FALSE(Mutf7ToUtf8("&U,BTFw").ok());    // no '-'
  EXPECT_FALSE(Mutf7ToUtf8("&AGE-").ok());      // 'a' must be written directly
  EXPECT_FALSE(Mutf7ToUtf8("&2D0-").ok());      // lone high surrogate
  EXPECT_FALSE(Mutf7ToUtf8("&U/BTFw-").ok());   // '/' is not in the alphabet
  EXPECT_FALSE(Mutf7ToUtf8("B\xc3\xa4r").ok());  // 8-bit
  EXPECT_FALSE(Mutf7ToUtf8("&U,BTF-").ok());    // leftover bits
}

}  // namespace
}  // namespace hadron::imap
