// Tests of the JSON log lines: every value stays valid JSON whatever it contains.
#include "common/log.h"

#include <string>

#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"

namespace hadron {
namespace {

TEST(JsonEscape, QuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("a\"b"), "a\\\"b");
  EXPECT_EQ(JsonEscape("a\\b"), "a\\\\b");
  EXPECT_EQ(JsonEscape("line1\nline2\r\n"), "line1\\nline2\\r\\n");
  EXPECT_EQ(JsonEscape(std::string("\x01\x1f\t\x7f", 4)), "\\u0001\\u001f\\t\\u007f");
  EXPECT_EQ(JsonEscape(std::string("nul\0x", 5)), "nul\\u0000x");
}

TEST(JsonEscape, Utf8KeptInvalidBytesReplaced) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(JsonEscape("bad\xff"), "bad\xef\xbf\xbd");
  EXPECT_EQ(JsonEscape("trunc\xc3"), "trunc\xef\xbf\xbd");
  EXPECT_EQ(JsonEscape("overlong\xc0\xaf"), "overlong\xef\xbf\xbd\xef\xbf\xbd");
}

class LogLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    logger_ = std::make_shared<spdlog::logger>("t", sink);
    logger_->set_formatter(NewJsonFormatter("test\"comp"));
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(logger_);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(LogLineTest, MessageAndFieldsAreEscaped) {
  LogWith(spdlog::level::info, {{"session", "s\"1"}, {"user", "a\nb"}}, "said {}",
          "\"hi\"\n\x02");
  std::string line = out_.str();
  // Everything after the timestamp is fixed.
  size_t level = line.find(R"(","level":)");
  ASSERT_NE(level, std::string::npos) << line;
  EXPECT_EQ(line.substr(0, 7), R"({"ts":")");
  EXPECT_EQ(line.substr(level),
            R"(","level":"info","component":"test\"comp","session":"s\"1","user":"a\nb",)"
            R"("msg":"said \"hi\"\n\u0002"})"
            "\n");
  // One line: the newline in the message did not split it.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST_F(LogLineTest, FieldsDoNotLeakIntoLaterLines) {
  LogWith(spdlog::level::warn, {{"session", "7"}}, "first");
  spdlog::info("second {}", 2);
  std::string text = out_.str();
  size_t nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_NE(text.substr(0, nl).find(R"("session":"7")"), std::string::npos);
  EXPECT_EQ(text.substr(nl + 1).find("session"), std::string::npos);
  EXPECT_NE(text.substr(nl + 1).find(R"("msg":"second 2"})"), std::string::npos);
}

}  // namespace
}  // namespace hadron
