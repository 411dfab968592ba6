// Time as a dependency (STYLE.md, "Time is injected"): code that stamps, times out or ages
// takes a Clock, so that tests move time instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "util/time_format.h"

namespace pop {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Wall time: what is stored and shown (timestamps of progress, audit records, leases).
  virtual WallTime now() const = 0;
  // Monotonic time: intervals and deadlines, unaffected by changes of the wall clock.
  virtual SteadyTime steady_now() const = 0;
};

// The process's real clocks. Thread-safe; lives as long as the process.
Clock& system_clock();

// A clock that moves only when told: wall time from `start`, steady time from zero, both
// advancing together.
// Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime(std::chrono::hours(24 * 365 * 56)))
      : wall_(std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch())
                  .count()) {}

  WallTime now() const override {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(
        std::chrono::nanoseconds(wall_ + moved_.load())));
  }
  SteadyTime steady_now() const override {
    return SteadyTime(
        std::chrono::duration_cast<SteadyTime::duration>(std::chrono::nanoseconds(moved_.load())));
  }

  void advance(std::chrono::nanoseconds by) { moved_ += by.count(); }

 private:
  const std::int64_t wall_;  // nanoseconds since the epoch at the start
  std::atomic<std::int64_t> moved_{0};
};

}  // namespace pop
