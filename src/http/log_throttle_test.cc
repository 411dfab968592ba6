#include "http/log_throttle.h"

#include <gtest/gtest.h>

namespace pop::http {
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

}  // namespace
}  // namespace pop::http
