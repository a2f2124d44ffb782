// Tests of SELECT's column cache: ColumnCache itself, and Store::SelectColumns answering from it
// (brought forward by the change log) exactly what a full read of the records gives.
#include "statesvc/store/column_cache.h"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "statesvc/store/store.h"

namespace hadron::store {
namespace {

std::shared_ptr<MailboxColumns> Columns(uint32_t validity, uint64_t modseq, size_t n) {
  auto c = std::make_shared<MailboxColumns>();
  c->uid_validity = validity;
  c->modseq = modseq;
  c->keyword_sets.emplace_back();
  for (uint32_t i = 1; i <= n; ++i) {
    c->uids.push_back(i);
    c->system.push_back(0);
    c->modseqs.push_back(1);
  }
  return c;
}

TEST(ColumnCacheTest, KeepsNewestAndEvictsLeastRecentlyUsedByBytes) {
  const size_t one = ColumnCache::BytesOf(*Columns(1, 1, 1000));
  ColumnCache cache(2 * one + one / 2);  // room for two
  cache.Put(1, 10, Columns(1, 5, 1000));
  cache.Put(1, 11, Columns(1, 5, 1000));
  ASSERT_NE(cache.Find(1, 10), nullptr);  // 10 is now more recent than 11
  cache.Put(2, 10, Columns(1, 5, 1000));  // over: 11 goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find(1, 11), nullptr);
  EXPECT_NE(cache.Find(1, 10), nullptr);
  EXPECT_NE(cache.Find(2, 10), nullptr);
  EXPECT_LE(cache.bytes(), 2 * one + one / 2);

  cache.Put(1, 10, Columns(1, 3, 1000));  // older than what is there: ignored
  EXPECT_EQ(cache.Find(1, 10)->modseq, 5u);
  cache.Put(1, 10, Columns(2, 3, 1000));  // another UIDVALIDITY replaces it
  EXPECT_EQ(cache.Find(1, 10)->uid_validity, 2u);
  cache.Erase(1, 10);
  EXPECT_EQ(cache.Find(1, 10), nullptr);

  ColumnCache none(0);
  none.Put(1, 10, Columns(1, 5, 1));
  EXPECT_EQ(none.Find(1, 10), nullptr);
}

TEST(ColumnCacheTest, ApplyChangesFollowsTheLog) {
  auto c = Columns(1, 5, 4);  // UIDs 1-4
  std::vector<Change> log;
  log.push_back(Change{6, Change::kExpunge, {}, {2, 9}});
  log.push_back(Change{7, Change::kFlags, {MessageMeta{3, Flags{1, {"$Work"}}, 7}}, {}});
  log.push_back(Change{8, Change::kAppend,
                       {MessageMeta{5, Flags{0, {}}, 8}, MessageMeta{6, Flags{4, {"$Work"}}, 8}},
                       {}});
  log.push_back(Change{9, Change::kFlags, {MessageMeta{2, Flags{1, {}}, 9}}, {}});  // gone: skipped
  log.push_back(Change{10, Change::kExpunge, {}, {5}});
  ASSERT_TRUE(ApplyChanges(*c, log));
  EXPECT_EQ(c->modseq, 10u);
  EXPECT_THAT(c->uids, ::testing::ElementsAre(1, 3, 4, 6));
  EXPECT_THAT(c->system, ::testing::ElementsAre(0, 1, 0, 4));
  EXPECT_THAT(c->modseqs, ::testing::ElementsAre(1, 7, 1, 8));
  ASSERT_EQ(c->keyword_set.size(), 4u);
  EXPECT_EQ(c->keyword_set[0], 0u);
  EXPECT_EQ(c->keyword_set[1], c->keyword_set[3]);
  EXPECT_EQ(c->keyword_sets[c->keyword_set[1]], std::vector<std::string>{"$Work"});

  // An APPEND below the last UID cannot be placed.
  std::vector<Change> bad{Change{11, Change::kAppend, {MessageMeta{2, Flags{}, 11}}, {}}};
  EXPECT_FALSE(ApplyChanges(*c, bad));
}

constexpr char kMessage[] =
    "From: Alice <alice@example.com>\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "body\r\n";

class SelectCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
    std::string tmpl = base + "/colcacheXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    StoreOptions options;
    options.scrypt.n = 1024;
    options.sync_writes = false;
    options.min_free_bytes = 1 << 20;
    options.select_cache_min_messages = 1;
    options.changelog_keep = 20;
    options.changelog_keep_age = absl::ZeroDuration();
    auto s = Store::Open(dir_, options);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    auto id = store_->CreateAccount("alice", "secret");
    ASSERT_TRUE(id.ok()) << id.status();
    account_ = *id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // SelectColumns must say what Select (every record decoded) says.
  void ExpectColumnsMatchRecords(const std::string& mailbox) {
    auto sel = store_->Select(account_, mailbox);
    auto cols = store_->SelectColumns(account_, mailbox);
    ASSERT_TRUE(sel.ok()) << sel.status();
    ASSERT_TRUE(cols.ok()) << cols.status();
    EXPECT_EQ(cols->info.highest_modseq, sel->info.highest_modseq);
    EXPECT_EQ(cols->info.messages, sel->messages.size());
    EXPECT_EQ(cols->keywords, sel->keywords);
    const MailboxColumns& c = *cols->columns;
    ASSERT_EQ(c.uids.size(), sel->messages.size());
    ASSERT_EQ(c.system.size(), c.uids.size());
    ASSERT_EQ(c.modseqs.size(), c.uids.size());
    ASSERT_TRUE(c.keyword_set.empty() || c.keyword_set.size() == c.uids.size());
    for (size_t i = 0; i < c.uids.size(); ++i) {
      const MessageMeta& m = sel->messages[i];
      SCOPED_TRACE(absl::StrCat("uid ", m.uid));
      ASSERT_EQ(c.uids[i], m.uid);
      EXPECT_EQ(c.system[i], m.flags.system);
      EXPECT_EQ(c.modseqs[i], m.modseq);
      const uint32_t set = c.keyword_set.empty() ? 0 : c.keyword_set[i];
      ASSERT_LT(set, c.keyword_sets.size());
      EXPECT_EQ(c.keyword_sets[set], m.flags.keywords);
    }
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  uint64_t account_ = 0;
};

TEST_F(SelectCacheTest, ReadColumnsHoldEachKeywordSetOnce) {
  auto empty = store_->SelectColumns(account_, "INBOX");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->columns->uids.empty());
  EXPECT_EQ(empty->columns->keyword_sets.size(), 1u);  // just the empty set
  EXPECT_TRUE(empty->columns->keyword_set.empty());
  EXPECT_TRUE(absl::IsNotFound(store_->SelectColumns(account_, "Nope").status()));

  // Two messages without keywords first, so the keyword column is filled in behind them.
  for (const Flags& f : {Flags{kSeen, {}}, Flags{}, Flags{kFlagged, {"Work", "$Junk"}},
                         Flags{0, {"Other"}}, Flags{kDraft, {"$junk", "WORK"}}}) {
    ASSERT_TRUE(store_->Append(account_, "INBOX", f, 0, 0, kMessage).ok());
  }
  ExpectColumnsMatchRecords("INBOX");
  auto cols = store_->SelectColumns(account_, "INBOX");
  ASSERT_TRUE(cols.ok());
  const MailboxColumns& c = *cols->columns;
  EXPECT_EQ(c.keyword_sets.size(), 3u);  // {}, {$Junk, Work}, {Other}
  ASSERT_EQ(c.keyword_set.size(), 5u);
  EXPECT_EQ(c.keyword_set[0], 0u);
  EXPECT_EQ(c.keyword_set[1], 0u);
  EXPECT_EQ(c.keyword_set[2], c.keyword_set[4]);
  EXPECT_NE(c.keyword_set[2], c.keyword_set[3]);
}

TEST_F(SelectCacheTest, CachedColumnsFollowEveryKindOfChange) {
  ASSERT_TRUE(store_->CreateMailbox(account_, "Other").ok());
  std::mt19937 rng(8);  // fixed seed: a failure replays
  const std::vector<std::string> words = {"$Work", "$Junk", "Later"};
  uint64_t inbox = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = store_->Append(account_, "INBOX", {}, 0, 0, kMessage);
    ASSERT_TRUE(r.ok()) << r.status();
    inbox = r->mailbox_id;
  }
  ExpectColumnsMatchRecords("INBOX");  // a scan, now cached
  const uint64_t misses = store_->select_cache_misses();
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    auto now = store_->Select(account_, "INBOX");
    ASSERT_TRUE(now.ok());
    std::vector<uint32_t> some;
    for (const auto& m : now->messages) {
      if (rng() % 3 == 0) some.push_back(m.uid);
    }
    switch (rng() % 5) {
      case 0: {
        Flags f{static_cast<uint32_t>(rng() % 2 ? kSeen : 0), {}};
        if (rng() % 2) f.keywords.push_back(words[rng() % words.size()]);
        ASSERT_TRUE(store_->Append(account_, "INBOX", f, 0, 0, kMessage).ok());
        break;
      }
      case 1: {
        Flags f{kFlagged, {words[rng() % words.size()]}};
        const StoreOp op = rng() % 2 ? StoreOp::kAdd : StoreOp::kRemove;
        ASSERT_TRUE(store_->StoreFlags(account_, inbox, some, op, f, 0).ok());
        break;
      }
      case 2:
        ASSERT_TRUE(store_->Expunge(account_, inbox, some, true, true).ok());
        break;
      case 3:
        ASSERT_TRUE(store_->Copy(account_, inbox, some, "Other", rng() % 2 == 0).ok());
        break;
      case 4: {
        auto other = store_->GetMailbox(account_, "Other");
        ASSERT_TRUE(other.ok());
        auto there = store_->Select(account_, "Other");
        std::vector<uint32_t> back;
        for (const auto& m : there->messages) back.push_back(m.uid);
        if (!back.empty()) ASSERT_TRUE(store_->Copy(account_, other->id, back, "INBOX", true).ok());
        break;
      }
    }
    if (round % 3 == 0) ExpectColumnsMatchRecords("INBOX");
    if (round % 7 == 0) ExpectColumnsMatchRecords("Other");
    if (HasFatalFailure()) return;
  }
  // Most answers came from the cache; the scans were the first read of each mailbox and the
  // reads after the log had been trimmed below the cached modseq.
  EXPECT_GT(store_->select_cache_hits(), 10u);
  EXPECT_LE(store_->select_cache_misses() - misses, 8u);
}

TEST_F(SelectCacheTest, TrimmedLogMeansAFreshRead) {
  uint64_t inbox = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = store_->Append(account_, "INBOX", {}, 0, 0, kMessage);
    ASSERT_TRUE(r.ok());
    inbox = r->mailbox_id;
  }
  ExpectColumnsMatchRecords("INBOX");
  const uint64_t misses = store_->select_cache_misses();
  // 30 changes, more than changelog_keep (20): the sweep trims the log below the cached modseq.
  for (int i = 0; i < 30; ++i) {
    uint32_t one[] = {static_cast<uint32_t>(i % 5 + 1)};
    ASSERT_TRUE(
        store_->StoreFlags(account_, inbox, one, i % 2 ? StoreOp::kRemove : StoreOp::kAdd,
                           Flags{kSeen, {}}, 0)
            .ok());
  }
  ASSERT_TRUE(store_->Sweep().ok());
  ExpectColumnsMatchRecords("INBOX");
  EXPECT_EQ(store_->select_cache_misses(), misses + 1);
  const uint64_t hits = store_->select_cache_hits();
  ExpectColumnsMatchRecords("INBOX");  // unchanged since: straight from the cache
  EXPECT_EQ(store_->select_cache_hits(), hits + 1);
}

}  // namespace
}  // namespace hadron::store
