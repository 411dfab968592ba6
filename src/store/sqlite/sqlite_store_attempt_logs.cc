// SqliteStore: attempt logs (store.h, "Attempt logs"); the append's decisions are in
// store/attempt_log_rows.h.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "store/attempt_log_rows.h"
#include "store/sqlite/sqlite_agenda_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "util/base64url.h"

namespace pop::store::sqlite {
namespace {

struct LogRows {
  using Connection = sqlite::Connection;
  static Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id) {
    return sqlite::find_lease(db, agenda_id);
  }
  static Result<std::optional<AttemptLogState>> find_log(Connection& db, std::int64_t sequence,
                                                         std::string_view operation, int attempt) {
    auto statement = db.prepare(attempt_log_rows::select_states() +
                                "WHERE agenda_sequence = ?1 AND operation = ?2 AND attempt = ?3");
    if (!statement) return fail(std::move(statement.error()));
    (*statement)->bind(1, sequence);
    (*statement)->bind(2, operation);
    (*statement)->bind(3, std::int64_t{attempt});
    auto row = (*statement)->step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return std::optional<AttemptLogState>();
    return std::optional<AttemptLogState>(attempt_log_rows::read_state(**statement));
  }
  static Result<void> delete_log(Connection& db, std::int64_t sequence, std::string_view operation,
                                 int attempt) {
    auto statement = db.prepare(
        "DELETE FROM attempt_logs WHERE agenda_sequence = ?1 AND operation = ?2 AND attempt = ?3");
    if (!statement) return fail(std::move(statement.error()));
    (*statement)->bind(1, sequence);
    (*statement)->bind(2, operation);
    (*statement)->bind(3, std::int64_t{attempt});
    return (*statement)->run();
  }
  static Result<void> store_log(Connection& db, std::int64_t sequence, std::string_view operation,
                                const AttemptLogState& state) {
    auto statement = db.prepare(
        "INSERT INTO attempt_logs (agenda_sequence, operation, attempt, epoch, length, kept_bytes, "
        "ended, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (agenda_sequence, operation, attempt) DO UPDATE SET epoch = excluded.epoch, "
        "length = excluded.length, kept_bytes = excluded.kept_bytes, ended = excluded.ended, "
        "updated_ms = excluded.updated_ms");
    if (!statement) return fail(std::move(statement.error()));
    Statement& bound = **statement;
    bound.bind(1, sequence);
    bound.bind(2, operation);
    bound.bind(3, std::int64_t{state.attempt});
    bound.bind(4, static_cast<std::int64_t>(state.epoch));
    bound.bind(5, static_cast<std::int64_t>(state.length));
    bound.bind(6, static_cast<std::int64_t>(state.kept_bytes));
    bound.bind(7, std::int64_t{state.ended ? 1 : 0});
    bound.bind(8, to_millis(state.updated_time));
    return bound.run();
  }
  static Result<void> insert_chunk(Connection& db, std::int64_t sequence,
                                   const AttemptLogAppend& chunk) {
    auto statement = db.prepare(
        "INSERT INTO attempt_log_chunks (agenda_sequence, operation, attempt, start_offset, "
        "kept_bytes, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!statement) return fail(std::move(statement.error()));
    Statement& bound = **statement;
    bound.bind(1, sequence);
    bound.bind(2, chunk.operation);
    bound.bind(3, std::int64_t{chunk.attempt});
    bound.bind(4, static_cast<std::int64_t>(chunk.offset));
    bound.bind(5, static_cast<std::int64_t>(chunk.kept_bytes));
    bound.bind(6, base64url_encode(chunk.compressed));
    return bound.run();
  }
};

}  // namespace

Result<AttemptLogState> SqliteStore::append_attempt_log(const AttemptLogAppend& chunk) {
  return attempt_log_rows::append<LogRows>(*writer_, chunk);
}

Result<std::vector<AttemptLogState>> SqliteStore::list_attempt_logs(std::string_view agenda_id,
                                                                    std::string_view operation) {
  auto db = readers_->acquire();
  auto statement = db->prepare(
      attempt_log_rows::select_states() +
      "WHERE agenda_sequence = (SELECT sequence FROM agendas WHERE id = ?1) AND operation = ?2 "
      "ORDER BY attempt");
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, agenda_id);
  listing.bind(2, operation);
  std::vector<AttemptLogState> states;
  while (true) {
    auto row = listing.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return states;
    states.push_back(attempt_log_rows::read_state(listing));
  }
}

Result<std::vector<AttemptLogChunk>> SqliteStore::read_attempt_log(std::string_view agenda_id,
                                                                   std::string_view operation,
                                                                   int attempt,
                                                                   std::uint64_t from_offset,
                                                                   std::size_t limit) {
  auto db = readers_->acquire();
  auto statement = db->prepare(
      "SELECT start_offset, kept_bytes, data FROM attempt_log_chunks "
      "WHERE agenda_sequence = (SELECT sequence FROM agendas WHERE id = ?1) AND operation = ?2 "
      "AND attempt = ?3 AND start_offset >= ?4 ORDER BY start_offset LIMIT ?5");
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, agenda_id);
  listing.bind(2, operation);
  listing.bind(3, std::int64_t{attempt});
  listing.bind(4, static_cast<std::int64_t>(from_offset));
  listing.bind(5, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
  std::vector<AttemptLogChunk> chunks;
  while (true) {
    auto row = listing.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return chunks;
    auto data = base64url_decode(listing.column_text(2));
    if (!data) {
      return reported<std::vector<AttemptLogChunk>>(
          fail(ErrorCode::kInternal,
               "attempt log chunk of agenda " + std::string(agenda_id) + " is not base64url"));
    }
    chunks.push_back({static_cast<std::uint64_t>(listing.column_int64(0)),
                      static_cast<std::uint64_t>(listing.column_int64(1)), std::move(*data)});
  }
}

Result<std::size_t> SqliteStore::delete_attempt_logs_before(WallTime cutoff, std::size_t limit) {
  return run_returning<std::size_t>(*writer_, [&](Connection& db) -> Result<std::size_t> {
    auto statement = db.prepare(
        "DELETE FROM attempt_logs WHERE (agenda_sequence, operation, attempt) IN ("
        "SELECT agenda_sequence, operation, attempt FROM attempt_logs WHERE updated_ms < ?1 "
        "ORDER BY updated_ms LIMIT ?2)");
    if (!statement) return fail(std::move(statement.error()));
    (*statement)->bind(1, to_millis(cutoff));
    (*statement)->bind(2, static_cast<std::int64_t>(limit));
    if (auto done = (*statement)->run(); !done) return fail(std::move(done.error()));
    return static_cast<std::size_t>(db.changes());
  });
}

}  // namespace pop::store::sqlite
