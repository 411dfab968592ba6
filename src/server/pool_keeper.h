// Claims, renews and gives up the resource pools' queues for one replica of several sharing
// a store (store/pool_claims.h, docs/high-availability.md "Queue ownership"). Every beat (a
// quarter of `takeover`, at most a second) it says the replica is alive, renews the claims it holds
// (a claim lasts three quarters of `takeover`), learns where the other pools' owners are, and
// claims pools without a live owner up to its share: the pools divided by the live replicas,
// rounded up. One it holds beyond its share it gives up, one per beat, so that pools spread
// over replicas that start later. A replica killed mid-claim is therefore replaced at most
// `takeover` after its last renewal (expiry, then one beat), and rebuilding the pool's queues
// from the store follows.
//
// Thread-safety: start() and stop() from one thread; the beat runs on a thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "service/agendas/agenda_service.h"
#include "service/agendas/pool_ownership.h"
#include "store/pool_claims.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::server {

struct PoolKeeperOptions {
  std::chrono::milliseconds takeover{4000};  // longest a pool is without owner after a crash
  std::string address;                       // where this replica serves pulls
};

class PoolKeeper {
 public:
  // Borrows everything; all must outlive it. `ownership` is the agenda service's.
  PoolKeeper(store::PoolClaims& claims, store::Store& store, service::AgendaService& agendas,
             service::PoolOwnership& ownership, const Clock& clock, Logger& logger,
             PoolKeeperOptions options);
  // Stops, as stop() does.
  ~PoolKeeper();
  PoolKeeper(const PoolKeeper&) = delete;
  PoolKeeper& operator=(const PoolKeeper&) = delete;

  // Runs one beat on the calling thread, so that a replica starting alone owns its pools when
  // this returns, then beats on a thread of its own.
  void start();
  // Stops beating and gives every claim up, so that the other replicas take the pools over at
  // their next beat rather than after expiry. Idempotent.
  void stop();

 private:
  void beat();
  void renew_owned();
  void claim_share(std::size_t live_replicas);
  void give_up(const std::string& pool_id, std::uint64_t fence);

  store::PoolClaims& claims_;
  store::Store& store_;
  service::AgendaService& agendas_;
  service::PoolOwnership& ownership_;
  const Clock& clock_;
  Logger& logger_;
  const PoolKeeperOptions options_;
  const std::chrono::milliseconds claim_duration_;
  const std::chrono::milliseconds beat_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace pop::server
