// ShardRing: determinism, balance, and how few accounts move when a shard is added.
#include "common/shard/ring.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hadron::shard {
namespace {

std::vector<std::string> Names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("user", i, "@example.org"));
  return out;
}

TEST(ShardRing, DeterministicAndCaseInsensitive) {
  for (const auto& name : Names(200)) {
    size_t a = OwnerOf(name, 5);
    EXPECT_EQ(a, OwnerOf(name, 5));
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(a, OwnerOf(upper, 5)) << name;
    EXPECT_LT(a, 5u);
  }
  EXPECT_EQ(OwnerOf("anyone", 1), 0u);
}

// Placement is part of the on-disk contract (data sits on the shard the hash chose): these
// values were computed once and must never change with the compiler, the platform or a refactor.
TEST(ShardRing, PinnedPlacement) {
  EXPECT_EQ(Score(0, "demo"), Score(0, RoutingKey("DEMO")));
  EXPECT_NE(Score(0, "demo"), Score(1, "demo"));
  std::string owners;
  for (const char* n : {"demo", "alice", "bob", "carol", "dave", "erin", "frank", "grace"}) {
    owners += std::to_string(OwnerOf(n, 2));
  }
  EXPECT_EQ(owners, "11111011");
}

TEST(ShardRing, BalancedOver10kNames) {
  auto names = Names(10000);
  for (size_t n : {2u, 3u, 4u, 5u, 8u}) {
    std::vector<int> count(n);
    for (const auto& name : names) ++count[OwnerOf(name, n)];
    double mean = 10000.0 / static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_GT(count[i], mean * 0.92) << n << " shards, shard " << i;
      EXPECT_LT(count[i], mean * 1.08) << n << " shards, shard " << i;
    }
  }
}

TEST(ShardRing, AddingAShardMovesAboutOneNth) {
  auto names = Names(10000);
  for (size_t n = 1; n <= 8; ++n) {
    int moved = 0;
    for (const auto& name : names) {
      size_t before = OwnerOf(name, n);
      size_t after = OwnerOf(name, n + 1);
      if (before != after) {
        ++moved;
        EXPECT_EQ(after, n) << name << ": an account may only move to the new shard";
      }
    }
    double fraction = moved / 10000.0;
    double ideal = 1.0 / static_cast<double>(n + 1);
    std::printf("%zu -> %zu shards: %.2f%% of accounts move (ideal %.2f%%)\n", n, n + 1,
                100 * fraction, 100 * ideal);
    EXPECT_GT(fraction, ideal * 0.9);
    EXPECT_LT(fraction, ideal * 1.1);
  }
}

TEST(ShardRing, ParseAndIds) {
  auto r = ShardRing::Parse("a:1, b:2,c:3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ(r->address(1), "b:2");
  EXPECT_EQ(r->AddressOf("x"), r->address(OwnerOf("x", 3)));
  EXPECT_FALSE(ShardRing::Parse("").ok());
  EXPECT_FALSE(ShardRing::Parse("a:1,,b:2").ok());
  EXPECT_FALSE(ShardRing::Parse("a:1,a:1").ok());
  EXPECT_EQ(GlobalId(0, 42), 42u);
  uint64_t g = GlobalId(3, 42);
  EXPECT_EQ(ShardOfId(g), 3u);
  EXPECT_EQ(LocalId(g), 42u);
}

}  // namespace
}  // namespace hadron::shard
