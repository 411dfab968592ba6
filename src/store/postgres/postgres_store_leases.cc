// PostgresStore: leases with fencing. Every method locks the agenda's row before it looks
// at the lease (find_lease with lock), so check-then-act is atomic across replicas.
#include <string>
#include <utility>

#include "store/postgres/pg_agenda_rows.h"
#include "store/postgres/postgres_store.h"

namespace pop::store::postgres {
namespace {

// Ends the lease in `row` and writes `progress` when given.
Result<void> end_lease(Connection& db, LeaseRow row,
                       const std::optional<EncodedProgress>& progress) {
  row.holder.reset();
  row.expires_ms.reset();
  if (auto stored = store_lease(db, row); !stored) return stored;
  if (progress) return replace_progress(db, row.agenda_sequence, *progress);
  return {};
}

}  // namespace

Result<LeaseRecord> PostgresStore::get_lease(std::string_view agenda_id) {
  return read([&](Connection& db) -> Result<LeaseRecord> {
    auto row = find_lease(db, agenda_id, /*lock=*/false);
    if (!row) return fail(std::move(row.error()));
    return to_lease_record(agenda_id, *row);
  });
}

Result<std::uint64_t> PostgresStore::acquire_lease(const LeaseAcquisition& request) {
  return std::move(acquire_leases({request}).front());
}

std::vector<Result<std::uint64_t>> PostgresStore::acquire_leases(
    const std::vector<LeaseAcquisition>& requests) {
  std::vector<Result<std::uint64_t>> results(requests.size(), std::uint64_t{0});
  std::vector<std::optional<EncodedProgress>> progress(requests.size());
  std::vector<PgWriteBatcher::Work> works;
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
      auto row = find_lease(db, request.agenda_id, /*lock=*/true);
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
      if (auto stored = store_lease(db, *row); !stored) return stored;
      if (progress[i]) {
        if (auto written = replace_progress(db, row->agenda_sequence, *progress[i]); !written)
          return written;
      }
      results[i] = row->epoch;
      return {};
    });
  }
  auto done = writer_->run_all(works);
  for (std::size_t unit = 0; unit < done.size(); ++unit) {
    if (!done[unit]) results[queued[unit]] = fail(std::move(done[unit].error()));
  }
  return results;
}

Result<void> PostgresStore::renew_lease(std::string_view agenda_id, std::uint64_t epoch,
                                        WallTime expires_at) {
  return writer_->run([&](Connection& db) -> Result<void> {
    auto row = find_lease(db, agenda_id, /*lock=*/true);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    row->expires_ms = to_millis(expires_at);
    return store_lease(db, *row);
  });
}

Result<void> PostgresStore::release_lease(std::string_view agenda_id, std::uint64_t epoch,
                                          const std::optional<ProgressRecord>& final_progress) {
  auto progress = encode_progress(final_progress);
  if (!progress) return fail(std::move(progress.error()));
  return writer_->run([&](Connection& db) -> Result<void> {
    auto row = find_lease(db, agenda_id, /*lock=*/true);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    return end_lease(db, *row, *progress);
  });
}

Result<std::uint64_t> PostgresStore::revoke_lease(std::string_view agenda_id,
                                                  std::uint64_t expected_epoch,
                                                  const ProgressRecord& progress) {
  // Encoded from `progress` itself, which it points into and which outlives the write.
  auto encoded = encode_progress(progress);
  if (!encoded) return fail(std::move(encoded.error()));
  const std::optional<EncodedProgress> written(std::move(*encoded));
  std::uint64_t epoch = 0;
  auto done = writer_->run([&](Connection& db) -> Result<void> {
    auto row = find_lease(db, agenda_id, /*lock=*/true);
    if (!row) return fail(std::move(row.error()));
    if (row->epoch != expected_epoch) return epoch_mismatch(agenda_id, *row, expected_epoch);
    row->epoch += 1;
    epoch = row->epoch;
    return end_lease(db, *row, written);
  });
  if (!done) return fail(std::move(done.error()));
  return epoch;
}

Result<std::vector<LeaseRecord>> PostgresStore::list_expired_leases(WallTime now,
                                                                    std::size_t limit) {
  return read([&](Connection& db) -> Result<std::vector<LeaseRecord>> {
    // "holder IS NOT NULL" matches the partial index leases_by_expiry.
    auto rows = query(
        db,
        "SELECT a.id, l.epoch, l.holder, l.expires_ms FROM leases l "
        "JOIN agendas a ON a.sequence = l.agenda_sequence "
        "WHERE l.holder IS NOT NULL AND l.expires_ms <= $1 "
        "ORDER BY l.expires_ms, l.agenda_sequence LIMIT $2",
        {parameter(to_millis(now)), parameter(static_cast<std::int64_t>(clamp_page_limit(limit)))});
    if (!rows) return fail(std::move(rows.error()));
    std::vector<LeaseRecord> expired;
    while (*rows->step()) {
      LeaseRecord lease;
      lease.agenda_id = rows->column_text(0);
      lease.epoch = static_cast<std::uint64_t>(rows->column_int64(1));
      lease.holder = rows->column_text(2);
      lease.expires_at = from_millis(rows->column_int64(3));
      expired.push_back(std::move(lease));
    }
    return expired;
  });
}

Result<void> PostgresStore::reclaim_lease(std::string_view agenda_id, std::uint64_t epoch,
                                          WallTime now,
                                          const std::optional<ProgressRecord>& requeue_progress) {
  auto progress = encode_progress(requeue_progress);
  if (!progress) return fail(std::move(progress.error()));
  return writer_->run([&](Connection& db) -> Result<void> {
    auto row = find_lease(db, agenda_id, /*lock=*/true);
    if (!row) return fail(std::move(row.error()));
    if (!row->held_with(epoch)) return lease_conflict(agenda_id, *row, epoch);
    if (row->expires_ms.value_or(0) > to_millis(now)) {
      return fail(ErrorCode::kConflict, "the lease of agenda " + std::string(agenda_id) +
                                            " has not expired (it was renewed)");
    }
    return end_lease(db, *row, *progress);
  });
}

}  // namespace pop::store::postgres
