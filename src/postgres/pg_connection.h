// One connection to PostgreSQL through libpq, owned: closed when it goes out of scope. Its
// statements take text parameters ($1, $2, ...) and answer rows of text, so values never
// become part of the SQL. Not thread-safe: one thread uses a connection at a time (a pool
// hands them out).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/result.h"

struct pg_conn;
struct pg_result;

namespace pop::postgres {

// What a statement answered: its rows (possibly none) of text values.
class Rows {
 public:
  std::size_t size() const;
  std::size_t columns() const;
  bool is_null(std::size_t row, std::size_t column) const;
  // The value as text; empty for NULL.
  std::string_view text(std::size_t row, std::size_t column) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  std::size_t affected() const;

 private:
  friend class Connection;
  struct Clear {
    void operator()(pg_result* result) const;
  };
  explicit Rows(pg_result* result) : result_(result) {}
  std::unique_ptr<pg_result, Clear> result_;
};

// A failed statement: the POP error, and PostgreSQL's SQLSTATE (empty when libpq itself
// failed, e.g. the connection was lost), which tells whether running the transaction again
// can help (postgres/pg_error.h).
struct StatementError {
  Error error;
  std::string sqlstate;
};

// Whether `uri` carries a password itself (postgresql://user:secret@host/db, password=... or
// the client key's sslpassword=...): one that would show in process listings and logs.
// kInvalidArgument: libpq cannot parse it (without libpq's reason, which may quote the
// password).
Result<bool> uri_has_password(const std::string& uri);

class Connection {
 public:
  // Connects to `uri` (a libpq connection URI or key=value string). kUnavailable naming
  // libpq's reason when the server cannot be reached or refuses; the message never contains
  // the password.
  // `password`, when not empty, is used instead of one from PGPASSWORD or the password file.
  static Result<Connection> open(const std::string& uri, const std::string& password = {});

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection();

  // Runs one statement. NULL parameters are std::nullopt.
  tl::expected<Rows, StatementError> execute(
      std::string_view sql, const std::vector<std::optional<std::string>>& parameters = {});

  // The same for the fixed statements a caller repeats: the statement is parsed and planned
  // once per connection and then only executed (a named prepared statement, which PgBouncer
  // passes on in transaction mode from version 1.21 with max_prepared_statements set).
  tl::expected<Rows, StatementError> execute_prepared(
      std::string_view sql, const std::vector<std::optional<std::string>>& parameters = {});

  // Runs `sql`, which may hold several statements separated by semicolons and takes no
  // parameters: for schema scripts, never for values.
  tl::expected<void, StatementError> execute_script(std::string_view sql);

  // Queues a prepared statement whose rows nobody reads: it is sent together with the next
  // statement executed (in one round trip, libpq's pipeline mode), which answers the first
  // error of the queued statements instead of its own, and does not run after one. For the
  // writes of a transaction that decide nothing (PostgreSQL rolls the transaction or the
  // savepoint back when one fails): inside a transaction only.
  void defer(std::string_view sql, std::vector<std::optional<std::string>> parameters = {});
  // How many statements are queued, and dropping those queued after the first `count`: a
  // caller that gives up on a unit of work drops what it queued.
  std::size_t deferred() const { return deferred_.size(); }
  void drop_deferred(std::size_t count);
  // How many times statements were sent: unchanged since a moment means nothing queued
  // since then has reached the server.
  std::uint64_t sends() const { return sends_; }

  // False once the connection is broken, or a statement failed as only a broken connection
  // or a stopping server makes it fail (kUnavailable): a server shut down "immediately"
  // answers one last FATAL error before libpq sees the socket close. A pool drops an
  // unhealthy connection instead of handing it out again.
  bool healthy() const;
  // Reads what the server sent without waiting (for notifications, once the socket is
  // readable). False when the connection broke.
  bool consume_input();
  // The next notification already read (LISTEN), if any: its channel and payload.
  std::optional<std::pair<std::string, std::string>> next_notification();

  // The SQLSTATE of the last statement when it failed, empty when it succeeded (or libpq
  // failed without one): lets a caller that saw only the POP error tell a deadlock from a
  // duplicate key (postgres/pg_error.h).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // The descriptor of its socket (for tests that look at it).
  int socket() const;

 private:
  struct Finish {
    void operator()(pg_conn* connection) const;
  };
  explicit Connection(pg_conn* connection) : connection_(connection) {}
  // The error of a statement's result (null: libpq had none to give), or nothing when it
  // succeeded. Marks the connection unavailable for kUnavailable.
  std::optional<StatementError> failure_of(const pg_result* result);
  struct Statement {
    std::string sql;
    std::vector<std::optional<std::string>> parameters;
    bool prepared = true;
  };
  // Sends the deferred statements and `last` in one pipeline; answers `last`'s rows, or the
  // first failure.
  tl::expected<Rows, StatementError> execute_pipelined(Statement last);
  // The name of `sql` prepared on this connection, if it is.
  const std::string* prepared_name(const std::string& sql) const;
  std::unique_ptr<pg_conn, Finish> connection_;
  bool unavailable_ = false;  // a statement failed with kUnavailable
  std::string last_sqlstate_;
  // The name each prepared statement's text got on this connection.
  std::unordered_map<std::string, std::string> prepared_;
  std::uint64_t statements_named_ = 0;  // names are never reused, even after a failed prepare
  std::vector<Statement> deferred_;
  std::uint64_t sends_ = 0;
};

}  // namespace pop::postgres
