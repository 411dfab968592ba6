// The libpq connection against a private PostgreSQL 15 (testing/postgres_cluster.h).
#include "postgres/pg_connection.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "testing/postgres_cluster.h"

namespace pop::postgres {
namespace {

class PgConnectionTest : public ::testing::Test {
 protected:
  Connection connect() {
    auto connection = Connection::open(cluster_.uri());
    if (!connection) throw std::runtime_error(connection.error().message);
    return std::move(*connection);
  }

  pop::testing::PostgresCluster cluster_;
};

TEST_F(PgConnectionTest, RunsStatementsWithTextParametersAndNulls) {
  Connection db = connect();
  ASSERT_TRUE(db.execute("CREATE TABLE t (k text PRIMARY KEY, v text)"));
  // A value is never SQL, whatever it says.
  const std::string hostile = "x'); DROP TABLE t; --";
  auto inserted =
      db.execute("INSERT INTO t VALUES ($1, $2), ($3, $4)", {"a", hostile, "b", std::nullopt});
  ASSERT_TRUE(inserted) << inserted.error().error.message;
  EXPECT_EQ(inserted->affected(), 2u);
  auto rows = db.execute("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(rows) << rows.error().error.message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->columns(), 2u);
  EXPECT_EQ(rows->text(0, 1), hostile);
  EXPECT_FALSE(rows->is_null(0, 1));
  EXPECT_TRUE(rows->is_null(1, 1));
  EXPECT_EQ(rows->text(1, 1), "");
}

TEST_F(PgConnectionTest, ItsSocketIsCloseOnExec) {
  Connection db = connect();
  ASSERT_GE(db.socket(), 0);
  EXPECT_NE(::fcntl(db.socket(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(PgConnectionTest, FailuresCarryTheirSqlstateAndWhatTheCallerCanDo) {
  Connection db = connect();
  auto bad = db.execute("SELEC 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate, "42601");
  EXPECT_EQ(bad.error().error.code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().error.message.find("syntax error"), std::string::npos)
      << bad.error().error.message;

  ASSERT_TRUE(db.execute("CREATE TABLE u (k int PRIMARY KEY)"));
  ASSERT_TRUE(db.execute("INSERT INTO u VALUES (1)"));
  auto twice = db.execute("INSERT INTO u VALUES (1)");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().sqlstate, "23505");
  EXPECT_EQ(twice.error().error.code, ErrorCode::kConflict);
  EXPECT_TRUE(db.healthy());  // a failed statement leaves the connection usable
  EXPECT_TRUE(db.execute("SELECT 1"));
}

TEST_F(PgConnectionTest, AStoppedServerMakesStatementsUnavailableAndTheConnectionUnhealthy) {
  Connection db = connect();
  cluster_.stop_immediately();
  auto lost = db.execute("SELECT 1");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().error.code, ErrorCode::kUnavailable) << lost.error().error.message;
  EXPECT_FALSE(db.healthy());
  auto refused = Connection::open(cluster_.uri());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("cannot connect to PostgreSQL"), std::string::npos);
  cluster_.start();
  EXPECT_TRUE(connect().execute("SELECT 1"));
}

}  // namespace
}  // namespace pop::postgres
