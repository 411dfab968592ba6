// PgWriteBatcher against a private PostgreSQL 15: what PostgreSQL can do to a batch that
// SQLite cannot (deadlocks with another writer, a connection cut mid-transaction or
// mid-commit).
#include "store/postgres/pg_write_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>

#include "store/postgres/pg_rows.h"
#include "testing/postgres_cluster.h"

namespace pop::store::postgres {
namespace {

using ::pop::postgres::ConnectionPool;
using ::pop::postgres::ConnectionPoolOptions;

Result<void> run_sql(Connection& db, const std::string& sql) {
  auto done = query(db, sql);
  if (!done) return fail(std::move(done.error()));
  return {};
}

class PgWriteBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cluster_
                  .psql("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL);"
                        "INSERT INTO t VALUES (1, 0), (2, 0);")
                  .exit_status,
              0);
  }

  ConnectionPoolOptions pool_options() const {
    ConnectionPoolOptions options;
    options.uri = cluster_.uri();
    options.size = 1;
    return options;
  }

  std::string psql(const std::string& sql) { return cluster_.psql(sql).out; }

  ::pop::testing::PostgresCluster cluster_;
};

TEST_F(PgWriteBatcherTest, ADeadlockWithAnotherWriterIsRunAgain) {
  // Two replicas' writers each lock one row, then want the other's: PostgreSQL aborts one of
  // them (after deadlock_timeout, 1 s), which must be run again rather than fail.
  ConnectionPool pool_a(pool_options());
  ConnectionPool pool_b(pool_options());
  PgWriteBatcher writer_a(pool_a, 8);
  PgWriteBatcher writer_b(pool_b, 8);
  std::latch both_hold_their_first_row(2);
  std::atomic<int> runs{0};
  auto crosswise = [&](int first, int second) {
    return [&, first, second](Connection& db) -> Result<void> {
      const bool first_run = runs.fetch_add(1) < 2;
      const std::string update = "UPDATE t SET v = v + 1 WHERE id = ";
      if (auto done = run_sql(db, update + std::to_string(first)); !done) return done;
      if (first_run) both_hold_their_first_row.arrive_and_wait();
      return run_sql(db, update + std::to_string(second));
    };
  };
  Result<void> result_a;
  Result<void> result_b;
  std::thread a([&] { result_a = writer_a.run(crosswise(1, 2)); });
  std::thread b([&] { result_b = writer_b.run(crosswise(2, 1)); });
  a.join();
  b.join();
  EXPECT_TRUE(result_a.has_value()) << result_a.error().message;
  EXPECT_TRUE(result_b.has_value()) << result_b.error().message;
  EXPECT_EQ(writer_a.retried_batches() + writer_b.retried_batches(), 1u);
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(psql("SELECT v FROM t ORDER BY id"), "2\n2\n");
}

TEST_F(PgWriteBatcherTest, AConnectionLostBeforeTheCommitIsRunAgainOnANewOne) {
  ConnectionPool pool(pool_options());
  PgWriteBatcher writer(pool, 8);
  std::atomic<int> runs{0};
  auto done = writer.run([&](Connection& db) -> Result<void> {
    if (auto inserted = run_sql(db, "INSERT INTO t VALUES (3, 0)"); !inserted) return inserted;
    if (runs.fetch_add(1) == 0) return run_sql(db, "SELECT pg_terminate_backend(pg_backend_pid())");
    return {};
  });
  EXPECT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(writer.retried_batches(), 1u);
  EXPECT_EQ(psql("SELECT count(*) FROM t WHERE id = 3"), "1\n");
}

TEST_F(PgWriteBatcherTest, ACommitLostMidWayIsReportedAsOfUnknownOutcomeAndNotRunAgain) {
  // A deferred constraint trigger runs inside COMMIT: it cuts the connection there.
  ASSERT_EQ(
      cluster_
          .psql("CREATE TABLE doomed (id int);"
                "CREATE FUNCTION cut() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;"
                "CREATE CONSTRAINT TRIGGER cut_at_commit AFTER INSERT ON doomed "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cut();")
          .exit_status,
      0);
  ConnectionPool pool(pool_options());
  PgWriteBatcher writer(pool, 8);
  std::atomic<int> runs{0};
  auto done = writer.run([&](Connection& db) -> Result<void> {
    runs.fetch_add(1);
    return run_sql(db, "INSERT INTO doomed VALUES (1)");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(done.error().message.find("outcome is unknown"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(runs.load(), 1);
  // The writer goes on with a new connection.
  EXPECT_TRUE(writer.run([](Connection& db) { return run_sql(db, "UPDATE t SET v = 7"); }));
  EXPECT_EQ(psql("SELECT v FROM t WHERE id = 1"), "7\n");
}

// A batch that keeps failing for a reason retrying could cure is given up after
// kMaxAttempts as "try again later", not as a conflict (which callers read as "someone else
// changed it").
TEST_F(PgWriteBatcherTest, RetriesUsedUpAreUnavailableNotAConflict) {
  ConnectionPool pool(pool_options());
  PgWriteBatcher writer(pool, 8);
  std::atomic<int> runs{0};
  auto done = writer.run([&](Connection& db) -> Result<void> {
    runs.fetch_add(1);
    return run_sql(db,
                   "DO $$ BEGIN RAISE EXCEPTION 'always' USING ERRCODE = 'serialization_failure'; "
                   "END $$");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::kUnavailable) << done.error().message;
  EXPECT_EQ(runs.load(), PgWriteBatcher::kMaxAttempts);
  EXPECT_EQ(writer.retried_batches(), std::uint64_t{PgWriteBatcher::kMaxAttempts - 1});
}

TEST_F(PgWriteBatcherTest, AFailingUnitIsUndoneAloneAndItsBatchCommits) {
  ConnectionPool pool(pool_options());
  PgWriteBatcher writer(pool, 8);
  std::vector<PgWriteBatcher::Work> works{
      [](Connection& db) { return run_sql(db, "INSERT INTO t VALUES (10, 0)"); },
      [](Connection& db) -> Result<void> {
        if (auto done = run_sql(db, "INSERT INTO t VALUES (11, 0)"); !done) return done;
        return run_sql(db, "INSERT INTO t VALUES (1, 0)");  // a duplicate key
      },
      [](Connection& db) { return run_sql(db, "INSERT INTO t VALUES (12, 0)"); }};
  auto results = writer.run_all(works);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].has_value());
  ASSERT_FALSE(results[1].has_value());
  EXPECT_EQ(results[1].error().code, ErrorCode::kConflict);
  EXPECT_TRUE(results[2].has_value());
  EXPECT_EQ(psql("SELECT id FROM t WHERE id >= 10 ORDER BY id"), "10\n12\n");
  EXPECT_EQ(writer.retried_batches(), 0u);
  EXPECT_EQ(writer.statistics().commits, 1u);
}

// Deferred writes (Connection::defer) belong to their unit: a unit that gives up after
// queuing them, before or after it sent anything, leaves none of them behind; one whose
// deferred write fails is undone alone.
TEST_F(PgWriteBatcherTest, AUnitsDeferredWritesFailAndAreUndoneWithIt) {
  ConnectionPool pool(pool_options());
  PgWriteBatcher writer(pool, 8);
  const auto gave_up = [] { return fail(ErrorCode::kConflict, "gave up"); };
  std::vector<PgWriteBatcher::Work> works{
      [&](Connection& db) -> Result<void> {  // nothing sent before giving up
        db.defer("INSERT INTO t VALUES (20, 0)");
        return gave_up();
      },
      [](Connection& db) -> Result<void> {
        db.defer("INSERT INTO t VALUES (21, 0)");
        return {};
      },
      [&](Connection& db) -> Result<void> {  // sent a read, then gave up
        db.defer("INSERT INTO t VALUES (22, 0)");
        if (auto read = run_sql(db, "SELECT 1"); !read) return read;
        db.defer("INSERT INTO t VALUES (23, 0)");
        return gave_up();
      },
      [](Connection& db) -> Result<void> {  // its deferred write fails
        db.defer("INSERT INTO t VALUES (24, 0)");
        db.defer("INSERT INTO t VALUES (1, 0)");
        return {};
      },
      [](Connection& db) -> Result<void> {
        db.defer("INSERT INTO t VALUES (25, 0)");
        return {};
      }};
  auto results = writer.run_all(works);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_FALSE(results[0].has_value());
  EXPECT_TRUE(results[1].has_value()) << results[1].error().message;
  EXPECT_FALSE(results[2].has_value());
  ASSERT_FALSE(results[3].has_value());
  EXPECT_EQ(results[3].error().code, ErrorCode::kConflict);
  EXPECT_NE(results[3].error().message.find("23505"), std::string::npos)
      << results[3].error().message;
  EXPECT_TRUE(results[4].has_value()) << results[4].error().message;
  EXPECT_EQ(psql("SELECT id FROM t WHERE id >= 20 ORDER BY id"), "21\n25\n");
  EXPECT_EQ(writer.retried_batches(), 0u);
  EXPECT_EQ(writer.statistics().commits, 1u);
}

}  // namespace
}  // namespace pop::store::postgres
