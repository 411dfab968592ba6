// The client-side request budget of one Kubernetes client: a token bucket, as client-go's
// flowcontrol, so that POP stays a polite API client even when hundreds of operations start
// at once. The API server also protects itself (API Priority and Fairness answers 429 with
// Retry-After, which the client honours); this bucket keeps POP from getting there.
//
// Defaults: 20 requests per second, bursts of 40. client-go's 5/10 are tuned for controllers
// that mostly watch; POP's request mix is about four requests per Pod (create, log, delete,
// and a share of watch reconnects), so 5 qps would cap a puller near one Pod start per
// second. 20/40 allows about five Pod lifecycles a second sustained, and ten Pods launched at
// once without waiting, while staying far below what a shared API server is sized for.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "kubernetes/stop_signal.h"
#include "util/clock.h"

namespace pop::kubernetes {

struct RateLimit {
  double requests_per_second = 20;  // <= 0: unlimited
  int burst = 40;                   // tokens the bucket holds when full; at least 1
};

// The arithmetic of the bucket on explicit instants, so it is tested without a clock.
// Not synchronised.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts full at `now`.
  TokenBucket(RateLimit limit, Clock::time_point now);

  // Takes one token and says how long after `now` the caller may go: zero while tokens are
  // left, otherwise until the token it reserved has accrued. Reservations queue up, so
  // concurrent callers are spread out at the configured rate rather than released together.
  Clock::duration reserve(Clock::time_point now);

  // Gives a reserved token back (its caller gave up waiting).
  void cancel_reservation();

 private:
  void refill(Clock::time_point now);

  RateLimit limit_;
  double tokens_;  // negative: reservations beyond the bucket
  Clock::time_point updated_;
};

// Thread-safe: shared by every request of one runner.
class RateLimiter {
 public:
  // `clock` (borrowed) refills the bucket and times the waits.
  explicit RateLimiter(RateLimit limit, const Clock& clock = system_clock());

  // Blocks until the caller may send one request. Returns false, without waiting further,
  // when `stop` (optional) is stopped first.
  bool acquire(const StopSignal* stop);

  const RateLimit& limit() const { return limit_; }
  // How long callers have waited in acquire() altogether: the limiter's effect.
  std::chrono::nanoseconds total_wait() const {
    return std::chrono::nanoseconds(total_wait_ns_.load(std::memory_order_relaxed));
  }

 private:
  const RateLimit limit_;
  const Clock& clock_;
  std::atomic<std::int64_t> total_wait_ns_{0};
  std::mutex mutex_;
  TokenBucket bucket_;  // guarded by mutex_
};

}  // namespace pop::kubernetes
