#include "store/store_readiness.h"

#include <string>

namespace pop::store {

StoreReadiness::StoreReadiness(Probe probe, const Clock& clock, Options options)
    : probe_(std::move(probe)),
      clock_(clock),
      options_(options),
      last_(fail(ErrorCode::kUnavailable, "the store has not been probed yet")) {}

Result<void> StoreReadiness::check() {
  const auto now = clock_.steady_now();
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
  // Ends the probe however it ends: a probe that throws (std::bad_alloc, a bug) must not
  // leave probing_ set, or every later check would wait for it, and then report it stalled,
  // for good. The exception still reaches the caller.
  Result<void> outcome = fail(ErrorCode::kUnavailable,
                              "the store does not accept writes: the probe ended with an "
                              "exception");
  struct ProbeEnd {
    StoreReadiness& readiness;
    Result<void>& outcome;
    ~ProbeEnd() {
      std::lock_guard lock(readiness.mutex_);
      readiness.probing_ = false;
      readiness.probed_ = true;
      readiness.last_ = std::move(outcome);
    }
  };
  {
    ProbeEnd end{*this, outcome};
    Result<void> probed = probe_(clock_.now());
    if (!probed) {
      probed.error().code = ErrorCode::kUnavailable;
      probed.error().message = "the store does not accept writes: " + probed.error().message;
    }
    outcome = std::move(probed);
  }
  std::lock_guard lock(mutex_);
  return last_;
}

}  // namespace pop::store
