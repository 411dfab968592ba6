#include "store/postgres/pg_write_batcher.h"

#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "postgres/pg_error.h"
#include "store/postgres/pg_rows.h"

namespace pop::store::postgres {
namespace {

Result<void> run_work(Connection& db, const PgWriteBatcher::Work& work) {
  try {
    return work(db);
  } catch (const std::exception& e) {  // nothing may escape the writer thread
    return fail(ErrorCode::kInternal, std::string("store write failed: ") + e.what());
  } catch (...) {
    return fail(ErrorCode::kInternal, "store write failed with an unknown exception");
  }
}

bool may_run_again(const Connection& db, const std::string& sqlstate) {
  return !db.healthy() || ::pop::postgres::is_retryable_transaction_failure(sqlstate);
}

}  // namespace

PgWriteBatcher::PgWriteBatcher(::pop::postgres::ConnectionPool& connections, std::size_t max_batch,
                               metrics::MetricsRegistry* metrics)
    : connections_(connections),
      metrics_(metrics != nullptr
                   ? std::optional<CommitMetrics>(std::in_place, *metrics, "postgresql")
                   : std::nullopt),
      commits_([this](std::span<Commits::Unit* const> batch) { return execute(batch); }, max_batch,
               metrics_ ? &*metrics_ : nullptr) {}

PgWriteBatcher::~PgWriteBatcher() = default;

PgWriteBatcher::Commits::Outcome PgWriteBatcher::execute(std::span<Commits::Unit* const> batch) {
  for (int tries = 1;; ++tries) {
    const Attempt outcome = attempt(batch);
    if (outcome == Attempt::kCommitted) return {batch.size(), true};
    if (outcome == Attempt::kFailed) return {batch.size(), false};
    if (tries == kMaxAttempts) {
      // Still deadlocking or disconnected: a conflict would read as "someone else changed it"
      // (a pull drops the agenda from its queue then); this is "try again later".
      for (Commits::Unit* unit : batch) {
        if (!unit->result) unit->result.error().code = ErrorCode::kUnavailable;
      }
      return {batch.size(), false};
    }
    retried_.fetch_add(1);
    // Whoever it deadlocked with, or the server coming back, gets a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * tries));
  }
}

PgWriteBatcher::Attempt PgWriteBatcher::attempt(std::span<Commits::Unit* const> batch) {
  auto fail_all = [&](const Error& error) {
    for (Commits::Unit* unit : batch) unit->result = fail(error);
  };
  auto lease = connections_.acquire();
  if (!lease) {
    fail_all(lease.error());
    return Attempt::kFailed;
  }
  Connection& db = **lease;
  // BEGIN, each SAVEPOINT and each unit's writes that decide nothing are deferred
  // (Connection::defer): they reach the server with the unit's next statement, so a unit
  // costs the round trips of its reads and one more, its RELEASE, which answers for its
  // writes. An idle connection whose server restarted fails the first of them.
  db.defer("BEGIN");
  for (Commits::Unit* unit : batch) {
    // Each unit in a savepoint of its own: released when it succeeded, rolled back (alone)
    // when not.
    const std::size_t queued_before = db.deferred();
    const std::uint64_t sends_before = db.sends();
    db.defer("SAVEPOINT unit");
    unit->result = run_work(db, *unit->work);
    if (unit->result) unit->result = postgres::run(db, "RELEASE SAVEPOINT unit");
    if (unit->result) continue;
    const bool nothing_sent = db.sends() == sends_before;
    // A unit that failed before sending anything has no SQLSTATE of its own (the connection's
    // is an earlier statement's).
    const std::string sqlstate = nothing_sent ? "" : db.last_sqlstate();
    if (!sqlstate.empty()) unit->result.error().message += " (SQLSTATE " + sqlstate + ")";
    // A unit's own failure (a duplicate id) is undone alone and the batch goes on: when
    // nothing of it was sent, by dropping what it queued; otherwise its savepoint was, and
    // what it queued since is dropped before rolling back to it. Anything else, including a
    // savepoint that cannot be rolled back to, ends the transaction: it must never reach
    // COMMIT aborted (PostgreSQL would answer COMMIT with a silent ROLLBACK).
    db.drop_deferred(nothing_sent ? queued_before : 0);
    if (!may_run_again(db, sqlstate) &&
        (nothing_sent || postgres::run(db, "ROLLBACK TO SAVEPOINT unit")))
      continue;
    Error error = unit->result.error();
    error.message = "the batch's transaction was rolled back: " + error.message;
    fail_all(error);
    db.drop_deferred(0);
    if (db.healthy()) (void)postgres::run(db, "ROLLBACK");
    return Attempt::kRetry;
  }
  auto committed = db.execute_prepared("COMMIT");
  if (committed) return Attempt::kCommitted;
  const ::pop::postgres::StatementError& failure = committed.error();
  Error error = failure.error;
  if (!db.healthy()) {
    error.code = ErrorCode::kUnavailable;
    error.message =
        "the connection was lost during the commit, whose outcome is unknown: " + error.message;
  }
  for (Commits::Unit* unit : batch) {
    if (unit->result) unit->result = fail(error);
  }
  // A serialization failure at commit time rolled everything back; a lost commit may have
  // been applied and must not be run twice.
  return ::pop::postgres::is_retryable_transaction_failure(failure.sqlstate) ? Attempt::kRetry
                                                                             : Attempt::kFailed;
}

}  // namespace pop::store::postgres
