#include "store/sqlite/sqlite_migrations.h"

#include <gtest/gtest.h>

#include <array>

#include "store/conformance/store_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::fails_with;
using conformance::ok;

class SqliteMigrationsTest : public ::testing::Test {
 protected:
  Connection connect() {
    return Connection::open(directory_.path() / "test.db", Connection::Mode::kWriter,
                            std::chrono::milliseconds(1000))
        .value();
  }

  static bool table_exists(Connection& db, std::string_view name) {
    auto statement = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = ?1");
    (*statement)->bind(1, name);
    return (*statement)->step().value_or(false) && (*statement)->column_int64(0) == 1;
  }

  TempDir directory_ = TempDir::create("pop-migrations-test-").value();
};

constexpr std::array<Migration, 2> kTwoVersions{{
    {1, "first", "CREATE TABLE a (x INTEGER);"},
    {2, "second", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (42);"},
}};

TEST_F(SqliteMigrationsTest, NewDatabaseGetsEveryMigration) {
  Connection db = connect();
  EXPECT_EQ(schema_version(db).value(), 0);
  auto version = migrate(db, kTwoVersions);
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 2);
  EXPECT_EQ(schema_version(db).value(), 2);
  EXPECT_TRUE(table_exists(db, "a"));
  EXPECT_TRUE(table_exists(db, "b"));
  // Opening again applies nothing twice.
  ASSERT_TRUE(ok(migrate(db, kTwoVersions)));
  EXPECT_EQ(db.query_text("SELECT count(*) FROM a").value(), "1");
}

TEST_F(SqliteMigrationsTest, OlderDatabaseIsUpgradedKeepingItsData) {
  Connection db = connect();
  ASSERT_TRUE(ok(migrate(db, std::span(kTwoVersions).first(1))));
  ASSERT_TRUE(ok(db.execute("INSERT INTO a VALUES (1)")));
  EXPECT_FALSE(table_exists(db, "b"));
  ASSERT_TRUE(ok(migrate(db, kTwoVersions)));
  EXPECT_TRUE(table_exists(db, "b"));
  EXPECT_EQ(db.query_text("SELECT group_concat(x) FROM (SELECT x FROM a ORDER BY x)").value(),
            "1,42");
  EXPECT_EQ(db.query_text("SELECT group_concat(description) FROM schema_version").value(),
            "first,second");
}

TEST_F(SqliteMigrationsTest, FailingMigrationLeavesThePreviousVersionIntact) {
  Connection db = connect();
  ASSERT_TRUE(ok(migrate(db, std::span(kTwoVersions).first(1))));
  constexpr std::array<Migration, 3> kBroken{{
      kTwoVersions[0],
      kTwoVersions[1],
      {3, "broken", "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;"},
  }};
  auto version = migrate(db, kBroken);
  ASSERT_FALSE(version.has_value());
  EXPECT_NE(version.error().message.find("migration 3"), std::string::npos);
  EXPECT_EQ(schema_version(db).value(), 1);
  EXPECT_FALSE(table_exists(db, "b"));  // version 2 went back with 3, one transaction
  EXPECT_FALSE(table_exists(db, "c"));
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(SqliteMigrationsTest, NewerDatabaseIsRefused) {
  Connection db = connect();
  ASSERT_TRUE(ok(migrate(db, kTwoVersions)));
  auto version = migrate(db, std::span(kTwoVersions).first(1));
  ASSERT_TRUE(fails_with(version, ErrorCode::kUnavailable));
  EXPECT_EQ(schema_version(db).value(), 2);
}

TEST_F(SqliteMigrationsTest, StoreOpenAppliesTheBuiltinSchema) {
  SqliteStoreOptions options;
  options.data_directory = directory_.path() / "store";
  ASSERT_TRUE(ok(SqliteStore::open(options)));
  Connection db = Connection::open(options.data_directory / "pop.db", Connection::Mode::kReader,
                                   std::chrono::milliseconds(1000))
                      .value();
  EXPECT_EQ(schema_version(db).value(), builtin_migrations().back().version);
  for (const char* table :
       {"agendas", "progress", "leases", "idempotency_keys", "documents", "audit_log"}) {
    EXPECT_TRUE(table_exists(db, table)) << table;
  }
}

// Version 3 gives listings their summary columns: a database written before it keeps every
// agenda, gets each title and percentage from the documents (the defaults where a document
// is damaged), and keeps each document last in its row, where reading the columns before it
// never walks it.
TEST_F(SqliteMigrationsTest, Version3FillsTheSummaryColumnsFromTheDocuments) {
  SqliteStoreOptions options;
  options.data_directory = directory_.path() / "store";
  ASSERT_TRUE(ok(SqliteStore::open(options, builtin_migrations().first(2))));
  {
    Connection db = Connection::open(options.data_directory / "pop.db", Connection::Mode::kWriter,
                                     std::chrono::milliseconds(1000))
                        .value();
    ASSERT_TRUE(ok(db.execute(
        "INSERT INTO agendas (id, customer_id, resource_pool_id, insight_id, link_id, priority, "
        "added_ms, updated_ms, document) VALUES "
        "('titled', 'acme', 'p', 'i', '', 0, 1, 1, '{\"title\": \"Encode\", \"n\": 1}'), "
        "('untitled', 'acme', 'p', 'i', '', 0, 1, 1, '{\"title\": 5}'), "
        "('damaged', 'acme', 'p', 'i', '', 0, 1, 1, '{not json');"
        "INSERT INTO progress (agenda_sequence, processing_state, state_message, "
        "attempts_completed, maximum_attempts, updated_ms, document) SELECT sequence, "
        "'EXECUTING', 'running', 0, 3, 1, CASE id WHEN 'titled' THEN "
        "'{\"percentComplete\": 37.5}' WHEN 'untitled' THEN '{\"percentComplete\": 50}' "
        "ELSE '[' END FROM agendas;")));
  }
  auto store = SqliteStore::open(options);
  ASSERT_TRUE(ok(store));
  auto page = (*store)->list_agendas({});
  ASSERT_TRUE(ok(page));
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].title, "Encode");
  EXPECT_EQ(page->items[0].percent_complete, 37.5);
  EXPECT_EQ(page->items[1].title, "");
  EXPECT_EQ(page->items[1].percent_complete, 50);
  EXPECT_EQ(page->items[2].id, "damaged");
  EXPECT_EQ(page->items[2].title, "");
  EXPECT_EQ(page->items[2].percent_complete, 0);
  auto titled = (*store)->get_agenda("titled");
  ASSERT_TRUE(ok(titled));
  EXPECT_EQ(titled->document, Json::parse(R"({"title": "Encode", "n": 1})"));
  EXPECT_EQ(titled->title, "Encode");

  Connection db = Connection::open(options.data_directory / "pop.db", Connection::Mode::kReader,
                                   std::chrono::milliseconds(1000))
                      .value();
  for (const char* table : {"agendas", "progress"}) {
    EXPECT_EQ(db.query_text("SELECT name FROM pragma_table_info('" + std::string(table) +
                            "') ORDER BY cid DESC LIMIT 1")
                  .value(),
              "document")
        << table;
  }
}

TEST(SqliteBuiltinMigrations, AreNumberedFromOneWithoutGaps) {
  int expected = 1;
  for (const Migration& migration : builtin_migrations()) {
    EXPECT_EQ(migration.version, expected++);
    EXPECT_FALSE(migration.description.empty());
  }
}

}  // namespace
}  // namespace pop::store::sqlite
