// PostgresStore: configuration documents (optimistic concurrency by version) and the audit
// log.
#include <limits>
#include <string>
#include <utility>

#include "store/postgres/pg_agenda_rows.h"
#include "store/postgres/postgres_store.h"

namespace pop::store::postgres {
namespace {

// After an UPDATE or DELETE conditioned on a version changed nothing: was the document
// missing, or at another version?
tl::unexpected<Error> version_mismatch(Connection& db, DocumentKind kind, std::string_view id,
                                       std::int64_t expected_version) {
  auto rows = query(db, "SELECT version FROM documents WHERE kind = $1 AND id = $2",
                    {std::string(document_kind_name(kind)), std::string(id)});
  if (!rows) return fail(std::move(rows.error()));
  if (!*rows->step()) return fail(Error{ErrorCode::kNotFound, "no " + describe(kind, id), {}});
  return fail(Error{ErrorCode::kConflict,
                    describe(kind, id) + " is at version " + std::to_string(rows->column_int64(0)) +
                        ", not " + std::to_string(expected_version),
                    {}});
}

// Only the kinds that servers keep in memory (queues of insights, customers' weights): the
// others are read from the store each time.
Result<void> notify_changed(Connection& db, DocumentKind kind, std::string_view id) {
  if (kind != DocumentKind::kInsight && kind != DocumentKind::kCustomer) return {};
  return notify(db, kDocumentChannel,
                std::string(document_kind_name(kind)) + "/" + std::string(id));
}

}  // namespace

Result<std::int64_t> PostgresStore::create_document(const DocumentRecord& record) {
  auto document = encode_json(record.document, describe(record.kind, record.id));
  if (!document) return fail(std::move(document.error()));
  return writer_
      ->run([&](Connection& db) -> Result<void> {
        auto inserted =
            query(db,
                  "INSERT INTO documents (kind, id, owner_customer_id, version, added_ms, "
                  "updated_ms, document) VALUES ($1, $2, $3, 1, $4, $5, $6) "
                  "ON CONFLICT (kind, id) DO NOTHING",
                  {std::string(document_kind_name(record.kind)), record.id,
                   record.owner_customer_id, parameter(to_millis(record.added_time)),
                   parameter(to_millis(record.updated_time)), *document});
        if (!inserted) return fail(std::move(inserted.error()));
        if (inserted->affected() == 0) {
          return fail(ErrorCode::kConflict, describe(record.kind, record.id) + " exists");
        }
        return notify_changed(db, record.kind, record.id);
      })
      .map([] { return std::int64_t{1}; });
}

Result<std::int64_t> PostgresStore::update_document(const DocumentRecord& record,
                                                    std::int64_t expected_version) {
  auto document = encode_json(record.document, describe(record.kind, record.id));
  if (!document) return fail(std::move(document.error()));
  return writer_
      ->run([&](Connection& db) -> Result<void> {
        auto updated = query(
            db,
            "UPDATE documents SET owner_customer_id = $3, version = version + 1, "
            "updated_ms = $4, document = $5 WHERE kind = $1 AND id = $2 AND version = $6",
            {std::string(document_kind_name(record.kind)), record.id, record.owner_customer_id,
             parameter(to_millis(record.updated_time)), *document, parameter(expected_version)});
        if (!updated) return fail(std::move(updated.error()));
        if (updated->affected() == 0) {
          return version_mismatch(db, record.kind, record.id, expected_version);
        }
        return notify_changed(db, record.kind, record.id);
      })
      .map([expected_version] { return expected_version + 1; });
}

Result<DocumentRecord> PostgresStore::get_document(DocumentKind kind, std::string_view id) {
  return read([&](Connection& db) -> Result<DocumentRecord> {
    auto rows = query(
        db,
        "SELECT " + std::string(kDocumentColumns) + " FROM documents WHERE kind = $1 AND id = $2",
        {std::string(document_kind_name(kind)), std::string(id)});
    if (!rows) return fail(std::move(rows.error()));
    if (!*rows->step()) return fail(ErrorCode::kNotFound, "no " + describe(kind, id));
    return reported(read_document_row(*rows));
  });
}

Result<Page<DocumentRecord>> PostgresStore::list_documents(const DocumentQuery& request) {
  auto after = decode_id_cursor(request.cursor, 'd');
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(request.limit);
  Parameters parameters{std::string(document_kind_name(request.kind)), *after};
  std::string sql =
      "SELECT " + std::string(kDocumentColumns) + " FROM documents WHERE kind = $1 AND id > $2";
  if (request.owner_customer_id) {
    parameters.push_back(*request.owner_customer_id);
    sql += " AND owner_customer_id = $3";
  }
  parameters.push_back(parameter(static_cast<std::int64_t>(limit + 1)));
  sql += " ORDER BY id LIMIT $" + std::to_string(parameters.size());
  return read([&](Connection& db) -> Result<Page<DocumentRecord>> {
    auto rows = query(db, sql, parameters);
    if (!rows) return fail(std::move(rows.error()));
    return read_page<DocumentRecord>(
        *rows, limit, encode_id_cursor('d', *after),
        [](RowReader& row) { return read_document_row(row); },
        [](RowReader& row) { return encode_id_cursor('d', row.column_text(kDocumentIdColumn)); },
        warn_);
  });
}

Result<void> PostgresStore::delete_document(DocumentKind kind, std::string_view id,
                                            std::optional<std::int64_t> expected_version) {
  return writer_->run([&](Connection& db) -> Result<void> {
    Parameters parameters{std::string(document_kind_name(kind)), std::string(id), std::nullopt};
    if (expected_version) parameters[2] = parameter(*expected_version);
    auto deleted = query(db,
                         "DELETE FROM documents WHERE kind = $1 AND id = $2 "
                         "AND ($3::bigint IS NULL OR version = $3::bigint)",
                         parameters);
    if (!deleted) return fail(std::move(deleted.error()));
    if (deleted->affected() == 0) {
      return version_mismatch(db, kind, id, expected_version.value_or(0));
    }
    return notify_changed(db, kind, id);
  });
}

Result<std::int64_t> PostgresStore::append_audit(const AuditRecord& record) {
  auto details = encode_json(record.details, "audit details");
  if (!details) return fail(std::move(details.error()));
  return run_returning<std::int64_t>(
      *writer_, [&](Connection& db) { return insert_audit_row(db, record, *details); });
}

Result<Page<AuditRecord>> PostgresStore::list_audit(const AuditQuery& request) {
  const std::int64_t start = request.newest_first ? std::numeric_limits<std::int64_t>::max() : 0;
  auto after = decode_sequence_cursor(request.cursor, 'u', start);
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(request.limit);
  Parameters parameters{parameter(*after)};
  std::string sql = "SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE ";
  sql += request.newest_first ? "sequence < $1" : "sequence > $1";
  if (request.actor) {
    parameters.push_back(*request.actor);
    sql += " AND actor = $" + std::to_string(parameters.size());
  }
  if (request.target) {
    parameters.push_back(*request.target);
    sql += " AND target = $" + std::to_string(parameters.size());
  }
  parameters.push_back(parameter(static_cast<std::int64_t>(limit + 1)));
  sql += request.newest_first ? " ORDER BY sequence DESC" : " ORDER BY sequence";
  sql += " LIMIT $" + std::to_string(parameters.size());
  return read([&](Connection& db) -> Result<Page<AuditRecord>> {
    auto rows = query(db, sql, parameters);
    if (!rows) return fail(std::move(rows.error()));
    return read_page<AuditRecord>(
        *rows, limit, encode_sequence_cursor('u', *after),
        [](RowReader& row) { return read_audit_row(row); },
        [](RowReader& row) { return encode_sequence_cursor('u', row.column_int64(0)); }, warn_);
  });
}

}  // namespace pop::store::postgres
