#include "util/log_throttle.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, OneLinePerIntervalCountingTheRest) {
  LogThrottle throttle(10s);
  const LogThrottle::Clock::time_point t0{};
  EXPECT_EQ(throttle.admit(t0), 0u);
  for (int i = 1; i <= 99; ++i) EXPECT_FALSE(throttle.admit(t0 + i * 100ms));  // ten a second
  EXPECT_EQ(throttle.admit(t0 + 10s), 99u);
  EXPECT_FALSE(throttle.admit(t0 + 11s));
  EXPECT_EQ(throttle.admit(t0 + 60s), 1u);
}

TEST(LogThrottle, ABurstOfLinesPerIntervalTheFirstOnesWhole) {
  LogThrottle throttle(10s, 3);
  const LogThrottle::Clock::time_point t0{};
  EXPECT_EQ(throttle.admit(t0), 0u);
  EXPECT_EQ(throttle.admit(t0 + 1s), 0u);
  EXPECT_EQ(throttle.admit(t0 + 2s), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.admit(t0 + 3s));
  // The interval counts from its first line: a new one begins at 10 s.
  EXPECT_EQ(throttle.admit(t0 + 10s), 5u);
  EXPECT_EQ(throttle.admit(t0 + 10s), 0u);
  EXPECT_EQ(throttle.admit(t0 + 19s), 0u);
  EXPECT_FALSE(throttle.admit(t0 + 19s));
  EXPECT_EQ(throttle.admit(t0 + 20s), 1u);
}

}  // namespace
}  // namespace pop
