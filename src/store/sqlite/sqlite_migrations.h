// The schema of the SQLite store as an ordered list of migrations. A database records every
// migration applied to it in its schema_version table; opening brings it up to date in one
// transaction, so a crash mid-upgrade leaves the previous version intact.
//
// Append only: never edit a released migration, add the next version instead.
#pragma once

#include <span>
#include <string_view>

#include "store/sqlite/sqlite_connection.h"
#include "util/result.h"

namespace pop::store::sqlite {

struct Migration {
  int version;  // 1, 2, 3, ... in order, no gaps
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// The migrations this build knows, oldest first.
std::span<const Migration> builtin_migrations();

// Applies every migration of `migrations` newer than the database's version, all in one
// transaction, and returns the resulting version. REQUIRES: no transaction open on
// `connection`. kUnavailable: the database is newer than the last of `migrations` (written by
// a newer POP), or it could not be written; nothing is changed then.
Result<int> migrate(Connection& connection, std::span<const Migration> migrations);

// The version recorded in the database (0 for a new one).
Result<int> schema_version(Connection& connection);

}  // namespace pop::store::sqlite
