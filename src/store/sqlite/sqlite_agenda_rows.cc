#include "store/sqlite/sqlite_agenda_rows.h"

#include "store/store_codec.h"

namespace pop::store::sqlite {

namespace {

void bind_progress(Statement& statement, std::int64_t agenda_sequence,
                   const EncodedProgress& progress) {
  const ProgressRecord& record = *progress.record;
  statement.bind(1, agenda_sequence);
  statement.bind(2, processing_state_name(record.processing_state));
  statement.bind(3, record.state_message);
  statement.bind(4, std::int64_t{record.attempts_completed});
  statement.bind(5, std::int64_t{record.maximum_attempts});
  statement.bind(6, to_millis(record.updated_time));
  statement.bind(7, record.percent_complete);
  statement.bind(8, progress.document);
}

}  // namespace

Result<void> insert_progress(Connection& db, std::int64_t agenda_sequence,
                             const EncodedProgress& progress) {
  auto statement = db.prepare(
      "INSERT INTO progress (agenda_sequence, processing_state, state_message, "
      "attempts_completed, maximum_attempts, updated_ms, percent_complete, document) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!statement) return fail(std::move(statement.error()));
  bind_progress(**statement, agenda_sequence, progress);
  return (*statement)->run();
}

Result<void> replace_progress(Connection& db, std::int64_t agenda_sequence,
                              const EncodedProgress& progress) {
  auto statement = db.prepare(
      "UPDATE progress SET processing_state = ?2, state_message = ?3, "
      "attempts_completed = ?4, maximum_attempts = ?5, updated_ms = ?6, percent_complete = ?7, "
      "document = ?8 "
      "WHERE agenda_sequence = ?1");
  if (!statement) return fail(std::move(statement.error()));
  bind_progress(**statement, agenda_sequence, progress);
  return (*statement)->run();
}

Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id) {
  auto statement = db.prepare(
      "SELECT a.sequence, l.epoch, l.holder, l.expires_ms FROM agendas a "
      "LEFT JOIN leases l ON l.agenda_sequence = a.sequence WHERE a.id = ?1");
  if (!statement) return fail(std::move(statement.error()));
  (*statement)->bind(1, agenda_id);
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return fail(ErrorCode::kNotFound, "no agenda " + std::string(agenda_id));
  const Statement& columns = **statement;
  LeaseRow lease;
  lease.agenda_sequence = columns.column_int64(0);
  lease.epoch = static_cast<std::uint64_t>(columns.column_int64(1));  // NULL reads as 0
  if (!columns.column_is_null(2)) lease.holder = std::string(columns.column_text(2));
  if (!columns.column_is_null(3)) lease.expires_ms = columns.column_int64(3);
  return lease;
}

Result<void> store_lease(Connection& db, const LeaseRow& row) {
  auto statement = db.prepare(
      "INSERT INTO leases (agenda_sequence, epoch, holder, expires_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (agenda_sequence) DO UPDATE SET epoch = excluded.epoch, "
      "holder = excluded.holder, expires_ms = excluded.expires_ms");
  if (!statement) return fail(std::move(statement.error()));
  Statement& bound = **statement;
  bound.bind(1, row.agenda_sequence);
  bound.bind(2, static_cast<std::int64_t>(row.epoch));
  if (row.holder) {
    bound.bind(3, *row.holder);
  } else {
    bound.bind_null(3);
  }
  if (row.expires_ms) {
    bound.bind(4, *row.expires_ms);
  } else {
    bound.bind_null(4);
  }
  return bound.run();
}

Result<std::int64_t> insert_audit_row(Connection& db, const AuditRecord& record,
                                      const std::string& details) {
  auto statement = db.prepare(
      "INSERT INTO audit_log (time_ms, actor, action, target, outcome, details) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return fail(std::move(statement.error()));
  Statement& insert = **statement;
  insert.bind(1, to_millis(record.time));
  insert.bind(2, record.actor);
  insert.bind(3, record.action);
  insert.bind(4, record.target);
  insert.bind(5, record.outcome);
  insert.bind(6, details);
  if (auto inserted = insert.run(); !inserted) return fail(std::move(inserted.error()));
  return db.last_insert_rowid();
}

}  // namespace pop::store::sqlite
