#include "postgres/pg_connection.h"

#include <libpq-fe.h>

#include "postgres/pg_error.h"

namespace pop::postgres {
namespace {

// libpq's messages end with a newline; POP's do not.
std::string trimmed(const char* text) {
  std::string message = text != nullptr ? text : "";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// libpq's view of parameters: NULL for SQL NULL.
std::vector<const char*> parameter_values(
    const std::vector<std::optional<std::string>>& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const auto& parameter : parameters)
    values.push_back(parameter ? parameter->c_str() : nullptr);
  return values;
}

}  // namespace

void Rows::Clear::operator()(pg_result* result) const { PQclear(result); }

std::size_t Rows::size() const { return static_cast<std::size_t>(PQntuples(result_.get())); }

std::size_t Rows::columns() const { return static_cast<std::size_t>(PQnfields(result_.get())); }

bool Rows::is_null(std::size_t row, std::size_t column) const {
  return PQgetisnull(result_.get(), static_cast<int>(row), static_cast<int>(column)) != 0;
}

std::string_view Rows::text(std::size_t row, std::size_t column) const {
  const int r = static_cast<int>(row);
  const int c = static_cast<int>(column);
  return {PQgetvalue(result_.get(), r, c),
          static_cast<std::size_t>(PQgetlength(result_.get(), r, c))};
}

std::size_t Rows::affected() const {
  const std::string count = PQcmdTuples(result_.get());
  return count.empty() ? 0 : std::stoul(count);
}

void Connection::Finish::operator()(pg_conn* connection) const { PQfinish(connection); }

Result<bool> uri_has_password(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (options == nullptr) {
    // libpq's reason quotes the part it could not read, which may be the password.
    PQfreemem(error);
    return fail(ErrorCode::kInvalidArgument,
                "invalid PostgreSQL connection string (see \"Connection Strings\" in "
                "PostgreSQL's manual)");
  }
  bool has_password = false;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    const std::string_view keyword = option->keyword;
    if ((keyword == "password" || keyword == "sslpassword") && option->val != nullptr &&
        option->val[0] != '\0')
      has_password = true;
  }
  PQconninfoFree(options);
  return has_password;
}

Result<Connection> Connection::open(const std::string& uri, const std::string& password) {
  // Defaults first, then the URI expanded into its parts (expand_dbname), whose settings win
  // over them; a password given apart comes last, so it wins over one from the environment or
  // the password file. The defaults keep a dead peer from holding anything for long: a
  // connection attempt gives up after 10 s, the client notices a silent server within about
  // 30 s (keepalives, TCP user timeout), and the server ends a transaction left idle by a
  // client that vanished after 10 s, so that its row locks (the counters every insert takes,
  // the pool claim every hand-out shares) do not stall the other replicas, or a takeover, for
  // the hours TCP would take. No transaction of the stores waits on its client for long: a
  // batch's statements follow each other at once.
  std::vector<const char*> keywords{
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "options",         "dbname"};
  std::vector<const char*> values{
      "10",       "1", "15", "5", "3", "30000", "-c idle_in_transaction_session_timeout=10000",
      uri.c_str()};
  if (!password.empty()) {
    keywords.push_back("password");
    values.push_back(password.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Connection connection(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!connection.connection_)
    return fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(connection.connection_.get()) != CONNECTION_OK) {
    return fail(postgres_error("", "cannot connect to PostgreSQL",
                               trimmed(PQerrorMessage(connection.connection_.get()))));
  }
  return connection;
}

Connection::~Connection() = default;

tl::expected<Rows, StatementError> Connection::execute(
    std::string_view sql, const std::vector<std::optional<std::string>>& parameters) {
  if (!deferred_.empty()) return execute_pipelined({std::string(sql), parameters, false});
  ++sends_;
  const std::vector<const char*> values = parameter_values(parameters);
  const std::string statement(sql);
  Rows rows(PQexecParams(connection_.get(), statement.c_str(), static_cast<int>(values.size()),
                         nullptr, values.data(), nullptr, nullptr, 0));
  if (auto failed = failure_of(rows.result_.get())) return tl::unexpected(std::move(*failed));
  return rows;
}

tl::expected<Rows, StatementError> Connection::execute_prepared(
    std::string_view sql, const std::vector<std::optional<std::string>>& parameters) {
  if (!deferred_.empty()) return execute_pipelined({std::string(sql), parameters, true});
  ++sends_;
  std::string statement(sql);
  const std::string* name = prepared_name(statement);
  if (name == nullptr) {
    std::string new_name = "pop_" + std::to_string(++statements_named_);
    Rows prepared(PQprepare(connection_.get(), new_name.c_str(), statement.c_str(), 0, nullptr));
    if (auto failed = failure_of(prepared.result_.get())) return tl::unexpected(std::move(*failed));
    name = &prepared_.emplace(std::move(statement), std::move(new_name)).first->second;
  }
  const std::vector<const char*> values = parameter_values(parameters);
  Rows rows(PQexecPrepared(connection_.get(), name->c_str(), static_cast<int>(values.size()),
                           values.data(), nullptr, nullptr, 0));
  if (auto failed = failure_of(rows.result_.get())) return tl::unexpected(std::move(*failed));
  return rows;
}

tl::expected<void, StatementError> Connection::execute_script(std::string_view sql) {
  if (!deferred_.empty()) {
    return tl::unexpected(StatementError{
        Error{ErrorCode::kInternal, "a script cannot follow deferred statements", {}}, ""});
  }
  ++sends_;
  const std::string script(sql);
  // Only the last statement's result comes back; an earlier failure ends the script there
  // and is that result.
  Rows result(PQexec(connection_.get(), script.c_str()));
  if (auto failed = failure_of(result.result_.get())) return tl::unexpected(std::move(*failed));
  return {};
}

void Connection::defer(std::string_view sql, std::vector<std::optional<std::string>> parameters) {
  deferred_.push_back({std::string(sql), std::move(parameters), true});
}

void Connection::drop_deferred(std::size_t count) {
  if (count < deferred_.size()) deferred_.resize(count);
}

const std::string* Connection::prepared_name(const std::string& sql) const {
  auto known = prepared_.find(sql);
  return known == prepared_.end() ? nullptr : &known->second;
}

tl::expected<Rows, StatementError> Connection::execute_pipelined(Statement last) {
  pg_conn* connection = connection_.get();
  // Blocking sends are safe here: the server answers each statement with a few bytes, so its
  // replies cannot fill the socket while a pipeline this short is being written. Refused
  // only on a connection that is not idle: what was queued cannot be sent on it.
  if (PQenterPipelineMode(connection) != 1) {
    deferred_.clear();
    auto failed = failure_of(nullptr);
    unavailable_ = true;
    return tl::unexpected(std::move(*failed));
  }
  std::vector<Statement> statements = std::move(deferred_);
  deferred_.clear();
  statements.push_back(std::move(last));
  ++sends_;
  last_sqlstate_.clear();
  // What each result read back answers: statement `index`, or its preparation under `name`.
  struct Sent {
    std::size_t index;
    bool preparation;
  };
  std::vector<Sent> sent;
  bool sending = true;
  for (std::size_t i = 0; sending && i < statements.size(); ++i) {
    const Statement& statement = statements[i];
    const std::vector<const char*> values = parameter_values(statement.parameters);
    const int count = static_cast<int>(values.size());
    if (!statement.prepared) {
      sending = PQsendQueryParams(connection, statement.sql.c_str(), count, nullptr, values.data(),
                                  nullptr, nullptr, 0) == 1;
      if (sending) sent.push_back({i, false});
      continue;
    }
    const std::string* name = prepared_name(statement.sql);
    if (name == nullptr) {
      // Named at once, so that the same text queued again is prepared once; forgotten below
      // if the server refuses it.
      std::string new_name = "pop_" + std::to_string(++statements_named_);
      sending = PQsendPrepare(connection, new_name.c_str(), statement.sql.c_str(), 0, nullptr) == 1;
      if (!sending) break;
      sent.push_back({i, true});
      name = &prepared_.emplace(statement.sql, std::move(new_name)).first->second;
    }
    sending = PQsendQueryPrepared(connection, name->c_str(), count, values.data(), nullptr, nullptr,
                                  0) == 1;
    if (sending) sent.push_back({i, false});
  }
  if (sending) sending = PQpipelineSync(connection) == 1;
  if (!sending) {
    auto failed = failure_of(nullptr);
    unavailable_ = true;  // what was sent is unknown: the connection is not used again
    return tl::unexpected(std::move(*failed));
  }
  std::optional<StatementError> first_failure;
  std::optional<Rows> answer;
  for (const Sent& each : sent) {
    while (pg_result* raw = PQgetResult(connection)) {
      Rows result(raw);
      const ExecStatusType status = PQresultStatus(raw);
      const bool succeeded = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
      if (each.preparation && !succeeded) prepared_.erase(statements[each.index].sql);
      // Statements after a failure are not run (PGRES_PIPELINE_ABORTED): the first failure
      // is the one to tell.
      if (!succeeded && !first_failure && status != PGRES_PIPELINE_ABORTED) {
        first_failure = failure_of(raw);
      }
      if (!each.preparation && each.index + 1 == statements.size()) answer = std::move(result);
    }
  }
  Rows sync(PQgetResult(connection));
  const bool synced = sync.result_ && PQresultStatus(sync.result_.get()) == PGRES_PIPELINE_SYNC;
  if (!synced || PQexitPipelineMode(connection) != 1) {
    unavailable_ = true;
    if (!first_failure) first_failure = failure_of(nullptr);
  }
  if (!first_failure && !answer) first_failure = failure_of(nullptr);  // libpq answered nothing
  if (first_failure) {
    last_sqlstate_ = first_failure->sqlstate;
    return tl::unexpected(std::move(*first_failure));
  }
  return std::move(*answer);
}

std::optional<StatementError> Connection::failure_of(const pg_result* result) {
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  last_sqlstate_.clear();
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return std::nullopt;
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  last_sqlstate_ = sqlstate;
  const std::string detail =
      trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection_.get()));
  Error error = postgres_error(sqlstate, "PostgreSQL statement failed", detail);
  if (error.code == ErrorCode::kUnavailable) unavailable_ = true;
  return StatementError{std::move(error), sqlstate};
}

bool Connection::consume_input() {
  if (PQconsumeInput(connection_.get()) == 1) return true;
  unavailable_ = true;
  return false;
}

std::optional<std::pair<std::string, std::string>> Connection::next_notification() {
  PGnotify* notification = PQnotifies(connection_.get());
  if (notification == nullptr) return std::nullopt;
  std::pair<std::string, std::string> read{notification->relname, notification->extra};
  PQfreemem(notification);
  return read;
}

bool Connection::healthy() const {
  return !unavailable_ && PQstatus(connection_.get()) == CONNECTION_OK;
}

int Connection::socket() const { return PQsocket(connection_.get()); }

}  // namespace pop::postgres
