#include "http_client/cancellation.h"

#include <utility>

#include "http_client/cancel_state.h"

namespace pop::http_client {

void Canceller::cancel() const { state_->cancel(); }
void Canceller::reset() const { state_->reset(); }
bool Canceller::cancelled() const { return state_->cancelled(); }

namespace detail {

void CancelState::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (waker_) waker_();
  changed_.notify_all();
}

void CancelState::reset() {
  std::lock_guard lock(mutex_);
  cancelled_ = false;
}

bool CancelState::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool CancelState::wait_for(std::chrono::milliseconds duration) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, duration, [this] { return cancelled_; });
}

void CancelState::set_waker(std::function<void()> waker) {
  std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

}  // namespace detail
}  // namespace pop::http_client
