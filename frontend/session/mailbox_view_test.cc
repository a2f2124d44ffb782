// Rule-table tests for MailboxView: when each kind of change becomes an untagged response.
#include "frontend/session/mailbox_view.h"

#include "gtest/gtest.h"

namespace hadron::frontend {
namespace {

pb::SelectResponse Mailbox(std::initializer_list<uint32_t> uids) {
  pb::SelectResponse r;
  r.mutable_info()->set_mailbox_id(7);
  r.mutable_info()->set_name("INBOX");
  r.mutable_info()->set_uid_validity(99);
  r.mutable_info()->set_highest_modseq(10);
  for (uint32_t u : uids) {
    auto* m = r.add_messages();
    m->set_uid(u);
    m->set_modseq(5);
  }
  return r;
}

pb::Change Expunge(uint64_t modseq, std::initializer_list<uint32_t> uids) {
  pb::Change c;
  c.set_kind(pb::Change::EXPUNGE);
  c.set_modseq(modseq);
  for (uint32_t u : uids) c.add_expunged(u);
  return c;
}

pb::Change Append(uint64_t modseq, std::initializer_list<uint32_t> uids) {
  pb::Change c;
  c.set_kind(pb::Change::APPEND);
  c.set_modseq(modseq);
  for (uint32_t u : uids) {
    auto* m = c.add_messages();
    m->set_uid(u);
    m->set_modseq(modseq);
  }
  return c;
}

pb::Change Flags(uint64_t modseq, uint32_t uid, uint32_t system) {
  pb::Change c;
  c.set_kind(pb::Change::FLAGS);
  c.set_modseq(modseq);
  auto* m = c.add_messages();
  m->set_uid(uid);
  m->set_modseq(modseq);
  m->mutable_flags()->set_system(system);
  return c;
}

TEST(MailboxViewTest, ExpungeIsWithheldUntilAllowed) {
  MailboxView v(Mailbox({10, 20, 30, 40}), false);
  v.Enqueue(Expunge(11, {20, 40}));
  EXPECT_EQ(v.Sync(/*allow_expunge=*/false), "");
  EXPECT_EQ(v.size(), 4u);  // numbers the client holds stay valid
  EXPECT_EQ(v.UidAt(2), 20u);
  EXPECT_TRUE(v.ExpungedAt(2));
  EXPECT_EQ(v.Sync(true), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.UidAt(2), 30u);
  EXPECT_EQ(v.modseq(), 11u);
}

TEST(MailboxViewTest, AppendGivesExistsEvenWhenExpungeWithheld) {
  MailboxView v(Mailbox({1, 2}), false);
  v.Enqueue(Expunge(11, {1}));
  v.Enqueue(Append(12, {3, 4}));
  EXPECT_EQ(v.Sync(false), "* 4 EXISTS\r\n");
  EXPECT_EQ(v.Sync(true), "* 1 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 3u);
}

TEST(MailboxViewTest, MessageAppendedAndExpungedUnseenVanishesSilently) {
  MailboxView v(Mailbox({1}), false);
  v.Enqueue(Append(11, {2}));
  v.Enqueue(Expunge(12, {2}));
  EXPECT_EQ(v.Sync(false), "");
  EXPECT_EQ(v.size(), 1u);
}

TEST(MailboxViewTest, FlagChangesBecomeFetchAndOwnChangesAreNotRepeated) {
  MailboxView v(Mailbox({1, 2, 3}), false);
  pb::MessageMeta own;
  own.set_uid(1);
  own.set_modseq(11);
  own.mutable_flags()->set_system(pb::SEEN);
  EXPECT_TRUE(v.ApplyOwnFlags(own));
  v.Enqueue(Flags(11, 1, pb::SEEN));                  // echo of our own STORE
  v.Enqueue(Flags(12, 3, pb::FLAGGED | pb::SEEN));   // someone else's
  EXPECT_EQ(v.Sync(false), "* 3 FETCH (FLAGS (\\Flagged \\Seen))\r\n");
  EXPECT_EQ(v.FlagsAt(1), "(\\Seen)");
}

TEST(MailboxViewTest, DuplicateAppendIsIgnored) {
  MailboxView v(Mailbox({1, 2}), false);
  v.Enqueue(Append(11, {2}));
  EXPECT_EQ(v.Sync(true), "");
  EXPECT_EQ(v.SeqOf(2), 2u);
  EXPECT_FALSE(v.SeqOf(5).has_value());
}

TEST(MailboxViewTest, ResyncTurnsAFreshReadIntoChanges) {
  MailboxView v(Mailbox({1, 2, 3, 4}), false);
  pb::SelectResponse fresh = Mailbox({1, 3, 4, 6, 7});
  fresh.mutable_info()->set_highest_modseq(40);
  fresh.mutable_messages(1)->set_modseq(30);  // uid 3's flags changed
  fresh.mutable_messages(1)->mutable_flags()->set_system(pb::SEEN);
  ASSERT_TRUE(v.Resync(fresh));
  EXPECT_EQ(v.modseq(), 40u);
  // Numbers stay the client's until a command that allows EXPUNGE.
  EXPECT_EQ(v.Sync(false), "* 6 EXISTS\r\n* 3 FETCH (FLAGS (\\Seen))\r\n");
  EXPECT_EQ(v.Sync(true), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(v.UidAt(4), 6u);
}

TEST(MailboxViewTest, ResyncRefusesAnotherUidValidityOrAHoleBelow) {
  MailboxView v(Mailbox({1, 5}), false);
  pb::SelectResponse other = Mailbox({1, 5});
  other.mutable_info()->set_uid_validity(100);
  EXPECT_FALSE(v.Resync(other));
  EXPECT_FALSE(v.Resync(Mailbox({1, 3, 5})));
}

}  // namespace
}  // namespace hadron::frontend
