// The task pool on a ManualClock: delayed tasks fall due when the test moves time, and
// wait_idle() times out on that clock, so nothing here depends on the machine's speed.
#include "kubernetes/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "util/clock.h"

namespace pop::kubernetes {
namespace {

using namespace std::chrono_literals;

TEST(TaskPool, RunsDueTasksInOrderAndDelayedOnesWhenDue) {
  std::mutex mutex;
  std::vector<int> order;
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard lock(mutex);
      order.push_back(n);
    };
  };
  ManualClock clock;
  TaskPool pool(1, clock);
  const auto start = clock.steady_now();
  std::promise<Clock::SteadyTime> delayed_ran;
  pool.post_at(start + 100ms, [&] { delayed_ran.set_value(clock.steady_now()); });
  pool.post(record(1));
  pool.post(record(2));
  ASSERT_TRUE(pool.wait_idle(5s));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  }
  auto ran = delayed_ran.get_future();
  ASSERT_TRUE(clock.await_waiters(1));  // the worker, until 100 ms
  clock.advance(99ms);
  ASSERT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(ran.wait_for(0s), std::future_status::timeout);
  clock.advance(1ms);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(ran.get() - start, 100ms);
}

TEST(TaskPool, DestructionRunsDueTasksAndDropsLaterOnes) {
  std::atomic<int> ran{0};
  {
    ManualClock clock;
    TaskPool pool(2, clock);
    for (int i = 0; i < 10; ++i) pool.post([&] { ran.fetch_add(1); });
    pool.post_at(clock.steady_now() + 1h, [&] { ran.fetch_add(100); });
  }
  EXPECT_EQ(ran.load(), 10);
}

TEST(TaskPool, WaitIdleTimesOutWhileATaskRuns) {
  ManualClock clock;
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  TaskPool pool(1, clock);
  pool.post([&] {
    std::unique_lock lock(mutex);
    released.wait(lock, [&] { return release; });
  });
  auto waited = std::async(std::launch::async, [&] { return pool.wait_idle(50ms); });
  ASSERT_TRUE(clock.await_waiters(1));  // wait_idle, until 50 ms
  clock.advance(50ms);
  EXPECT_FALSE(waited.get());
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  released.notify_all();
  EXPECT_TRUE(pool.wait_idle(5s));  // the task ends without time passing
}

}  // namespace
}  // namespace pop::kubernetes
