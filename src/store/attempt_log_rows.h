// What the SQL stores share of attempt logs (store.h, "Attempt logs"): the state row's
// columns and how they read, and the append, written once: the fence, the replacement of an
// earlier lease's attempt, the offset check, over a store's own row access. `Rows` is a class
// of static functions on the store's connection type:
//
//   using Connection = ...;
//   static Result<LeaseRow> find_lease(Connection&, std::string_view agenda_id);
//   // The attempt's state row, nullopt when there is none.
//   static Result<std::optional<AttemptLogState>> find_log(Connection&, std::int64_t sequence,
//                                                          std::string_view operation,
//                                                          int attempt);
//   // Removes the attempt's state row and its chunks.
//   static Result<void> delete_log(Connection&, std::int64_t sequence, std::string_view operation,
//                                  int attempt);
//   // Inserts or replaces the attempt's state row.
//   static Result<void> store_log(Connection&, std::int64_t sequence, std::string_view operation,
//                                 const AttemptLogState&);
//   static Result<void> insert_chunk(Connection&, std::int64_t sequence,
//                                    const AttemptLogAppend&);
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "store/attempt_log_types.h"
#include "store/group_commit.h"
#include "store/record_rows.h"

namespace pop::store::attempt_log_rows {

// "SELECT <the state row's columns, as read_state() reads them> FROM attempt_logs ", to which
// the caller adds its conditions.
inline std::string select_states() {
  return "SELECT attempt, epoch, length, kept_bytes, ended, updated_ms FROM attempt_logs ";
}

// A state row selected with kStateColumns from a store's row reader.
template <typename Row>
AttemptLogState read_state(const Row& row) {
  return {static_cast<int>(row.column_int64(0)),
          static_cast<std::uint64_t>(row.column_int64(1)),
          static_cast<std::uint64_t>(row.column_int64(2)),
          static_cast<std::uint64_t>(row.column_int64(3)),
          row.column_int64(4) != 0,
          from_millis(row.column_int64(5))};
}

template <typename Rows, typename Writer>
Result<AttemptLogState> append(Writer& writer, const AttemptLogAppend& chunk) {
  return run_returning<AttemptLogState>(
      writer, [&](typename Rows::Connection& db) -> Result<AttemptLogState> {
        auto lease = Rows::find_lease(db, chunk.agenda_id);
        if (!lease) return fail(std::move(lease.error()));
        if (!lease->held_with(chunk.epoch))
          return lease_conflict(chunk.agenda_id, *lease, chunk.epoch);
        const std::int64_t sequence = lease->agenda_sequence;
        auto found = Rows::find_log(db, sequence, chunk.operation, chunk.attempt);
        if (!found) return fail(std::move(found.error()));
        std::optional<AttemptLogState> state = std::move(*found);
        if (state && state->epoch != chunk.epoch) {
          // The same attempt number under an earlier lease: that run is over, this one replaces it.
          if (auto deleted = Rows::delete_log(db, sequence, chunk.operation, chunk.attempt);
              !deleted)
            return fail(std::move(deleted.error()));
          state.reset();
        }
        if (!state) state = AttemptLogState{chunk.attempt, chunk.epoch, 0, 0, false, chunk.now};
        if (state->ended || chunk.offset != state->length) return *state;
        state->length += chunk.byte_count;
        state->kept_bytes += chunk.kept_bytes;
        state->ended = chunk.ended;
        state->updated_time = chunk.now;
        // The state row first: the chunk references it.
        if (auto stored = Rows::store_log(db, sequence, chunk.operation, *state); !stored)
          return fail(std::move(stored.error()));
        if (chunk.kept_bytes > 0) {
          if (auto inserted = Rows::insert_chunk(db, sequence, chunk); !inserted)
            return fail(std::move(inserted.error()));
        }
        return *state;
      });
}

}  // namespace pop::store::attempt_log_rows
