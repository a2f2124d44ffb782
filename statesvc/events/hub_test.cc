// Tests of the change fan-out and the per-stream queue (replay, dedup, overflow).
#include "statesvc/events/hub.h"

#include "gtest/gtest.h"

namespace hadron::events {
namespace {

store::Change FlagsChange(uint64_t modseq) {
  store::Change c;
  c.modseq = modseq;
  c.kind = store::Change::kFlags;
  c.messages.push_back(store::MessageMeta{1, {store::kSeen, {}}, modseq});
  return c;
}

Event ChangeEvent(uint64_t account, uint64_t mailbox, uint64_t modseq) {
  Event e;
  e.account = account;
  e.mailbox = mailbox;
  e.change = FlagsChange(modseq);
  return e;
}

std::vector<uint64_t> DrainModseqs(EventQueue& q) {
  std::vector<uint64_t> out;
  while (auto e = q.Pop()) out.push_back(e->change ? e->change->modseq : 0);
  return out;
}

TEST(HubTest, RoutesOnlySubscribedMailboxes) {
  Hub hub;
  int ready = 0;
  auto q = std::make_shared<EventQueue>(100, [&] { ++ready; });
  q->BeginReplay(1, 2);
  hub.Subscribe(1, 2, q);
  q->FinishReplay(1, 2, {});
  hub.OnChange(1, 2, FlagsChange(5));
  hub.OnChange(1, 3, FlagsChange(6));
  hub.OnChange(2, 2, FlagsChange(7));
  EXPECT_EQ(DrainModseqs(*q), std::vector<uint64_t>({5}));
  EXPECT_GE(ready, 1);
  hub.Unsubscribe(1, 2, q.get());
  EXPECT_EQ(hub.SubscriptionCount(), 0u);
  hub.OnChange(1, 2, FlagsChange(8));
  EXPECT_TRUE(DrainModseqs(*q).empty());
}

TEST(HubTest, ReplayThenLiveWithoutDuplicatesOrReordering) {
  Hub hub;
  auto q = std::make_shared<EventQueue>(100, nullptr);
  q->BeginReplay(1, 2);
  hub.Subscribe(1, 2, q);
  // Commits 4 and 5 land while the log is read; the log read already saw 4.
  hub.OnChange(1, 2, FlagsChange(4));
  hub.OnChange(1, 2, FlagsChange(5));
  q->FinishReplay(1, 2, {ChangeEvent(1, 2, 3), ChangeEvent(1, 2, 4)});
  hub.OnChange(1, 2, FlagsChange(6));
  hub.OnChange(1, 2, FlagsChange(6));  // duplicate
  EXPECT_EQ(DrainModseqs(*q), std::vector<uint64_t>({3, 4, 5, 6}));
}

TEST(HubTest, OverflowBecomesOneResyncForThatMailbox) {
  Hub hub;
  auto q = std::make_shared<EventQueue>(3, nullptr);
  for (uint64_t mb : {1, 2}) {
    q->BeginReplay(9, mb);
    hub.Subscribe(9, mb, q);
    q->FinishReplay(9, mb, {});
  }
  hub.OnChange(9, 1, FlagsChange(10));
  hub.OnChange(9, 2, FlagsChange(20));
  hub.OnChange(9, 1, FlagsChange(11));
  hub.OnChange(9, 1, FlagsChange(12));  // full: mailbox 1's backlog becomes a resync
  hub.OnChange(9, 1, FlagsChange(13));  // after the resync, events flow again
  std::vector<Event> got;
  while (auto e = q->Pop()) got.push_back(*e);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].mailbox, 2u);
  EXPECT_EQ(got[1].mailbox, 1u);
  EXPECT_TRUE(got[1].resync);
  EXPECT_EQ(got[2].change->modseq, 13u);
}

TEST(HubTest, GoneEndsTheSubscription) {
  Hub hub;
  auto q = std::make_shared<EventQueue>(10, nullptr);
  q->BeginReplay(1, 1);
  hub.Subscribe(1, 1, q);
  q->FinishReplay(1, 1, {});
  hub.OnMailboxGone(1, 1);
  auto e = q->Pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->mailbox_gone);
  hub.OnChange(1, 1, FlagsChange(3));
  EXPECT_FALSE(q->Pop().has_value());
}

// notify: account events go to (account, 0) subscribers only, and one waits at a time.
TEST(HubTest, AccountEventsAreCoalescedWhileQueued) {
  Hub hub;
  auto q = std::make_shared<EventQueue>(100, nullptr);
  q->BeginReplay(1, 0);
  hub.Subscribe(1, 0, q);
  Event first;
  first.account = 1;
  first.account_changed = true;
  q->FinishReplay(1, 0, {first});
  hub.OnAccountChanged(1);  // coalesced with the one queued
  hub.OnAccountChanged(2);  // another account
  hub.OnChange(1, 5, FlagsChange(3));  // a mailbox nobody here watches
  auto e = q->Pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->account_changed);
  EXPECT_EQ(e->account, 1u);
  EXPECT_EQ(e->mailbox, 0u);
  EXPECT_FALSE(q->Pop().has_value());
  hub.OnAccountChanged(1);  // queued again once the previous one is out
  hub.OnAccountChanged(1);
  ASSERT_TRUE(q->Pop().has_value());
  EXPECT_FALSE(q->Pop().has_value());
}

}  // namespace
}  // namespace hadron::events
