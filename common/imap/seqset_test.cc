// Sequence set parsing, resolution and formatting.
#include "common/imap/seqset.h"

#include <gtest/gtest.h>

namespace hadron::imap {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(SeqSetTest, ParsesRangesAndStar) {
  auto s = ParseSequenceSet("1,3:5,9:7,*,10:*");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->saved);
  ASSERT_EQ(s->ranges.size(), 5u);
  EXPECT_EQ(s->ranges[2].first, 9u);
  EXPECT_EQ(s->ranges[2].last, 7u);
  EXPECT_EQ(s->ranges[3].first, 0u);
  EXPECT_EQ(s->ranges[4].last, 0u);
  EXPECT_EQ(FormatSequenceSet(*s), "1,3:5,9:7,*,10:*");
}

TEST(SeqSetTest, Saved) {
  auto s = ParseSequenceSet("$");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->saved);
  EXPECT_TRUE(s->ranges.empty());
  EXPECT_EQ(FormatSequenceSet(*s), "$");
}

TEST(SeqSetTest, Rejects) {
  for (const char* bad : {"", "0", "1,", ",1", "1:", ":1", "1::2", "01", "1:0", "a", "1,$",
                          "$,1", "4294967296", "1 2", "**", "1:*:2"}) {
    EXPECT_FALSE(ParseSequenceSet(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseSequenceSet("4294967295").ok());
}

TEST(SeqSetTest, BoundedSize) {
  std::string big;
  for (size_t i = 0; i < kMaxSeqRanges + 1; ++i) {
    if (i) big += ',';
    big += std::to_string(i * 2 + 1);
  }
  auto s = ParseSequenceSet(big);
  EXPECT_FALSE(s.ok());
  big.resize(big.rfind(','));
  EXPECT_TRUE(ParseSequenceSet(big).ok());
}

TEST(SeqSetTest, ResolveNormalizes) {
  auto s = ParseSequenceSet("9:7,1,2,*,4:5,3,20:*");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Resolve(*s, 12), (Ranges{{1, 5}, {7, 9}, {12, 20}}));
  // Values above star stay; the caller filters.
  EXPECT_EQ(Resolve(*ParseSequenceSet("15"), 12), (Ranges{{15, 15}}));
  // Empty mailbox: "*" is 0.
  EXPECT_EQ(Resolve(*ParseSequenceSet("1:*"), 0), (Ranges{{0, 1}}));
  EXPECT_EQ(Resolve(*ParseSequenceSet("4294967295,1:4294967294"), 3),
            (Ranges{{1, 4294967295u}}));
  EXPECT_TRUE(Resolve(*ParseSequenceSet("$"), 5).empty());
}

TEST(SeqSetTest, Contains) {
  auto s = *ParseSequenceSet("2:4,*");
  EXPECT_FALSE(Contains(s, 1, 10));
  EXPECT_TRUE(Contains(s, 2, 10));
  EXPECT_TRUE(Contains(s, 4, 10));
  EXPECT_FALSE(Contains(s, 5, 10));
  EXPECT_TRUE(Contains(s, 10, 10));
  auto r = *ParseSequenceSet("*:8");
  EXPECT_TRUE(Contains(r, 6, 6));  // "*:8" with * = 6 is 6:8
  EXPECT_FALSE(Contains(r, 5, 6));
}

TEST(SeqSetTest, FormatUidSet) {
  EXPECT_EQ(FormatUidSet({}), "");
  EXPECT_EQ(FormatUidSet({5}), "5");
  EXPECT_EQ(FormatUidSet({1, 2, 3, 7, 9, 10}), "1:3,7,9:10");
  EXPECT_EQ(FormatUidSet({1, 1, 2, 4, 4}), "1:2,4");
  EXPECT_EQ(FormatUidSet({4294967294u, 4294967295u}), "4294967294:4294967295");
}

TEST(SeqSetTest, FromValuesRoundTrip) {
  SequenceSet s = SequenceSetFromValues({1, 2, 3, 7, 9, 10});
  EXPECT_EQ(FormatSequenceSet(s), "1:3,7,9:10");
  EXPECT_TRUE(Contains(s, 9, 0));
  EXPECT_FALSE(Contains(s, 8, 0));
}

}  // namespace
}  // namespace hadron::imap
