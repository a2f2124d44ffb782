// Sharding (issue 7): moving an account between two stores, the write lock, the "moved" marker
// and the shard-placement check.
#include <cstdlib>
#include <filesystem>

#include "common/shard/ring.h"
#include "gtest/gtest.h"
#include "statesvc/store/store.h"

namespace hadron::store {
namespace {

std::string TempDir() {
  std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string tmpl = base + "/transferXXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

std::unique_ptr<Store> Open(const std::string& dir, size_t shard = 0, size_t shards = 0) {
  StoreOptions options;
  options.scrypt.n = 1024;
  options.min_free_bytes = 1 << 20;
  options.shard_index = shard;
  options.shard_count = shards;
  auto s = Store::Open(dir, options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

std::string Msg(int i) {
  return "From: a@example.com\r\nSubject: m" + std::to_string(i) + "\r\nMessage-ID: <" +
         std::to_string(i) + "@x>\r\n\r\nbody " + std::to_string(i) + "\r\n";
}

class TransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_dir_ = TempDir();
    b_dir_ = TempDir();
    a_ = Open(a_dir_);
    b_ = Open(b_dir_);
    ASSERT_TRUE(a_ && b_);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(a_dir_);
    std::filesystem::remove_all(b_dir_);
  }
  // Copies `name` from a_ to b_ as hadronctl does (through the store API).
  uint64_t Move(const std::string& name) {
    EXPECT_TRUE(a_->SetAccountMoving(name, true).ok());
    auto t = a_->ExportAccount(name);
    EXPECT_TRUE(t.ok()) << t.status();
    auto created = b_->ImportAccount(*t);
    EXPECT_TRUE(created.ok()) << created.status();
    for (const auto& mb : t->mailboxes) {
      uint64_t target = 0;
      for (const auto& info : created->second) {
        if (info.name == mb.record.info.name) target = info.id;
      }
      std::vector<uint32_t> uids;
      for (const auto& [uid, rec] : mb.messages) uids.push_back(uid);
      auto fetched = a_->Fetch(t->id, mb.record.info.id, uids, false, true);
      EXPECT_TRUE(fetched.ok());
      std::vector<ImportedMessage> in;
      for (size_t i = 0; i < mb.messages.size(); ++i) {
        const auto& rec = mb.messages[i].second;
        in.push_back(ImportedMessage{mb.messages[i].first, rec.flags, rec.modseq,
                                     rec.internal_date, rec.internal_date_tz, rec.save_date,
                                     (*fetched)[i].content, rec.thread});
      }
      auto st = b_->ImportMessages(created->first, target, std::move(in));
      EXPECT_TRUE(st.ok()) << st;
    }
    return created->first;
  }
  std::string a_dir_, b_dir_;
  std::unique_ptr<Store> a_, b_;
};

TEST_F(TransferTest, MovingLocksWritesNotReads) {
  auto id = a_->CreateAccount("alice", "pw");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(a_->Append(*id, "INBOX", {}, 1700000000, 0, Msg(1)).ok());
  ASSERT_TRUE(a_->SetAccountMoving("Alice", true).ok());
  auto r = a_->Append(*id, "INBOX", {}, 1700000000, 0, Msg(2));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_->CreateMailbox(*id, "X").status().code(), absl::StatusCode::kUnavailable);
  auto inbox = a_->GetMailbox(*id, "INBOX");
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(inbox->messages, 1u);
  EXPECT_TRUE(a_->Authenticate("alice", "pw").ok());
  // Another account is not affected.
  auto bob = a_->CreateAccount("bob", "pw");
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(a_->Append(*bob, "INBOX", {}, 0, 0, Msg(3)).ok());
  ASSERT_TRUE(a_->SetAccountMoving("alice", false).ok());
  EXPECT_TRUE(a_->Append(*id, "INBOX", {}, 1700000000, 0, Msg(2)).ok());
}

TEST_F(TransferTest, ExportImportKeepsUidsFlagsAndValidity) {
  auto id = a_->CreateAccount("carol", "secret");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(a_->CreateMailbox(*id, "Work/2026").ok());
  ASSERT_TRUE(a_->SetSubscribed(*id, "Work/2026", true).ok());
  Flags seen{kSeen, {"$Important"}};
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(a_->Append(*id, "INBOX", i % 2 ? seen : Flags{}, 1600000000 + i, 120, Msg(i)).ok());
  }
  ASSERT_TRUE(a_->Append(*id, "Work/2026", Flags{kFlagged, {}}, 0, 0, Msg(9)).ok());
  auto inbox = a_->GetMailbox(*id, "INBOX");
  ASSERT_TRUE(inbox.ok());
  ASSERT_TRUE(a_->StoreFlags(*id, inbox->id, std::vector<uint32_t>{2}, StoreOp::kAdd,
                             Flags{kDeleted, {}}, 0).ok());
  ASSERT_TRUE(a_->Expunge(*id, inbox->id, {}, false, false).ok());  // UID 2 goes: a gap
  ASSERT_TRUE(a_->SetQuota(*id, QuotaLimits{5000, 50}).ok());
  auto before = a_->ExportAccount("carol");
  ASSERT_TRUE(before.ok());

  uint64_t nid = Move("carol");
  auto after = b_->ExportAccount("carol");
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(before->mailboxes.size(), after->mailboxes.size());
  for (size_t i = 0; i < before->mailboxes.size(); ++i) {
    const auto& x = before->mailboxes[i];
    const auto& y = after->mailboxes[i];
    EXPECT_EQ(x.record.info.name, y.record.info.name);
    EXPECT_EQ(x.record.info.uid_validity, y.record.info.uid_validity);
    EXPECT_EQ(x.record.info.uid_next, y.record.info.uid_next);
    EXPECT_EQ(x.record.info.highest_modseq, y.record.info.highest_modseq);
    EXPECT_EQ(x.record.info.messages, y.record.info.messages);
    EXPECT_EQ(x.record.info.unseen, y.record.info.unseen);
    EXPECT_EQ(x.record.info.size, y.record.info.size);
    EXPECT_EQ(x.record.info.subscribed, y.record.info.subscribed);
    EXPECT_EQ(x.record.info.special_use, y.record.info.special_use);
    EXPECT_EQ(x.record.info.id, y.record.info.id);  // MAILBOXID (RFC 8474 4.1)
    EXPECT_EQ(x.record.keywords, y.record.keywords);
    ASSERT_EQ(x.messages.size(), y.messages.size()) << x.record.info.name;
    for (size_t k = 0; k < x.messages.size(); ++k) {
      EXPECT_EQ(x.messages[k].first, y.messages[k].first);
      EXPECT_EQ(x.messages[k].second.flags.system, y.messages[k].second.flags.system);
      EXPECT_EQ(x.messages[k].second.flags.keywords, y.messages[k].second.flags.keywords);
      EXPECT_EQ(x.messages[k].second.blob, y.messages[k].second.blob);
      EXPECT_EQ(x.messages[k].second.internal_date, y.messages[k].second.internal_date);
      EXPECT_EQ(x.messages[k].second.internal_date_tz, y.messages[k].second.internal_date_tz);
      EXPECT_EQ(x.messages[k].second.modseq, y.messages[k].second.modseq);
      EXPECT_EQ(x.messages[k].second.save_date, y.messages[k].second.save_date);
      EXPECT_EQ(x.messages[k].second.thread, y.messages[k].second.thread);  // THREADID
    }
  }
  EXPECT_EQ(before->thread_index, after->thread_index);
  EXPECT_FALSE(after->thread_index.empty());
  // Same password; quota usage recounted, limits kept.
  EXPECT_TRUE(b_->Authenticate("carol", "secret").ok());
  auto qa = a_->GetQuota(*id);
  auto qb = b_->GetQuota(nid);
  ASSERT_TRUE(qa.ok() && qb.ok());
  EXPECT_EQ(qa->usage, qb->usage);
  EXPECT_EQ(qb->limits.storage_kib, std::optional<uint64_t>(5000));
  // New messages continue after the old UIDNEXT; new mailboxes never reuse a UIDVALIDITY.
  auto next = b_->Append(nid, "INBOX", {}, 0, 0, Msg(20));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->uid, 6u);
  auto fresh = b_->CreateMailbox(nid, "Fresh");
  ASSERT_TRUE(fresh.ok());
  for (const auto& mb : before->mailboxes) {
    EXPECT_NE(fresh->uid_validity, mb.record.info.uid_validity);
    EXPECT_NE(fresh->id, mb.record.info.id);
  }
  // A reply stored after the move joins its parent's thread (the index moved with the account).
  const std::string reply = "From: b@example.com\r\nSubject: Re: m3\r\nMessage-ID: <r3@x>\r\n"
                            "In-Reply-To: <3@x>\r\n\r\nreply\r\n";
  ASSERT_TRUE(b_->Append(nid, "INBOX", {}, 0, 0, reply).ok());
  auto threaded = b_->ExportAccount("carol");
  ASSERT_TRUE(threaded.ok());
  uint64_t parent = 0, child = 0;
  for (const auto& mb : threaded->mailboxes) {
    if (mb.record.info.name != "INBOX") continue;
    for (const auto& [uid, rec] : mb.messages) {
      if (uid == 3) parent = rec.thread;
      if (uid == 7) child = rec.thread;
    }
  }
  EXPECT_NE(parent, 0u);
  EXPECT_EQ(parent, child);
  // Bad imports are refused.
  auto nb = b_->GetMailbox(nid, "INBOX");
  ASSERT_TRUE(nb.ok());
  EXPECT_EQ(b_->ImportMessages(nid, nb->id, {ImportedMessage{1, {}, 1, 0, 0, 0, Msg(1)}}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(b_->ImportMessages(nid, nb->id, {ImportedMessage{99, {}, 1, 0, 0, 0, Msg(1)}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b_->ImportAccount(*before).status().code(), absl::StatusCode::kAlreadyExists);

  // The source forgets the account but remembers it moved.
  EXPECT_FALSE(a_->RemoveMovedAccount("nobody").ok());
  ASSERT_TRUE(a_->RemoveMovedAccount("carol").ok());
  EXPECT_EQ(a_->Authenticate("carol", "secret").status().code(), absl::StatusCode::kUnavailable);
  // A session still holding the old account id is told it moved, not that mailboxes are gone
  // (an APPEND's "no mailbox" would read as [TRYCREATE]).
  EXPECT_EQ(a_->GetMailbox(*id, "INBOX").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_->Append(*id, "INBOX", {}, 0, 0, Msg(30)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_->CreateMailbox(*id, "New").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a_->GetMailbox(*id + 1000, "INBOX").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(a_->Authenticate("dave", "x").status().code(), absl::StatusCode::kUnauthenticated);
  auto names = a_->ListAccountNames();
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST_F(TransferTest, RemoveMovedAccountNeedsTheLock) {
  ASSERT_TRUE(a_->CreateAccount("erin", "pw").ok());
  EXPECT_EQ(a_->RemoveMovedAccount("erin").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(a_->Authenticate("erin", "pw").ok());
}

TEST(ShardPlacement, StoreRefusesAccountsOfAnotherShard) {
  std::string dir = TempDir();
  {
    auto s = Open(dir, 1, 2);
    ASSERT_TRUE(s);
    int refused = 0, created = 0;
    for (int i = 0; i < 20; ++i) {
      std::string name = "user" + std::to_string(i);
      auto id = s->CreateAccount(name, "pw");
      if (shard::OwnerOf(name, 2) == 1) {
        EXPECT_TRUE(id.ok()) << name;
        ++created;
      } else {
        EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition) << name;
        ++refused;
      }
    }
    EXPECT_GT(refused, 0);
    EXPECT_GT(created, 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hadron::store
