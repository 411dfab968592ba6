#include "engine/backoff.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelay, DoublesPerAttemptWithinJitterBand) {
  EXPECT_EQ(retry_delay(1.0, 1, 0.0), milliseconds(500));
  EXPECT_EQ(retry_delay(1.0, 1, 1.0), milliseconds(1000));
  EXPECT_EQ(retry_delay(1.0, 2, 0.0), milliseconds(1000));
  EXPECT_EQ(retry_delay(1.0, 3, 0.5), milliseconds(3000));
}

TEST(RetryDelay, CappedAndNeverNegative) {
  EXPECT_EQ(retry_delay(10.0, 30, 1.0), kMaximumRetryDelay);
  EXPECT_EQ(retry_delay(10.0, 1000, 1.0), kMaximumRetryDelay);
  EXPECT_EQ(retry_delay(0.0, 5, 0.7), milliseconds(0));
  EXPECT_EQ(retry_delay(-3.0, 2, 0.7), milliseconds(0));
}

}  // namespace
}  // namespace pop
