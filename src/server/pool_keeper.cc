#include "server/pool_keeper.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "service/config/config_store.h"

namespace pop::server {

PoolKeeper::PoolKeeper(store::PoolClaims& claims, store::Store& store,
                       service::AgendaService& agendas, service::PoolOwnership& ownership,
                       const Clock& clock, Logger& logger, PoolKeeperOptions options)
    : claims_(claims),
      store_(store),
      agendas_(agendas),
      ownership_(ownership),
      clock_(clock),
      logger_(logger),
      options_(std::move(options)),
      claim_duration_(options_.takeover * 3 / 4),
      // Beats also find released pools and the other owners' addresses: at least every second.
      beat_(std::min<std::chrono::milliseconds>(options_.takeover / 4, std::chrono::seconds(1))) {}

PoolKeeper::~PoolKeeper() { stop(); }

void PoolKeeper::start() {
  beat();
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      clock_.wait_for(wake_, lock, beat_, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      beat();
      lock.lock();
    }
  });
}

void PoolKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Not counted as live any more first, so that the others' shares grow at once.
  if (auto left = claims_.heartbeat(ownership_.replica_id(), options_.address,
                                    std::chrono::milliseconds(0));
      !left) {
    logger_.warning("cannot say that this replica leaves", {{"error", left.error().message}});
  }
  for (const auto& [pool_id, fence] : ownership_.owned()) give_up(pool_id, fence);
}

void PoolKeeper::beat() {
  auto live = claims_.heartbeat(ownership_.replica_id(), options_.address, claim_duration_);
  if (!live) {
    // The claims cannot be renewed either; the fence keeps hand-outs safe meanwhile.
    logger_.error("cannot reach the store to keep the pools' queues",
                  {{"error", live.error().message}});
    return;
  }
  renew_owned();
  claim_share(*live);
}

void PoolKeeper::renew_owned() {
  for (const auto& [pool_id, fence] : ownership_.owned()) {
    auto renewed =
        claims_.claim(pool_id, ownership_.replica_id(), options_.address, fence, claim_duration_);
    if (renewed) continue;
    if (renewed.error().code == ErrorCode::kConflict) {
      agendas_.drop_pool(pool_id);
      logger_.warning("another replica took the queues of a pool over",
                      {{"pool", pool_id}, {"fence", std::to_string(fence)}});
    } else {
      logger_.error("cannot renew the claim on a pool's queues",
                    {{"pool", pool_id}, {"error", renewed.error().message}});
    }
  }
}

void PoolKeeper::claim_share(std::size_t live_replicas) {
  auto pools = service::all_documents(store_, store::DocumentKind::kResourcePool);
  auto claims = claims_.list();
  if (!pools || !claims) {
    logger_.error("cannot read the pools and their owners",
                  {{"error", (!pools ? pools.error() : claims.error()).message}});
    return;
  }
  std::set<std::string> held_elsewhere;
  std::map<std::string, std::string> addresses;
  for (const store::PoolClaim& claim : *claims) {
    if (!claim.live || claim.owner == ownership_.replica_id()) continue;
    held_elsewhere.insert(claim.pool_id);
    addresses[claim.pool_id] = claim.address;
  }
  ownership_.set_others(std::move(addresses));

  std::vector<std::string> pool_ids;
  for (const auto& record : *pools) pool_ids.push_back(record.id);
  // Each replica starts its round at another pool, so that replicas starting together do not
  // all reach for the same first pool.
  if (!pool_ids.empty()) {
    const std::size_t first = std::hash<std::string>{}(ownership_.replica_id()) % pool_ids.size();
    std::rotate(pool_ids.begin(), pool_ids.begin() + static_cast<std::ptrdiff_t>(first),
                pool_ids.end());
  }
  const std::size_t share = (pool_ids.size() + std::max<std::size_t>(live_replicas, 1) - 1) /
                            std::max<std::size_t>(live_replicas, 1);
  std::map<std::string, std::uint64_t> owned = ownership_.owned();
  for (const std::string& pool_id : pool_ids) {
    if (owned.size() >= share) break;
    if (owned.contains(pool_id) || held_elsewhere.contains(pool_id)) continue;
    auto claimed =
        claims_.claim(pool_id, ownership_.replica_id(), options_.address, 0, claim_duration_);
    if (!claimed) continue;  // another replica was quicker
    if (auto adopted = agendas_.adopt_pool(pool_id, claimed->fence); !adopted) {
      logger_.error("cannot fill a claimed pool's queues",
                    {{"pool", pool_id}, {"error", adopted.error().message}});
      give_up(pool_id, claimed->fence);
      continue;
    }
    logger_.info("took the queues of a pool over",
                 {{"pool", pool_id}, {"fence", std::to_string(claimed->fence)}});
    owned[pool_id] = claimed->fence;
  }
  // Pools deleted meanwhile, then one beyond the share: given up for others to claim.
  const std::set<std::string> existing(pool_ids.begin(), pool_ids.end());
  bool shed = false;
  for (const auto& [pool_id, fence] : ownership_.owned()) {
    if (!existing.contains(pool_id)) {
      give_up(pool_id, fence);
    } else if (!shed && owned.size() > share) {
      give_up(pool_id, fence);
      owned.erase(pool_id);
      shed = true;
    }
  }
}

void PoolKeeper::give_up(const std::string& pool_id, std::uint64_t fence) {
  // Dropped first: from here on nothing of the pool is handed out here.
  agendas_.drop_pool(pool_id);
  if (auto released = claims_.release(pool_id, ownership_.replica_id(), fence); !released) {
    logger_.warning("cannot give a pool's queues up; they pass on when the claim expires",
                    {{"pool", pool_id}, {"error", released.error().message}});
  }
}

}  // namespace pop::server
