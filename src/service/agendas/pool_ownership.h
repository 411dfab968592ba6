// Which server keeps the queues of each resource pool, as this server knows it
// (store/pool_claims.h). A server alone on its store (SQLite) owns every pool and presents no
// fence. A replica sharing a PostgreSQL store owns the pools its PoolKeeper claimed, each with
// the fence its lease writes must present, and knows where the other pools' owners serve
// pulls, so that it can send a puller there.
//
// Thread-safety: every member may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "store/store_types.h"

namespace pop::service {

class PoolOwnership {
 public:
  // Alone on its store: owns every pool.
  PoolOwnership() = default;
  // One of the replicas sharing a store, by its id: owns no pool until it claims one.
  explicit PoolOwnership(std::string replica_id) : replica_id_(std::move(replica_id)) {}

  bool shared() const { return !replica_id_.empty(); }
  const std::string& replica_id() const { return replica_id_; }

  bool owns(std::string_view pool_id) const;
  // What a lease write of the pool must present: nothing when alone on the store, or when
  // this replica does not own the pool (then owns() is false).
  std::optional<store::PoolFence> fence(std::string_view pool_id) const;
  // The owned pools with their fences (empty when alone on the store).
  std::map<std::string, std::uint64_t> owned() const;

  // Where the pool's owner serves pulls, when another replica owns it; nothing when this
  // server owns it or no replica does.
  std::optional<std::string> owner_address(std::string_view pool_id) const;

  void gain(const std::string& pool_id, std::uint64_t fence);
  void lose(std::string_view pool_id);
  // The pools other replicas own now, with their addresses (replacing what was known).
  void set_others(std::map<std::string, std::string> addresses);

 private:
  const std::string replica_id_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> owned_;
  std::map<std::string, std::string, std::less<>> others_;
};

}  // namespace pop::service
