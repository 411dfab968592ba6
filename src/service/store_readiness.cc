#include "service/store_readiness.h"

#include <string>

namespace pop::service {

StoreReadiness::StoreReadiness(Probe probe, std::function<WallTime()> wall_clock,
                               SteadyClock steady_clock, Options options)
    : probe_(std::move(probe)),
      wall_clock_(std::move(wall_clock)),
      steady_clock_(std::move(steady_clock)),
      options_(options),
      last_(fail(ErrorCode::kUnavailable, "the store has not been probed yet")) {}

Result<void> StoreReadiness::check() {
  const auto now = steady_clock_();
  {
    std::lock_guard lock(mutex_);
    if (probing_) {
      if (now - started_ < options_.stalled_after) return last_;
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - started_);
      return fail(ErrorCode::kUnavailable, "the store has not finished a write in " +
                                               std::to_string(seconds.count()) + " s");
    }
    if (probed_ && now - started_ < options_.interval) return last_;
    probing_ = true;
    started_ = now;
  }
  Result<void> outcome = probe_(wall_clock_());
  if (!outcome) {
    outcome.error().code = ErrorCode::kUnavailable;
    outcome.error().message = "the store does not accept writes: " + outcome.error().message;
  }
  std::lock_guard lock(mutex_);
  probing_ = false;
  probed_ = true;
  last_ = std::move(outcome);
  return last_;
}

}  // namespace pop::service
