// SqliteStore: configuration documents (optimistic concurrency by version) and the audit
// log.
#include <limits>
#include <string>
#include <utility>

#include "store/sqlite/sqlite_agenda_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codec.h"

namespace pop::store::sqlite {
namespace {

// After an UPDATE or DELETE conditioned on a version changed nothing: was the document
// missing, or at another version?
tl::unexpected<Error> version_mismatch(Connection& db, DocumentKind kind, std::string_view id,
                                       std::int64_t expected_version) {
  auto statement = db.prepare("SELECT version FROM documents WHERE kind = ?1 AND id = ?2");
  if (!statement) return fail(std::move(statement.error()));
  (*statement)->bind(1, document_kind_name(kind));
  (*statement)->bind(2, id);
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return fail(Error{ErrorCode::kNotFound, "no " + describe(kind, id), {}});
  return fail(Error{ErrorCode::kConflict,
                    describe(kind, id) + " is at version " +
                        std::to_string((*statement)->column_int64(0)) + ", not " +
                        std::to_string(expected_version),
                    {}});
}

// Fixed parameter numbers as in the agenda listing: ?1 cursor, ?2 actor, ?3 target, ?4 limit.
std::string audit_listing_sql(const AuditQuery& query) {
  std::string sql = "SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE ";
  sql += query.newest_first ? "sequence < ?1" : "sequence > ?1";
  if (query.actor) sql += " AND actor = ?2";
  if (query.target) sql += " AND target = ?3";
  sql += query.newest_first ? " ORDER BY sequence DESC" : " ORDER BY sequence";
  return sql + " LIMIT ?4";
}

}  // namespace

Result<std::int64_t> SqliteStore::create_document(const DocumentRecord& record) {
  auto document = encode_json(record.document, describe(record.kind, record.id));
  if (!document) return fail(std::move(document.error()));
  return writer_
      ->run([&](Connection& db) -> Result<void> {
        auto statement = db.prepare(
            "INSERT INTO documents (kind, id, owner_customer_id, version, added_ms, "
            "updated_ms, document) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6) "
            "ON CONFLICT (kind, id) DO NOTHING");
        if (!statement) return fail(std::move(statement.error()));
        Statement& insert = **statement;
        insert.bind(1, document_kind_name(record.kind));
        insert.bind(2, record.id);
        insert.bind(3, record.owner_customer_id);
        insert.bind(4, to_millis(record.added_time));
        insert.bind(5, to_millis(record.updated_time));
        insert.bind(6, *document);
        if (auto done = insert.run(); !done) return done;
        if (db.changes() == 0) {
          return fail(ErrorCode::kConflict, describe(record.kind, record.id) + " exists");
        }
        return {};
      })
      .map([] { return std::int64_t{1}; });
}

Result<std::int64_t> SqliteStore::update_document(const DocumentRecord& record,
                                                  std::int64_t expected_version) {
  auto document = encode_json(record.document, describe(record.kind, record.id));
  if (!document) return fail(std::move(document.error()));
  return writer_
      ->run([&](Connection& db) -> Result<void> {
        auto statement = db.prepare(
            "UPDATE documents SET owner_customer_id = ?3, version = version + 1, "
            "updated_ms = ?4, document = ?5 WHERE kind = ?1 AND id = ?2 AND version = ?6");
        if (!statement) return fail(std::move(statement.error()));
        Statement& update = **statement;
        update.bind(1, document_kind_name(record.kind));
        update.bind(2, record.id);
        update.bind(3, record.owner_customer_id);
        update.bind(4, to_millis(record.updated_time));
        update.bind(5, *document);
        update.bind(6, expected_version);
        if (auto done = update.run(); !done) return done;
        if (db.changes() == 0) {
          return version_mismatch(db, record.kind, record.id, expected_version);
        }
        return {};
      })
      .map([expected_version] { return expected_version + 1; });
}

Result<DocumentRecord> SqliteStore::get_document(DocumentKind kind, std::string_view id) {
  auto db = readers_->acquire();
  auto statement = db->prepare("SELECT " + std::string(kDocumentColumns) +
                               " FROM documents WHERE kind = ?1 AND id = ?2");
  if (!statement) return fail(std::move(statement.error()));
  (*statement)->bind(1, document_kind_name(kind));
  (*statement)->bind(2, id);
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return fail(ErrorCode::kNotFound, "no " + describe(kind, id));
  return reported(read_document_row(**statement));
}

Result<Page<DocumentRecord>> SqliteStore::list_documents(const DocumentQuery& query) {
  auto after = decode_id_cursor(query.cursor, 'd');
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(query.limit);
  std::string sql =
      "SELECT " + std::string(kDocumentColumns) + " FROM documents WHERE kind = ?1 AND id > ?2";
  if (query.owner_customer_id) sql += " AND owner_customer_id = ?3";
  sql += " ORDER BY id LIMIT ?4";
  auto db = readers_->acquire();
  auto statement = db->prepare(sql);
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, document_kind_name(query.kind));
  listing.bind(2, *after);
  if (query.owner_customer_id) listing.bind(3, *query.owner_customer_id);
  listing.bind(4, static_cast<std::int64_t>(limit + 1));
  return read_page<DocumentRecord>(
      listing, limit, encode_id_cursor('d', *after),
      [](Statement& row) { return read_document_row(row); },
      [](Statement& row) { return encode_id_cursor('d', row.column_text(kDocumentIdColumn)); },
      warn_);
}

Result<void> SqliteStore::delete_document(DocumentKind kind, std::string_view id,
                                          std::optional<std::int64_t> expected_version) {
  return writer_->run([&](Connection& db) -> Result<void> {
    auto statement = db.prepare(
        "DELETE FROM documents WHERE kind = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)");
    if (!statement) return fail(std::move(statement.error()));
    Statement& erase = **statement;
    erase.bind(1, document_kind_name(kind));
    erase.bind(2, id);
    if (expected_version) {
      erase.bind(3, *expected_version);
    } else {
      erase.bind_null(3);
    }
    if (auto done = erase.run(); !done) return done;
    if (db.changes() == 0) return version_mismatch(db, kind, id, expected_version.value_or(0));
    return {};
  });
}

Result<std::int64_t> SqliteStore::append_audit(const AuditRecord& record) {
  auto details = encode_json(record.details, "audit details");
  if (!details) return fail(std::move(details.error()));
  return run_returning<std::int64_t>(
      *writer_, [&](Connection& db) { return insert_audit_row(db, record, *details); });
}

Result<Page<AuditRecord>> SqliteStore::list_audit(const AuditQuery& query) {
  const std::int64_t start = query.newest_first ? std::numeric_limits<std::int64_t>::max() : 0;
  auto after = decode_sequence_cursor(query.cursor, 'u', start);
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(query.limit);
  auto db = readers_->acquire();
  auto statement = db->prepare(audit_listing_sql(query));
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, *after);
  if (query.actor) listing.bind(2, *query.actor);
  if (query.target) listing.bind(3, *query.target);
  listing.bind(4, static_cast<std::int64_t>(limit + 1));
  return read_page<AuditRecord>(
      listing, limit, encode_sequence_cursor('u', *after),
      [](Statement& row) { return read_audit_row(row); },
      [](Statement& row) { return encode_sequence_cursor('u', row.column_int64(0)); }, warn_);
}

}  // namespace pop::store::sqlite
