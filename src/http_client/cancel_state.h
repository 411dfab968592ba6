// Private to http_client: the state behind Canceller, shared by a Client and its cancellers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace pop::http_client::detail {

// Thread-safe. The waker is how cancel() interrupts a transfer blocked in the client's poll:
// it is installed by the client for the client's lifetime and removed (under the same mutex)
// before the client's curl handles are destroyed, so cancel() never touches a freed handle.
class CancelState {
 public:
  void cancel();
  void reset();
  bool cancelled() const;
  // Blocks for up to `duration`; returns true (at once) when cancelled.
  bool wait_for(std::chrono::milliseconds duration) const;
  // `waker` must be safe to call from any thread; it is called under this object's mutex.
  void set_waker(std::function<void()> waker);

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool cancelled_ = false;       // guarded by mutex_
  std::function<void()> waker_;  // guarded by mutex_
};

}  // namespace pop::http_client::detail
