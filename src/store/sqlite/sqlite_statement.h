// RAII for prepared statements. A Statement owns its sqlite3_stmt (finalized on
// destruction); a StatementUse borrows a cached one for one execution and resets it when it
// goes out of scope, on every path, so a half-read SELECT can never keep a read transaction
// (and with it the WAL) pinned, and a statement is never left bound to stale values.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "util/result.h"

struct sqlite3_stmt;

namespace pop::store::sqlite {

class Statement {
 public:
  // Takes ownership of `statement` (may be null for an empty statement).
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}

  // Bindings use 1-based parameter indexes (?1, ?2, ...). Values are copied, so temporaries
  // are fine. A binding error is remembered and reported by the next step().
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind_null(int index);

  // Runs one step. true: a row is available through the column accessors; false: done.
  Result<bool> step();
  // Steps until done, for statements that return no rows.
  Result<void> run();

  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  // Valid until the next step() or reset().
  std::string_view column_text(int column) const;
  bool column_is_null(int column) const;

  // Makes the statement ready for reuse: resets it and clears its bindings.
  void reset();

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
  int bind_error_ = 0;  // SQLITE_OK
};

// One execution of a borrowed Statement. Move-only; resets the statement when destroyed.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(&statement) {}
  StatementUse(StatementUse&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)) {}
  StatementUse& operator=(StatementUse&&) = delete;
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    if (statement_ != nullptr) statement_->reset();
  }

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

}  // namespace pop::store::sqlite
