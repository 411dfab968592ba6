// A few threads that run the Kubernetes runner's blocking work (fetching logs, deleting Pods,
// reaping orphans) off the watch threads, now or at a given time (pending timeouts, expiry
// of Pods kept for debugging), so that no watch stalls behind a slow request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "util/clock.h"

namespace pop::kubernetes {

// Thread-safe. Tasks must not throw.
class TaskPool {
 public:
  using Time = Clock::SteadyTime;
  using Task = std::function<void()>;

  // `clock` (borrowed) decides when a delayed task is due and how long wait_idle() waits.
  explicit TaskPool(int threads, const Clock& clock = system_clock());
  // Runs every task already due (also those posted meanwhile), drops delayed ones that are
  // not, and joins the threads.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void post(Task task) { post_at(clock_.steady_now(), std::move(task)); }
  // Tasks due at the same instant run in the order they were posted.
  void post_at(Time when, Task task);

  // Waits until no task is due or running (delayed tasks not yet due do not count), at most
  // `timeout`. True when that happened.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void run();
  // REQUIRES: mutex_ held.
  bool idle() const;

  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Keyed by due time, then by a sequence number for posting order.
  std::map<std::pair<Time, std::uint64_t>, Task> tasks_;  // guarded by mutex_
  std::uint64_t next_sequence_ = 0;                       // guarded by mutex_
  int running_ = 0;                                       // guarded by mutex_
  bool stopping_ = false;                                 // guarded by mutex_
  std::vector<std::thread> threads_;                      // last: started once the rest exists
};

}  // namespace pop::kubernetes
