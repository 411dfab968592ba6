// The claims on the resource pools' queues (store/pool_claims.h) in PostgreSQL's pool_claims
// and replicas tables. Each call is one autocommitted statement on a pooled connection: a
// claim must not wait behind a large batch of the group commit, or it would expire.
#pragma once

#include "postgres/connection_pool.h"
#include "store/pool_claims.h"

namespace pop::store::postgres {

class PgPoolClaims final : public PoolClaims {
 public:
  // Borrows `connections`, which must outlive it.
  explicit PgPoolClaims(::pop::postgres::ConnectionPool& connections) : connections_(connections) {}

  Result<std::vector<PoolClaim>> list() override;
  Result<PoolClaim> claim(std::string_view pool_id, std::string_view owner,
                          std::string_view address, std::uint64_t fence,
                          std::chrono::milliseconds duration) override;
  Result<void> release(std::string_view pool_id, std::string_view owner,
                       std::uint64_t fence) override;
  Result<std::size_t> heartbeat(std::string_view owner, std::string_view address,
                                std::chrono::milliseconds duration) override;

 private:
  ::pop::postgres::ConnectionPool& connections_;
};

}  // namespace pop::store::postgres
