// Row-level SQL on agendas, progress, leases and the audit log shared by several
// PostgresStore methods. Every function runs on a connection the caller owns for the moment
// (the writer inside a savepoint, or a pooled reader) and does not manage transactions. The
// defer_ ones only queue their write: it fails, if it does, with the unit's next statement
// at the latest (its RELEASE), and the unit with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/postgres/pg_rows.h"
#include "store/record_rows.h"

namespace pop::store::postgres {

// The next value of the counter `name` ("agenda", "audit"), whose row stays locked until the
// transaction ends: sequences commit in the order they are handed out (pg_schema.cc).
Result<std::int64_t> next_sequence(Connection& db, std::string_view name);

// Appends an audit record whose details are already encoded; returns its sequence.
Result<std::int64_t> insert_audit_row(Connection& db, const AuditRecord& record,
                                      const std::string& details);
// The same, sent with the connection's next statement (Connection::defer).
void defer_audit_row(Connection& db, const AuditRecord& record, const std::string& details);

// The channels of the notifications the store sends (Store::watch): "<agenda id>\n<insight
// id>" (neither holds a line break: ids are printable), and "<kind>/<id>" of a configuration
// document.
inline constexpr std::string_view kWaitingChannel = "pop_agenda_waiting";
inline constexpr std::string_view kDocumentChannel = "pop_document_changed";

// PostgreSQL refuses payloads of 8000 bytes and more, which would fail the write: a payload
// that long is not sent, and its listeners' next resync finds what it would have told.
inline constexpr std::size_t kMaxNotificationPayload = 7999;
// kWaitingChannel's payload in SQL, over a row with the agenda's id and insight_id, and its
// length, to compare with kMaxNotificationPayload.
inline constexpr std::string_view kWaitingPayloadSql = "id || chr(10) || insight_id";
inline constexpr std::string_view kWaitingPayloadFitsSql =
    "octet_length(id) + 1 + octet_length(insight_id)";

// Notifies the listeners of `channel` when the transaction commits (not at all otherwise);
// a payload too long for PostgreSQL (8000 bytes) is not sent.
Result<void> notify(Connection& db, std::string_view channel, const std::string& payload);

// A progress row's columns as parameters $1 to $8: agenda_sequence, processing_state,
// state_message, attempts_completed, maximum_attempts, updated_ms, percent_complete, document.
Parameters progress_parameters(std::int64_t agenda_sequence, const EncodedProgress& progress);

// Replaces the progress row of an existing agenda, and when it is waiting again notifies
// kWaitingChannel, with the connection's next statement (Connection::defer).
void defer_progress(Connection& db, std::int64_t agenda_sequence, const EncodedProgress& progress);

// kNotFound: no agenda with this id. With `lock`, the agenda's and the lease's rows stay
// locked until the transaction ends, so what the caller decides from the lease still holds
// when it writes.
Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id, bool lock);

// Writes the lease columns of `row` with the connection's next statement.
void defer_lease(Connection& db, const LeaseRow& row);

}  // namespace pop::store::postgres
