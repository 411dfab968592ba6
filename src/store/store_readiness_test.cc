#include "store/store_readiness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <stdexcept>
#include <thread>

namespace pop::store {
namespace {

using namespace std::chrono_literals;

class StoreReadinessTest : public ::testing::Test {
 protected:
  StoreReadiness readiness(StoreReadiness::Probe probe) {
    return StoreReadiness(std::move(probe), clock_, StoreReadiness::Options{1000ms, 5000ms});
  }

  ManualClock clock_;
};

TEST_F(StoreReadinessTest, OneProbePerIntervalWhateverTheNumberOfChecks) {
  int probes = 0;
  Result<void> disk;
  auto checks = readiness([&](WallTime) {
    ++probes;
    return disk;
  });
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(checks.check().has_value());
  EXPECT_EQ(probes, 1);

  disk = fail(ErrorCode::kUnavailable, "database or disk is full");
  clock_.advance(999ms);
  EXPECT_TRUE(checks.check().has_value()) << "still the last outcome";
  clock_.advance(1ms);
  auto full = checks.check();
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(full.error().message, "the store does not accept writes: database or disk is full");
  EXPECT_EQ(probes, 2);

  disk = {};
  clock_.advance(1s);
  EXPECT_TRUE(checks.check().has_value());
  EXPECT_EQ(probes, 3);
}

TEST_F(StoreReadinessTest, AnyFailureIsUnavailable) {
  auto checks = readiness([](WallTime) { return fail(ErrorCode::kInternal, "bug"); });
  auto outcome = checks.check();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable);
}

// A probe that throws (std::bad_alloc, a bug) ends like any other: the next check after the
// interval probes again instead of finding a probe forever "running" and, after
// stalled_after, answering unavailable for good.
TEST_F(StoreReadinessTest, AProbeThatThrowsDoesNotStopLaterProbes) {
  int probes = 0;
  auto checks = readiness([&](WallTime) -> Result<void> {
    if (++probes == 1) throw std::runtime_error("out of something");
    return {};
  });
  EXPECT_THROW((void)checks.check(), std::runtime_error);
  auto meanwhile = checks.check();
  ASSERT_FALSE(meanwhile.has_value()) << "within the interval: the thrown probe's outcome";
  EXPECT_EQ(meanwhile.error().message,
            "the store does not accept writes: the probe ended with an exception");
  clock_.advance(6s);
  EXPECT_TRUE(checks.check().has_value());
  EXPECT_EQ(probes, 2);
}

TEST_F(StoreReadinessTest, ChecksDoNotQueueBehindARunningProbeUntilItStalls) {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool release = false;
  int probes = 0;
  auto checks = readiness([&](WallTime) -> Result<void> {
    std::unique_lock lock(mutex);
    ++probes;
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return release; });
    return {};
  });
  std::thread first([&] { EXPECT_TRUE(checks.check().has_value()); });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return entered; });
  }
  auto meanwhile = checks.check();  // returns at once: nothing finished yet
  ASSERT_FALSE(meanwhile.has_value());
  EXPECT_EQ(meanwhile.error().message, "the store has not been probed yet");
  clock_.advance(6s);
  auto stalled = checks.check();
  ASSERT_FALSE(stalled.has_value());
  EXPECT_EQ(stalled.error().message, "the store has not finished a write in 6 s");
  {
    std::lock_guard lock(mutex);
    release = true;
    changed.notify_all();
  }
  first.join();
  EXPECT_EQ(probes, 1);
}

}  // namespace
}  // namespace pop::store
