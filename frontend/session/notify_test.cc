#include "frontend/session/notify.h"

#include "gtest/gtest.h"

namespace hadron::frontend {
namespace {

using Group = imap::NotifyArgs::Group;
using Filter = Group::Filter;

Group G(Filter f, std::vector<std::string> events, std::vector<std::string> names = {}) {
  Group g;
  g.filter = f;
  g.events = std::move(events);
  g.mailboxes = std::move(names);
  return g;
}

absl::StatusOr<NotifySpec> Build(std::vector<Group> groups) {
  imap::NotifyArgs a;
  a.groups = std::move(groups);
  return BuildNotifySpec(a);
}

TEST(NotifySpecTest, RulesOfSection5) {
  EXPECT_TRUE(Build({G(Filter::kSelected, {"MessageNew", "MessageExpunge", "FlagChange"}),
                     G(Filter::kPersonal, {"MailboxName", "SubscriptionChange"})})
                  .ok());
  // MessageNew without MessageExpunge, FlagChange alone: BAD.
  EXPECT_TRUE(absl::IsInvalidArgument(Build({G(Filter::kPersonal, {"MessageNew"})}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Build({G(Filter::kSelected, {"FlagChange"})}).status()));
  // Mailbox events with SELECTED (6.1), two selected filters: BAD.
  EXPECT_TRUE(absl::IsInvalidArgument(
      Build({G(Filter::kSelected, {"MessageNew", "MessageExpunge", "MailboxName"})}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      Build({G(Filter::kSelected, {}), G(Filter::kSelectedDelayed, {})}).status()));
  // AnnotationChange and unknown events: NO [BADEVENT].
  EXPECT_TRUE(absl::IsUnimplemented(
      Build({G(Filter::kInboxes, {"MessageNew", "MessageExpunge", "AnnotationChange"})}).status()));
  EXPECT_TRUE(absl::IsUnimplemented(Build({G(Filter::kPersonal, {"NoSuchEvent"})}).status()));
  // Fetch attributes outside the selected filters: BAD.
  Group g = G(Filter::kPersonal, {"MessageNew", "MessageExpunge"});
  g.has_fetch_atts = true;
  g.fetch_atts.emplace_back();
  EXPECT_TRUE(absl::IsInvalidArgument(Build({g}).status()));
}

TEST(NotifySpecTest, Matching) {
  auto spec = Build({G(Filter::kSubtree, {"MailboxName"}, {"Lists"}),
                     G(Filter::kMailboxes, {"MessageNew", "MessageExpunge"}, {"misc"}),
                     G(Filter::kSubscribed, {"SubscriptionChange"})});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(NotifyEventsFor(*spec, "Lists", false), kNotifyMailboxName);
  EXPECT_EQ(NotifyEventsFor(*spec, "Lists/a/b", false), kNotifyMailboxName);
  EXPECT_EQ(NotifyEventsFor(*spec, "Listsx", false), 0u);
  EXPECT_EQ(NotifyEventsFor(*spec, "misc", false), kNotifyMessageNew | kNotifyMessageExpunge);
  EXPECT_EQ(NotifyEventsFor(*spec, "misc/sub", false), 0u);
  EXPECT_EQ(NotifyEventsFor(*spec, "x", true), kNotifySubscriptionChange);
}

TEST(NotifyDiffTest, ListAndStatus) {
  auto spec = Build({G(Filter::kPersonal, {"MessageNew", "MessageExpunge", "FlagChange",
                                           "MailboxName", "SubscriptionChange"})});
  ASSERT_TRUE(spec.ok());
  NotifySnapshot before;
  before[1] = {"INBOX", true, 7, 5, 4, 1, 10};
  before[2] = {"old", false, 8, 1, 0, 0, 1};
  before[3] = {"gone", false, 9, 1, 0, 0, 1};
  NotifySnapshot after = before;
  after.erase(3);
  after[2].name = "new";
  after[2].subscribed = true;
  after[4] = {"fresh", false, 10, 1, 0, 0, 1};
  after[1].messages = 5;
  after[1].uid_next = 6;
  after[1].unseen = 2;
  after[1].highest_modseq = 11;
  EXPECT_EQ(NotifyDiff(*spec, before, after, 0, false),
            "* LIST (\\NonExistent) \"/\" \"gone\"\r\n"
            "* STATUS \"INBOX\" (MESSAGES 5 UIDNEXT 6 UNSEEN 2)\r\n"
            "* LIST () \"/\" \"new\" (\"OLDNAME\" (\"old\"))\r\n"
            "* LIST (\\Subscribed) \"/\" \"new\"\r\n"
            "* LIST () \"/\" \"fresh\"\r\n");
  EXPECT_EQ(NotifyDiff(*spec, before, after, 1, true),
            "* LIST (\\NonExistent) \"/\" \"gone\"\r\n"
            "* LIST () \"/\" \"new\" (\"OLDNAME\" (\"old\"))\r\n"
            "* LIST (\\Subscribed) \"/\" \"new\"\r\n"
            "* LIST () \"/\" \"fresh\"\r\n");
  // A flag change: UNSEEN, and HIGHESTMODSEQ with CONDSTORE.
  NotifySnapshot flags = before;
  flags[1].unseen = 0;
  flags[1].highest_modseq = 12;
  EXPECT_EQ(NotifyDiff(*spec, before, flags, 0, true),
            "* STATUS \"INBOX\" (UNSEEN 0 HIGHESTMODSEQ 12)\r\n");
  EXPECT_EQ(NotifyDiff(*spec, before, flags, 0, false), "* STATUS \"INBOX\" (UNSEEN 0)\r\n");
  EXPECT_EQ(NotifyInitialStatus(*spec, before, 2, false),
            "* STATUS \"INBOX\" (MESSAGES 4 UIDNEXT 5 UIDVALIDITY 7 UNSEEN 1 HIGHESTMODSEQ 10)\r\n"
            "* STATUS \"gone\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 9 UNSEEN 0 HIGHESTMODSEQ 1)\r\n");
}

// Changes that reach one read together: a mailbox created and subscribed, or created and
// delivered to, between two reads is still reported for the events watched.
TEST(NotifyDiffTest, NewMailboxWithChangesInTheSameRead) {
  auto subs = Build({G(Filter::kPersonal, {"SubscriptionChange"})});
  ASSERT_TRUE(subs.ok());
  NotifySnapshot before;
  NotifySnapshot after;
  after[3] = {"third", true, 10, 1, 0, 0, 2};
  EXPECT_EQ(NotifyDiff(*subs, before, after, 0, false),
            "* LIST (\\Subscribed) \"/\" \"third\"\r\n");
  after[3].subscribed = false;
  EXPECT_EQ(NotifyDiff(*subs, before, after, 0, false), "");
  auto msgs = Build({G(Filter::kPersonal, {"MessageNew", "MessageExpunge", "MailboxName"})});
  ASSERT_TRUE(msgs.ok());
  after[3] = {"third", false, 10, 3, 2, 1, 5};
  EXPECT_EQ(NotifyDiff(*msgs, before, after, 0, true),
            "* LIST () \"/\" \"third\"\r\n"
            "* STATUS \"third\" (MESSAGES 2 UIDNEXT 3 UNSEEN 1 HIGHESTMODSEQ 5)\r\n");
  EXPECT_EQ(NotifyDiff(*msgs, before, after, 3, true), "* LIST () \"/\" \"third\"\r\n");
}

}  // namespace
}  // namespace hadron::frontend
