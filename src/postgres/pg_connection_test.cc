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

TEST_F(PgConnectionTest, DeferredStatementsGoWithTheNextOneInOneSend) {
  Connection db = connect();
  ASSERT_TRUE(db.execute("CREATE TABLE d (k int PRIMARY KEY, v text)"));
  ASSERT_TRUE(db.execute("BEGIN"));
  const std::uint64_t sends = db.sends();
  db.defer("INSERT INTO d VALUES ($1, $2)", {"1", "one"});
  db.defer("INSERT INTO d VALUES ($1, $2)", {"2", std::nullopt});
  EXPECT_EQ(db.deferred(), 2u);
  EXPECT_EQ(db.sends(), sends);  // nothing reached the server yet
  auto rows = db.execute_prepared("SELECT count(*), count(v) FROM d");
  ASSERT_TRUE(rows) << rows.error().error.message;
  EXPECT_EQ(db.sends(), sends + 1);
  EXPECT_EQ(db.deferred(), 0u);
  EXPECT_EQ(rows->text(0, 0), "2");
  EXPECT_EQ(rows->text(0, 1), "1");
  // Prepared once, then reused, deferred or not.
  db.defer("INSERT INTO d VALUES ($1, $2)", {"3", "three"});
  ASSERT_TRUE(db.execute_prepared("INSERT INTO d VALUES ($1, $2)", {"4", "four"}));
  ASSERT_TRUE(db.execute("COMMIT"));
  EXPECT_EQ(db.execute("SELECT count(*) FROM d")->text(0, 0), "4");
}

TEST_F(PgConnectionTest, TheFirstFailureOfADeferredStatementIsAnsweredAndNothingAfterItRuns) {
  Connection db = connect();
  ASSERT_TRUE(db.execute("CREATE TABLE d (k int PRIMARY KEY)"));
  ASSERT_TRUE(db.execute("INSERT INTO d VALUES (1)"));
  ASSERT_TRUE(db.execute("BEGIN"));
  db.defer("INSERT INTO d VALUES ($1)", {"2"});
  db.defer("INSERT INTO d VALUES ($1)", {"1"});  // a duplicate key
  db.defer("SELEC 1");                           // never prepared: not reached
  auto answered = db.execute_prepared("INSERT INTO d VALUES ($1)", {"3"});
  ASSERT_FALSE(answered);
  EXPECT_EQ(answered.error().sqlstate, "23505");
  EXPECT_EQ(answered.error().error.code, ErrorCode::kConflict);
  EXPECT_EQ(db.last_sqlstate(), "23505");
  EXPECT_TRUE(db.healthy());
  ASSERT_TRUE(db.execute("ROLLBACK"));
  EXPECT_EQ(db.execute("SELECT string_agg(k::text, ',') FROM d")->text(0, 0), "1");
  // A statement the server refused to prepare in a pipeline is prepared again next time
  // (and fails again, for its own reason).
  ASSERT_TRUE(db.execute("BEGIN"));
  db.defer("SELEC 2");
  auto refused = db.execute_prepared("SELECT 1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().sqlstate, "42601");
  ASSERT_TRUE(db.execute("ROLLBACK"));
  auto again = db.execute_prepared("SELEC 2");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sqlstate, "42601");
  EXPECT_TRUE(db.execute_prepared("SELECT 1"));
  // Dropped statements are never sent.
  db.defer("INSERT INTO d VALUES ($1)", {"5"});
  db.defer("INSERT INTO d VALUES ($1)", {"6"});
  db.drop_deferred(1);
  ASSERT_TRUE(db.execute_prepared("SELECT 1"));
  EXPECT_EQ(db.execute("SELECT string_agg(k::text, ',' ORDER BY k) FROM d")->text(0, 0), "1,5");
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
