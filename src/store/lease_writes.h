// The lease writes of the SQL stores, written once: every decision of store.h's lease methods
// (who may acquire, renew, release, revoke or reclaim, and what each writes), over a store's
// own row access. `Rows` is a class of static functions on the store's connection type:
//
//   using Connection = ...;
//   // The agenda's key and lease, locked until the transaction ends where the database locks
//   // rows (so that the decision still holds when the write lands). kNotFound: no agenda.
//   static Result<LeaseRow> find_lease(Connection&, std::string_view agenda_id);
//   static Result<void> store_lease(Connection&, const LeaseRow&);
//   static Result<void> replace_progress(Connection&, std::int64_t agenda_sequence,
//                                        const EncodedProgress&);
//   // kUnavailable unless the fence's owner still holds its pool's claim with it, locked
//   // against a takeover until the transaction ends (store/pool_claims.h).
//   static Result<void> check_pool_fence(Connection&, const PoolFence&);
//
// `Writer` is the store's group commit (store/group_commit.h: run, run_all). Each function
// runs in one unit of work, so check-then-act is atomic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/group_commit.h"
#include "store/record_rows.h"

namespace pop::store::lease_writes {

namespace detail {

// Ends the lease in `row` and writes `progress` when given.
template <typename Rows>
Result<void> end_lease(typename Rows::Connection& db, LeaseRow row,
                       const std::optional<EncodedProgress>& progress) {
  row.holder.reset();
  row.expires_ms.reset();
  if (auto stored = Rows::store_lease(db, row); !stored) return stored;
  if (progress) return Rows::replace_progress(db, row.agenda_sequence, *progress);
  return {};
}

}  // namespace detail

template <typename Rows, typename Writer>
std::vector<Result<std::uint64_t>> acquire_leases(Writer& writer,
                                                  const std::vector<LeaseAcquisition>& requests) {
  using Connection = typename Rows::Connection;
  std::vector<Result<std::uint64_t>> results(requests.size(), std::uint64_t{0});
  std::vector<std::optional<EncodedProgress>> progress(requests.size());
  std::vector<typename Writer::Work> works;
  std::vector<std::size_t> queued;  // index into requests of each unit of work
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto encoded = encode_progress(requests[i].progress);
    if (!encoded) {
      results[i] = fail(std::move(encoded.error()));
      continue;
    }
    progress[i] = std::move(*encoded);
    queued.push_back(i);
    works.push_back([&, i](Connection& db) -> Result<void> {
      const LeaseAcquisition& request = requests[i];
      // First, so that a takeover committed before this unit runs refuses it.
      if (request.pool_fence) {
        if (auto held = Rows::check_pool_fence(db, *request.pool_fence); !held) return held;
      }
      auto row = Rows::find_lease(db, request.agenda_id);
      if (!row) return fail(std::move(row.error()));
      if (row->epoch != request.expected_epoch) {
        return epoch_mismatch(request.agenda_id, *row, request.expected_epoch);
      }
      if (row->holder && row->expires_ms.value_or(0) > to_millis(request.now)) {
        return fail(ErrorCode::kConflict,
                    "agenda " + request.agenda_id + " is leased to " + *row->holder);
      }
      row->epoch += 1;
      row->holder = request.holder;
      row->expires_ms = to_millis(request.expires_at);
      if (auto stored = Rows::store_lease(db, *row); !stored) return stored;
      if (progress[i]) {
        if (auto written = Rows::replace_progress(db, row->agenda_sequence, *progress[i]); !written)
          return written;
      }
      results[i] = row->epoch;
      return {};
    });
  }
  auto done = writer.run_all(works);
  for (std::size_t unit = 0; unit < done.size(); ++unit) {
    if (!done[unit]) results[queued[unit]] = fail(std::move(done[unit].error()));
  }
  return results;
}

template <typename Rows, typename Writer>
Result<void> renew_lease(Writer& writer, std::string_view agenda_id, std::uint64_t epoch,
                         WallTime expires_at, const std::optional<ProgressRecord>& progress) {
  auto encoded = encode_progress(progress);
  if (!encoded) return fail(std::move(encoded.error()));
  return writer.run([&](typename Rows::Connection& db) -> Result<void> {
    auto row = Rows::find_lease(db, agenda_id);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    row->expires_ms = to_millis(expires_at);
    if (auto stored = Rows::store_lease(db, *row); !stored) return stored;
    if (*encoded) return Rows::replace_progress(db, row->agenda_sequence, **encoded);
    return {};
  });
}

template <typename Rows, typename Writer>
Result<void> release_lease(Writer& writer, std::string_view agenda_id, std::uint64_t epoch,
                           const std::optional<ProgressRecord>& final_progress) {
  auto progress = encode_progress(final_progress);
  if (!progress) return fail(std::move(progress.error()));
  return writer.run([&](typename Rows::Connection& db) -> Result<void> {
    auto row = Rows::find_lease(db, agenda_id);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    return detail::end_lease<Rows>(db, *row, *progress);
  });
}

template <typename Rows, typename Writer>
Result<std::uint64_t> revoke_lease(Writer& writer, std::string_view agenda_id,
                                   std::uint64_t expected_epoch, const ProgressRecord& progress) {
  // Encoded from `progress` itself, which it points into and which outlives the write.
  auto encoded = encode_progress(progress);
  if (!encoded) return fail(std::move(encoded.error()));
  const std::optional<EncodedProgress> written(std::move(*encoded));
  return run_returning<std::uint64_t>(
      writer, [&](typename Rows::Connection& db) -> Result<std::uint64_t> {
        auto row = Rows::find_lease(db, agenda_id);
        if (!row) return fail(std::move(row.error()));
        if (row->epoch != expected_epoch) return epoch_mismatch(agenda_id, *row, expected_epoch);
        row->epoch += 1;
        if (auto ended = detail::end_lease<Rows>(db, *row, written); !ended)
          return fail(std::move(ended.error()));
        return row->epoch;
      });
}

template <typename Rows, typename Writer>
Result<void> reclaim_lease(Writer& writer, std::string_view agenda_id, std::uint64_t epoch,
                           WallTime now, const std::optional<ProgressRecord>& requeue_progress) {
  auto progress = encode_progress(requeue_progress);
  if (!progress) return fail(std::move(progress.error()));
  return writer.run([&](typename Rows::Connection& db) -> Result<void> {
    auto row = Rows::find_lease(db, agenda_id);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    if (row->expires_ms.value_or(0) > to_millis(now)) {
      return fail(ErrorCode::kConflict, "the lease of agenda " + std::string(agenda_id) +
                                            " has not expired (it was renewed)");
    }
    return detail::end_lease<Rows>(db, *row, *progress);
  });
}

// Store::update_progress.
template <typename Rows, typename Writer>
Result<void> update_progress(Writer& writer, const ProgressRecord& progress,
                             std::optional<std::uint64_t> fence_epoch) {
  auto encoded = encode_progress(progress);
  if (!encoded) return fail(std::move(encoded.error()));
  return writer.run([&](typename Rows::Connection& db) -> Result<void> {
    auto lease = Rows::find_lease(db, progress.agenda_id);
    if (!lease) return fail(std::move(lease.error()));
    if (fence_epoch && !lease->held_with(*fence_epoch)) {
      return lease_conflict(progress.agenda_id, *lease, *fence_epoch);
    }
    return Rows::replace_progress(db, lease->agenda_sequence, *encoded);
  });
}

}  // namespace pop::store::lease_writes
