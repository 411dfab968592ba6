#include "postgres/pg_migrations.h"

#include <string>

namespace pop::postgres {
namespace {

// The advisory lock key of migrations ("POPmigra" as eight bytes), so that no other user of
// advisory locks in the same database is likely to collide with it.
constexpr const char* kMigrationLock = "5786932477044421217";

Error failed(const StatementError& error, const std::string& what) {
  Error named = error.error;
  named.message = what + ": " + named.message;
  return named;
}

}  // namespace

Result<int> migrate(Connection& connection, std::span<const Migration> migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  if (auto begun = connection.execute("BEGIN"); !begun)
    return fail(failed(begun.error(), "cannot start the schema migration"));
  // Any return below without COMMIT rolls back.
  struct Rollback {
    Connection& connection;
    bool committed = false;
    ~Rollback() {
      if (!committed) (void)connection.execute("ROLLBACK");
    }
  } rollback{connection};

  if (auto locked = connection.execute("SELECT pg_advisory_xact_lock($1::bigint)",
                                       {std::string(kMigrationLock)});
      !locked)
    return fail(failed(locked.error(), "cannot lock the schema for migration"));
  if (auto created = connection.execute(
          "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
          "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      !created)
    return fail(failed(created.error(), "cannot create the schema_version table"));
  auto current = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!current) return fail(failed(current.error(), "cannot read the schema version"));
  const int version = std::stoi(std::string(current->text(0, 0)));
  if (version > known)
    return fail(ErrorCode::kUnavailable,
                "the database has schema version " + std::to_string(version) +
                    ", newer than this POP knows (" + std::to_string(known) +
                    "): run the newer POP, or restore a backup");

  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    const std::string what = "schema migration " + std::to_string(migration.version) + " (" +
                             std::string(migration.description) + ")";
    if (auto applied = connection.execute_script(migration.sql); !applied)
      return fail(failed(applied.error(), what + " failed"));
    if (auto recorded = connection.execute(
            "INSERT INTO schema_version (version, description) VALUES ($1, $2)",
            {std::to_string(migration.version), std::string(migration.description)});
        !recorded)
      return fail(failed(recorded.error(), what + " could not be recorded"));
  }
  if (auto committed = connection.execute("COMMIT"); !committed)
    return fail(failed(committed.error(), "the schema migration did not commit"));
  rollback.committed = true;
  return known > version ? known : version;
}

}  // namespace pop::postgres
