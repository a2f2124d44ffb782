// Tests for SnapshotBase (built from a Select answer) and SnapshotCache (weak, newest wins).
#include "frontend/session/snapshot_cache.h"

#include "frontend/session/columns_for_test.h"

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

struct Seen {
  uint32_t uid;
  uint32_t system;
  uint64_t modseq;
  std::vector<std::string> keywords;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::vector<Seen> Walk(const pb::SelectResponse& r) {
  std::vector<Seen> out;
  ForEachSelected(r, [&](uint32_t uid, uint32_t system, uint64_t modseq, const auto& keywords) {
    out.push_back(Seen{uid, system, modseq, {keywords.begin(), keywords.end()}});
  });
  return out;
}

TEST(SnapshotBaseTest, ColumnsGiveTheSameBaseAsMessages) {
  pb::SelectResponse r = Mailbox(7, 99, 10);
  r.mutable_messages(0)->mutable_flags()->set_system(pb::SEEN);
  r.mutable_messages(2)->set_uid(70000);  // a delta of more than one byte
  r.mutable_messages(2)->set_modseq(1u << 20);
  const pb::SelectResponse c = Columnar(r);
  ASSERT_EQ(Walk(r).size(), 3u);
  EXPECT_EQ(Walk(c), Walk(r));
  EXPECT_EQ(Walk(c)[2].uid, 70000u);

  auto from_messages = SnapshotBase::FromSelect(r);
  auto from_columns = SnapshotBase::FromSelect(c);
  ASSERT_EQ(from_columns->size(), from_messages->size());
  for (size_t i = 0; i < from_messages->size(); ++i) {
    const auto& a = from_messages->entries()[i];
    const auto& b = from_columns->entries()[i];
    EXPECT_EQ(a.uid, b.uid);
    EXPECT_EQ(a.modseq, b.modseq);
    EXPECT_EQ(a.system, b.system);
    EXPECT_EQ(from_messages->keywords().sets[a.keywords], from_columns->keywords().sets[b.keywords]);
  }
  // Repeated sets in the answer are still interned once.
  EXPECT_EQ(from_columns->entries()[0].keywords, from_columns->entries()[2].keywords);
  EXPECT_EQ(from_columns->keywords().sets.size(), 2u);
  EXPECT_EQ(from_columns->keywords().all, from_messages->keywords().all);
  EXPECT_EQ(from_columns->modseq(), 10u);
  EXPECT_EQ(from_columns->mailbox_id(), 7u);
}

TEST(SnapshotBaseTest, MalformedColumnsAreBoundedNotTrusted) {
  pb::SelectResponse c = Columnar(Mailbox(7, 99, 10));
  c.set_uid_deltas(1, 0);               // UID 2 repeats UID 1: skipped
  c.set_keyword_set(2, 1000);           // no such set: no keywords
  c.add_uid_deltas(5);                  // a fourth UID without flags or modseq: not counted
  const auto walked = Walk(c);
  ASSERT_EQ(walked.size(), 2u);
  EXPECT_EQ(walked[0].uid, 1u);
  EXPECT_EQ(walked[0].keywords, (std::vector<std::string>{"$Junk", "$Label"}));
  EXPECT_EQ(walked[1].uid, 2u);  // deltas 1, (0), 1
  EXPECT_TRUE(walked[1].keywords.empty());
  auto base = SnapshotBase::FromSelect(c);
  ASSERT_EQ(base->size(), 2u);
  EXPECT_EQ(base->entries()[1].uid, 2u);
  EXPECT_EQ(base->entries()[1].keywords, 0u);

  // A keyword column shorter than the others is ignored as a whole.
  c.mutable_keyword_set()->RemoveLast();
  c.mutable_keyword_set()->RemoveLast();
  for (const auto& m : Walk(c)) EXPECT_TRUE(m.keywords.empty());
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
