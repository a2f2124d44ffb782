#include "frontend/limits/login_throttle.h"

#include <gtest/gtest.h>

namespace hadron::frontend {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LoginThrottleTest, DelayGrowsThenLocksThenForgets) {
  LoginThrottle::Options o;
  o.free_failures = 2;
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(350);
  o.lockout_failures = 6;
  o.lockout = seconds(60);
  o.window = seconds(600);
  o.lock_addresses = true;
  LoginThrottle t(o);
  auto now = LoginThrottle::Clock::time_point() + seconds(1000);
  EXPECT_EQ(t.Check("bob", "1.2.3.4", now).delay, milliseconds(0));
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    t.Failure("bob", "1.2.3.4", now);
    auto d = t.Check("bob", "1.2.3.4", now);
    EXPECT_FALSE(d.locked);
    delays.push_back(d.delay.count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{0, 0, 100, 200, 350}));
  t.Failure("bob", "1.2.3.4", now);  // the sixth: locked
  EXPECT_TRUE(t.Check("bob", "9.9.9.9", now).locked);    // the account, from anywhere
  EXPECT_TRUE(t.Check("alice", "1.2.3.4", now).locked);  // the address, for anyone
  EXPECT_FALSE(t.Check("alice", "9.9.9.9", now).locked);
  EXPECT_FALSE(t.Check("BOB", "9.9.9.9", now + seconds(61)).locked);  // lockout over
  // Failures older than the window are forgotten.
  t.Failure("carol", "5.5.5.5", now);
  t.Failure("carol", "5.5.5.5", now);
  t.Failure("carol", "5.5.5.5", now);
  EXPECT_GT(t.Check("carol", "6.6.6.6", now).delay.count(), 0);
  EXPECT_EQ(t.Check("carol", "6.6.6.6", now + seconds(601)).delay.count(), 0);
}

TEST(LoginThrottleTest, AddressesSlowDownButAreNotLockedByDefault) {
  LoginThrottle::Options o;
  o.free_failures = 0;
  o.lockout_failures = 3;
  LoginThrottle t(o);
  auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) t.Failure("u" + std::to_string(i), "1.1.1.1", now);
  auto d = t.Check("fresh", "1.1.1.1", now);
  EXPECT_FALSE(d.locked);
  EXPECT_GT(d.delay.count(), 0);
  // An empty address is not tracked at all.
  for (int i = 0; i < 3; ++i) t.Failure("v", "", now);
  EXPECT_EQ(t.Check("w", "", now).delay.count(), 0);
  EXPECT_TRUE(t.Check("v", "", now).locked);  // the account still locks
}

TEST(LoginThrottleTest, SuccessClearsTheAccountNotTheAddress) {
  LoginThrottle::Options o;
  o.free_failures = 0;
  LoginThrottle t(o);
  auto now = LoginThrottle::Clock::now();
  t.Failure("dave", "7.7.7.7", now);
  EXPECT_GT(t.Check("dave", "8.8.8.8", now).delay.count(), 0);
  t.Success("dave", "7.7.7.7");
  EXPECT_EQ(t.Check("dave", "8.8.8.8", now).delay.count(), 0);
  EXPECT_GT(t.Check("erin", "7.7.7.7", now).delay.count(), 0);
}

TEST(LoginThrottleTest, TableIsBounded) {
  LoginThrottle::Options o;
  o.max_entries = 10;
  o.free_failures = 0;
  LoginThrottle t(o);
  auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    t.Failure("u" + std::to_string(i), "a" + std::to_string(i), now + milliseconds(i));
  }
  // Only the newest keys are remembered.
  auto later = now + milliseconds(1000);
  EXPECT_EQ(t.Check("u0", "a0", later).delay.count(), 0);
  EXPECT_GT(t.Check("u999", "zz", later).delay.count(), 0);
  EXPECT_GT(t.Check("zz", "a999", later).delay.count(), 0);
}

}  // namespace
}  // namespace hadron::frontend
