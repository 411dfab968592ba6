#include "store/sqlite/sqlite_statement.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_error.h"

namespace pop::store::sqlite {

void Statement::Finalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

void Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(statement_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may die before step().
  const int rc = sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(statement_.get(), index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Result<bool> Statement::step() {
  sqlite3* db = sqlite3_db_handle(statement_.get());
  if (bind_error_ != SQLITE_OK) {
    return sqlite_failure(bind_error_, nullptr, "cannot bind a statement parameter");
  }
  const int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_failure(rc, db, "database statement failed");
}

Result<void> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return {};
  }
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(statement_.get(), column);
}

std::string_view Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr) return {};
  // column_bytes after column_text: the documented order for a stable length.
  const int size = sqlite3_column_bytes(statement_.get(), column);
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

void Statement::reset() {
  // reset() repeats the last step's error code; that error was already reported by step().
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
  bind_error_ = SQLITE_OK;
}

}  // namespace pop::store::sqlite
