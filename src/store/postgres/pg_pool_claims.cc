#include "store/postgres/pg_pool_claims.h"

#include <string>

#include "store/postgres/pg_rows.h"

namespace pop::store::postgres {
namespace {

// Named apart from pg_rows.h's parameter(): in a unity build an overload here would be found
// first by calls from other files' anonymous namespaces and capture, say, a double.
std::string fence_parameter(std::uint64_t value) {
  return parameter(static_cast<std::int64_t>(value));
}
std::string millis_parameter(std::chrono::milliseconds value) {
  return parameter(static_cast<std::int64_t>(value.count()));
}

}  // namespace

Result<std::vector<PoolClaim>> PgPoolClaims::list() {
  auto db = connections_.acquire();
  if (!db) return fail(std::move(db.error()));
  auto rows = query(**db,
                    "SELECT pool_id, owner, address, fence, expires_ms > pop_now_ms() "
                    "FROM pool_claims ORDER BY pool_id");
  if (!rows) return fail(std::move(rows.error()));
  std::vector<PoolClaim> claims;
  while (*rows->step()) {
    claims.push_back({std::string(rows->column_text(0)), std::string(rows->column_text(1)),
                      std::string(rows->column_text(2)),
                      static_cast<std::uint64_t>(rows->column_int64(3)),
                      rows->column_text(4) == "t"});
  }
  return claims;
}

Result<PoolClaim> PgPoolClaims::claim(std::string_view pool_id, std::string_view owner,
                                      std::string_view address, std::uint64_t fence,
                                      std::chrono::milliseconds duration) {
  auto db = connections_.acquire();
  if (!db) return fail(std::move(db.error()));
  // A hand-out of the owner holds the claim's row shared while it commits; one whose replica
  // vanished mid-write holds it until PostgreSQL ends its transaction. This beat gives up
  // rather than wait, so that it renews its other claims in time.
  if (auto limited = run(**db, "SET lock_timeout = " + millis_parameter(duration / 4)); !limited)
    return fail(std::move(limited.error()));
  // A renewal keeps the fence; a takeover moves it, which waits for (FOR SHARE) and then
  // refuses every lease write of the former owner (check_pool_fence).
  auto rows = query(
      **db,
      "INSERT INTO pool_claims AS c (pool_id, owner, address, fence, expires_ms) "
      "VALUES ($1, $2, $3, 1, pop_now_ms() + $5) "
      "ON CONFLICT (pool_id) DO UPDATE SET owner = excluded.owner, address = excluded.address, "
      "fence = CASE WHEN c.owner = excluded.owner AND c.fence = $4 THEN c.fence "
      "ELSE c.fence + 1 END, expires_ms = excluded.expires_ms "
      "WHERE c.owner = excluded.owner OR c.expires_ms <= pop_now_ms()"
      " RETURNING fence",
      {std::string(pool_id), std::string(owner), std::string(address), fence_parameter(fence),
       millis_parameter(duration)});
  if (!rows) return fail(std::move(rows.error()));
  if (!*rows->step()) {
    return fail(ErrorCode::kConflict, "the queues of resource pool \"" + std::string(pool_id) +
                                          "\" are claimed by another replica");
  }
  return PoolClaim{std::string(pool_id), std::string(owner), std::string(address),
                   static_cast<std::uint64_t>(rows->column_int64(0)), true};
}

Result<void> PgPoolClaims::release(std::string_view pool_id, std::string_view owner,
                                   std::uint64_t fence) {
  auto db = connections_.acquire();
  if (!db) return fail(std::move(db.error()));
  return run(**db,
             "UPDATE pool_claims SET expires_ms = 0 WHERE pool_id = $1 AND owner = $2 AND "
             "fence = $3",
             {std::string(pool_id), std::string(owner), fence_parameter(fence)});
}

Result<std::size_t> PgPoolClaims::heartbeat(std::string_view owner, std::string_view address,
                                            std::chrono::milliseconds duration) {
  auto db = connections_.acquire();
  if (!db) return fail(std::move(db.error()));
  // Replicas gone for a minute are forgotten, so the table stays as small as the deployment.
  auto rows =
      query(**db,
            "WITH beat AS (INSERT INTO replicas (id, address, expires_ms) "
            "VALUES ($1, $2, pop_now_ms() + $3) ON CONFLICT (id) DO UPDATE SET "
            "address = excluded.address, expires_ms = excluded.expires_ms RETURNING id), "
            "gone AS (DELETE FROM replicas WHERE expires_ms < pop_now_ms() - 60000) "
            "SELECT 1 + count(*) FROM replicas WHERE expires_ms > pop_now_ms() AND id <> $1",
            {std::string(owner), std::string(address), millis_parameter(duration)});
  if (!rows) return fail(std::move(rows.error()));
  if (!*rows->step()) return fail(ErrorCode::kInternal, "count(*) returned no row");
  return static_cast<std::size_t>(rows->column_int64(0));
}

}  // namespace pop::store::postgres
