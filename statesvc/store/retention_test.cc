// Tests of the store's retention: expunged messages kept then swept, change-log trimming, floors.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "statesvc/store/store.h"

namespace hadron::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kMessage1[] =
    "From: Alice <alice@example.com>\r\n"
    "Subject: one\r\n"
    "\r\n"
    "First body.\r\n";

constexpr char kMessage2[] =
    "From: Carol <carol@example.com>\r\n"
    "Subject: two\r\n"
    "\r\n"
    "Second body.\r\n";

std::string TempDir() {
  std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string tmpl = base + "/retentionXXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
    options_.scrypt.n = 1024;
    options_.sync_writes = false;
    options_.expunged_retention = absl::Seconds(60);
    options_.changelog_keep = 5;
    options_.changelog_keep_age = absl::Minutes(10);
    options_.clock = [this] { return absl::FromUnixMicros(now_us_.load()); };
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open(dir_, options_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void Advance(absl::Duration d) { now_us_ += absl::ToInt64Microseconds(d); }
  uint64_t NewAccount(const std::string& name = "alice") {
    auto id = store_->CreateAccount(name, "secret");
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }
  AppendResult Add(uint64_t account, const std::string& mailbox, std::string_view raw,
                   Flags flags = {}) {
    auto r = store_->Append(account, mailbox, flags, 1700000000, 0, raw);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(AppendResult{});
  }
  SweepStats Sweep() {
    auto s = store_->Sweep();
    EXPECT_TRUE(s.ok()) << s.status();
    return s.value_or(SweepStats{});
  }
  FetchedMessage FetchOne(uint64_t account, uint64_t mailbox, uint32_t uid) {
    uint32_t uids[] = {uid};
    auto f = store_->Fetch(account, mailbox, uids, true, true);
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok() || f->size() != 1) return FetchedMessage{uid, true};
    return (*f)[0];
  }
  uint64_t Refs(std::string_view raw) { return store_->BlobRefCount(raw).value_or(999); }
  uint64_t Blobs() { return store_->CountBlobs().value_or(999); }
  uint64_t Expunged() { return store_->CountExpunged().value_or(999); }

  std::atomic<int64_t> now_us_{1'700'000'000'000'000};
  StoreOptions options_;
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(RetentionTest, ExpungedMessageStaysFetchableUntilRetentionPasses) {
  uint64_t id = NewAccount();
  auto r1 = Add(id, "INBOX", kMessage1, {kSeen | kFlagged, {"Work"}});
  Add(id, "INBOX", kMessage2);
  const uint64_t mb = r1.mailbox_id;
  uint32_t one[] = {1};
  auto e = store_->Expunge(id, mb, one, true, true);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_THAT(e->expunged, ElementsAre(1));
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->messages, 1u);

  FetchedMessage f = FetchOne(id, mb, 1);
  EXPECT_FALSE(f.missing);
  EXPECT_TRUE(f.expunged);
  EXPECT_EQ(f.content, kMessage1);
  EXPECT_EQ(f.flags, (Flags{kSeen | kFlagged, {"Work"}}));  // its last flags
  EXPECT_NE(f.envelope.find("one"), std::string::npos);
  EXPECT_EQ(f.size, sizeof(kMessage1) - 1);
  EXPECT_FALSE(FetchOne(id, mb, 2).expunged);
  EXPECT_TRUE(FetchOne(id, mb, 3).missing);  // never existed
  // Not visible anywhere else: SELECT, SEARCH and STORE see only live messages.
  auto sel = store_->Select(id, "INBOX");
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->messages.size(), 1u);
  EXPECT_EQ(sel->messages[0].uid, 2u);
  auto st = store_->StoreFlags(id, mb, one, StoreOp::kAdd, Flags{kAnswered, {}}, 0);
  ASSERT_TRUE(st.ok());
  EXPECT_THAT(st->updated, IsEmpty());
  EXPECT_EQ(Refs(kMessage1), 1u);
  EXPECT_EQ(Blobs(), 2u);

  // Just inside the retention: kept.
  Advance(absl::Seconds(59));
  EXPECT_EQ(Sweep().expunged_removed, 0u);
  EXPECT_TRUE(FetchOne(id, mb, 1).expunged);
  // Past it: gone with its blob; the other message is untouched.
  Advance(absl::Seconds(2));
  EXPECT_EQ(Sweep().expunged_removed, 1u);
  EXPECT_TRUE(FetchOne(id, mb, 1).missing);
  EXPECT_EQ(Refs(kMessage1), 0u);
  EXPECT_EQ(Blobs(), 1u);
  EXPECT_EQ(Expunged(), 0u);
  EXPECT_EQ(FetchOne(id, mb, 2).content, kMessage2);
  EXPECT_EQ(Sweep().expunged_removed, 0u);  // idempotent
}

TEST_F(RetentionTest, SharedBlobKeepsOtherReferencesAfterSweep) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  uint32_t one[] = {1};
  auto c = store_->Copy(id, r.mailbox_id, one, "Archive", false);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Refs(kMessage1), 2u);
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, one, true, true).ok());
  EXPECT_EQ(Refs(kMessage1), 2u);  // the live copy and the expunged record
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 1u);
  EXPECT_EQ(Refs(kMessage1), 1u);
  EXPECT_EQ(Blobs(), 1u);
  EXPECT_EQ(FetchOne(id, c->destination_id, c->destination_uids[0]).content, kMessage1);
}

TEST_F(RetentionTest, MoveKeepsTheSourceFetchable) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1, {kSeen, {}});
  uint32_t one[] = {1};
  auto m = store_->Copy(id, r.mailbox_id, one, "Archive", true);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->expunged, ElementsAre(1));
  FetchedMessage f = FetchOne(id, r.mailbox_id, 1);
  EXPECT_TRUE(f.expunged);
  EXPECT_EQ(f.content, kMessage1);
  EXPECT_EQ(Refs(kMessage1), 2u);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 1u);
  EXPECT_EQ(Refs(kMessage1), 1u);
  EXPECT_TRUE(FetchOne(id, r.mailbox_id, 1).missing);
  EXPECT_EQ(FetchOne(id, m->destination_id, m->destination_uids[0]).content, kMessage1);
}

TEST_F(RetentionTest, RenamingInboxKeepsItsOldMessagesFetchableThere) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  ASSERT_TRUE(store_->RenameMailbox(id, "INBOX", "Old").ok());
  EXPECT_TRUE(FetchOne(id, r.mailbox_id, 1).expunged);
  EXPECT_EQ(Refs(kMessage1), 2u);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 1u);
  EXPECT_EQ(Refs(kMessage1), 1u);
  auto old = store_->GetMailbox(id, "Old");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(FetchOne(id, old->id, 1).content, kMessage1);
}

TEST_F(RetentionTest, DeletingTheMailboxDropsExpungedMessagesAtOnce) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "Box").ok());
  auto r = Add(id, "Box", kMessage1);
  uint32_t one[] = {1};
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, one, true, true).ok());
  EXPECT_EQ(Expunged(), 1u);
  ASSERT_TRUE(store_->DeleteMailbox(id, "Box").ok());
  EXPECT_EQ(Expunged(), 0u);
  EXPECT_EQ(Blobs(), 0u);
  EXPECT_EQ(Refs(kMessage1), 0u);
  // The time index entry left behind is dropped without touching any reference.
  Add(id, "INBOX", kMessage1);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 0u);
  EXPECT_EQ(Refs(kMessage1), 1u);
}

TEST_F(RetentionTest, DeletingTheAccountDropsExpungedMessagesAtOnce) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  Add(id, "INBOX", kMessage2);
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, {}, false, true).ok());
  EXPECT_EQ(Expunged(), 2u);
  ASSERT_TRUE(store_->DeleteAccount("alice").ok());
  EXPECT_EQ(Expunged(), 0u);
  EXPECT_EQ(Blobs(), 0u);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 0u);
}

TEST_F(RetentionTest, ExpungedRecordsSurviveARestart) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  uint32_t one[] = {1};
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, one, true, true).ok());
  Reopen();
  EXPECT_EQ(FetchOne(id, r.mailbox_id, 1).content, kMessage1);
  Advance(absl::Minutes(2));
  EXPECT_EQ(Sweep().expunged_removed, 1u);
  EXPECT_EQ(Blobs(), 0u);
}

TEST_F(RetentionTest, ChangeLogIsTrimmedToTheLastNAndTheFloorRises) {
  uint64_t id = NewAccount();
  uint64_t mb = 0;
  for (int i = 0; i < 10; ++i) mb = Add(id, "INBOX", i % 2 ? kMessage1 : kMessage2).mailbox_id;
  // Modseqs 2..11. Everything is young: nothing goes yet.
  EXPECT_EQ(Sweep().changes_trimmed, 0u);
  auto all = store_->GetChanges(id, mb, 1);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->resync);
  EXPECT_EQ(all->changes.size(), 10u);

  Advance(absl::Minutes(11));
  SweepStats s = Sweep();
  EXPECT_EQ(s.changes_trimmed, 5u);  // modseqs 2..6; the last 5 (7..11) stay
  EXPECT_EQ(s.mailboxes_trimmed, 1u);
  // The floor is 6: since == floor still replays everything after it.
  auto at_floor = store_->GetChanges(id, mb, 6);
  ASSERT_TRUE(at_floor.ok());
  EXPECT_FALSE(at_floor->resync);
  ASSERT_EQ(at_floor->changes.size(), 5u);
  EXPECT_EQ(at_floor->changes.front().modseq, 7u);
  EXPECT_EQ(at_floor->changes.back().modseq, 11u);
  // Below the floor: resync, never a silent gap.
  for (uint64_t since : {0, 1, 5}) {
    auto below = store_->GetChanges(id, mb, since);
    ASSERT_TRUE(below.ok());
    EXPECT_TRUE(below->resync) << since;
    EXPECT_THAT(below->changes, IsEmpty());
  }
  auto head = store_->GetChanges(id, mb, 11);
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->resync);
  EXPECT_THAT(head->changes, IsEmpty());
  EXPECT_EQ(Sweep().changes_trimmed, 0u);

  // New changes keep the window sliding.
  uint32_t one[] = {1};
  ASSERT_TRUE(store_->StoreFlags(id, mb, one, StoreOp::kAdd, Flags{kSeen, {}}, 0).ok());  // 12
  // 7 is now beyond the last 5 and old: it goes, though 12 itself is young.
  EXPECT_EQ(Sweep().changes_trimmed, 1u);
  EXPECT_TRUE(store_->GetChanges(id, mb, 6)->resync);
  auto seven = store_->GetChanges(id, mb, 7);
  ASSERT_TRUE(seven.ok());
  EXPECT_FALSE(seven->resync);
  EXPECT_EQ(seven->changes.size(), 5u);
  EXPECT_EQ(seven->changes.back().kind, Change::kFlags);
  // The floor survives a restart.
  Reopen();
  EXPECT_TRUE(store_->GetChanges(id, mb, 6)->resync);
  EXPECT_FALSE(store_->GetChanges(id, mb, 7)->resync);
}

TEST_F(RetentionTest, YoungChangesAreKeptBeyondTheCount) {
  uint64_t id = NewAccount();
  uint64_t mb = 0;
  for (int i = 0; i < 3; ++i) mb = Add(id, "INBOX", kMessage1).mailbox_id;  // 2..4, old
  Advance(absl::Minutes(11));
  for (int i = 0; i < 7; ++i) Add(id, "INBOX", kMessage2);  // 5..11, young
  SweepStats s = Sweep();
  EXPECT_EQ(s.changes_trimmed, 3u);
  EXPECT_TRUE(store_->GetChanges(id, mb, 3)->resync);
  auto at_floor = store_->GetChanges(id, mb, 4);
  ASSERT_TRUE(at_floor.ok());
  EXPECT_FALSE(at_floor->resync);
  EXPECT_EQ(at_floor->changes.size(), 7u);  // more than 5: the young ones stay
}

TEST_F(RetentionTest, OtherMailboxesAreUntouched) {
  uint64_t id = NewAccount();
  uint64_t inbox = 0, archive = 0;
  for (int i = 0; i < 8; ++i) inbox = Add(id, "INBOX", kMessage1).mailbox_id;
  for (int i = 0; i < 4; ++i) archive = Add(id, "Archive", kMessage2).mailbox_id;
  Advance(absl::Minutes(11));
  SweepStats s = Sweep();
  EXPECT_EQ(s.mailboxes_trimmed, 1u);
  EXPECT_EQ(s.changes_trimmed, 3u);
  EXPECT_TRUE(store_->GetChanges(id, inbox, 1)->resync);
  auto a = store_->GetChanges(id, archive, 1);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->resync);
  EXPECT_EQ(a->changes.size(), 4u);
}

TEST_F(RetentionTest, KeepZeroDisablesTrimming) {
  options_.changelog_keep = 0;
  Reopen();
  uint64_t id = NewAccount();
  uint64_t mb = 0;
  for (int i = 0; i < 10; ++i) mb = Add(id, "INBOX", kMessage1).mailbox_id;
  Advance(absl::Hours(24));
  EXPECT_EQ(Sweep().changes_trimmed, 0u);
  EXPECT_EQ(store_->GetChanges(id, mb, 1)->changes.size(), 10u);
}

TEST_F(RetentionTest, ConcurrentSweepsNeverDropAReferenceTwice) {
  options_.expunged_retention = absl::ZeroDuration();
  Reopen();
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "Box").ok());
  // Every mailbox gets the same content: one blob whose count must match what holds it.
  std::atomic<bool> done{false};
  std::thread sweeper([&] {
    while (!done.load()) {
      Advance(absl::Milliseconds(1));
      auto s = store_->Sweep();
      EXPECT_TRUE(s.ok()) << s.status();
    }
  });
  for (int round = 0; round < 20; ++round) {
    const std::string box = round % 2 ? "Box" : "INBOX";
    auto r = Add(id, box, kMessage1);
    Add(id, box, kMessage1);
    ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, {}, false, true).ok());
    if (round % 5 == 4) {
      ASSERT_TRUE(store_->DeleteMailbox(id, "Box").ok());
      ASSERT_TRUE(store_->CreateMailbox(id, "Box").ok());
    }
  }
  Add(id, "INBOX", kMessage1);
  done = true;
  sweeper.join();
  // One live message plus whatever expunged records the last sweeps left.
  EXPECT_EQ(Refs(kMessage1), 1 + Expunged());
  Advance(absl::Seconds(1));
  Sweep();
  EXPECT_EQ(Expunged(), 0u);
  EXPECT_EQ(Refs(kMessage1), 1u);
  EXPECT_EQ(Blobs(), 1u);
}

TEST_F(RetentionTest, BackgroundSweeperRunsAndStopsPromptly) {
  std::atomic<int> sweeps{0};
  options_.sweep_interval = absl::Milliseconds(20);
  options_.on_sweep = [&](const absl::StatusOr<SweepStats>& s) {
    EXPECT_TRUE(s.ok()) << s.status();
    ++sweeps;
  };
  Reopen();
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  uint32_t one[] = {1};
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, one, true, true).ok());
  Advance(absl::Minutes(2));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Expunged() != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(Expunged(), 0u);
  EXPECT_EQ(Blobs(), 0u);
  EXPECT_GT(sweeps.load(), 0);
  // Shutdown does not wait out the interval.
  options_.sweep_interval = absl::Hours(1);
  Reopen();
  const absl::Time start = absl::Now();
  store_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace hadron::store
