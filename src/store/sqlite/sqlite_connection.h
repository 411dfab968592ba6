// One SQLite connection and the prepared statements cached on it. A connection is used by
// one thread at a time (the writer thread, or whoever checked it out of the read pool), so
// it is opened without SQLite's own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sqlite/sqlite_statement.h"
#include "util/result.h"

struct sqlite3;

namespace pop::store::sqlite {

class Connection {
 public:
  enum class Mode {
    kWriter,  // creates the file if missing
    kReader,  // refuses every write (PRAGMA query_only), so a bug cannot write outside
              // the writer's transactions
  };

  // Opens `file` with busy_timeout set, through the named SQLite VFS (empty: the default
  // one). kUnavailable when SQLite cannot open it.
  static Result<Connection> open(const std::filesystem::path& file, Mode mode,
                                 std::chrono::milliseconds busy_timeout,
                                 const std::string& vfs = {});

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;  // finalizes the cached statements, then closes

  // Runs SQL text that returns no rows (one or several statements; for schema scripts and
  // pragmas). Errors name `context`.
  Result<void> execute(std::string_view sql);

  // The cached prepared statement for `sql`, prepared on first use. The statement lives as
  // long as this connection; the returned use resets it when dropped.
  Result<StatementUse> prepare(std::string_view sql);

  // Runs a statement returning one text value (e.g. "PRAGMA journal_mode=WAL").
  Result<std::string> query_text(std::string_view sql);

  // True between BEGIN and COMMIT/ROLLBACK. SQLite may end a transaction by itself after
  // an I/O error, disk full or out of memory; callers check this after such errors.
  bool in_transaction() const;
  std::int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT, UPDATE or DELETE (not counting cascades).
  std::int64_t changes() const;

  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, Closer> db_;
  // Declared after db_ so that statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>>
      statements_;
};

}  // namespace pop::store::sqlite
