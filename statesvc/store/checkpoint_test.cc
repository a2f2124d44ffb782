// Store::Checkpoint: a checkpoint of a live store opens as a store holding exactly what was
// committed before it; its directory is confined to the backup dir.
#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "statesvc/store/store.h"

namespace hadron::store {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string tmpl = base + "/checkpointXXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

std::string Message(int i) {
  return "From: a@example.com\r\nSubject: message " + std::to_string(i) + "\r\n\r\nbody " +
         std::to_string(i) + "\r\n";
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir();
    ASSERT_FALSE(root_.empty());
    options_.scrypt.n = 1024;
    options_.min_free_bytes = 1 << 20;
    options_.backup_dir = root_ + "/backups";
    auto s = Store::Open(root_ + "/data", options_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }
  // UIDs in INBOX of `account` in `store`.
  static std::vector<uint32_t> Uids(Store& store, std::string_view account) {
    auto acct = store.LookupAccount(account);
    EXPECT_TRUE(acct.ok()) << acct.status();
    auto sel = store.Select(acct->id, "INBOX");
    EXPECT_TRUE(sel.ok()) << sel.status();
    std::vector<uint32_t> uids;
    for (const auto& m : sel->messages) uids.push_back(m.uid);
    return uids;
  }

  std::string root_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(CheckpointTest, HoldsWhatWasCommittedBeforeIt) {
  auto acct = store_->CreateAccount("alice", "pw");
  ASSERT_TRUE(acct.ok());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(store_->Append(*acct, "INBOX", {}, 0, 0, Message(i)).ok());
  }
  auto info = store_->Checkpoint("first");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dir, fs::path(root_ + "/backups/first").lexically_normal().string());
  EXPECT_GT(info->files, 0u);
  EXPECT_GT(info->bytes, 0u);
  EXPECT_GT(info->sequence, 0u);
  // Writes after the checkpoint do not reach it.
  ASSERT_TRUE(store_->Append(*acct, "INBOX", {}, 0, 0, Message(4)).ok());
  ASSERT_TRUE(store_->CreateAccount("bob", "pw").ok());
  EXPECT_EQ(Uids(*store_, "alice"), (std::vector<uint32_t>{1, 2, 3, 4}));

  auto restored = Store::Open(info->dir, options_);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(Uids(**restored, "alice"), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_FALSE((*restored)->LookupAccount("bob").ok());
  auto alice = (*restored)->Authenticate("alice", "pw");
  EXPECT_TRUE(alice.ok()) << alice.status();
  auto fetched = (*restored)->Fetch(alice->id, (*restored)->GetMailbox(alice->id, "INBOX")->id,
                                    {2}, false, true);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->size(), 1u);
  EXPECT_FALSE((*fetched)[0].missing);
}

TEST_F(CheckpointTest, DefaultNameAndAbsolutePathInside) {
  auto a = store_->Checkpoint("");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(fs::path(a->dir).parent_path(), fs::path(root_ + "/backups"));
  EXPECT_EQ(fs::path(a->dir).filename().string().rfind("checkpoint-", 0), 0u);
  auto b = store_->Checkpoint(root_ + "/backups/nightly/2026-11-28");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(fs::exists(b->dir + "/CURRENT"));
}

TEST_F(CheckpointTest, RefusesOutsideExistingAndDisabled) {
  EXPECT_EQ(store_->Checkpoint("../escape").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Checkpoint("a/../../escape").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Checkpoint(root_ + "/elsewhere").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Checkpoint(root_ + "/backups").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ + "/escape"));
  EXPECT_FALSE(fs::exists(root_ + "/elsewhere"));
  ASSERT_TRUE(store_->Checkpoint("once").ok());
  EXPECT_EQ(store_->Checkpoint("once").status().code(), absl::StatusCode::kAlreadyExists);

  store_.reset();
  StoreOptions off = options_;
  off.backup_dir.clear();
  auto s = Store::Open(root_ + "/data", off);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->Checkpoint("x").status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hadron::store
