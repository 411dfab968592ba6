#include "http/handler_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "testing/subprocess.h"

namespace pop::http::detail {
namespace {

// Tasks that block until released, counting how many are inside at once.
class Gate {
 public:
  std::function<void()> task() {
    return [this] {
      std::unique_lock lock(mu_);
      ++inside_;
      peak_ = std::max(peak_, inside_);
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
      --inside_;
      ++done_;
    };
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  int inside() {
    std::lock_guard lock(mu_);
    return inside_;
  }
  int peak() {
    std::lock_guard lock(mu_);
    return peak_;
  }
  int done() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = false;
  int inside_ = 0, peak_ = 0, done_ = 0;
};

TEST(HandlerPoolTest, StartsNoThreadUntilATaskArrives) {
  HandlerPool pool(8);
  EXPECT_EQ(pool.threads(), 0u);
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.post([&] { ran = true; }));
  EXPECT_TRUE(pop::testing::eventually([&] { return ran.load(); }));
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(HandlerPoolTest, BlockedTasksGetThreadsUpToTheCapThenQueue) {
  Gate gate;
  HandlerPool pool(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.post(gate.task()));
  ASSERT_TRUE(pop::testing::eventually([&] { return gate.inside() == 3; }));
  EXPECT_EQ(pool.threads(), 3u);
  gate.open();
  ASSERT_TRUE(pop::testing::eventually([&] { return gate.done() == 5; }));
  EXPECT_EQ(gate.peak(), 3);
  EXPECT_EQ(pool.threads(), 3u);
}

TEST(HandlerPoolTest, StopRunsWhatIsQueuedThenRefusesMore) {
  Gate gate;
  HandlerPool pool(1);
  std::atomic<int> queued_ran{0};
  ASSERT_TRUE(pool.post(gate.task()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.post([&] { ++queued_ran; }));
  ASSERT_TRUE(pop::testing::eventually([&] { return gate.inside() == 1; }));
  std::thread stopper([&] { pool.stop(); });
  // stop() has begun once posting fails; the queued tasks still run.
  ASSERT_TRUE(pop::testing::eventually([&] { return !pool.post([] {}); }));
  gate.open();
  stopper.join();
  EXPECT_EQ(queued_ran.load(), 3);
  EXPECT_EQ(pool.threads(), 0u);
}

}  // namespace
}  // namespace pop::http::detail
