#include "kubernetes/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

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

// Real time, measured as a ratio: four threads together get the configured rate, not four
// times it.
TEST(RateLimiter, ThreadsShareOneBudget) {
  RateLimiter limiter({.requests_per_second = 200, .burst = 1});
  std::atomic<int> acquired{0};
  const auto start = BucketClock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_TRUE(limiter.acquire(nullptr));
        acquired.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(BucketClock::now() - start).count();
  const double rate = acquired.load() / seconds;
  // 100 requests at 200/s take at least 0.495 s; scheduling can only slow them down.
  EXPECT_LE(rate, 200 * 1.05) << rate;
  EXPECT_GE(rate, 200 * 0.3) << rate;
  EXPECT_GT(limiter.total_wait(), 300ms);
}

TEST(RateLimiter, AStopEndsTheWait) {
  RateLimiter limiter({.requests_per_second = 0.1, .burst = 1});
  StopSignal stop;
  ASSERT_TRUE(limiter.acquire(&stop));
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  const auto start = BucketClock::now();
  EXPECT_FALSE(limiter.acquire(&stop));  // would otherwise wait 10 s
  EXPECT_LT(BucketClock::now() - start, 5s);
  stopper.join();
  EXPECT_FALSE(limiter.acquire(&stop));  // stopped for good
}

}  // namespace
}  // namespace pop::kubernetes
