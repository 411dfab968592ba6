#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <climits>

#include "store/sqlite/sqlite_error.h"

namespace pop::store::sqlite {

void Connection::Closer::operator()(sqlite3* db) const {
  // close_v2 never fails for an open handle: with statements still alive it defers.
  sqlite3_close_v2(db);
}

Result<Connection> Connection::open(const std::filesystem::path& file, Mode mode,
                                    std::chrono::milliseconds busy_timeout,
                                    const std::string& vfs) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == Mode::kWriter) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, vfs.empty() ? nullptr : vfs.c_str());
  Connection connection(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) {
    return sqlite_failure(rc, raw, "cannot open database " + file.string());
  }
  sqlite3_extended_result_codes(raw, 1);
  const auto timeout_ms = std::min<std::chrono::milliseconds::rep>(busy_timeout.count(), INT_MAX);
  sqlite3_busy_timeout(raw, static_cast<int>(timeout_ms));
  if (mode == Mode::kReader) {
    if (auto done = connection.execute("PRAGMA query_only = ON"); !done) {
      return fail(std::move(done.error()));
    }
  }
  return connection;
}

Result<void> Connection::execute(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // sqlite3_errmsg still holds the same text
  if (rc != SQLITE_OK) {
    return sqlite_failure(rc, db_.get(), "cannot run '" + text.substr(0, 60) + "'");
  }
  return {};
}

Result<StatementUse> Connection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    auto statement = std::make_unique<Statement>(raw);  // finalizes `raw` on every path
    if (rc != SQLITE_OK) {
      return sqlite_failure(rc, db_.get(),
                            "cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
    }
    it = statements_.emplace(std::string(sql), std::move(statement)).first;
  }
  return StatementUse(*it->second);
}

Result<std::string> Connection::query_text(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return fail(std::move(statement.error()));
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return std::string();
  return std::string((*statement)->column_text(0));
}

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

std::int64_t Connection::changes() const { return sqlite3_changes64(db_.get()); }

}  // namespace pop::store::sqlite
