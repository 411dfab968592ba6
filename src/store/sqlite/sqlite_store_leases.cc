// SqliteStore: leases with fencing. Every check and change of one method happens inside
// one unit of the writer, so check-then-act is atomic: two pullers racing for an agenda,
// or a renewal racing a reclaim, can never both win.
#include <string>
#include <utility>

#include "store/lease_writes.h"
#include "store/sqlite/sqlite_agenda_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_codec.h"

namespace pop::store::sqlite {
namespace {

// The lease rows of store/lease_writes.h on SQLite: the single writer connection makes every
// unit exclusive, so nothing is locked row by row.
struct LeaseRows {
  using Connection = sqlite::Connection;
  static Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id) {
    return sqlite::find_lease(db, agenda_id);
  }
  static Result<void> store_lease(Connection& db, const LeaseRow& row) {
    return sqlite::store_lease(db, row);
  }
  static Result<void> replace_progress(Connection& db, std::int64_t agenda_sequence,
                                       const EncodedProgress& progress) {
    return sqlite::replace_progress(db, agenda_sequence, progress);
  }
  // One server per file owns every pool: a fence means the caller mistook the store.
  static Result<void> check_pool_fence(Connection&, const PoolFence& fence) {
    return fail(ErrorCode::kInvalidArgument, "pool \"" + fence.pool_id +
                                                 "\" cannot be claimed on SQLite: only replicas "
                                                 "sharing a PostgreSQL store claim pools");
  }
};
}  // namespace

Result<LeaseRecord> SqliteStore::get_lease(std::string_view agenda_id) {
  auto db = readers_->acquire();
  auto row = find_lease(*db, agenda_id);
  if (!row) return fail(std::move(row.error()));
  return to_lease_record(agenda_id, *row);
}

Result<std::uint64_t> SqliteStore::acquire_lease(const LeaseAcquisition& request) {
  return std::move(acquire_leases({request}).front());
}

std::vector<Result<std::uint64_t>> SqliteStore::acquire_leases(
    const std::vector<LeaseAcquisition>& requests) {
  return lease_writes::acquire_leases<LeaseRows>(*writer_, requests);
}

Result<void> SqliteStore::renew_lease(std::string_view agenda_id, std::uint64_t epoch,
                                      WallTime expires_at,
                                      const std::optional<ProgressRecord>& progress) {
  return lease_writes::renew_lease<LeaseRows>(*writer_, agenda_id, epoch, expires_at, progress);
}

Result<void> SqliteStore::release_lease(std::string_view agenda_id, std::uint64_t epoch,
                                        const std::optional<ProgressRecord>& final_progress) {
  return lease_writes::release_lease<LeaseRows>(*writer_, agenda_id, epoch, final_progress);
}

Result<std::uint64_t> SqliteStore::revoke_lease(std::string_view agenda_id,
                                                std::uint64_t expected_epoch,
                                                const ProgressRecord& progress) {
  return lease_writes::revoke_lease<LeaseRows>(*writer_, agenda_id, expected_epoch, progress);
}

Result<std::int64_t> SqliteStore::count_held_leases() {
  auto db = readers_->acquire();
  // "holder IS NOT NULL" matches the partial index leases_by_expiry: counted from it.
  auto statement = db->prepare("SELECT count(*) FROM leases WHERE holder IS NOT NULL");
  if (!statement) return fail(std::move(statement.error()));
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  return (*statement)->column_int64(0);
}

Result<std::vector<LeaseRecord>> SqliteStore::list_expired_leases(WallTime now, std::size_t limit) {
  auto db = readers_->acquire();
  // "holder IS NOT NULL" matches the partial index leases_by_expiry.
  auto statement = db->prepare(
      "SELECT a.id, l.epoch, l.holder, l.expires_ms FROM leases l "
      "JOIN agendas a ON a.sequence = l.agenda_sequence "
      "WHERE l.holder IS NOT NULL AND l.expires_ms <= ?1 "
      "ORDER BY l.expires_ms, l.agenda_sequence LIMIT ?2");
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, to_millis(now));
  listing.bind(2, static_cast<std::int64_t>(clamp_page_limit(limit)));
  std::vector<LeaseRecord> expired;
  while (true) {
    auto row = listing.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return expired;
    LeaseRecord lease;
    lease.agenda_id = listing.column_text(0);
    lease.epoch = static_cast<std::uint64_t>(listing.column_int64(1));
    lease.holder = listing.column_text(2);
    lease.expires_at = from_millis(listing.column_int64(3));
    expired.push_back(std::move(lease));
  }
}

Result<void> SqliteStore::reclaim_lease(std::string_view agenda_id, std::uint64_t epoch,
                                        WallTime now,
                                        const std::optional<ProgressRecord>& requeue_progress) {
  return lease_writes::reclaim_lease<LeaseRows>(*writer_, agenda_id, epoch, now, requeue_progress);
}

Result<void> SqliteStore::update_progress(const ProgressRecord& progress,
                                          std::optional<std::uint64_t> fence_epoch) {
  return lease_writes::update_progress<LeaseRows>(*writer_, progress, fence_epoch);
}

}  // namespace pop::store::sqlite
