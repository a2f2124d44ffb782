// Tests of SORT keys (base subject, dates, message ids) and THREAD over small message sets.
#include "statesvc/store/sort.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hadron::store {
namespace {

using ::testing::ElementsAre;

TEST(BaseSubject, Rfc5256Examples) {
  bool reply = false;
  EXPECT_EQ(BaseSubject("Re: hello", &reply), "HELLO");
  EXPECT_TRUE(reply);
  EXPECT_EQ(BaseSubject("hello", &reply), "HELLO");
  EXPECT_FALSE(reply);
  EXPECT_EQ(BaseSubject("RE: re: Fwd: hello", &reply), "HELLO");
  EXPECT_EQ(BaseSubject("[list] Re: hello", &reply), "HELLO");
  EXPECT_TRUE(reply);
  EXPECT_EQ(BaseSubject("Re[2]: hello"), "HELLO");
  EXPECT_EQ(BaseSubject("Fw: hello (fwd)", &reply), "HELLO");
  EXPECT_TRUE(reply);
  EXPECT_EQ(BaseSubject("hello (fwd) (FWD)  "), "HELLO");
  EXPECT_EQ(BaseSubject("[Fwd: Re: hello]", &reply), "HELLO");
  EXPECT_TRUE(reply);
  EXPECT_EQ(BaseSubject("  hello\t \r\n world  "), "HELLO WORLD");
  // A blob that is the whole subject stays.
  EXPECT_EQ(BaseSubject("[announce]"), "[ANNOUNCE]");
  EXPECT_EQ(BaseSubject("[a] [b] hello"), "HELLO");
  EXPECT_EQ(BaseSubject("Re:"), "");
  EXPECT_EQ(BaseSubject(""), "");
  EXPECT_EQ(BaseSubject("Reply: hi"), "REPLY: HI");
}

TEST(DecomposedTitlecase, LettersAndInvalidBytes) {
  EXPECT_EQ(DecomposedTitlecase("abc xyZ"), "ABC XYZ");
  EXPECT_EQ(DecomposedTitlecase("\xC3\xA9t\xC3\xA9"), "E\xCC\x81TE\xCC\x81");  // été
  EXPECT_EQ(DecomposedTitlecase("a\xFF\xFE" "b"), "A\xEF\xBF\xBD" "B");
}

TEST(SentTime, ParsesLikeDovecot) {
  EXPECT_EQ(SentTime("Thu, 01 Jan 1970 00:00:10 +0000"), 10);
  EXPECT_EQ(SentTime("1 Jan 1970 01:00:10 +0100"), 10);
  EXPECT_EQ(SentTime("Fri, 2 Jan 1970 00:00 GMT"), 86400);
  EXPECT_EQ(SentTime("2 Jan 70 00:00:00 EST"), 86400 + 5 * 3600);
  EXPECT_EQ(SentTime("Fri, 2 Jan 1970 00:00:00 (comment)"), 86400);
  EXPECT_EQ(SentTime("31 Feb 2020 00:00:00 +0000"), 0);  // no such day
  EXPECT_EQ(SentTime("yesterday"), 0);
  EXPECT_EQ(SentTime(""), 0);
}

TEST(NextMessageId, Variants) {
  std::string_view s = " <a@b> junk <c d@e>  <nope> <x(y)@z>";
  EXPECT_EQ(NextMessageId(&s), "a@b");
  EXPECT_EQ(NextMessageId(&s), "cd@e");
  EXPECT_EQ(NextMessageId(&s), "x@z");
  EXPECT_EQ(NextMessageId(&s), std::nullopt);
  std::string_view none = "no ids here";
  EXPECT_EQ(NextMessageId(&none), std::nullopt);
}

SortMessage Msg(uint32_t uid, std::string headers, int64_t internal = 1000, uint64_t size = 100) {
  SortMessage m;
  m.uid = uid;
  m.internal_date = internal;
  m.size = size;
  m.header = absl::StrCat(headers, "\r\n");
  return m;
}

TEST(SortMessages, KeysAndTies) {
  std::vector<SortMessage> msgs = {
      Msg(1, "Subject: b\r\nFrom: Zed <a@x>\r\nDate: 2 Jan 2000 00:00:00 +0000\r\n", 5, 300),
      Msg(2, "Subject: Re: a\r\nFrom: Amy <z@x>\r\nDate: 1 Jan 2000 00:00:00 +0000\r\n", 4, 100),
      Msg(3, "Subject: A\r\nFrom: m@x\r\n", 3, 200),
  };
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kSubject, false}}), ElementsAre(2, 3, 1));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kSubject, true}}), ElementsAre(1, 2, 3));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kSize, false}}), ElementsAre(2, 3, 1));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kArrival, false}}), ElementsAre(3, 2, 1));
  // Message 3 has no Date: its internal date (3 s after 1970) sorts first.
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kDate, false}}), ElementsAre(3, 2, 1));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kFrom, false}}), ElementsAre(1, 3, 2));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kDisplayFrom, false}}), ElementsAre(2, 3, 1));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kTo, false}}), ElementsAre(1, 2, 3));
  EXPECT_THAT(SortMessages(msgs, {{SortKeyKind::kTo, true}, {SortKeyKind::kSize, true}}),
              ElementsAre(1, 3, 2));
}

std::string Render(const std::vector<ThreadEntry>& t) {
  std::string out;
  for (const auto& e : t) absl::StrAppend(&out, e.uid, "^", e.parent, " ");
  return out;
}

TEST(ThreadMessages, OrderedSubject) {
  std::vector<SortMessage> msgs = {
      Msg(1, "Subject: x\r\nDate: 3 Jan 2000 00:00:00 +0000\r\n"),
      Msg(2, "Subject: Re: x\r\nDate: 1 Jan 2000 00:00:00 +0000\r\n"),
      Msg(3, "Subject: y\r\nDate: 2 Jan 2000 00:00:00 +0000\r\n"),
      Msg(4, "Subject: re: X\r\nDate: 4 Jan 2000 00:00:00 +0000\r\n"),
  };
  // Threads x = (2 1 4) starting 1 Jan, y = (3) starting 2 Jan.
  EXPECT_EQ(Render(ThreadMessages(msgs, ThreadAlgorithm::kOrderedSubject)),
            "2^-1 1^0 4^0 3^-1 ");
}

TEST(ThreadMessages, References) {
  std::vector<SortMessage> msgs = {
      Msg(1, "Message-ID: <1@x>\r\nSubject: hello\r\nDate: 1 Jan 2000 00:00:00 +0000\r\n"),
      Msg(2,
          "Message-ID: <2@x>\r\nReferences: <1@x>\r\nSubject: Re: hello\r\n"
          "Date: 2 Jan 2000 00:00:00 +0000\r\n"),
      // Its parent <missing@x> is not here: 3 and 4 hang under a dummy.
      Msg(3,
          "Message-ID: <3@x>\r\nReferences: <missing@x>\r\nSubject: other\r\n"
          "Date: 3 Jan 2000 00:00:00 +0000\r\n"),
      Msg(4,
          "Message-ID: <4@x>\r\nIn-Reply-To: <missing@x>\r\nSubject: other\r\n"
          "Date: 4 Jan 2000 00:00:00 +0000\r\n"),
      // Same base subject as 1 and a reply: joins thread 1 by subject.
      Msg(5, "Message-ID: <5@x>\r\nSubject: Re: hello\r\nDate: 5 Jan 2000 00:00:00 +0000\r\n"),
      // A reply to 2.
      Msg(6,
          "Message-ID: <6@x>\r\nReferences: <1@x> <2@x>\r\nSubject: Re: hello\r\n"
          "Date: 6 Jan 2000 00:00:00 +0000\r\n"),
  };
  // (1 (2 6)(5)) ((3)(4))
  EXPECT_EQ(Render(ThreadMessages(msgs, ThreadAlgorithm::kReferences)),
            "1^-1 2^0 6^1 5^0 0^-1 3^4 4^4 ");
}

TEST(ThreadMessages, LoopsAndDuplicatesDoNotHang) {
  std::vector<SortMessage> msgs = {
      Msg(1, "Message-ID: <a@x>\r\nReferences: <b@x>\r\nSubject: s1\r\n"),
      Msg(2, "Message-ID: <b@x>\r\nReferences: <a@x>\r\nSubject: s2\r\n"),
      Msg(3, "Message-ID: <a@x>\r\nReferences: <a@x>\r\nSubject: s3\r\n"),
  };
  auto t = ThreadMessages(msgs, ThreadAlgorithm::kReferences);
  std::vector<uint32_t> uids;
  for (const auto& e : t) uids.push_back(e.uid);
  std::sort(uids.begin(), uids.end());
  EXPECT_THAT(uids, ElementsAre(1, 2, 3));
}

}  // namespace
}  // namespace hadron::store
