#include "store/postgres/pg_agenda_rows.h"

namespace pop::store::postgres {
namespace {

// Both counters are locked, in name order, whichever one is wanted: a batch inserting an
// audited agenda takes both, and one taking them in the other order would deadlock with it.
// The counter named by the SQL `name` is incremented; its new value is `next`'s one row.
std::string with_next_sequence(std::string_view name) {
  return "WITH locked AS (SELECT name FROM counters ORDER BY name FOR UPDATE), "
         "next AS (UPDATE counters SET value = value + 1 FROM locked "
         "WHERE counters.name = " +
         std::string(name) + " AND locked.name = counters.name RETURNING counters.value) ";
}

const std::string& insert_audit_row_sql() {
  static const std::string sql =
      with_next_sequence("'audit'") +
      "INSERT INTO audit_log (sequence, time_ms, actor, action, target, outcome, details) "
      "SELECT value, $1::bigint, $2, $3, $4, $5, $6 FROM next RETURNING sequence";
  return sql;
}

Parameters audit_parameters(const AuditRecord& record, const std::string& details) {
  return {parameter(to_millis(record.time)),
          record.actor,
          record.action,
          record.target,
          record.outcome,
          details};
}

}  // namespace

Parameters progress_parameters(std::int64_t agenda_sequence, const EncodedProgress& progress) {
  const ProgressRecord& record = *progress.record;
  return {parameter(agenda_sequence),
          std::string(processing_state_name(record.processing_state)),
          record.state_message,
          parameter(std::int64_t{record.attempts_completed}),
          parameter(std::int64_t{record.maximum_attempts}),
          parameter(to_millis(record.updated_time)),
          parameter(record.percent_complete),
          progress.document};
}

Result<std::int64_t> next_sequence(Connection& db, std::string_view name) {
  static const std::string sql = with_next_sequence("$1") + "SELECT value FROM next";
  auto counter = query(db, sql, {std::string(name)});
  if (!counter) return fail(std::move(counter.error()));
  if (!*counter->step()) return fail(ErrorCode::kInternal, "no counter " + std::string(name));
  return counter->column_int64(0);
}

Result<std::int64_t> insert_audit_row(Connection& db, const AuditRecord& record,
                                      const std::string& details) {
  auto inserted = query(db, insert_audit_row_sql(), audit_parameters(record, details));
  if (!inserted) return fail(std::move(inserted.error()));
  if (!*inserted->step()) return fail(ErrorCode::kInternal, "no counter audit");
  return inserted->column_int64(0);
}

void defer_audit_row(Connection& db, const AuditRecord& record, const std::string& details) {
  db.defer(insert_audit_row_sql(), audit_parameters(record, details));
}

Result<void> notify(Connection& db, std::string_view channel, const std::string& payload) {
  if (payload.size() > kMaxNotificationPayload) return {};
  return run(db, "SELECT pg_notify($1, $2)", {std::string(channel), payload});
}

void defer_progress(Connection& db, std::int64_t agenda_sequence, const EncodedProgress& progress) {
  if (progress.record->processing_state == ProcessingState::kWaiting) {
    // The insight is the agenda row's, read in the same statement.
    static const std::string sql = "SELECT pg_notify($1, " + std::string(kWaitingPayloadSql) +
                                   ") FROM agendas WHERE sequence = $2 AND " +
                                   std::string(kWaitingPayloadFitsSql) + " <= $3::integer";
    db.defer(sql, {std::string(kWaitingChannel), parameter(agenda_sequence),
                   parameter(static_cast<std::int64_t>(kMaxNotificationPayload))});
  }
  db.defer(
      "UPDATE progress SET processing_state = $2, state_message = $3, "
      "attempts_completed = $4, maximum_attempts = $5, updated_ms = $6, "
      "percent_complete = $7, document = $8 WHERE agenda_sequence = $1",
      progress_parameters(agenda_sequence, progress));
}

Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id, bool lock) {
  auto rows = query(db,
                    lock ? "SELECT a.sequence, l.epoch, l.holder, l.expires_ms FROM agendas a "
                           "JOIN leases l ON l.agenda_sequence = a.sequence "
                           "WHERE a.id = $1 FOR UPDATE OF a, l"
                         : "SELECT a.sequence, l.epoch, l.holder, l.expires_ms FROM agendas a "
                           "JOIN leases l ON l.agenda_sequence = a.sequence WHERE a.id = $1",
                    {std::string(agenda_id)});
  if (!rows) return fail(std::move(rows.error()));
  if (!*rows->step()) return fail(ErrorCode::kNotFound, "no agenda " + std::string(agenda_id));
  LeaseRow lease;
  lease.agenda_sequence = rows->column_int64(0);
  lease.epoch = static_cast<std::uint64_t>(rows->column_int64(1));
  if (!rows->column_is_null(2)) lease.holder = std::string(rows->column_text(2));
  if (!rows->column_is_null(3)) lease.expires_ms = rows->column_int64(3);
  return lease;
}

void defer_lease(Connection& db, const LeaseRow& row) {
  Parameters parameters{parameter(row.agenda_sequence),
                        parameter(static_cast<std::int64_t>(row.epoch)), row.holder, std::nullopt};
  if (row.expires_ms) parameters[3] = parameter(*row.expires_ms);
  db.defer(
      "UPDATE leases SET epoch = $2, holder = $3, expires_ms = $4 "
      "WHERE agenda_sequence = $1",
      std::move(parameters));
}

}  // namespace pop::store::postgres
