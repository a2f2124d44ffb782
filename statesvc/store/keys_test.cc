// Keys sort by bytes exactly as their numeric fields sort.
#include "statesvc/store/keys.h"

#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace hadron::store::keys {
namespace {

TEST(KeysTest, ByteOrderEqualsNumericOrderForMessages) {
  std::mt19937_64 rng(42);
  std::vector<std::tuple<uint64_t, uint64_t, uint32_t>> values = {
      {0, 0, 0}, {0, 0, 1}, {0, 0, 255}, {0, 0, 256}, {0, 1, 0}, {1, 0, 0},
      {UINT64_MAX, UINT64_MAX, UINT32_MAX}, {0, 0, UINT32_MAX}, {0, 255, 65536}};
  for (int i = 0; i < 2000; ++i) {
    values.emplace_back(rng() % 1000, rng() >> (rng() % 64), static_cast<uint32_t>(rng() >> (rng() % 64)));
  }
  for (const auto& a : values) {
    for (int j = 0; j < 20; ++j) {
      const auto& b = values[rng() % values.size()];
      std::string ka = MessageKey(std::get<0>(a), std::get<1>(a), std::get<2>(a));
      std::string kb = MessageKey(std::get<0>(b), std::get<1>(b), std::get<2>(b));
      EXPECT_EQ(a < b, ka < kb);
      EXPECT_EQ(a == b, ka == kb);
    }
  }
}

TEST(KeysTest, ByteOrderEqualsNumericOrderForChanges) {
  std::vector<uint64_t> modseqs = {0, 1, 2, 127, 128, 255, 256, 65535, 65536, 1ull << 32,
                                   (1ull << 63) - 1, 1ull << 63, UINT64_MAX};
  for (size_t i = 0; i + 1 < modseqs.size(); ++i) {
    EXPECT_LT(ChangeKey(7, 9, modseqs[i]), ChangeKey(7, 9, modseqs[i + 1])) << modseqs[i];
    EXPECT_LT(ChangeKey(7, 9, UINT64_MAX), ChangeKey(7, 10, 0));
  }
}

TEST(KeysTest, RoundTrips) {
  EXPECT_EQ(UidFromMessageKey(MessageKey(3, 4, 0xdeadbeef)), 0xdeadbeefu);
  EXPECT_EQ(MailboxIdFromKey(MailboxKey(3, 0x0102030405060708ull)), 0x0102030405060708ull);
  EXPECT_EQ(ModseqFromChangeKey(ChangeKey(1, 2, 99)), 99u);
  EXPECT_EQ(UidFromMessageKey("short"), std::nullopt);
  EXPECT_EQ(GetU64(AccountKey(0x1122334455667788ull)), 0x1122334455667788ull);
  EXPECT_EQ(AccountKey(1), std::string("\0\0\0\0\0\0\0\1", 8));
}

TEST(KeysTest, ExpungedTimeKeysSortByTimeFirst) {
  EXPECT_LT(ExpungedTimeKey(1, 9, 9, 9), ExpungedTimeKey(2, 0, 0, 0));
  EXPECT_LT(ExpungedTimeKey(255, UINT64_MAX, 0, 0), ExpungedTimeKey(256, 0, 0, 0));
  EXPECT_LT(ExpungedTimeKey(5, 1, 2, 3), ExpungedTimeKey(5, 1, 2, 4));
  auto p = ParseExpungedTimeKey(ExpungedTimeKey(1700000000123456, 7, 8, 0xfffffffe));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->time_us, 1700000000123456);
  EXPECT_EQ(p->account, 7u);
  EXPECT_EQ(p->mailbox, 8u);
  EXPECT_EQ(p->uid, 0xfffffffeu);
  EXPECT_EQ(ParseExpungedTimeKey("short"), std::nullopt);
  auto am = AccountMailboxFromKey(MailboxKey(3, 4));
  ASSERT_TRUE(am.has_value());
  EXPECT_EQ(am->first, 3u);
  EXPECT_EQ(am->second, 4u);
}

TEST(KeysTest, PrefixEnd) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), "");
  std::string prefix = MessagePrefix(5, 6);
  EXPECT_LT(MessageKey(5, 6, UINT32_MAX), PrefixEnd(prefix));
  EXPECT_GE(MessageKey(5, 7, 0), PrefixEnd(prefix));
}

}  // namespace
}  // namespace hadron::store::keys
