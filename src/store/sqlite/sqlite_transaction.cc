#include "store/sqlite/sqlite_transaction.h"

#include <utility>

namespace pop::store::sqlite {
namespace {

Result<void> run(Connection& connection, std::string_view sql) {
  auto statement = connection.prepare(sql);
  if (!statement) return fail(std::move(statement.error()));
  return (*statement)->run();
}

}  // namespace

Result<Transaction> Transaction::begin(Connection& connection) {
  if (auto begun = run(connection, "BEGIN IMMEDIATE"); !begun) {
    return fail(std::move(begun.error()));
  }
  return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (I/O error); ROLLBACK would then fail.
  if (connection_ != nullptr && connection_->in_transaction()) {
    (void)run(*connection_, "ROLLBACK");  // nothing to report to from a destructor
  }
}

Result<void> Transaction::commit() {
  auto committed = run(*connection_, "COMMIT");
  if (committed) connection_ = nullptr;
  return committed;  // on failure the destructor rolls back what is left
}

Result<Savepoint> Savepoint::begin(Connection& connection) {
  if (auto begun = run(connection, "SAVEPOINT operation"); !begun) {
    return fail(std::move(begun.error()));
  }
  return Savepoint(connection);
}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Savepoint::~Savepoint() {
  if (connection_ != nullptr && connection_->in_transaction()) {
    // ROLLBACK TO undoes the work but keeps the savepoint open; RELEASE then drops it.
    (void)run(*connection_, "ROLLBACK TO operation");
    (void)run(*connection_, "RELEASE operation");
  }
}

Result<void> Savepoint::release() {
  auto released = run(*connection_, "RELEASE operation");
  if (released) connection_ = nullptr;
  return released;
}

}  // namespace pop::store::sqlite
