#include "kubernetes/rate_limiter.h"

#include <algorithm>

namespace pop::kubernetes {
namespace {

RateLimit sanitized(RateLimit limit) {
  limit.burst = std::max(limit.burst, 1);
  return limit;
}

}  // namespace

TokenBucket::TokenBucket(RateLimit limit, Clock::time_point now)
    : limit_(sanitized(limit)), tokens_(limit_.burst), updated_(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= updated_) return;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ =
      std::min(static_cast<double>(limit_.burst), tokens_ + elapsed * limit_.requests_per_second);
  updated_ = now;
}

TokenBucket::Clock::duration TokenBucket::reserve(Clock::time_point now) {
  if (limit_.requests_per_second <= 0) return Clock::duration::zero();
  refill(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::duration::zero();
  return std::chrono::ceil<Clock::duration>(
      std::chrono::duration<double>(-tokens_ / limit_.requests_per_second));
}

void TokenBucket::cancel_reservation() {
  if (limit_.requests_per_second > 0) {
    tokens_ = std::min(static_cast<double>(limit_.burst), tokens_ + 1);
  }
}

RateLimiter::RateLimiter(RateLimit limit, const Clock& clock)
    : limit_(sanitized(limit)), clock_(clock), bucket_(limit_, clock_.steady_now()) {}

bool RateLimiter::acquire(const StopSignal* stop) {
  if (stop != nullptr && stop->stop_requested()) return false;
  TokenBucket::Clock::duration wait;
  {
    std::lock_guard lock(mutex_);
    wait = bucket_.reserve(clock_.steady_now());
  }
  if (wait <= TokenBucket::Clock::duration::zero()) return true;
  total_wait_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count(),
                           std::memory_order_relaxed);
  if (StopSignal::wait_for_if(stop, clock_, wait)) return true;
  std::lock_guard lock(mutex_);
  bucket_.cancel_reservation();
  return false;
}

}  // namespace pop::kubernetes
