#include "frontend/protocol/trace.h"

#include <string>

#include "frontend/protocol/reader.h"
#include "gtest/gtest.h"

namespace hadron::imap {
namespace {

std::string Trace(const std::string& wire) {
  auto cmd = ParseCommand(wire);
  EXPECT_TRUE(cmd.ok()) << wire;
  return TraceCommand(*cmd, wire.substr(0, kTraceMaxBytes), wire.size());
}

TEST(TraceTest, LoginPasswordIsRedacted) {
  std::string t = Trace("a1 LOGIN fred \"p4ss word\"");
  EXPECT_EQ(t, "a1 LOGIN fred ***");
  t = Trace("a2 LOGIN {4}\r\nfred {8}\r\nsecret!!");
  EXPECT_EQ(t, "a2 LOGIN fred ***");
  EXPECT_EQ(t.find("secret"), std::string::npos);
}

TEST(TraceTest, SaslResponsesAreRedacted) {
  EXPECT_EQ(Trace("a3 AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0"), "a3 AUTHENTICATE PLAIN ***");
  EXPECT_EQ(Trace("a4 authenticate plain"), "a4 AUTHENTICATE PLAIN");
}

TEST(TraceTest, OtherCommandsAreShownPrintableAndCut) {
  EXPECT_EQ(Trace("a5 SELECT INBOX"), "a5 SELECT INBOX");
  std::string t = Trace("a6 APPEND INBOX {5}\r\nhello");
  EXPECT_EQ(t, "a6 APPEND INBOX {5}\\r\\nhello");
  std::string long_cmd = "a7 SEARCH SUBJECT \"" + std::string(500, 'x') + "\"";
  t = Trace(long_cmd);
  EXPECT_LT(t.size(), 260u);
  EXPECT_NE(t.find("(520 bytes)"), std::string::npos) << t;
  EXPECT_EQ(TracePrintable(std::string("a\x01\x7f", 3)), "a\\x01\\x7f");
}

}  // namespace
}  // namespace hadron::imap
