#include "kubernetes/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "testing/subprocess.h"
#include "util/clock.h"

namespace pop::kubernetes {
namespace {

using namespace std::chrono_literals;
using BucketClock = TokenBucket::Clock;

TEST(TokenBucket, ABurstGoesAtOnceThenRequestsAreSpacedAtTheRate) {
  const BucketClock::time_point t0{};
  TokenBucket bucket({.requests_per_second = 10, .burst = 3}, t0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(t0), BucketClock::duration::zero()) << i;
  // Reservations queue: the 4th waits one interval, the 5th two.
  EXPECT_EQ(bucket.reserve(t0), 100ms);
  EXPECT_EQ(bucket.reserve(t0), 200ms);
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  const BucketClock::time_point t0{};
  TokenBucket bucket({.requests_per_second = 10, .burst = 2}, t0);
  EXPECT_EQ(bucket.reserve(t0), BucketClock::duration::zero());
  EXPECT_EQ(bucket.reserve(t0), BucketClock::duration::zero());
  // A long pause fills the bucket, but no more than the burst.
  const auto later = t0 + 10s;
  EXPECT_EQ(bucket.reserve(later), BucketClock::duration::zero());
  EXPECT_EQ(bucket.reserve(later), BucketClock::duration::zero());
  EXPECT_EQ(bucket.reserve(later), 100ms);
}

TEST(TokenBucket, SustainedRateMatchesTheLimit) {
  // 1,000 back-to-back requests at 50/s with a burst of 10: the last may go after
  // (1000 - 10) / 50 = 19.8 s.
  const BucketClock::time_point t0{};
  TokenBucket bucket({.requests_per_second = 50, .burst = 10}, t0);
  BucketClock::time_point now = t0;
  for (int i = 0; i < 1000; ++i) now += bucket.reserve(now);
  const double seconds = std::chrono::duration<double>(now - t0).count();
  EXPECT_NEAR(seconds, 19.8, 0.01);
}

TEST(TokenBucket, ACancelledReservationIsGivenBack) {
  const BucketClock::time_point t0{};
  TokenBucket bucket({.requests_per_second = 1, .burst = 1}, t0);
  EXPECT_EQ(bucket.reserve(t0), BucketClock::duration::zero());
  EXPECT_EQ(bucket.reserve(t0), 1s);
  bucket.cancel_reservation();
  EXPECT_EQ(bucket.reserve(t0), 1s);  // not 2 s: the abandoned slot is free again
}

TEST(TokenBucket, ZeroRateMeansUnlimited) {
  const BucketClock::time_point t0{};
  TokenBucket bucket({.requests_per_second = 0, .burst = 1}, t0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.reserve(t0), BucketClock::duration::zero());
}

// Four threads share one budget: their reservations queue one interval apart, and none goes
// before the clock reaches its turn.
TEST(RateLimiter, ThreadsShareOneBudget) {
  ManualClock clock;
  RateLimiter limiter({.requests_per_second = 1, .burst = 1}, clock);
  ASSERT_TRUE(limiter.acquire(nullptr));  // the burst
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      EXPECT_TRUE(limiter.acquire(nullptr));
      acquired.fetch_add(1);
    });
  }
  const auto turns = [](std::vector<std::chrono::seconds> offsets) {
    std::vector<Clock::SteadyTime> deadlines;
    for (const auto offset : offsets) deadlines.push_back(Clock::SteadyTime{} + offset);
    return deadlines;
  };
  EXPECT_TRUE(clock.await_deadlines(
      [&](const auto& deadlines) {
        return deadlines == turns({1s, 2s, 3s, 4s});
      },
      10s));
  clock.advance(3999ms);
  EXPECT_TRUE(
      clock.await_deadlines([&](const auto& deadlines) { return deadlines == turns({4s}); }, 10s));
  clock.advance(1ms);
  const bool all = pop::testing::eventually([&] { return acquired.load() == 4; }, 30s);
  // Otherwise the waits end by the clock, so that the test fails rather than hangs.
  if (!all) clock.advance(1h);
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(all);
  EXPECT_EQ(limiter.total_wait(), 10s);
}

TEST(RateLimiter, AStopEndsTheWait) {
  ManualClock clock;
  RateLimiter limiter({.requests_per_second = 0.1, .burst = 1}, clock);
  StopSignal stop;
  ASSERT_TRUE(limiter.acquire(&stop));
  auto second = std::async(std::launch::async, [&] { return limiter.acquire(&stop); });
  ASSERT_TRUE(clock.await_waiters(1));  // for its token, 10 s away on a clock that stands still
  stop.request_stop();
  const bool ended = second.wait_for(30s) == std::future_status::ready;
  // Otherwise the wait ends by the clock, so that the test fails rather than hangs.
  if (!ended) clock.advance(10s);
  EXPECT_TRUE(ended);
  EXPECT_FALSE(second.get());
  EXPECT_FALSE(limiter.acquire(&stop));  // stopped for good
}

}  // namespace
}  // namespace pop::kubernetes
