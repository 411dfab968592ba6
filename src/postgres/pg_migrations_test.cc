// Migrations against a private PostgreSQL 15 (testing/postgres_cluster.h), also by several
// connections at once as replicas starting together would run them.
#include "postgres/pg_migrations.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "testing/postgres_cluster.h"

namespace pop::postgres {
namespace {

const Migration kTwo[] = {
    {1, "agendas", "CREATE TABLE agendas (id text PRIMARY KEY); CREATE INDEX ON agendas (id)"},
    {2, "documents", "CREATE TABLE documents (id text PRIMARY KEY)"},
};

class PgMigrationsTest : public ::testing::Test {
 protected:
  Connection connect() {
    auto connection = Connection::open(cluster_.uri());
    if (!connection) throw std::runtime_error(connection.error().message);
    return std::move(*connection);
  }

  std::string query(const std::string& sql) { return cluster_.psql(sql).out; }

  pop::testing::PostgresCluster cluster_;
};

TEST_F(PgMigrationsTest, BringsANewDatabaseUpToDateOnce) {
  Connection db = connect();
  auto version = migrate(db, kTwo);
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(*version, 2);
  EXPECT_EQ(query("SELECT count(*) FROM documents"), "0\n");
  auto again = migrate(db, kTwo);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 2);
  EXPECT_EQ(query("SELECT string_agg(version || ' ' || description, ',' ORDER BY version) "
                  "FROM schema_version"),
            "1 agendas,2 documents\n");
}

TEST_F(PgMigrationsTest, AFailingMigrationLeavesTheEarlierVersion) {
  Connection db = connect();
  ASSERT_TRUE(migrate(db, std::span(kTwo).first(1)));
  const Migration broken[] = {kTwo[0], kTwo[1], {3, "broken", "CREATE TABLE x (; "}};
  auto version = migrate(db, broken);
  ASSERT_FALSE(version);
  EXPECT_NE(version.error().message.find("schema migration 3 (broken) failed"), std::string::npos)
      << version.error().message;
  // Migration 2 ran in the same transaction: gone with it.
  EXPECT_EQ(query("SELECT max(version) FROM schema_version"), "1\n");
  EXPECT_EQ(query("SELECT to_regclass('documents') IS NULL"), "t\n");
  EXPECT_TRUE(db.execute("SELECT 1"));  // no transaction left open
}

TEST_F(PgMigrationsTest, ADatabaseOfANewerPopIsRefused) {
  Connection db = connect();
  ASSERT_TRUE(migrate(db, kTwo));
  ASSERT_EQ(cluster_.psql("INSERT INTO schema_version (version, description) VALUES (9, 'x')")
                .exit_status,
            0);
  auto version = migrate(db, kTwo);
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(version.error().message.find("schema version 9, newer than this POP knows (2)"),
            std::string::npos)
      << version.error().message;
}

TEST_F(PgMigrationsTest, ReplicasStartingTogetherApplyEachMigrationOnce) {
  constexpr int kReplicas = 8;
  std::vector<Connection> connections;
  for (int i = 0; i < kReplicas; ++i) connections.push_back(connect());
  std::vector<Result<int>> versions(kReplicas, 0);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i)
    replicas.emplace_back([&, i] { versions[i] = migrate(connections[i], kTwo); });
  for (auto& replica : replicas) replica.join();
  for (const auto& version : versions) {
    ASSERT_TRUE(version) << version.error().message;
    EXPECT_EQ(*version, 2);
  }
  EXPECT_EQ(query("SELECT count(*) FROM schema_version"), "2\n");
}

}  // namespace
}  // namespace pop::postgres
