// Tests of the state store against a real RocksDB in a temporary directory.
#include "statesvc/store/store.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hadron::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kMessage1[] =
    "From: Alice <alice@example.com>\r\n"
    "To: Bob <bob@example.com>\r\n"
    "Subject: Lunch plans\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Shall we meet at the usual place?\r\n";

constexpr char kMessage2[] =
    "From: Carol <carol@example.com>\r\n"
    "To: Bob <bob@example.com>\r\n"
    "Subject: Quarterly report\r\n"
    "Date: Tue, 1 Mar 2022 10:00:00 +0000\r\n"
    "\r\n"
    "The numbers are attached. Revenue went up.\r\n";

std::string TempDir() {
  std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string tmpl = base + "/storeXXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(uint64_t min_free_bytes = 1 << 20) {
    store_.reset();
    StoreOptions options;
    options.scrypt.n = 1024;  // fast for tests
    options.min_free_bytes = min_free_bytes;
    auto s = Store::Open(dir_, options);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  uint64_t NewAccount(const std::string& name = "alice") {
    auto id = store_->CreateAccount(name, "secret");
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }
  uint64_t MailboxId(uint64_t account, const std::string& name) {
    auto mb = store_->GetMailbox(account, name);
    EXPECT_TRUE(mb.ok()) << mb.status();
    return mb.ok() ? mb->id : 0;
  }
  AppendResult Add(uint64_t account, const std::string& mailbox, std::string_view raw,
                   Flags flags = {}, int64_t date = 1700000000, int32_t tz = 0) {
    auto r = store_->Append(account, mailbox, flags, date, tz, raw);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(AppendResult{});
  }
  std::vector<std::string> Names(uint64_t account) {
    std::vector<std::string> out;
    auto list = store_->ListMailboxes(account);
    EXPECT_TRUE(list.ok()) << list.status();
    if (list.ok()) {
      for (const auto& m : *list) out.push_back(m.name);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, AccountCreateAuthenticateAndDefaults) {
  uint64_t id = NewAccount("Alice");
  EXPECT_GT(id, 0u);
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateAccount("ALICE", "x").status()));
  auto auth = store_->Authenticate("aLiCe", "secret");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->id, id);
  EXPECT_EQ(auth->name, "alice");
  EXPECT_TRUE(absl::IsUnauthenticated(store_->Authenticate("alice", "wrong").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(store_->Authenticate("nobody", "secret").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateAccount("bad name", "x").status()));

  EXPECT_THAT(Names(id), ElementsAre("INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"));
  auto list = store_->ListMailboxes(id);
  ASSERT_TRUE(list.ok());
  for (const auto& m : *list) {
    EXPECT_TRUE(m.subscribed) << m.name;
    if (m.name == "Sent") {
      EXPECT_EQ(m.special_use, "\\Sent");
    }
    if (m.name == "INBOX") {
      EXPECT_EQ(m.special_use, "");
    }
  }

  ASSERT_TRUE(store_->SetPassword("alice", "new").ok());
  EXPECT_FALSE(store_->Authenticate("alice", "secret").ok());
  EXPECT_TRUE(store_->Authenticate("alice", "new").ok());
}

TEST_F(StoreTest, WritesStopAtTheFreeSpaceReserveAndReadsGoOn) {
  uint64_t id = NewAccount();
  Add(id, "INBOX", "Subject: before\r\n\r\nx\r\n");
  Reopen(/*min_free_bytes=*/uint64_t{1} << 62);  // more than any disk has
  auto r = store_->Append(id, "INBOX", {}, 0, 0, "Subject: after\r\n\r\ny\r\n");
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_TRUE(absl::IsUnavailable(store_->CreateMailbox(id, "New", "").status()));
  auto auth = store_->Authenticate("alice", "secret");  // reads go on
  EXPECT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(Names(id).size(), 6u);
  Reopen(0);  // no reserve: writes work again
  EXPECT_TRUE(store_->Append(id, "INBOX", {}, 0, 0, "Subject: x\r\n\r\nz\r\n").ok());
}

TEST_F(StoreTest, UidValidityDistinctAcrossMailboxes) {
  uint64_t a = NewAccount("a");
  uint64_t b = NewAccount("b");
  std::set<uint32_t> seen;
  for (uint64_t acct : {a, b}) {
    auto list = store_->ListMailboxes(acct);
    ASSERT_TRUE(list.ok());
    for (const auto& m : *list) EXPECT_TRUE(seen.insert(m.uid_validity).second);
  }
  ASSERT_TRUE(store_->DeleteMailbox(a, "Junk").ok());
  auto junk = store_->CreateMailbox(a, "Junk");
  ASSERT_TRUE(junk.ok());
  EXPECT_TRUE(seen.insert(junk->uid_validity).second);
}

TEST_F(StoreTest, CreateMailboxMakesParentsAndCanonicalizesInbox) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "a/b/c").ok());
  EXPECT_TRUE(store_->GetMailbox(id, "a").ok());
  EXPECT_TRUE(store_->GetMailbox(id, "a/b").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateMailbox(id, "a/b").status()));
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateMailbox(id, "inbox").status()));
  auto child = store_->CreateMailbox(id, "inBox/child");
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->name, "INBOX/child");
  EXPECT_TRUE(store_->GetMailbox(id, "Inbox").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateMailbox(id, "x//y").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateMailbox(id, "/x").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateMailbox(id, "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateMailbox(id, "q", "\\Bogus").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->CreateMailbox(9999, "q").status()));
}

TEST_F(StoreTest, DeleteMailboxRules) {
  uint64_t id = NewAccount();
  EXPECT_TRUE(absl::IsInvalidArgument(store_->DeleteMailbox(id, "inbox")));
  ASSERT_TRUE(store_->CreateMailbox(id, "a/b").ok());
  Add(id, "a/b", kMessage1);
  // RFC 3501 6.3.4: a parent may be deleted; its children stay.
  ASSERT_TRUE(store_->DeleteMailbox(id, "a").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteMailbox(id, "a")));
  EXPECT_TRUE(store_->GetMailbox(id, "a/b").ok());
  EXPECT_EQ(store_->GetMailbox(id, "a/b")->messages, 1u);
  ASSERT_TRUE(store_->DeleteMailbox(id, "a/b").ok());
  // The deleted mailbox's only message took its blob with it.
  EXPECT_EQ(store_->CountBlobs().value_or(99), 0u);
}

TEST_F(StoreTest, RenameMovesChildren) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "a/b/c").ok());
  uint64_t b_id = MailboxId(id, "a/b");
  Add(id, "a/b", kMessage1);
  ASSERT_TRUE(store_->RenameMailbox(id, "a", "x/y").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetMailbox(id, "a").status()));
  EXPECT_TRUE(store_->GetMailbox(id, "x").ok());
  EXPECT_TRUE(store_->GetMailbox(id, "x/y").ok());
  EXPECT_TRUE(store_->GetMailbox(id, "x/y/b/c").ok());
  auto moved = store_->GetMailbox(id, "x/y/b");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->id, b_id);
  EXPECT_EQ(moved->messages, 1u);
  EXPECT_TRUE(absl::IsAlreadyExists(store_->RenameMailbox(id, "Sent", "Trash")));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->RenameMailbox(id, "x", "x/z")));
  EXPECT_TRUE(absl::IsNotFound(store_->RenameMailbox(id, "nope", "z")));
}

TEST_F(StoreTest, RenameInboxMovesMessagesAndLeavesInboxEmpty) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "INBOX/keep").ok());
  Add(id, "INBOX", kMessage1, {kSeen, {}});
  Add(id, "INBOX", kMessage2);
  uint64_t inbox = MailboxId(id, "INBOX");
  ASSERT_TRUE(store_->RenameMailbox(id, "inbox", "Old").ok());
  auto old = store_->Select(id, "Old");
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->messages.size(), 2u);
  EXPECT_EQ(old->messages[0].flags.system, kSeen);
  EXPECT_EQ(old->info.unseen, 1u);
  auto in = store_->Select(id, "INBOX");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->info.id, inbox);
  EXPECT_THAT(in->messages, IsEmpty());
  EXPECT_EQ(in->info.messages, 0u);
  EXPECT_EQ(in->info.uid_next, 3u);  // UIDs are not reused in INBOX
  EXPECT_TRUE(store_->GetMailbox(id, "INBOX/keep").ok());
  auto changes = store_->GetChanges(id, inbox, 3);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changes.size(), 1u);
  EXPECT_THAT(changes->changes[0].expunged, ElementsAre(1, 2));
}

TEST_F(StoreTest, AppendFetchAndSharedBlobs) {
  uint64_t id = NewAccount();
  Flags flags{kSeen | kFlagged, {"$Label1", "Work"}};
  auto r1 = Add(id, "INBOX", kMessage1, flags, 1700000000, 60);
  EXPECT_EQ(r1.uid, 1u);
  EXPECT_EQ(r1.modseq, 2u);
  auto r2 = Add(id, "INBOX", kMessage1, {}, 0);  // same content: one blob
  EXPECT_EQ(r2.uid, 2u);
  EXPECT_EQ(r2.modseq, 3u);
  EXPECT_EQ(store_->CountBlobs().value_or(0), 1u);

  uint32_t uids[] = {1, 7, 2};
  auto f = store_->Fetch(id, r1.mailbox_id, uids, true, true);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 3u);
  const auto& m1 = (*f)[0];
  EXPECT_FALSE(m1.missing);
  EXPECT_EQ(m1.flags.system, kSeen | kFlagged);
  EXPECT_THAT(m1.flags.keywords, ElementsAre("$Label1", "Work"));
  EXPECT_EQ(m1.internal_date, 1700000000);
  EXPECT_EQ(m1.internal_date_tz, 60);
  EXPECT_EQ(m1.content, kMessage1);
  EXPECT_EQ(m1.size, sizeof(kMessage1) - 1);
  EXPECT_NE(m1.envelope.find("Lunch plans"), std::string::npos) << m1.envelope;
  EXPECT_FALSE(m1.bodystructure.empty());
  EXPECT_FALSE(m1.structure.empty());
  EXPECT_TRUE((*f)[1].missing);
  EXPECT_GT((*f)[2].internal_date, 1700000000);  // 0 meant now

  auto lean = store_->Fetch(id, r1.mailbox_id, uids, false, false);
  ASSERT_TRUE(lean.ok());
  EXPECT_TRUE((*lean)[0].content.empty());
  EXPECT_TRUE((*lean)[0].envelope.empty());

  auto info = store_->GetMailbox(id, "INBOX");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->messages, 2u);
  EXPECT_EQ(info->unseen, 1u);
  EXPECT_EQ(info->uid_next, 3u);
  EXPECT_EQ(info->highest_modseq, 3u);
  EXPECT_EQ(info->size, 2 * (sizeof(kMessage1) - 1));

  // Bare LF is stored as CRLF.
  auto r3 = Add(id, "INBOX", "Subject: lf\n\nbody\n");
  uint32_t u3[] = {r3.uid};
  auto f3 = store_->Fetch(id, r1.mailbox_id, u3, false, true);
  ASSERT_TRUE(f3.ok());
  EXPECT_EQ((*f3)[0].content, "Subject: lf\r\n\r\nbody\r\n");

  EXPECT_TRUE(absl::IsNotFound(store_->Append(id, "Nope", {}, 0, 0, kMessage1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Append(id, "INBOX", {0, {"bad kw"}}, 0, 0, kMessage1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Append(id, "INBOX", {}, 0, 100000, kMessage1).status()));
}

TEST_F(StoreTest, KeywordsKeepFirstSpelling) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1, {0, {"Work"}});
  Add(id, "INBOX", kMessage2, {0, {"WORK", "work", "Other"}});
  auto sel = store_->Select(id, "INBOX");
  ASSERT_TRUE(sel.ok());
  EXPECT_THAT(sel->keywords, ElementsAre("Work", "Other"));
  EXPECT_THAT(sel->messages[1].flags.keywords, ElementsAre("Other", "Work"));
  (void)r;
}

TEST_F(StoreTest, StoreFlagsModseqAndUnchangedSince) {
  uint64_t id = NewAccount();
  auto r1 = Add(id, "INBOX", kMessage1);
  Add(id, "INBOX", kMessage2, {kSeen, {}});
  const uint64_t mb = r1.mailbox_id;
  uint32_t both[] = {1, 2, 99};
  auto s = store_->StoreFlags(id, mb, both, StoreOp::kAdd, {kSeen, {}}, 0);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->modseq, 4u);
  ASSERT_EQ(s->updated.size(), 1u);
  EXPECT_EQ(s->updated[0].uid, 1u);
  EXPECT_EQ(s->updated[0].modseq, 4u);
  ASSERT_EQ(s->unchanged.size(), 1u);
  EXPECT_EQ(s->unchanged[0].uid, 2u);
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->unseen, 0u);

  // Nothing changes: no new modseq.
  auto same = store_->StoreFlags(id, mb, both, StoreOp::kAdd, {kSeen, {}}, 0);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->updated.empty());
  EXPECT_EQ(same->modseq, 4u);

  // UNCHANGEDSINCE 3: uid 1 (modseq 4) fails, uid 2 (modseq 3) is changed.
  auto cond = store_->StoreFlags(id, mb, both, StoreOp::kReplace, {kFlagged, {"Kw"}}, 3);
  ASSERT_TRUE(cond.ok());
  EXPECT_THAT(cond->modified, ElementsAre(1));
  ASSERT_EQ(cond->updated.size(), 1u);
  EXPECT_EQ(cond->updated[0].uid, 2u);
  EXPECT_EQ(cond->updated[0].flags, (Flags{kFlagged, {"Kw"}}));
  EXPECT_EQ(cond->modseq, 5u);

  uint32_t two[] = {2};
  auto rm = store_->StoreFlags(id, mb, two, StoreOp::kRemove, {kFlagged, {"kw"}}, 0);
  ASSERT_TRUE(rm.ok());
  ASSERT_EQ(rm->updated.size(), 1u);
  EXPECT_EQ(rm->updated[0].flags, Flags{});
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->unseen, 1u);

  auto changes = store_->GetChanges(id, mb, 3);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changes.size(), 3u);
  EXPECT_EQ(changes->changes[0].kind, Change::kFlags);
  EXPECT_EQ(changes->changes[0].modseq, 4u);
  EXPECT_EQ(changes->changes[2].modseq, 6u);
  EXPECT_EQ(changes->highest_modseq, 6u);
}

TEST_F(StoreTest, ExpungeOnlyDeletedUnlessForced) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1, {kDeleted, {}});
  Add(id, "INBOX", kMessage2);
  Add(id, "INBOX", kMessage2, {kDeleted, {}});
  const uint64_t mb = r.mailbox_id;
  uint32_t only3[] = {3};
  auto e = store_->Expunge(id, mb, only3, true, false);
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->expunged, ElementsAre(3));
  auto none = store_->Expunge(id, mb, {}, false, false);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->expunged, ElementsAre(1));
  auto again = store_->Expunge(id, mb, {}, false, false);
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->expunged, IsEmpty());
  EXPECT_EQ(again->modseq, none->modseq);
  uint32_t two[] = {2};
  auto forced = store_->Expunge(id, mb, two, true, true);
  ASSERT_TRUE(forced.ok());
  EXPECT_THAT(forced->expunged, ElementsAre(2));
  auto info = store_->GetMailbox(id, "INBOX");
  EXPECT_EQ(info->messages, 0u);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->deleted, 0u);
  // Expunged messages keep their blobs until the retention sweep (retention_test.cc).
  EXPECT_EQ(store_->CountExpunged().value_or(99), 3u);
  EXPECT_EQ(store_->CountBlobs().value_or(99), 2u);
}

TEST_F(StoreTest, CopyAndMove) {
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1, {kSeen, {"Tag"}}, 1600000000, -300);
  Add(id, "INBOX", kMessage2);
  const uint64_t inbox = r.mailbox_id;
  Add(id, "Archive", kMessage2);  // destination already has uid 1
  uint32_t uids[] = {2, 1, 42};
  auto c = store_->Copy(id, inbox, uids, "archive", false);
  ASSERT_TRUE(absl::IsNotFound(c.status()));  // names are case-sensitive except INBOX
  c = store_->Copy(id, inbox, uids, "Archive", false);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->source_uids, ElementsAre(1, 2));
  EXPECT_THAT(c->destination_uids, ElementsAre(2, 3));
  EXPECT_THAT(c->expunged, IsEmpty());
  EXPECT_EQ(c->uid_validity, store_->GetMailbox(id, "Archive")->uid_validity);
  EXPECT_EQ(store_->CountBlobs().value_or(0), 2u);
  uint32_t u2[] = {2};
  auto f = store_->Fetch(id, c->destination_id, u2, false, true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].flags, (Flags{kSeen, {"Tag"}}));
  EXPECT_EQ((*f)[0].internal_date, 1600000000);
  EXPECT_EQ((*f)[0].internal_date_tz, -300);
  EXPECT_EQ((*f)[0].content, kMessage1);

  uint32_t one[] = {1};
  auto m = store_->Copy(id, inbox, one, "Trash", true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->destination_uids, ElementsAre(1));
  EXPECT_THAT(m->expunged, ElementsAre(1));
  auto sel = store_->Select(id, "INBOX");
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->messages.size(), 1u);
  EXPECT_EQ(sel->messages[0].uid, 2u);
  EXPECT_EQ(sel->info.highest_modseq, m->source_modseq);
  auto changes = store_->GetChanges(id, inbox, m->source_modseq - 1);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changes.size(), 1u);
  EXPECT_EQ(changes->changes[0].kind, Change::kExpunge);
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Copy(id, inbox, u2, "INBOX", true).status()));
  auto self = store_->Copy(id, inbox, u2, "INBOX", false);
  ASSERT_TRUE(self.ok());
  EXPECT_THAT(self->destination_uids, ElementsAre(3));
}

TEST_F(StoreTest, SearchKeys) {
  uint64_t id = NewAccount();
  // 2023-11-14 22:13:20 UTC; in +02:00 it is already 2023-11-15.
  auto r = Add(id, "INBOX", kMessage1, {kSeen, {"Work"}}, 1700000000, 120);
  Add(id, "INBOX", kMessage2, {kFlagged | kDeleted, {}}, 1700000000, 0);
  const uint64_t mb = r.mailbox_id;
  auto search = [&](const SearchKey& key) {
    auto res = store_->Search(id, mb, key);
    EXPECT_TRUE(res.ok()) << res.status();
    return res.value_or(std::vector<uint32_t>{});
  };
  auto day = [](int y, int m, int d) { return absl::CivilDay(y, m, d) - absl::CivilDay(1970, 1, 1); };
  SearchKey k;
  EXPECT_THAT(search(k), ElementsAre(1, 2));
  k = {SearchKey::kFlagSet, {}, {}, kSeen};
  EXPECT_THAT(search(k), ElementsAre(1));
  k = {SearchKey::kFlagUnset, {}, {}, kSeen};
  EXPECT_THAT(search(k), ElementsAre(2));
  k = {SearchKey::kFlagSet, {}, {}, kFlagged | kDeleted};
  EXPECT_THAT(search(k), ElementsAre(2));
  k = SearchKey{SearchKey::kKeyword};
  k.value = "work";
  EXPECT_THAT(search(k), ElementsAre(1));
  k.kind = SearchKey::kUnkeyword;
  EXPECT_THAT(search(k), ElementsAre(2));
  k = SearchKey{SearchKey::kOn};
  k.date = day(2023, 11, 15);
  EXPECT_THAT(search(k), ElementsAre(1));
  k.kind = SearchKey::kBefore;
  EXPECT_THAT(search(k), ElementsAre(2));
  k.kind = SearchKey::kSince;
  EXPECT_THAT(search(k), ElementsAre(1));
  k = SearchKey{SearchKey::kSentBefore};
  k.date = day(2000, 1, 1);
  EXPECT_THAT(search(k), ElementsAre(1));
  k.kind = SearchKey::kSentOn;
  k.date = day(2022, 3, 1);
  EXPECT_THAT(search(k), ElementsAre(2));
  k.kind = SearchKey::kSentSince;
  EXPECT_THAT(search(k), ElementsAre(2));
  const uint64_t size1 = sizeof(kMessage1) - 1, size2 = sizeof(kMessage2) - 1;
  ASSERT_NE(size1, size2);
  const uint32_t bigger = size1 > size2 ? 1 : 2, smaller = 3 - bigger;
  k = SearchKey{SearchKey::kLarger};
  k.size = std::min(size1, size2);
  EXPECT_THAT(search(k), ElementsAre(bigger));
  k.kind = SearchKey::kSmaller;
  k.size = std::max(size1, size2);
  EXPECT_THAT(search(k), ElementsAre(smaller));
  k.size = std::min(size1, size2);
  EXPECT_THAT(search(k), IsEmpty());
  k = SearchKey{SearchKey::kHeader};
  k.header_name = "subject";
  k.value = "QUARTERLY";
  EXPECT_THAT(search(k), ElementsAre(2));
  k.header_name = "Message-ID";
  k.value = "";
  EXPECT_THAT(search(k), ElementsAre(1));
  k = SearchKey{SearchKey::kBody};
  k.value = "revenue";
  EXPECT_THAT(search(k), ElementsAre(2));
  k.value = "Lunch";  // only in a header
  EXPECT_THAT(search(k), IsEmpty());
  k.kind = SearchKey::kText;
  EXPECT_THAT(search(k), ElementsAre(1));
  k.value = "usual place";
  EXPECT_THAT(search(k), ElementsAre(1));
  k = SearchKey{SearchKey::kUidSet};
  k.uids = {{2, 5}};
  EXPECT_THAT(search(k), ElementsAre(2));
  k = SearchKey{SearchKey::kNone};
  EXPECT_THAT(search(k), IsEmpty());
  k = SearchKey{SearchKey::kModseq};
  k.size = 3;
  EXPECT_THAT(search(k), ElementsAre(2));

  SearchKey seen{SearchKey::kFlagSet, {}, {}, kSeen};
  SearchKey flagged{SearchKey::kFlagSet, {}, {}, kFlagged};
  SearchKey both{SearchKey::kAnd, {seen, flagged}};
  EXPECT_THAT(search(both), IsEmpty());
  SearchKey either{SearchKey::kOr, {seen, flagged}};
  EXPECT_THAT(search(either), ElementsAre(1, 2));
  SearchKey not_seen{SearchKey::kNot, {seen}};
  EXPECT_THAT(search(not_seen), ElementsAre(2));
  SearchKey bad_or{SearchKey::kOr, {seen}};
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Search(id, mb, bad_or).status()));
}

TEST_F(StoreTest, SaveDateWithinAndSearchModseqs) {
  uint64_t id = NewAccount();
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  auto r = Add(id, "INBOX", kMessage1, {}, 1600000000, 0);  // internal date in 2020
  Add(id, "INBOX", kMessage2, {}, 1700000000, 0);
  const int64_t after = absl::ToUnixSeconds(absl::Now());
  const uint64_t mb = r.mailbox_id;
  uint32_t both[] = {1, 2};
  auto f = store_->Fetch(id, mb, both, false, false);
  ASSERT_TRUE(f.ok()) << f.status();
  // RFC 8514: the save date is when the message arrived, not its internal date.
  for (const auto& m : *f) {
    EXPECT_GE(m.save_date, before);
    EXPECT_LE(m.save_date, after);
  }
  auto search = [&](const SearchKey& key, std::vector<uint64_t>* modseqs = nullptr) {
    auto res = store_->Search(id, mb, key, modseqs);
    EXPECT_TRUE(res.ok()) << res.status();
    return res.value_or(std::vector<uint32_t>{});
  };
  const int64_t today =
      absl::ToCivilDay(absl::FromUnixSeconds(after), absl::UTCTimeZone()) - absl::CivilDay(1970, 1, 1);
  SearchKey k{SearchKey::kSavedOn};
  k.date = today;
  EXPECT_THAT(search(k), ElementsAre(1, 2));
  k.kind = SearchKey::kSavedBefore;
  EXPECT_THAT(search(k), IsEmpty());
  k.date = today + 1;
  EXPECT_THAT(search(k), ElementsAre(1, 2));
  k.kind = SearchKey::kSavedSince;
  EXPECT_THAT(search(k), IsEmpty());
  EXPECT_THAT(search(SearchKey{SearchKey::kSaveDateSupported}), ElementsAre(1, 2));
  // WITHIN: absolute UNIX times; OLDER includes its edge, YOUNGER too.
  k = SearchKey{SearchKey::kOlder};
  k.date = 1600000000;
  EXPECT_THAT(search(k), ElementsAre(1));
  k.date = 1599999999;
  EXPECT_THAT(search(k), IsEmpty());
  k.kind = SearchKey::kYounger;
  k.date = 1700000000;
  EXPECT_THAT(search(k), ElementsAre(2));
  k.date = 1600000000;
  EXPECT_THAT(search(k), ElementsAre(1, 2));
  // Matches come with their modseqs.
  std::vector<uint64_t> modseqs;
  EXPECT_THAT(search(SearchKey{}, &modseqs), ElementsAre(1, 2));
  ASSERT_EQ(modseqs.size(), 2u);
  EXPECT_EQ(modseqs[0], (*f)[0].modseq);
  EXPECT_EQ(modseqs[1], (*f)[1].modseq);

  // COPY and MOVE save the message anew (the clock has to move on for this to show).
  absl::SleepFor(absl::Milliseconds(1100));
  uint32_t one[] = {1}, two[] = {2};
  auto c = store_->Copy(id, mb, one, "Archive", false);
  ASSERT_TRUE(c.ok()) << c.status();
  auto m = store_->Copy(id, mb, two, "Archive", true);
  ASSERT_TRUE(m.ok()) << m.status();
  uint32_t copied[] = {c->destination_uids[0], m->destination_uids[0]};
  auto g = store_->Fetch(id, c->destination_id, copied, false, false);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_GT((*g)[0].save_date, (*f)[0].save_date);
  EXPECT_GT((*g)[1].save_date, (*f)[1].save_date);
  EXPECT_EQ((*g)[0].internal_date, 1600000000);
}

TEST_F(StoreTest, ChangesLogAndGoneMailbox) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "Lists").ok());
  auto r1 = Add(id, "Lists", kMessage1);
  auto r2 = Add(id, "Lists", kMessage2, {kSeen, {}});
  const uint64_t mb = r1.mailbox_id;
  auto all = store_->GetChanges(id, mb, 1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->changes.size(), 2u);
  EXPECT_EQ(all->changes[0].kind, Change::kAppend);
  EXPECT_EQ(all->changes[1].messages[0], (MessageMeta{2, {kSeen, {}}, r2.modseq}));
  auto tail = store_->GetChanges(id, mb, r1.modseq);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->changes.size(), 1u);
  EXPECT_EQ(tail->changes[0].modseq, r2.modseq);
  EXPECT_FALSE(tail->resync);
  auto future = store_->GetChanges(id, mb, 1000);
  ASSERT_TRUE(future.ok());
  EXPECT_TRUE(future->resync);
  ASSERT_TRUE(store_->DeleteMailbox(id, "Lists").ok());
  auto gone = store_->GetChanges(id, mb, 1);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->mailbox_gone);
}

class RecordingListener : public ChangeListener {
 public:
  void OnChange(uint64_t account, uint64_t mailbox, const Change& change) override {
    changes.push_back(change);
  }
  void OnMailboxGone(uint64_t account, uint64_t mailbox) override { gone.push_back(mailbox); }
  std::vector<Change> changes;
  std::vector<uint64_t> gone;
};

TEST_F(StoreTest, ListenerSeesCommittedChanges) {
  RecordingListener listener;
  store_->SetListener(&listener);
  uint64_t id = NewAccount();
  auto r = Add(id, "INBOX", kMessage1);
  uint32_t one[] = {1};
  ASSERT_TRUE(store_->StoreFlags(id, r.mailbox_id, one, StoreOp::kAdd, {kDeleted, {}}, 0).ok());
  ASSERT_TRUE(store_->Expunge(id, r.mailbox_id, {}, false, false).ok());
  ASSERT_EQ(listener.changes.size(), 3u);
  EXPECT_EQ(listener.changes[0].kind, Change::kAppend);
  EXPECT_EQ(listener.changes[1].kind, Change::kFlags);
  EXPECT_EQ(listener.changes[2].kind, Change::kExpunge);
  EXPECT_LT(listener.changes[0].modseq, listener.changes[2].modseq);
  ASSERT_TRUE(store_->CreateMailbox(id, "Tmp").ok());
  uint64_t tmp = MailboxId(id, "Tmp");
  ASSERT_TRUE(store_->DeleteMailbox(id, "Tmp").ok());
  EXPECT_THAT(listener.gone, ElementsAre(tmp));
  store_->SetListener(nullptr);
}

TEST_F(StoreTest, ReopenFindsEverything) {
  uint64_t id = NewAccount();
  ASSERT_TRUE(store_->CreateMailbox(id, "Work/Projects").ok());
  auto r = Add(id, "Work/Projects", kMessage1, {kAnswered, {"Kw"}});
  auto info_before = store_->GetMailbox(id, "Work/Projects");
  ASSERT_TRUE(info_before.ok());
  Reopen();
  auto auth = store_->Authenticate("alice", "secret");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->id, id);
  auto info = store_->GetMailbox(id, "Work/Projects");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->uid_validity, info_before->uid_validity);
  EXPECT_EQ(info->highest_modseq, info_before->highest_modseq);
  EXPECT_EQ(info->messages, 1u);
  uint32_t uids[] = {r.uid};
  auto f = store_->Fetch(id, r.mailbox_id, uids, true, true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].content, kMessage1);
  EXPECT_EQ((*f)[0].flags, (Flags{kAnswered, {"Kw"}}));
  // New ids do not collide with old ones after a restart.
  auto fresh = store_->CreateMailbox(id, "Fresh");
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(fresh->id, info->id);
  EXPECT_NE(fresh->uid_validity, info->uid_validity);
  auto second = store_->CreateAccount("bob", "pw");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, id);
}

TEST_F(StoreTest, DeleteAccountRemovesEverything) {
  uint64_t id = NewAccount();
  Add(id, "INBOX", kMessage1);
  ASSERT_TRUE(store_->DeleteAccount("ALICE").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->LookupAccount("alice").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->ListMailboxes(id).status()));
  EXPECT_EQ(store_->CountBlobs().value_or(99), 0u);
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteAccount("alice")));
  EXPECT_TRUE(store_->CreateAccount("alice", "again").ok());
}

TEST_F(StoreTest, ConcurrentAppendsGetDistinctUidsAndModseqs) {
  uint64_t id = NewAccount();
  constexpr int kThreads = 4, kPerThread = 20;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint32_t> uids;
  std::set<uint64_t> modseqs;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->Append(id, "INBOX", {}, 0, 0,
                                "Subject: " + std::to_string(t * 100 + i) + "\r\n\r\nx\r\n");
        ASSERT_TRUE(r.ok());
        std::lock_guard<std::mutex> lock(mu);
        uids.insert(r->uid);
        modseqs.insert(r->modseq);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(uids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(modseqs.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->messages, static_cast<uint32_t>(kThreads * kPerThread));
}

TEST_F(StoreTest, RecentIsClaimedOnce) {
  uint64_t id = NewAccount();
  Add(id, "INBOX", kMessage1);
  Add(id, "INBOX", kMessage1);
  auto info = store_->GetMailbox(id, "INBOX");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->recent, 2u);
  // The first session claims both, the second none.
  EXPECT_EQ(store_->ClaimRecent(id, info->id, 2).value_or(0), 1u);
  EXPECT_EQ(store_->ClaimRecent(id, info->id, 2).value_or(0), 3u);
  Add(id, "INBOX", kMessage1);
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->recent, 1u);
  // Claims never reach past what exists.
  EXPECT_EQ(store_->ClaimRecent(id, info->id, 1000).value_or(0), 3u);
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->recent, 0u);
  EXPECT_EQ(store_->ClaimRecent(id, info->id, 1000).value_or(0), 4u);
}


// QUOTA: the stored usage equals what the mailboxes hold after every kind of mutation.
TEST_F(StoreTest, QuotaUsageExactAcrossMutations) {
  uint64_t id = NewAccount();
  auto expect_usage = [&](const char* when) {
    auto q = store_->GetQuota(id);
    ASSERT_TRUE(q.ok()) << q.status();
    auto list = store_->ListMailboxes(id);
    ASSERT_TRUE(list.ok());
    QuotaUsage sum;
    for (const auto& m : *list) {
      sum.storage += m.size;
      sum.messages += m.messages;
    }
    EXPECT_EQ(q->usage, sum) << when;
  };
  auto q0 = store_->GetQuota(id);
  ASSERT_TRUE(q0.ok());
  EXPECT_EQ(q0->usage, QuotaUsage{});
  EXPECT_FALSE(q0->limits.storage_kib.has_value());  // no limit by default
  EXPECT_FALSE(q0->limits.messages.has_value());
  Add(id, "INBOX", kMessage1);
  Add(id, "INBOX", kMessage2);
  Add(id, "Archive", kMessage2);
  expect_usage("append");
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 3u);
  const uint64_t inbox = MailboxId(id, "INBOX");
  ASSERT_TRUE(store_->Copy(id, inbox, {1, 2}, "Trash", false).ok());
  expect_usage("copy");
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 5u);
  const QuotaUsage before_move = store_->GetQuota(id)->usage;
  ASSERT_TRUE(store_->Copy(id, inbox, {1}, "Junk", true).ok());
  EXPECT_EQ(store_->GetQuota(id)->usage, before_move);  // MOVE: unchanged
  expect_usage("move");
  ASSERT_TRUE(store_->Expunge(id, inbox, {2}, true, true).ok());
  expect_usage("expunge");
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 4u);
  ASSERT_TRUE(store_->DeleteMailbox(id, "Trash").ok());
  expect_usage("delete mailbox");
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 2u);
  Add(id, "INBOX", kMessage1);
  ASSERT_TRUE(store_->RenameMailbox(id, "INBOX", "Old").ok());
  expect_usage("rename inbox");
  // Retention drops expunged records without touching the usage (it went at expunge time).
  ASSERT_TRUE(store_->Sweep().ok());
  expect_usage("sweep");
  Reopen();
  expect_usage("reopen");
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 3u);
}

TEST_F(StoreTest, QuotaLimitsRefuseWithOverQuotaAndStoreNothing) {
  uint64_t id = NewAccount();
  uint64_t other = NewAccount("bob");
  const uint64_t size1 = std::string_view(kMessage1).size();
  ASSERT_TRUE(store_->SetQuota(id, QuotaLimits{std::nullopt, 2}).ok());
  Add(id, "INBOX", kMessage1);
  Add(id, "INBOX", kMessage1);
  auto r = store_->Append(id, "INBOX", {}, 0, 0, kMessage2);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "over quota: ")) << r.status();
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->messages, 2u);
  EXPECT_EQ(store_->GetMailbox(id, "INBOX")->uid_next, 3u);
  auto blobs = store_->CountBlobs();
  EXPECT_EQ(*blobs, 1u);  // kMessage2's blob was not stored
  const uint64_t inbox = MailboxId(id, "INBOX");
  auto c = store_->Copy(id, inbox, {1}, "Archive", false);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->GetMailbox(id, "Archive")->messages, 0u);
  EXPECT_TRUE(store_->Copy(id, inbox, {1}, "Archive", true).ok());  // MOVE at the limit
  // Limits are per account.
  Add(other, "INBOX", kMessage2);
  Add(other, "INBOX", kMessage2);
  Add(other, "INBOX", kMessage2);
  // Storage: exactly at the limit is fine, one octet beyond is not.
  ASSERT_TRUE(store_->SetQuota(id, QuotaLimits{1, std::nullopt}).ok());
  const std::string fill = "Subject: f\r\n\r\n" + std::string(1024 - 2 * size1 - 14, 'x');
  ASSERT_EQ(fill.size() + 2 * size1, 1024u);
  EXPECT_EQ(store_->Append(id, "INBOX", {}, 0, 0, fill + "y").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store_->Append(id, "INBOX", {}, 0, 0, fill).ok());
  EXPECT_EQ(store_->GetQuota(id)->usage.storage, 1024u);
  // Lowering a limit below the usage keeps what is stored and refuses more.
  ASSERT_TRUE(store_->SetQuota(id, QuotaLimits{0, 1}).ok());
  EXPECT_EQ(store_->GetQuota(id)->usage.messages, 3u);
  EXPECT_FALSE(store_->Append(id, "INBOX", {}, 0, 0, "\r\n").ok());
  ASSERT_TRUE(store_->SetQuota(id, QuotaLimits{}).ok());
  EXPECT_TRUE(store_->Append(id, "INBOX", {}, 0, 0, "\r\n").ok());
  EXPECT_EQ(store_->SetQuota(999, QuotaLimits{}).code(), absl::StatusCode::kNotFound);
}

// OBJECTID: EMAILID from the content, kept by COPY/MOVE; THREADID from References.
TEST_F(StoreTest, ObjectIds) {
  uint64_t id = NewAccount();
  Add(id, "INBOX", kMessage1);  // Message-ID <1@example.com>
  Add(id, "INBOX", kMessage2);
  Add(id, "INBOX", "Subject: Re\r\nIn-Reply-To: <1@example.com>\r\n\r\nyes\r\n");
  const uint64_t inbox = MailboxId(id, "INBOX");
  auto f = store_->Fetch(id, inbox, {1, 2, 3}, false, false);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 3u);
  EXPECT_NE((*f)[0].email_id, (*f)[1].email_id);
  EXPECT_EQ((*f)[0].thread_id, (*f)[2].thread_id);
  EXPECT_NE((*f)[0].thread_id, (*f)[1].thread_id);
  ASSERT_TRUE(store_->Copy(id, inbox, {3}, "Archive", true).ok());
  auto moved = store_->Fetch(id, MailboxId(id, "Archive"), {1}, false, false);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ((*moved)[0].email_id, (*f)[2].email_id);
  EXPECT_EQ((*moved)[0].thread_id, (*f)[2].thread_id);
  SearchKey key;
  key.kind = SearchKey::kThreadId;
  key.value = (*f)[0].thread_id;
  EXPECT_THAT(*store_->Search(id, inbox, key), ElementsAre(1u));
  key.kind = SearchKey::kEmailId;
  key.value = (*f)[1].email_id;
  EXPECT_THAT(*store_->Search(id, inbox, key), ElementsAre(2u));
}

}  // namespace
}  // namespace hadron::store
