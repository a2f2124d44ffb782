#include "tools/hadronctl/mailfmt.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hadronctl::mailfmt {
namespace {

using ::testing::ElementsAre;

TEST(Maildir, FlagsFromInfoSuffixAndKeywordLetters) {
  auto kw = ParseDovecotKeywords("0 $Label1\n1 Todo\n3 skipped-index\nbogus\n");
  EXPECT_THAT(MaildirFlags("1.M1P1.host,S=10:2,DFRSTPab", kw),
              ElementsAre("\\Draft", "\\Flagged", "\\Answered", "\\Seen", "\\Deleted", "$Label1",
                          "Todo"));
  EXPECT_THAT(MaildirFlags("1.M1P1.host:2,d", kw), ElementsAre("skipped-index"));
  EXPECT_TRUE(MaildirFlags("1.M1P1.host", kw).empty());  // new/: no info
  EXPECT_TRUE(MaildirFlags("1.M1P1.host:2,c", kw).empty());  // letter without a keyword
  EXPECT_EQ(MaildirBase("1.M1P1.host,S=10,W=12:2,S"), "1.M1P1.host");
}

TEST(Maildir, InfoSuffixSortedWithStableLetters) {
  std::map<std::string, int> letters;
  bool dropped = false;
  EXPECT_EQ(MaildirInfo({"Todo", "\\Seen", "\\Flagged", "$Work"}, letters, &dropped), ":2,FSab");
  EXPECT_EQ(MaildirInfo({"$Work"}, letters, &dropped), ":2,b");
  EXPECT_FALSE(dropped);
  for (int i = 0; i < 30; ++i) MaildirInfo({"k" + std::to_string(i)}, letters, &dropped);
  EXPECT_TRUE(dropped);
  EXPECT_EQ(letters.size(), 26u);
}

TEST(Maildir, FolderNames) {
  EXPECT_EQ(MaildirFolderToMailbox(".Sub.Folder"), "Sub/Folder");
  EXPECT_EQ(MaildirFolderToMailbox("cur"), std::nullopt);
  EXPECT_EQ(MaildirFolderToMailbox(".."), std::nullopt);
  EXPECT_EQ(MailboxToMaildirFolder("Sub/Folder"), ".Sub.Folder");
  EXPECT_EQ(MailboxToMaildirFolder("v1.2"), ".v1\\2e2");
  EXPECT_EQ(MaildirFolderToMailbox(".v1\\2e2"), "v1.2");
}

TEST(Mbox, SplitsUnescapesAndReadsMetadata) {
  std::istringstream in(
      "From a@b Mon Jan  1 00:00:00 2024\n"
      "Subject: one\nStatus: RO\nX-Status: AF\nX-Keywords: $Work Todo\nX-UID: 7\n\n"
      ">From escaped\n>>From twice\nFrom inside a line is kept\n\n"
      "From b@c Tue Jan  2 10:00:00 2024\nSubject: two\n\nbody\n");
  MboxReader r(in);
  MboxMessage m;
  ASSERT_TRUE(r.Next(&m));
  EXPECT_EQ(m.content,
            "Subject: one\r\n\r\nFrom escaped\r\n>From twice\r\nFrom inside a line is kept\r\n");
  EXPECT_THAT(m.flags, ElementsAre("\\Seen", "\\Answered", "\\Flagged", "$Work", "Todo"));
  EXPECT_EQ(m.internal_date, 1704067200);
  ASSERT_TRUE(r.Next(&m));
  EXPECT_EQ(m.content, "Subject: two\r\n\r\nbody\r\n");
  EXPECT_TRUE(m.flags.empty());
  EXPECT_EQ(m.internal_date, 1704189600);
  EXPECT_FALSE(r.Next(&m));
}

TEST(Mbox, EntryRoundTrips) {
  const std::string content = "Subject: x\r\n\r\nFrom here\r\n>From there\r\nend\r\n";
  std::string entry = MboxEntry(content, {"\\Seen", "\\Draft", "$K"}, 1704067200);
  EXPECT_EQ(entry.substr(0, entry.find('\n')), "From MAILER-DAEMON Mon Jan  1 00:00:00 2024");
  std::istringstream in(entry + MboxEntry("Subject: y\r\n\r\n\r\n", {}, 5));
  MboxReader r(in);
  MboxMessage m;
  ASSERT_TRUE(r.Next(&m));
  EXPECT_EQ(m.content, content);
  EXPECT_THAT(m.flags, ElementsAre("\\Seen", "\\Draft", "$K"));
  EXPECT_EQ(m.internal_date, 1704067200);
  ASSERT_TRUE(r.Next(&m));
  EXPECT_EQ(m.content, "Subject: y\r\n\r\n\r\n");
  EXPECT_EQ(m.internal_date, 5);
}

TEST(Mbox, BareMessageWithoutFromLine) {
  std::istringstream in("Subject: bare\n\nx\n");
  MboxReader r(in);
  MboxMessage m;
  ASSERT_TRUE(r.Next(&m));
  EXPECT_EQ(m.content, "Subject: bare\r\n\r\nx\r\n");
  EXPECT_EQ(m.internal_date, 0);
  EXPECT_FALSE(r.Next(&m));
}

}  // namespace
}  // namespace hadronctl::mailfmt
