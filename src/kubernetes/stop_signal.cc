#include "kubernetes/stop_signal.h"

#include <utility>

namespace pop::kubernetes {

void StopSignal::request_stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (const auto& [id, canceller] : attached_) canceller.cancel();
  stopped_changed_.notify_all();
}

bool StopSignal::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

bool StopSignal::wait_for(const Clock& clock, std::chrono::steady_clock::duration duration) const {
  std::unique_lock lock(mutex_);
  return !clock.wait_for(stopped_changed_, lock, duration, [this] { return stopped_; });
}

StopSignal::Attachment StopSignal::attach(http_client::Canceller canceller) const {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    canceller.cancel();
    return Attachment(nullptr, 0);
  }
  const std::uint64_t id = next_id_++;
  attached_.emplace(id, std::move(canceller));
  return Attachment(this, id);
}

bool StopSignal::wait_for_if(const StopSignal* signal, const Clock& clock,
                             std::chrono::steady_clock::duration duration) {
  // A signal nobody stops: the wait goes through the clock, which a test can move.
  const StopSignal never_stopped;
  return (signal != nullptr ? *signal : never_stopped).wait_for(clock, duration);
}

StopSignal::Attachment StopSignal::attach_if(const StopSignal* signal,
                                             http_client::Canceller canceller) {
  if (signal == nullptr) return Attachment(nullptr, 0);
  return signal->attach(std::move(canceller));
}

StopSignal::Attachment::~Attachment() {
  if (signal_ == nullptr) return;
  std::lock_guard lock(signal_->mutex_);
  signal_->attached_.erase(id_);
}

}  // namespace pop::kubernetes
