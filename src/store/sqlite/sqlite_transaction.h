// RAII for transactions and savepoints: whatever was not committed (or released) when the
// guard goes away is rolled back, so an early return can never leave a half-done write
// open on the connection.
#pragma once

#include <string_view>

#include "store/sqlite/sqlite_connection.h"
#include "util/result.h"

namespace pop::store::sqlite {

class Transaction {
 public:
  // BEGIN IMMEDIATE: takes the write lock now (waiting up to busy_timeout), so the
  // transaction cannot fail later for lock reasons. kUnavailable when the lock is not free.
  static Result<Transaction> begin(Connection& connection);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();  // rolls back unless committed

  // Commits (for a durable database this is where the sync happens). On error the
  // transaction is rolled back: nothing of it is kept.
  Result<void> commit();

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}
  Connection* connection_;  // null once committed or moved from
};

// A named savepoint inside a transaction: one operation of a batch, undone alone on failure.
class Savepoint {
 public:
  static Result<Savepoint> begin(Connection& connection);

  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint();  // rolls back to the savepoint unless released

  // Keeps the savepoint's changes in the enclosing transaction.
  Result<void> release();

 private:
  explicit Savepoint(Connection& connection) : connection_(&connection) {}
  Connection* connection_;
};

}  // namespace pop::store::sqlite
