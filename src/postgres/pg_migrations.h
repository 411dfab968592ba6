// A PostgreSQL schema as an ordered list of migrations, applied safely when several servers
// start on one database at once. The database records every migration applied to it in its
// schema_version table; migrate() brings it up to date in one transaction, under a
// transaction-scoped advisory lock, so concurrent callers apply each migration exactly once
// (the later ones find the work done) and a failure or crash mid-upgrade leaves the previous
// version intact.
//
// Append only: never edit a released migration, add the next version instead.
#pragma once

#include <span>
#include <string_view>

#include "postgres/pg_connection.h"
#include "util/result.h"

namespace pop::postgres {

struct Migration {
  int version;  // 1, 2, 3, ... in order, no gaps
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// Applies every migration of `migrations` newer than the database's version and returns the
// resulting version. REQUIRES: no transaction open on `connection`. kUnavailable: the
// database is newer than the last of `migrations` (written by a newer POP), or it could not
// be reached; kInternal: a migration failed. Nothing is changed on failure.
Result<int> migrate(Connection& connection, std::span<const Migration> migrations);

}  // namespace pop::postgres
