// Private to the HTTP layer: the threads that run request handlers, apart from the event
// loop. A handler may block (a durable write waits for its group commit's sync) without
// stalling the connections that share its event-loop thread, and as many handlers as there
// are pool threads wait at once, which is what lets concurrent writes share one commit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pop::http::detail {

class HandlerPool {
 public:
  // Starts no thread yet: one is added whenever a task arrives while every existing thread
  // is busy, up to `max_threads` (which must be >= 1), so a quiet server keeps few.
  explicit HandlerPool(std::size_t max_threads);
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;
  // Stops, as stop() does.
  ~HandlerPool();

  // Queues `task` to run on a pool thread, in arrival order; tasks that throw are the
  // caller's bug (std::terminate). False, with the task dropped unrun, once stop() began or
  // when no thread could be started at all. Thread-safe.
  bool post(std::function<void()> task);

  // Runs every task already queued, then joins the threads. Idempotent.
  // REQUIRES: not called from a pool thread.
  void stop();

  // Threads started so far; they stay until stop(). Thread-safe.
  std::size_t threads() const;

 private:
  void work();

  const std::size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  std::size_t idle_ = 0;                     // threads waiting for a task; guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;         // guarded by mu_
};

}  // namespace pop::http::detail
