#include "frontend/limits/connection_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace hadron::frontend {
namespace {

TEST(ConnectionLimitsTest, PerAddressTotalAndAccount) {
  auto limits = ConnectionLimits::Create({.max_total = 5, .per_address = 3, .per_account = 2});
  std::vector<std::unique_ptr<ConnectionLimits::Token>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(limits->Connect("1.1.1.1"));
    ASSERT_NE(held.back(), nullptr);
  }
  EXPECT_EQ(limits->Connect("1.1.1.1"), nullptr);  // per address
  held.push_back(limits->Connect("2.2.2.2"));
  held.push_back(limits->Connect("3.3.3.3"));
  ASSERT_NE(held.back(), nullptr);
  EXPECT_EQ(limits->Connect("4.4.4.4"), nullptr);  // in all
  EXPECT_EQ(limits->total(), 5u);
  held.erase(held.begin());  // one 1.1.1.1 connection ends
  EXPECT_NE(limits->Connect("1.1.1.1"), nullptr);  // (released again at once)
  auto a = limits->Login("bob");
  auto b = limits->Login("bob");
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(limits->Login("bob"), nullptr);  // per account
  EXPECT_NE(limits->Login("carol"), nullptr);
  a.reset();
  EXPECT_NE(limits->Login("bob"), nullptr);
  held.clear();
  EXPECT_EQ(limits->total(), 0u);
}

}  // namespace
}  // namespace hadron::frontend
