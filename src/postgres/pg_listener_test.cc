// Listener against a private PostgreSQL 15: notifications arrive, and after the server
// restarts the listener is back by itself, saying so with a resync.
#include "postgres/pg_listener.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "testing/postgres_cluster.h"
#include "testing/subprocess.h"

namespace pop::postgres {
namespace {

class ListenerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Listener> listen(
      std::chrono::milliseconds resync_interval = ListenerOptions{}.resync_interval) {
    ListenerOptions options;
    options.uri = cluster_.uri();
    options.channels = {"jobs", "other"};
    options.reconnect_delay = std::chrono::milliseconds(100);
    options.resync_interval = resync_interval;
    return std::make_unique<Listener>(
        options,
        [this](const std::string& channel, const std::string& payload) {
          std::lock_guard lock(mutex_);
          heard_.push_back(channel + ":" + payload);
        },
        [this] { ++resyncs_; });
  }

  std::vector<std::string> heard() {
    std::lock_guard lock(mutex_);
    return heard_;
  }

  // Notifies until the listener hears it (it may not be listening yet).
  bool heard_after_notifying(const std::string& channel, const std::string& payload) {
    return pop::testing::eventually([&] {
      cluster_.psql("NOTIFY " + channel + ", '" + payload + "'");
      auto all = heard();
      return std::find(all.begin(), all.end(), channel + ":" + payload) != all.end();
    });
  }

  ::pop::testing::PostgresCluster cluster_;
  std::mutex mutex_;
  std::vector<std::string> heard_;
  std::atomic<int> resyncs_{0};
};

TEST_F(ListenerTest, HearsItsChannelsAndResyncsWhenItStartsListening) {
  auto listener = listen();
  ASSERT_TRUE(heard_after_notifying("jobs", "agenda-1"));
  ASSERT_TRUE(heard_after_notifying("other", "x/y"));
  EXPECT_GE(resyncs_.load(), 1);
  cluster_.psql("NOTIFY unrelated, 'no'");
  ASSERT_TRUE(heard_after_notifying("jobs", "agenda-2"));
  for (const std::string& line : heard()) EXPECT_EQ(line.find("unrelated"), std::string::npos);
}

TEST_F(ListenerTest, ComesBackAfterARestartAndResyncsForWhatItMissed) {
  auto listener = listen();
  ASSERT_TRUE(heard_after_notifying("jobs", "before"));
  const int resyncs_before = resyncs_.load();
  cluster_.stop_immediately();
  cluster_.start();
  ASSERT_TRUE(heard_after_notifying("jobs", "after"));
  EXPECT_GT(resyncs_.load(), resyncs_before);
}

// Where notifications never arrive (a pooler in transaction mode drops LISTEN), the resyncs
// at the interval are what keeps a replica up to date (--store-poll-seconds).
TEST_F(ListenerTest, ResyncsEveryIntervalWithoutAnyNotification) {
  auto listener = listen(std::chrono::milliseconds(200));
  ASSERT_TRUE(pop::testing::eventually([&] { return resyncs_.load() >= 1; }));
  const int first = resyncs_.load();
  EXPECT_TRUE(pop::testing::eventually([&] { return resyncs_.load() >= first + 3; },
                                       std::chrono::seconds(5)));
  EXPECT_TRUE(heard().empty());
}

TEST_F(ListenerTest, StopsAtOnceWhileTheServerIsDown) {
  auto listener = listen();
  ASSERT_TRUE(heard_after_notifying("jobs", "up"));
  cluster_.stop_immediately();
  const auto begin = std::chrono::steady_clock::now();
  listener.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
}

}  // namespace
}  // namespace pop::postgres
