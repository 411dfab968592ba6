// PostgresStore: leases with fencing and the fenced progress update (store/lease_writes.h)
// over PostgreSQL rows, each locked as it is read, so check-then-act is atomic across
// replicas.
#include <string>
#include <utility>

#include "store/lease_writes.h"
#include "store/postgres/pg_agenda_rows.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"

namespace pop::store::postgres {
namespace {

// The lease rows of store/lease_writes.h on PostgreSQL: the agenda's row and its lease's are
// locked as they are read, so another replica's write to the same agenda waits for this
// transaction.
struct LeaseRows {
  using Connection = postgres::Connection;
  static Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id) {
    return postgres::find_lease(db, agenda_id, /*lock=*/true);
  }
  // The writes are deferred: they go with the unit's RELEASE, which answers for them.
  static Result<void> store_lease(Connection& db, const LeaseRow& row) {
    defer_lease(db, row);
    return {};
  }
  static Result<void> replace_progress(Connection& db, std::int64_t agenda_sequence,
                                       const EncodedProgress& progress) {
    defer_progress(db, agenda_sequence, progress);
    return {};
  }
  // FOR SHARE: a takeover (an UPDATE of the claim) waits for this transaction, and one
  // committed before this statement is seen.
  static Result<void> check_pool_fence(Connection& db, const PoolFence& fence) {
    auto held =
        query(db,
              "SELECT 1 FROM pool_claims WHERE pool_id = $1 AND owner = $2 AND fence = $3 "
              "FOR SHARE",
              {fence.pool_id, fence.owner, parameter(static_cast<std::int64_t>(fence.fence))});
    if (!held) return fail(std::move(held.error()));
    if (!*held->step()) return pool_fence_lost(fence);
    return {};
  }
};
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
  return lease_writes::acquire_leases<LeaseRows>(*writer_, requests);
}

Result<void> PostgresStore::renew_lease(std::string_view agenda_id, std::uint64_t epoch,
                                        WallTime expires_at,
                                        const std::optional<ProgressRecord>& progress) {
  return lease_writes::renew_lease<LeaseRows>(*writer_, agenda_id, epoch, expires_at, progress);
}

Result<void> PostgresStore::release_lease(std::string_view agenda_id, std::uint64_t epoch,
                                          const std::optional<ProgressRecord>& final_progress) {
  return lease_writes::release_lease<LeaseRows>(*writer_, agenda_id, epoch, final_progress);
}

Result<std::uint64_t> PostgresStore::revoke_lease(std::string_view agenda_id,
                                                  std::uint64_t expected_epoch,
                                                  const ProgressRecord& progress) {
  return lease_writes::revoke_lease<LeaseRows>(*writer_, agenda_id, expected_epoch, progress);
}

Result<std::int64_t> PostgresStore::count_held_leases() {
  return read([&](Connection& db) -> Result<std::int64_t> {
    // "holder IS NOT NULL" matches the partial index leases_by_expiry.
    auto rows = query(db, "SELECT count(*) FROM leases WHERE holder IS NOT NULL", {});
    if (!rows) return fail(std::move(rows.error()));
    if (!*rows->step()) return fail(ErrorCode::kInternal, "count(*) returned no row");
    return rows->column_int64(0);
  });
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
  return lease_writes::reclaim_lease<LeaseRows>(*writer_, agenda_id, epoch, now, requeue_progress);
}

Result<void> PostgresStore::update_progress(const ProgressRecord& progress,
                                            std::optional<std::uint64_t> fence_epoch) {
  return lease_writes::update_progress<LeaseRows>(*writer_, progress, fence_epoch);
}

}  // namespace pop::store::postgres
