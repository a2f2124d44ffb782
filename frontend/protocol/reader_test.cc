// CommandReader: literal flow, limits, resynchronization, pipelining, raw lines.
#include "frontend/protocol/reader.h"

#include <gtest/gtest.h>

#include "frontend/protocol/test_util.h"

namespace hadron::imap {
namespace {

using testing::Drive;
using V = std::vector<std::string>;

// Runs Drive whole and byte by byte; both must agree.
V Feed3(std::string_view input, CommandReader::Limits limits = {}, bool accept = true) {
  V whole = Drive(input, input.size(), limits, accept);
  V bytes = Drive(input, 1, limits, accept);
  EXPECT_EQ(whole, bytes) << "input: " << input;
  V chunks = Drive(input, 7, limits, accept);
  EXPECT_EQ(whole, chunks) << "input: " << input;
  return whole;
}

TEST(ReaderTest, PipelinedCommandsAndBareLf) {
  EXPECT_EQ(Feed3("a NOOP\r\nb LOGOUT\nc CAPABILITY\r\n"),
            (V{"CMD a NOOP", "CMD b LOGOUT", "CMD c CAPABILITY"}));
}

TEST(ReaderTest, BlankLinesAreIgnored) {
  EXPECT_EQ(Feed3("\r\n\na NOOP\r\n\r\n"), (V{"CMD a NOOP"}));
}

TEST(ReaderTest, IncompleteLineNeedsMore) {
  CommandReader r;
  r.Feed("a NOO");
  EXPECT_TRUE(std::holds_alternative<CommandReader::NeedMore>(r.Next()));
  r.Feed("P\r");
  EXPECT_TRUE(std::holds_alternative<CommandReader::NeedMore>(r.Next()));
  r.Feed("\n");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(std::get<CommandReader::Parsed>(ev).command.name, "NOOP");
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(ReaderTest, SyncLiteralAccepted) {
  EXPECT_EQ(Feed3("a APPEND INBOX (\\Seen) {12}\r\nhello\r\nworld\r\nb NOOP\r\n"),
            (V{"LIT a 12 sync", "CMD a APPEND mbox=INBOX flags=\\Seen msg=hello\r\nworld",
               "CMD b NOOP"}));
}

TEST(ReaderTest, NonSyncLiteralAccepted) {
  EXPECT_EQ(Feed3("a LOGIN {3+}\r\njoe {2+}\r\npw\r\n"),
            (V{"LIT a 3 nonsync", "LIT a 2 nonsync", "CMD a LOGIN user=joe pass=pw"}));
}

TEST(ReaderTest, ZeroLengthLiteral) {
  EXPECT_EQ(Feed3("a LOGIN {0}\r\n {0}\r\n\r\n"), (V{"LIT a 0 sync", "LIT a 0 sync",
                                                   "CMD a LOGIN user= pass="}));
}

TEST(ReaderTest, NeedLiteralRepeatsUntilDecided) {
  CommandReader r;
  r.Feed("x APPEND Drafts {5}\r\n");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::NeedLiteral>(ev));
  const auto& lit = std::get<CommandReader::NeedLiteral>(ev);
  EXPECT_EQ(lit.tag, "x");
  EXPECT_EQ(lit.size, 5u);
  EXPECT_TRUE(lit.synchronizing);
  EXPECT_EQ(lit.command, "APPEND");
  r.Feed("hel");  // a client that does not wait: the bytes stay buffered
  EXPECT_TRUE(std::holds_alternative<CommandReader::NeedLiteral>(r.Next()));
  r.AcceptLiteral();
  EXPECT_TRUE(std::holds_alternative<CommandReader::NeedMore>(r.Next()));
  r.Feed("lo\r\n");
  ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(std::get<AppendArgs>(std::get<CommandReader::Parsed>(ev).command.args).messages[0].message,
            "hello");
}

TEST(ReaderTest, UidCommandNameInNeedLiteral) {
  CommandReader r;
  r.Feed("t uid copy 1:* {3}\r\n");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::NeedLiteral>(ev));
  EXPECT_EQ(std::get<CommandReader::NeedLiteral>(ev).command, "COPY");
}

TEST(ReaderTest, SyncLiteralRejected) {
  // The client does not send a rejected synchronizing literal; its next command follows.
  EXPECT_EQ(Feed3("a APPEND INBOX {5}\r\nb NOOP\r\n", {}, /*accept=*/false),
            (V{"LIT a 5 sync", "CMD b NOOP"}));
}

TEST(ReaderTest, NonSyncLiteralRejectedIsSkipped) {
  // The literal bytes (which look like a command) and the rest of the line are skipped,
  // including a further non-synchronizing literal announced on that line.
  EXPECT_EQ(Feed3("a LOGIN {8+}\r\nc NOOP\r\n {4+}\r\nx\r\ny tail\r\nb NOOP\r\n", {},
                /*accept=*/false),
            (V{"LIT a 8 nonsync", "CMD b NOOP"}));
}

TEST(ReaderTest, LiteralTooLarge) {
  CommandReader::Limits limits;
  limits.max_literal = 10;
  // Synchronizing: refused before "+", nothing to skip.
  EXPECT_EQ(Feed3("a APPEND INBOX {11}\r\nb NOOP\r\n", limits),
            (V{"ERR a Literal too large", "CMD b NOOP"}));
  // Non-synchronizing: its bytes are skipped.
  EXPECT_EQ(Feed3("a APPEND INBOX {11+}\r\nb NOOP\r\nxxx\r\nc NOOP\r\n", limits),
            (V{"ERR a Literal too large", "CMD c NOOP"}));
  CommandReader r(limits);
  r.Feed("a APPEND INBOX {11}\r\n");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Error>(ev));
  EXPECT_TRUE(std::get<CommandReader::Error>(ev).too_big);
  EXPECT_FALSE(std::get<CommandReader::Error>(ev).fatal);
}

TEST(ReaderTest, LiteralMinusLimitsNonSyncLiterals) {
  CommandReader::Limits limits;
  limits.max_nonsync_literal = 4096;  // LITERAL- (RFC 7888 section 4)
  std::string ok(4096, 'x');
  EXPECT_EQ(Feed3("a LOGIN {4096+}\r\n" + ok + " pw\r\n", limits),
            (V{"LIT a 4096 nonsync", "CMD a LOGIN user=" + ok + " pass=pw"}));
  // 4097 bytes non-synchronizing: refused, its bytes skipped, the next command parses.
  std::string big(4097, 'y');
  EXPECT_EQ(Feed3("a LOGIN {4097+}\r\n" + big + " pw\r\nb NOOP\r\n", limits),
            (V{"ERR a Non-synchronizing literals above 4096 bytes are not allowed (LITERAL-)",
               "CMD b NOOP"}));
  // Synchronizing literals are not limited by it.
  EXPECT_EQ(Feed3("a LOGIN {4097}\r\n" + big + " pw\r\n", limits),
            (V{"LIT a 4097 sync", "CMD a LOGIN user=" + big + " pass=pw"}));
  CommandReader r(limits);
  r.Feed("a APPEND INBOX {5000+}\r\n");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Error>(ev));
  EXPECT_TRUE(std::get<CommandReader::Error>(ev).nonsync_too_big);
  EXPECT_FALSE(std::get<CommandReader::Error>(ev).too_big);
}

TEST(ReaderTest, TakeBufferedReturnsUnconsumedBytes) {
  CommandReader r;
  r.Feed("a COMPRESS DEFLATE\r\n\x01\x02rest");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(r.TakeBuffered(), "\x01\x02rest");
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_TRUE(std::holds_alternative<CommandReader::NeedMore>(r.Next()));
}

TEST(ReaderTest, CommandTooLarge) {
  CommandReader::Limits limits;
  limits.max_literal = 100;
  limits.max_command = 50;
  EXPECT_EQ(Feed3("a LOGIN {30}\r\n012345678901234567890123456789 {30}\r\nb NOOP\r\n", limits),
            (V{"LIT a 30 sync", "ERR a Literal too large", "CMD b NOOP"}));
}

TEST(ReaderTest, UnknownCommandOrBadTagBeforeLiteral) {
  EXPECT_EQ(Feed3("a FROB {3}\r\nb NOOP\r\n"), (V{"ERR a Unknown command", "CMD b NOOP"}));
  EXPECT_EQ(Feed3("+ LOGIN {3+}\r\nabc\r\nb NOOP\r\n"), (V{"ERR * Invalid tag", "CMD b NOOP"}));
}

TEST(ReaderTest, LiteralInsideQuotesIsNotALiteral) {
  EXPECT_EQ(Feed3("a LOGIN \"joe {3}\r\nb NOOP\r\n"),
            (V{"ERR a Unterminated quoted string", "CMD b NOOP"}));
  EXPECT_EQ(Feed3("a LOGIN \"x\\\"{3}\" {3}\r\nabc\r\n"),
            (V{"LIT a 3 sync", "CMD a LOGIN user=x\"{3} pass=abc"}));
}

TEST(ReaderTest, LineTooLongResyncs) {
  CommandReader::Limits limits;
  limits.max_line = 20;
  std::string long_line = "a NOOP " + std::string(100, 'x') + "\r\n";
  EXPECT_EQ(Feed3(long_line + "b NOOP\r\n", limits), (V{"ERR a Line too long", "CMD b NOOP"}));
  // An over-long line that ends in a non-synchronizing literal: the literal is skipped too.
  std::string with_lit = "c LOGIN " + std::string(100, 'x') + " {6+}\r\nd NOOP\r\n";
  EXPECT_EQ(Feed3(with_lit + "b NOOP\r\n", limits), (V{"ERR c Line too long", "CMD b NOOP"}));
}

TEST(ReaderTest, LineTooLongBoundsMemory) {
  CommandReader::Limits limits;
  limits.max_line = 100;
  CommandReader r(limits);
  int errors = 0;
  for (int i = 0; i < 1000; ++i) {
    r.Feed(std::string(1000, 'y'));
    while (true) {
      auto ev = r.Next();
      if (std::holds_alternative<CommandReader::NeedMore>(ev)) break;
      ASSERT_TRUE(std::holds_alternative<CommandReader::Error>(ev));
      ++errors;
    }
    EXPECT_LE(r.buffered(), 1000u);
  }
  EXPECT_EQ(errors, 1);
  r.Feed("\r\nb NOOP\r\n");
  EXPECT_TRUE(std::holds_alternative<CommandReader::Parsed>(r.Next()));
}

TEST(ReaderTest, ResyncAfterParseErrorWithLiteral) {
  // The error is found only after the literal: the whole command is consumed.
  EXPECT_EQ(Feed3("a LOGIN {3}\r\njoe pw extra\r\nb NOOP\r\n"),
            (V{"LIT a 3 sync", "ERR a Unexpected argument", "CMD b NOOP"}));
}

TEST(ReaderTest, TooManyErrorsIsFatal) {
  CommandReader::Limits limits;
  limits.max_bad_commands = 3;
  EXPECT_EQ(Feed3("a X\r\nb Y\r\nc NOOP\r\nd Z\r\ne Z\r\nf Z\r\ng NOOP\r\n", limits),
            (V{"ERR a Unknown command", "ERR b Unknown command", "CMD c NOOP",
               "ERR d Unknown command", "ERR e Unknown command",
               "ERR f Too many invalid commands FATAL"}));
}

TEST(ReaderTest, NestingLimitApplies) {
  CommandReader::Limits limits;
  limits.max_nesting = 3;
  EXPECT_EQ(Feed3("a SEARCH (((SEEN)))\r\nb SEARCH ((SEEN))\r\n", limits),
            (V{"ERR a Too deep nesting", "CMD b SEARCH AND(AND(AND(SEEN)))"}));
}

TEST(ReaderTest, NextLineForIdleAndAuthenticate) {
  CommandReader r;
  r.Feed("a IDLE\r\nDO");
  auto ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(r.NextLine(), std::nullopt);
  r.Feed("NE\r\nb AUTHENTICATE PLAIN\r\nAGEAYg==\nc NOOP\r\n");
  EXPECT_EQ(r.NextLine(), "DONE");
  ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(std::get<CommandReader::Parsed>(ev).command.name, "AUTHENTICATE");
  EXPECT_EQ(r.NextLine(), "AGEAYg==");
  ev = r.Next();
  ASSERT_TRUE(std::holds_alternative<CommandReader::Parsed>(ev));
  EXPECT_EQ(std::get<CommandReader::Parsed>(ev).command.name, "NOOP");
}

TEST(ReaderTest, NextLineTooLongIsTruncated) {
  CommandReader::Limits limits;
  limits.max_line = 8;
  CommandReader r(limits);
  r.Feed(std::string(50, 'z'));
  EXPECT_EQ(r.NextLine(), std::nullopt);
  EXPECT_EQ(r.buffered(), 0u);
  r.Feed(std::string(50, 'z') + "\r\na NOOP\r\n");
  EXPECT_EQ(r.NextLine(), std::string(8, 'z'));
  EXPECT_TRUE(std::holds_alternative<CommandReader::Parsed>(r.Next()));
}

TEST(ReaderTest, GarbageNeverCrashes) {
  // A deterministic pseudo-random byte soup through a small-limit reader.
  CommandReader::Limits limits;
  limits.max_line = 64;
  limits.max_literal = 16;
  limits.max_command = 128;
  limits.max_bad_commands = 1000000;
  CommandReader r(limits);
  const char alphabet[] = "a {}()[]<>\"\\+~*$:,.0123456789 FETCH SEARCH LOGIN \r\n\n";
  uint32_t x = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string chunk;
    for (int i = 0; i < 7; ++i) {
      x = x * 1103515245 + 12345;
      chunk += alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
    }
    r.Feed(chunk);
    for (int k = 0; k < 100; ++k) {
      auto ev = r.Next();
      if (std::holds_alternative<CommandReader::NeedMore>(ev)) break;
      if (std::holds_alternative<CommandReader::NeedLiteral>(ev)) {
        if (x & 1) {
          r.AcceptLiteral();
        } else {
          r.RejectLiteral();
        }
      }
    }
    ASSERT_LE(r.buffered(), 4096u);
  }
}

}  // namespace
}  // namespace hadron::imap
