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

// A transaction left idle by a client that vanished must not hold its locks for long; a URI
// that says otherwise wins.
TEST_F(PgConnectionTest, IdleTransactionsEndAfterTenSecondsUnlessTheUriSaysOtherwise) {
  auto by_default = connect();
  auto shown = by_default.execute("SHOW idle_in_transaction_session_timeout");
  ASSERT_TRUE(shown.has_value()) << shown.error().error.message;
  EXPECT_EQ(shown->text(0, 0), "10s");
  auto chosen =
      Connection::open(cluster_.uri() + "&options=-c%20idle_in_transaction_session_timeout%3D5000");
  ASSERT_TRUE(chosen.has_value()) << chosen.error().message;
  shown = chosen->execute("SHOW idle_in_transaction_session_timeout");
  ASSERT_TRUE(shown.has_value()) << shown.error().error.message;
  EXPECT_EQ(shown->text(0, 0), "5s");
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

namespace pop::postgres {
namespace {

// A password in the URI is found wherever it is, and never repeated, not even when libpq
// cannot read the URI around it.
TEST(UriHasPassword, FindsPasswordsWithoutRepeatingThem) {
  EXPECT_EQ(uri_has_password("postgresql://pop:sesame@db/pop"), true);
  EXPECT_EQ(uri_has_password("postgresql://pop@db/pop?password=sesame"), true);
  EXPECT_EQ(uri_has_password("postgresql://pop@db/pop?sslpassword=sesame"), true);
  EXPECT_EQ(uri_has_password("host=db user=pop password=sesame"), true);
  EXPECT_EQ(uri_has_password("postgresql://pop@db/pop?sslmode=require"), false);
  for (const char* malformed : {"postgresql://pop:sesame%zz@db/pop", "host=db password='sesame"}) {
    auto refused = uri_has_password(malformed);
    ASSERT_FALSE(refused.has_value()) << malformed;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message.find("sesame"), std::string::npos) << refused.error().message;
    EXPECT_EQ(refused.error().message.find("same"), std::string::npos) << refused.error().message;
  }
}

}  // namespace
}  // namespace pop::postgres
