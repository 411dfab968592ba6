#include "store/sqlite/sqlite_error.h"

#include <sqlite3.h>

#include <string>

namespace pop::store::sqlite {
namespace {

ErrorCode code_for(int result_code) {
  switch (result_code & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_INTERRUPT:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace

Error sqlite_error(int result_code, sqlite3* db, std::string_view context) {
  std::string message(context);
  message += ": ";
  // The connection's message is more precise ("UNIQUE constraint failed: agendas.id") but
  // only describes this failure if the connection's last code is this one.
  if (db != nullptr && sqlite3_extended_errcode(db) == result_code) {
    message += sqlite3_errmsg(db);
  } else {
    message += sqlite3_errstr(result_code);
  }
  return Error{code_for(result_code), std::move(message), {}};
}

}  // namespace pop::store::sqlite
