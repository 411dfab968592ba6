// Who owns the queues of each resource pool, when several `pop server` replicas share a store
// (docs/high-availability.md, "Queue ownership"). Scheduling stays in memory: exactly one
// replica at a time keeps a pool's queues and hands its agendas out, under a claim that it
// renews and that expires when it stops renewing (crash, partition). Each change of hands
// moves the pool's fence, and a lease is only written with the current fence
// (LeaseAcquisition::pool_fence), so a replica that lost its claim without noticing (paused,
// partitioned) can hand out nothing: the pattern of Temporal's shard range_id.
//
// Expiry is on the database's clock, so the replicas' own clocks may disagree.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace pop::store {

struct PoolClaim {
  std::string pool_id;
  std::string owner;    // the id of the replica that holds (or last held) it
  std::string address;  // where that replica serves pulls, e.g. "http://10.0.0.7:8080"
  std::uint64_t fence = 0;
  bool live = false;  // not expired: `owner` holds it now
};

class PoolClaims {
 public:
  virtual ~PoolClaims() = default;

  // Every pool's claim, live or expired.
  virtual Result<std::vector<PoolClaim>> list() = 0;

  // Claims `pool_id` for `owner` for `duration`: renews it when `owner` holds it with
  // `fence`; takes it, moving the fence past every earlier one, when it is unclaimed, its claim
  // expired, or `owner` holds it with another fence (the replica restarted: its former self,
  // dead, hands out nothing more). kConflict when another replica holds it.
  virtual Result<PoolClaim> claim(std::string_view pool_id, std::string_view owner,
                                  std::string_view address, std::uint64_t fence,
                                  std::chrono::milliseconds duration) = 0;

  // Gives the claim up at once, so that another replica can take the pool without waiting
  // for it to expire. Nothing when `owner` does not hold it with `fence`.
  virtual Result<void> release(std::string_view pool_id, std::string_view owner,
                               std::uint64_t fence) = 0;

  // Says that replica `owner` is alive for `duration`, and returns how many replicas are
  // (itself included): the replicas share the pools out between them by this count.
  virtual Result<std::size_t> heartbeat(std::string_view owner, std::string_view address,
                                        std::chrono::milliseconds duration) = 0;
};

}  // namespace pop::store
