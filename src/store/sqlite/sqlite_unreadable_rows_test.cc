// A damaged row (its stored JSON altered behind the store's back, here with the sqlite3 API)
// fails its own reads with kInternal and is reported, but hides none of its neighbours: the
// listings leave it out and page on past it (store.h, "Unreadable records").
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <mutex>
#include <string>
#include <vector>

#include "store/conformance/document_conformance.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::fails_with;
using conformance::new_agenda;
using conformance::ok;

class UnreadableRowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteStoreOptions options;
    options.data_directory = directory_.path();
    options.warn = [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      warnings_.push_back(line);
    };
    auto opened = SqliteStore::open(options);
    ASSERT_TRUE(ok(opened));
    store_ = std::move(*opened);
  }

  // Alters the database as another process would, bypassing the store.
  void damage(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(store_->database_path().c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }

  // How many warnings mention `text`.
  int warned(const std::string& text) {
    std::lock_guard lock(mutex_);
    int count = 0;
    for (const auto& line : warnings_) count += line.find(text) != std::string::npos ? 1 : 0;
    return count;
  }

  // Every agenda id the listing yields, page by page with `limit`.
  std::vector<std::string> agenda_ids(std::size_t limit) {
    std::vector<std::string> ids;
    AgendaQuery query;
    query.limit = limit;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store_->list_agendas(query);
      EXPECT_TRUE(ok(page));
      if (!page) break;
      for (const auto& listed : page->items) ids.push_back(listed.id);
      if (!page->more) return ids;
      query.cursor = page->next_cursor;
    }
    ADD_FAILURE() << "the listing did not end";
    return ids;
  }

  TempDir directory_ = TempDir::create("pop-unreadable-").value();
  std::unique_ptr<SqliteStore> store_;
  std::mutex mutex_;
  std::vector<std::string> warnings_;
};

// A listing reads no document (store.h, list_agendas), so a damaged document fails only the
// reads of that document.
TEST_F(UnreadableRowTest, AnAgendaWithADamagedDocumentFailsItsOwnReadsAlone) {
  for (const char* id : {"a", "b", "c", "d"})
    ASSERT_TRUE(ok(store_->insert_agenda(new_agenda(id))));
  damage("UPDATE agendas SET document = '{not json' WHERE id = 'b'");
  damage(
      "UPDATE progress SET document = '[' WHERE agenda_sequence = "
      "(SELECT sequence FROM agendas WHERE id = 'c')");

  EXPECT_TRUE(fails_with(store_->get_agenda("b"), ErrorCode::kInternal));
  EXPECT_TRUE(fails_with(store_->get_progress("c"), ErrorCode::kInternal));
  EXPECT_TRUE(ok(store_->get_agenda("a")));
  EXPECT_TRUE(ok(store_->get_progress("d")));
  EXPECT_GE(warned("agenda b"), 1);
  EXPECT_GE(warned("agenda c"), 1);

  EXPECT_EQ(agenda_ids(100), (std::vector<std::string>{"a", "b", "c", "d"}));
}

// The listing's own columns can be damaged too: such an agenda is left out, and the listing
// goes on past it.
TEST_F(UnreadableRowTest, AnUnknownProgressStateLeavesTheAgendaOutOfListings) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(ok(store_->insert_agenda(new_agenda(id))));
  damage(
      "UPDATE progress SET processing_state = 'SIDEWAYS' WHERE agenda_sequence = "
      "(SELECT sequence FROM agendas WHERE id = 'b')");
  EXPECT_TRUE(fails_with(store_->get_progress("b"), ErrorCode::kInternal));
  EXPECT_GE(warned("agenda b"), 1);
  EXPECT_EQ(agenda_ids(100), (std::vector<std::string>{"a", "c"}));
  // One at a time: a page may hold nothing but a damaged row, and the next goes on past it.
  EXPECT_EQ(agenda_ids(1), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(agenda_ids(2), (std::vector<std::string>{"a", "c"}));
}

TEST_F(UnreadableRowTest, ADamagedDocumentFailsAloneAndIsLeftOutOfListings) {
  for (const char* id : {"p1", "p2", "p3"})
    ASSERT_TRUE(
        ok(store_->create_document(conformance::document(DocumentKind::kResourcePool, id))));
  damage("UPDATE documents SET document = 'nope' WHERE id = 'p2'");

  EXPECT_TRUE(
      fails_with(store_->get_document(DocumentKind::kResourcePool, "p2"), ErrorCode::kInternal));
  EXPECT_TRUE(ok(store_->get_document(DocumentKind::kResourcePool, "p3")));
  for (std::size_t limit : {1, 2, 100}) {
    std::vector<std::string> ids;
    DocumentQuery query{DocumentKind::kResourcePool, std::nullopt, "", limit};
    for (int pages = 0; pages < 10; ++pages) {
      auto page = store_->list_documents(query);
      ASSERT_TRUE(ok(page));
      for (const auto& record : page->items) ids.push_back(record.id);
      if (!page->more) break;
      query.cursor = page->next_cursor;
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"p1", "p3"})) << "limit " << limit;
  }
  EXPECT_GE(warned("p2"), 1);
}

TEST_F(UnreadableRowTest, ADamagedAuditRecordIsLeftOutInBothOrders) {
  for (int time : {1, 2, 3})
    ASSERT_TRUE(ok(store_->append_audit(conformance::audit("admin", "x", "t", time))));
  damage("UPDATE audit_log SET details = '{' WHERE sequence = 2");
  for (bool newest_first : {false, true}) {
    for (std::size_t limit : {1, 100}) {
      std::vector<std::int64_t> sequences;
      AuditQuery query;
      query.newest_first = newest_first;
      query.limit = limit;
      for (int pages = 0; pages < 10; ++pages) {
        auto page = store_->list_audit(query);
        ASSERT_TRUE(ok(page));
        for (const auto& record : page->items) sequences.push_back(record.sequence);
        if (!page->more) break;
        query.cursor = page->next_cursor;
      }
      const std::vector<std::int64_t> expected =
          newest_first ? std::vector<std::int64_t>{3, 1} : std::vector<std::int64_t>{1, 3};
      EXPECT_EQ(sequences, expected) << "limit " << limit;
    }
  }
  EXPECT_GE(warned("audit record 2"), 1);
}

}  // namespace
}  // namespace pop::store::sqlite
