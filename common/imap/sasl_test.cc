#include "common/imap/sasl.h"

#include <string>

#include "gtest/gtest.h"

namespace hadron::imap::sasl {
namespace {

using namespace std::string_literals;

TEST(SaslTest, DecodesBase64AndTheEmptyInitialResponse) {
  EXPECT_EQ(*DecodeResponse("AGRlbW8AZGVtbw==", false), "\0demo\0demo"s);
  EXPECT_EQ(*DecodeResponse("=", true), "");
  EXPECT_FALSE(DecodeResponse("=", false).ok());
  EXPECT_FALSE(DecodeResponse("not base64!", false).ok());
  EXPECT_FALSE(DecodeResponse("AGRl-bW8", false).ok());  // URL alphabet is not base64
}

TEST(SaslTest, ParsesPlainFromRfc4616) {
  // RFC 4616 section 4 examples.
  auto a = ParsePlain("\0tim\0tanstaaftanstaaf"s);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->authzid, "");
  EXPECT_EQ(a->authcid, "tim");
  EXPECT_EQ(a->password, "tanstaaftanstaaf");
  auto b = ParsePlain("Ursel\0Kurt\0xipj3plmq"s);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->authzid, "Ursel");
  EXPECT_EQ(b->authcid, "Kurt");
  EXPECT_EQ(b->password, "xipj3plmq");
}

TEST(SaslTest, RefusesMalformedPlain) {
  EXPECT_FALSE(ParsePlain("").ok());
  EXPECT_FALSE(ParsePlain("user").ok());
  EXPECT_FALSE(ParsePlain("\0user"s).ok());
  EXPECT_FALSE(ParsePlain("\0user\0pass\0more"s).ok());
}

}  // namespace
}  // namespace hadron::imap::sasl
