// PostgresStore: attempt logs (store.h, "Attempt logs"); the append's decisions are in
// store/attempt_log_rows.h, made with the agenda's row locked as for a lease write.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "store/attempt_log_rows.h"
#include "store/postgres/pg_agenda_rows.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"
#include "util/base64url.h"

namespace pop::store::postgres {
namespace {

std::string parameter(std::uint64_t value) {
  return postgres::parameter(static_cast<std::int64_t>(value));
}

struct LogRows {
  using Connection = postgres::Connection;
  static Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id) {
    return postgres::find_lease(db, agenda_id, /*lock=*/true);
  }
  static Result<std::optional<AttemptLogState>> find_log(Connection& db, std::int64_t sequence,
                                                         std::string_view operation, int attempt) {
    auto found = query(db,
                       attempt_log_rows::select_states() +
                           "WHERE agenda_sequence = $1 AND operation = $2 AND attempt = $3",
                       {postgres::parameter(sequence), std::string(operation),
                        postgres::parameter(std::int64_t{attempt})});
    if (!found) return fail(std::move(found.error()));
    if (!*found->step()) return std::optional<AttemptLogState>();
    return std::optional<AttemptLogState>(attempt_log_rows::read_state(*found));
  }
  static Result<void> delete_log(Connection& db, std::int64_t sequence, std::string_view operation,
                                 int attempt) {
    return run(db,
               "DELETE FROM attempt_logs WHERE agenda_sequence = $1 AND operation = $2 "
               "AND attempt = $3",
               {postgres::parameter(sequence), std::string(operation),
                postgres::parameter(std::int64_t{attempt})});
  }
  static Result<void> store_log(Connection& db, std::int64_t sequence, std::string_view operation,
                                const AttemptLogState& state) {
    return run(db,
               "INSERT INTO attempt_logs (agenda_sequence, operation, attempt, epoch, length, "
               "kept_bytes, ended, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
               "ON CONFLICT (agenda_sequence, operation, attempt) DO UPDATE SET "
               "epoch = excluded.epoch, length = excluded.length, "
               "kept_bytes = excluded.kept_bytes, ended = excluded.ended, "
               "updated_ms = excluded.updated_ms",
               {postgres::parameter(sequence), std::string(operation),
                postgres::parameter(std::int64_t{state.attempt}), parameter(state.epoch),
                parameter(state.length), parameter(state.kept_bytes),
                postgres::parameter(std::int64_t{state.ended ? 1 : 0}),
                postgres::parameter(to_millis(state.updated_time))});
  }
  static Result<void> insert_chunk(Connection& db, std::int64_t sequence,
                                   const AttemptLogAppend& chunk) {
    return run(db,
               "INSERT INTO attempt_log_chunks (agenda_sequence, operation, attempt, "
               "start_offset, kept_bytes, data) VALUES ($1, $2, $3, $4, $5, $6)",
               {postgres::parameter(sequence), chunk.operation,
                postgres::parameter(std::int64_t{chunk.attempt}), parameter(chunk.offset),
                parameter(chunk.kept_bytes), base64url_encode(chunk.compressed)});
  }
};

}  // namespace

Result<AttemptLogState> PostgresStore::append_attempt_log(const AttemptLogAppend& chunk) {
  return attempt_log_rows::append<LogRows>(*writer_, chunk);
}

Result<std::vector<AttemptLogState>> PostgresStore::list_attempt_logs(std::string_view agenda_id,
                                                                      std::string_view operation) {
  return read([&](Connection& db) -> Result<std::vector<AttemptLogState>> {
    auto listing = query(db,
                         attempt_log_rows::select_states() +
                             "WHERE agenda_sequence = (SELECT sequence FROM agendas WHERE id = $1) "
                             "AND operation = $2 ORDER BY attempt",
                         {std::string(agenda_id), std::string(operation)});
    if (!listing) return fail(std::move(listing.error()));
    std::vector<AttemptLogState> states;
    while (*listing->step()) states.push_back(attempt_log_rows::read_state(*listing));
    return states;
  });
}

Result<std::vector<AttemptLogChunk>> PostgresStore::read_attempt_log(std::string_view agenda_id,
                                                                     std::string_view operation,
                                                                     int attempt,
                                                                     std::uint64_t from_offset,
                                                                     std::size_t limit) {
  return reported(read([&](Connection& db) -> Result<std::vector<AttemptLogChunk>> {
    auto listing = query(
        db,
        "SELECT start_offset, kept_bytes, data FROM attempt_log_chunks "
        "WHERE agenda_sequence = (SELECT sequence FROM agendas WHERE id = $1) "
        "AND operation = $2 AND attempt = $3 AND start_offset >= $4 "
        "ORDER BY start_offset LIMIT $5",
        {std::string(agenda_id), std::string(operation), postgres::parameter(std::int64_t{attempt}),
         parameter(from_offset), parameter(std::min<std::uint64_t>(limit, INT64_MAX))});
    if (!listing) return fail(std::move(listing.error()));
    std::vector<AttemptLogChunk> chunks;
    while (*listing->step()) {
      auto data = base64url_decode(listing->column_text(2));
      if (!data) {
        return fail(ErrorCode::kInternal,
                    "attempt log chunk of agenda " + std::string(agenda_id) + " is not base64url");
      }
      chunks.push_back({static_cast<std::uint64_t>(listing->column_int64(0)),
                        static_cast<std::uint64_t>(listing->column_int64(1)), std::move(*data)});
    }
    return chunks;
  }));
}

Result<std::size_t> PostgresStore::delete_attempt_logs_before(WallTime cutoff, std::size_t limit) {
  return run_returning<std::size_t>(*writer_, [&](Connection& db) -> Result<std::size_t> {
    auto deleted = query(
        db,
        "DELETE FROM attempt_logs WHERE (agenda_sequence, operation, attempt) IN ("
        "SELECT agenda_sequence, operation, attempt FROM attempt_logs "
        "WHERE updated_ms < $1 ORDER BY updated_ms LIMIT $2)",
        {postgres::parameter(to_millis(cutoff)), parameter(static_cast<std::uint64_t>(limit))});
    if (!deleted) return fail(std::move(deleted.error()));
    return deleted->affected();
  });
}

}  // namespace pop::store::postgres
