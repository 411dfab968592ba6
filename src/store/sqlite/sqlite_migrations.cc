#include "store/sqlite/sqlite_migrations.h"

#include <algorithm>
#include <array>
#include <string>

#include "store/sqlite/sqlite_transaction.h"

namespace pop::store::sqlite {
namespace {

// Children reference agendas by `sequence` (the rowid) rather than by the text id: smaller
// keys and joins on the table's own b-tree key. ON DELETE CASCADE makes delete_agenda one
// statement (foreign_keys is enabled on the writer connection).
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE agendas (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: never reused after a delete
  id TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  resource_pool_id TEXT NOT NULL,
  insight_id TEXT NOT NULL,
  link_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  added_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX agendas_by_customer ON agendas (customer_id, sequence);
CREATE INDEX agendas_by_link ON agendas (link_id, sequence) WHERE link_id <> '';

CREATE TABLE progress (
  agenda_sequence INTEGER PRIMARY KEY REFERENCES agendas (sequence) ON DELETE CASCADE,
  processing_state TEXT NOT NULL,
  state_message TEXT NOT NULL,
  attempts_completed INTEGER NOT NULL,
  maximum_attempts INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX progress_by_state ON progress (processing_state, agenda_sequence);

-- A row exists once an agenda was first leased; it keeps the epoch after release so that
-- epochs never go back. holder and expires_ms are NULL while nobody holds the lease.
CREATE TABLE leases (
  agenda_sequence INTEGER PRIMARY KEY REFERENCES agendas (sequence) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  holder TEXT,
  expires_ms INTEGER
);
CREATE INDEX leases_by_expiry ON leases (expires_ms) WHERE holder IS NOT NULL;

CREATE TABLE idempotency_keys (
  customer_id TEXT NOT NULL,
  key TEXT NOT NULL,
  agenda_sequence INTEGER NOT NULL REFERENCES agendas (sequence) ON DELETE CASCADE,
  PRIMARY KEY (customer_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_agenda ON idempotency_keys (agenda_sequence);

CREATE TABLE documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  owner_customer_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  added_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX documents_by_owner ON documents (kind, owner_customer_id, id);

CREATE TABLE audit_log (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log (actor, sequence);
CREATE INDEX audit_log_by_target ON audit_log (target, sequence);
)sql";

// One row that Store::probe_write rewrites: readiness is whether such a write commits.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE write_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  written_ms INTEGER NOT NULL
);
)sql";

// Listings show each agenda's summary from columns and read no document (store.h,
// list_agendas): the agenda's title and its progress' percentComplete get columns of their
// own, filled here from the stored documents (the one time the store looks inside one;
// a document that is not valid JSON gets the default) and written with the documents from
// now on. SQLite reaches a column stored after a large value only by walking the value's
// overflow pages, so each document moves to the end of its row again: copied into a new
// last column, which then takes the old one's name. This rewrites both tables once.
constexpr std::string_view kVersion3 = R"sql(
ALTER TABLE agendas ADD COLUMN title TEXT NOT NULL DEFAULT '';
UPDATE agendas SET title = json_extract(document, '$.title')
  WHERE CASE WHEN json_valid(document) THEN json_type(document, '$.title') = 'text' ELSE 0 END;
ALTER TABLE agendas ADD COLUMN document_last TEXT NOT NULL DEFAULT '';
UPDATE agendas SET document_last = document;
ALTER TABLE agendas DROP COLUMN document;
ALTER TABLE agendas RENAME COLUMN document_last TO document;

ALTER TABLE progress ADD COLUMN percent_complete REAL NOT NULL DEFAULT 0;
UPDATE progress SET percent_complete = json_extract(document, '$.percentComplete')
  WHERE CASE WHEN json_valid(document)
        THEN json_type(document, '$.percentComplete') IN ('integer', 'real') ELSE 0 END;
ALTER TABLE progress ADD COLUMN document_last TEXT NOT NULL DEFAULT '';
UPDATE progress SET document_last = document;
ALTER TABLE progress DROP COLUMN document;
ALTER TABLE progress RENAME COLUMN document_last TO document;
)sql";

// Each attempt's log (store.h, "Attempt logs"): a state row per attempt, and its chunks,
// compressed by the caller and kept as base64url text (the one form both SQL stores take as a
// parameter), removed with the state row, which goes with its agenda.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE attempt_logs (
  agenda_sequence INTEGER NOT NULL REFERENCES agendas (sequence) ON DELETE CASCADE,
  operation TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  length INTEGER NOT NULL,
  kept_bytes INTEGER NOT NULL,
  ended INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (agenda_sequence, operation, attempt)
) WITHOUT ROWID;
CREATE INDEX attempt_logs_by_update ON attempt_logs (updated_ms);

CREATE TABLE attempt_log_chunks (
  agenda_sequence INTEGER NOT NULL,
  operation TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  start_offset INTEGER NOT NULL,
  kept_bytes INTEGER NOT NULL,
  data TEXT NOT NULL,
  UNIQUE (agenda_sequence, operation, attempt, start_offset),
  FOREIGN KEY (agenda_sequence, operation, attempt)
    REFERENCES attempt_logs (agenda_sequence, operation, attempt) ON DELETE CASCADE
);
)sql";

constexpr std::array<Migration, 4> kMigrations{{
    {1, "agendas, progress, leases, idempotency keys, documents, audit log", kVersion1},
    {2, "write probe", kVersion2},
    {3, "agenda title and progress percentage columns for listings", kVersion3},
    {4, "attempt logs", kVersion4},
}};

Result<void> ensure_version_table(Connection& connection) {
  return connection.execute(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, description TEXT NOT NULL)");
}

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

Result<int> schema_version(Connection& connection) {
  auto exists = connection.prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists) return fail(std::move(exists.error()));
  auto row = (*exists)->step();
  if (!row) return fail(std::move(row.error()));
  if ((*exists)->column_int64(0) == 0) return 0;
  auto version = connection.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version) return fail(std::move(version.error()));
  row = (*version)->step();
  if (!row) return fail(std::move(row.error()));
  return static_cast<int>((*version)->column_int64(0));
}

Result<int> migrate(Connection& connection, std::span<const Migration> migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  // The write lock is held from here on, so two processes opening a new database at once
  // cannot both apply the same migration.
  auto transaction = Transaction::begin(connection);
  if (!transaction) return fail(std::move(transaction.error()));
  if (auto made = ensure_version_table(connection); !made) {
    return fail(std::move(made.error()));
  }
  auto current = schema_version(connection);
  if (!current) return fail(std::move(current.error()));
  if (*current > known) {
    return fail(ErrorCode::kUnavailable,
                "the database has schema version " + std::to_string(*current) +
                    " but this POP only knows versions up to " + std::to_string(known) +
                    "; it was written by a newer POP: run that one, or a newer one");
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    if (auto applied = connection.execute(migration.sql); !applied) {
      Error error = std::move(applied.error());
      error.message =
          "schema migration " + std::to_string(migration.version) + " failed: " + error.message;
      return fail(std::move(error));
    }
    auto record =
        connection.prepare("INSERT INTO schema_version (version, description) VALUES (?1, ?2)");
    if (!record) return fail(std::move(record.error()));
    (*record)->bind(1, static_cast<std::int64_t>(migration.version));
    (*record)->bind(2, migration.description);
    if (auto done = (*record)->run(); !done) return fail(std::move(done.error()));
  }
  if (auto committed = transaction->commit(); !committed) {
    return fail(std::move(committed.error()));
  }
  return std::max(*current, known);
}

}  // namespace pop::store::sqlite
