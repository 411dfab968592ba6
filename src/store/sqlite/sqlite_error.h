// How SQLite's result codes become POP errors. The code says what the caller can do about
// it: retry later (kUnavailable), resolve a conflict (kConflict), or nothing (kInternal).
#pragma once

#include <string_view>

#include "util/result.h"

struct sqlite3;

namespace pop::store::sqlite {

// kConflict for constraint violations; kUnavailable for I/O, locking, disk full, a
// read-only or corrupt file and running out of memory; kInternal for the rest (bad SQL,
// misuse: bugs). The message is `context` followed by SQLite's own explanation, taken from
// `db` when given.
Error sqlite_error(int result_code, sqlite3* db, std::string_view context);

// Shorthand for the error side of a Result.
inline tl::unexpected<Error> sqlite_failure(int result_code, sqlite3* db,
                                            std::string_view context) {
  return tl::unexpected<Error>(sqlite_error(result_code, db, context));
}

}  // namespace pop::store::sqlite
