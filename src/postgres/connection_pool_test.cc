// The connection pool against a private PostgreSQL 15 (testing/postgres_cluster.h).
#include "postgres/connection_pool.h"

#include <gtest/gtest.h>

#include <future>

#include "testing/postgres_cluster.h"

namespace pop::postgres {
namespace {

using namespace std::chrono_literals;

class ConnectionPoolTest : public ::testing::Test {
 protected:
  ConnectionPoolOptions options(std::size_t size) {
    return {.uri = cluster_.uri(),
            .password = {},
            .size = size,
            .acquire_timeout = 5s,
            .clock = &clock_};
  }

  pop::testing::PostgresCluster cluster_;
  ManualClock clock_;
};

TEST_F(ConnectionPoolTest, AGivenBackConnectionIsLeasedAgain) {
  ConnectionPool pool(options(2));
  int first_backend = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease) << lease.error().message;
    auto pid = (*lease)->execute("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid);
    first_backend = std::stoi(std::string(pid->text(0, 0)));
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again);
  auto pid = (*again)->execute("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  EXPECT_EQ(std::stoi(std::string(pid->text(0, 0))), first_backend);
  EXPECT_EQ(pool.open_connections(), 1u);
}

// A user that queued statements (Connection::defer) and gave the connection back without
// sending them leaves nothing for the next user to send by mistake.
TEST_F(ConnectionPoolTest, StatementsQueuedAndNotSentDoNotReachTheNextUser) {
  ConnectionPool pool(options(1));
  ASSERT_TRUE((*pool.acquire())->execute("CREATE TABLE queued (k int)"));
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    (*lease)->defer("INSERT INTO queued VALUES (1)");
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->deferred(), 0u);
  auto count = (*again)->execute_prepared("SELECT count(*) FROM queued");
  ASSERT_TRUE(count) << count.error().error.message;
  EXPECT_EQ(count->text(0, 0), "0");
}

TEST_F(ConnectionPoolTest, AFullPoolMakesTheNextCallerWaitThenServesOrTimesOut) {
  ConnectionPool pool(options(1));
  auto held = pool.acquire();
  ASSERT_TRUE(held);
  // Served as soon as the holder gives its connection back.
  auto waiting = std::async(std::launch::async, [&] { return pool.acquire(); });
  ASSERT_TRUE(clock_.await_waiters(1));
  { auto given_back = std::move(*held); }
  auto served = waiting.get();
  EXPECT_TRUE(served) << served.error().message;
  // Timed out when nobody does.
  auto late = std::async(std::launch::async, [&] { return pool.acquire(); });
  ASSERT_TRUE(clock_.await_waiters(1));
  clock_.advance(5s);
  auto timed_out = late.get();
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(timed_out.error().message.find("all 1 in use"), std::string::npos)
      << timed_out.error().message;
}

TEST_F(ConnectionPoolTest, ABrokenConnectionIsClosedAndTheRestartedServerReconnectedTo) {
  ConnectionPool pool(options(1));
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    cluster_.stop_immediately();
    EXPECT_FALSE((*lease)->execute("SELECT 1"));
  }
  EXPECT_EQ(pool.open_connections(), 0u);
  auto refused = pool.acquire();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(pool.open_connections(), 0u);  // the failed attempt gave its place back
  cluster_.start();
  auto lease = pool.acquire();
  ASSERT_TRUE(lease) << lease.error().message;
  EXPECT_TRUE((*lease)->execute("SELECT 1"));
}

}  // namespace
}  // namespace pop::postgres
