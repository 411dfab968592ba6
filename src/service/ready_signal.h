// Wakes whoever waits for work (long polls, the embedded puller) when a ready queue gains
// agendas. A generation counter makes it race-free: a waiter reads the generation before
// looking for work and waits only if it has not moved since.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace pop::service {

class ReadySignal {
 public:
  std::uint64_t generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    changed_.notify_all();
  }

  // Returns when the generation differs from `seen` or `timeout` passes.
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

}  // namespace pop::service
