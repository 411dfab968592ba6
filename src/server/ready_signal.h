// Tells whoever waits for work of a resource pool that its ready queues gained agendas: the
// long polls of the pool's pullers (through the one listener) and blocking waiters such as
// the embedded puller. Per pool, so that work for one pool wakes nobody of another.
//
// A generation counter per pool makes waiting race-free: a waiter reads its pool's
// generation before looking for work and waits only while it has not moved since.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "util/clock.h"

namespace pop::server {

class ReadySignal {
 public:
  // `insight_id` names the insight whose queue gained agendas; empty when any of the pool's
  // may have (agendas held back for a customer's quota may be admissible again).
  using Listener = std::function<void(const std::string& pool_id, const std::string& insight_id)>;

  // Replaces the one listener (empty: none). Returns once no call of the previous listener
  // runs any more, so its owner may go away after clearing it. The listener is called on the
  // notifying thread and must be quick; it must not call set_listener().
  void set_listener(Listener listener) {
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
  }

  std::uint64_t generation(std::string_view pool_id) const {
    std::lock_guard lock(mutex_);
    auto it = generations_.find(pool_id);
    return it == generations_.end() ? 0 : it->second;
  }

  // Work for `pool_id`: wakes its blocking waiters and tells the listener.
  void notify(const std::string& pool_id, const std::string& insight_id) {
    nudge(pool_id);
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_(pool_id, insight_id);
  }

  // Wakes the blocking waiters of `pool_id` without announcing work (a waiter's shutdown).
  void nudge(const std::string& pool_id) {
    {
      std::lock_guard lock(mutex_);
      ++generations_[pool_id];
    }
    changed_.notify_all();
  }

  // Returns when the generation of `pool_id` differs from `seen` or `clock` reaches `deadline`.
  void wait(const Clock& clock, std::string_view pool_id, std::uint64_t seen,
            Clock::SteadyTime deadline) const {
    std::unique_lock lock(mutex_);
    clock.wait_until(changed_, lock, deadline, [&] {
      auto it = generations_.find(pool_id);
      return (it == generations_.end() ? 0 : it->second) != seen;
    });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::uint64_t, std::less<>> generations_;  // GUARDED_BY(mutex_)
  std::mutex listener_mutex_;                                      // held while the listener runs
  Listener listener_;                                              // GUARDED_BY(listener_mutex_)
};

}  // namespace pop::server
