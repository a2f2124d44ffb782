// The login cache (issue 8), through Store::Authenticate against a real RocksDB: a cached
// success skips scrypt (counted with ScryptRuns(), not timed); anything else runs it.
#include "statesvc/store/login_cache.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "statesvc/store/password.h"
#include "statesvc/store/store.h"

namespace hadron::store {
namespace {

std::string TempDir() {
  std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string tmpl = base + "/logincacheXXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

class LoginCacheStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(absl::Duration ttl = absl::Hours(1), size_t size = 100000) {
    store_.reset();
    StoreOptions options;
    options.scrypt.n = 1024;  // fast for tests
    options.min_free_bytes = 1 << 20;
    options.sync_writes = false;
    options.login_cache_ttl = ttl;
    options.login_cache_size = size;
    options.clock = [this] { return now_; };
    auto s = Store::Open(dir_, options);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // The number of scrypt runs `f` caused.
  template <typename F>
  uint64_t Runs(F f) {
    const uint64_t before = ScryptRuns();
    f();
    return ScryptRuns() - before;
  }
  bool Login(const std::string& name, const std::string& password) {
    return store_->Authenticate(name, password).ok();
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(LoginCacheStoreTest, SecondLoginSkipsScrypt) {
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
  // The key is the canonical name: another case of it hits the same entry.
  uint64_t runs = Runs([&] {
    auto a = store_->Authenticate("ALICE", "secret");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->name, "alice");
  });
  EXPECT_EQ(runs, 0u);
}

TEST_F(LoginCacheStoreTest, WrongPasswordAfterCachedSuccessRunsScryptAndFails) {
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  ASSERT_TRUE(Login("alice", "secret"));
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "Secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "secret2")); }), 1u);
  // A failure does not evict the good entry, nor is it cached itself.
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "Secret")); }), 1u);
  // Unknown users still burn scrypt.
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("nobody", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("nobody", "secret")); }), 1u);
}

TEST_F(LoginCacheStoreTest, PasswordChangeRefusesOldAcceptsNew) {
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  ASSERT_TRUE(Login("alice", "secret"));
  ASSERT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
  ASSERT_TRUE(store_->SetPassword("alice", "new").ok());
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "new")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "new")); }), 0u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "secret")); }), 1u);
}

TEST_F(LoginCacheStoreTest, SetPasswordToTheSamePasswordStillInvalidates) {
  // A new salt gives a new stored hash: the entry no longer matches, one scrypt re-validates.
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  ASSERT_TRUE(Login("alice", "secret"));
  ASSERT_TRUE(store_->SetPassword("alice", "secret").ok());
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
}

TEST_F(LoginCacheStoreTest, DeletedAndRecreatedAccount) {
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  ASSERT_TRUE(Login("alice", "secret"));
  ASSERT_TRUE(store_->DeleteAccount("alice").ok());
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "secret")); }), 1u);
  ASSERT_TRUE(store_->CreateAccount("alice", "other").ok());
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "other")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "other")); }), 0u);
}

TEST_F(LoginCacheStoreTest, EntryExpiresAfterTtl) {
  Open(absl::Minutes(10));
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  ASSERT_TRUE(Login("alice", "secret"));
  now_ += absl::Minutes(9);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
  now_ += absl::Minutes(1);  // exactly the TTL after the verification: expired
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  // The scrypt success starts a new TTL.
  now_ += absl::Minutes(9);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 0u);
}

TEST_F(LoginCacheStoreTest, SizeCapEvictsTheOldest) {
  Open(absl::Hours(1), 2);
  for (const char* n : {"a1", "a2", "a3"}) ASSERT_TRUE(store_->CreateAccount(n, "pw").ok());
  ASSERT_TRUE(Login("a1", "pw"));
  now_ += absl::Seconds(1);
  ASSERT_TRUE(Login("a2", "pw"));
  now_ += absl::Seconds(1);
  ASSERT_TRUE(Login("a3", "pw"));  // evicts a1, the oldest
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("a3", "pw")); }), 0u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("a2", "pw")); }), 0u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("a1", "pw")); }), 1u);  // back in, evicts a2
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("a2", "pw")); }), 1u);
}

TEST_F(LoginCacheStoreTest, TtlZeroDisables) {
  Open(absl::ZeroDuration());
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_FALSE(Login("alice", "wrong")); }), 1u);
}

TEST_F(LoginCacheStoreTest, SizeZeroDisables) {
  Open(absl::Hours(1), 0);
  ASSERT_TRUE(store_->CreateAccount("alice", "secret").ok());
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "secret")); }), 1u);
}

TEST_F(LoginCacheStoreTest, ConcurrentLoginsAndPasswordChanges) {
  // For TSAN: logins on several threads while the password changes; every answer is either
  // password, never a crash, and after the last change only the new one works.
  Open();
  ASSERT_TRUE(store_->CreateAccount("alice", "p0").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) (void)Login("alice", (i + t) % 2 ? "p0" : "p1");
    });
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->SetPassword("alice", i % 2 ? "p0" : "p1").ok());
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store_->SetPassword("alice", "final").ok());
  EXPECT_FALSE(Login("alice", "p0"));
  EXPECT_FALSE(Login("alice", "p1"));
  EXPECT_TRUE(Login("alice", "final"));
  EXPECT_EQ(Runs([&] { EXPECT_TRUE(Login("alice", "final")); }), 0u);
}

// The cache alone.
TEST(LoginCacheTest, MatchesOnlyTheSamePasswordAndHash) {
  LoginCache cache(LoginCacheOptions{absl::Hours(1), 10, nullptr});
  ASSERT_TRUE(cache.enabled());
  PasswordHash h{1024, 8, 1, std::string(16, 's'), std::string(32, 'h')};
  cache.Remember("bob", "hunter2", h);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Check("bob", "hunter2", h));
  EXPECT_FALSE(cache.Check("bob", "hunter3", h));
  EXPECT_FALSE(cache.Check("carol", "hunter2", h));
  PasswordHash other = h;
  other.salt[0] = 't';
  EXPECT_FALSE(cache.Check("bob", "hunter2", other));  // and the entry is dropped
  EXPECT_EQ(cache.size(), 0u);
  cache.Remember("bob", "hunter2", h);
  cache.Forget("bob");
  EXPECT_FALSE(cache.Check("bob", "hunter2", h));
}

}  // namespace
}  // namespace hadron::store
