// Tests for SnapshotBase (built from a Select answer) and SnapshotCache (weak, newest wins).
#include "frontend/session/snapshot_cache.h"

#include "gtest/gtest.h"

namespace hadron::frontend {
namespace {

namespace pb = ::hadron::state::v1;

pb::SelectResponse Mailbox(uint64_t id, uint32_t validity, uint64_t modseq) {
  pb::SelectResponse r;
  r.mutable_info()->set_mailbox_id(id);
  r.mutable_info()->set_uid_validity(validity);
  r.mutable_info()->set_highest_modseq(modseq);
  r.add_keywords("$Label");
  for (uint32_t u : {1, 2, 3}) {
    auto* m = r.add_messages();
    m->set_uid(u);
    m->set_modseq(u);
    if (u != 2) {
      m->mutable_flags()->add_keywords("$Junk");
      m->mutable_flags()->add_keywords("$Label");
    }
  }
  return r;
}

TEST(SnapshotBaseTest, FromSelectInternsKeywordSets) {
  auto base = SnapshotBase::FromSelect(Mailbox(7, 99, 10));
  ASSERT_EQ(base->size(), 3u);
  EXPECT_EQ(base->modseq(), 10u);
  EXPECT_EQ(base->uid_validity(), 99u);
  EXPECT_EQ(base->entries()[1].keywords, 0u);
  EXPECT_EQ(base->entries()[0].keywords, base->entries()[2].keywords);
  EXPECT_EQ(base->keywords().sets[base->entries()[0].keywords],
            (std::vector<std::string>{"$Junk", "$Label"}));
  EXPECT_EQ(base->keywords().all, (std::vector<std::string>{"$Label", "$Junk"}));
  EXPECT_GE(base->BytesOwned(), 3 * sizeof(SnapshotBase::Entry));
}

TEST(SnapshotBaseTest, OutOfOrderUidsAreDropped) {
  pb::SelectResponse r = Mailbox(7, 99, 10);
  r.add_messages()->set_uid(2);
  EXPECT_EQ(SnapshotBase::FromSelect(r)->size(), 3u);
}

TEST(SnapshotCacheTest, HoldsOnlyWeakReferencesAndNewestWins) {
  SnapshotCache cache;
  EXPECT_EQ(cache.Find(1, 7), nullptr);
  auto old_base = SnapshotBase::FromSelect(Mailbox(7, 99, 10));
  cache.Publish(1, old_base);
  EXPECT_EQ(cache.Find(1, 7), old_base);
  EXPECT_EQ(cache.Find(2, 7), nullptr);  // another account

  auto newer = SnapshotBase::FromSelect(Mailbox(7, 99, 12));
  cache.Publish(1, newer);
  EXPECT_EQ(cache.Find(1, 7), newer);
  cache.Publish(1, old_base);  // an older one does not replace it
  EXPECT_EQ(cache.Find(1, 7), newer);

  auto other_validity = SnapshotBase::FromSelect(Mailbox(7, 100, 3));
  cache.Publish(1, other_validity);  // a new UIDVALIDITY replaces whatever modseq
  EXPECT_EQ(cache.Find(1, 7), other_validity);

  EXPECT_EQ(cache.LiveCount(), 1u);
  other_validity.reset();
  EXPECT_EQ(cache.Find(1, 7), nullptr);  // nobody holds it: gone
  EXPECT_EQ(cache.LiveCount(), 0u);
}

TEST(SnapshotCacheTest, DeadKeysAreSwept) {
  SnapshotCache cache;
  for (uint64_t id = 0; id < 1000; ++id) {
    cache.Publish(1, SnapshotBase::FromSelect(Mailbox(id, 1, 1)));  // dies at once
  }
  auto live = SnapshotBase::FromSelect(Mailbox(5000, 1, 1));
  cache.Publish(1, live);
  EXPECT_EQ(cache.LiveCount(), 1u);
  EXPECT_EQ(cache.Find(1, 5000), live);
}

}  // namespace
}  // namespace hadron::frontend
