#include "kubernetes/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

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
  TaskPool pool(1);
  const auto start = TaskPool::Clock::now();
  std::atomic<TaskPool::Clock::time_point> delayed_ran{};
  pool.post_at(start + 100ms, [&] { delayed_ran = TaskPool::Clock::now(); });
  pool.post(record(1));
  pool.post(record(2));
  ASSERT_TRUE(pool.wait_idle(5s));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  }
  while (delayed_ran.load() == TaskPool::Clock::time_point{}) std::this_thread::sleep_for(5ms);
  EXPECT_GE(delayed_ran.load() - start, 100ms);
}

TEST(TaskPool, DestructionRunsDueTasksAndDropsLaterOnes) {
  std::atomic<int> ran{0};
  {
    TaskPool pool(2);
    for (int i = 0; i < 10; ++i) pool.post([&] { ran.fetch_add(1); });
    pool.post_at(TaskPool::Clock::now() + 1h, [&] { ran.fetch_add(100); });
  }
  EXPECT_EQ(ran.load(), 10);
}

TEST(TaskPool, WaitIdleTimesOutWhileATaskRuns) {
  std::atomic<bool> release{false};
  TaskPool pool(1);
  pool.post([&] {
    while (!release) std::this_thread::sleep_for(1ms);
  });
  EXPECT_FALSE(pool.wait_idle(50ms));
  release = true;
  EXPECT_TRUE(pool.wait_idle(5s));
}

}  // namespace
}  // namespace pop::kubernetes
