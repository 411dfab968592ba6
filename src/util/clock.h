// Time as a dependency (STYLE.md, "Time is injected"): code that stamps, times out or ages
// takes a Clock, so that tests move time instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

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

  // Waits on `cv` until `ready()` holds or this clock's steady time reaches `deadline`, as
  // std::condition_variable::wait_until with a predicate does; returns ready(). `lock` holds
  // the mutex that guards what `ready` reads (and that notifiers of `cv` take), on entry and
  // on return. `ready` is called with `lock` held. The system clock waits exactly as the
  // condition variable does.
  virtual bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          SteadyTime deadline, const std::function<bool()>& ready) const = 0;
  // The same, for code whose mutex is recursive.
  virtual bool wait_until(std::condition_variable_any& cv,
                          std::unique_lock<std::recursive_mutex>& lock, SteadyTime deadline,
                          const std::function<bool()>& ready) const = 0;

  // Waits on `cv` until `ready()` holds, however long it takes; as wait_until without a
  // deadline. Through the clock only so that a ManualClock counts the waiter (see
  // ManualClock::await_waiters); the system clock waits exactly as the condition variable does.
  virtual void wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                    const std::function<bool()>& ready) const = 0;

  // wait_until(steady_now() + timeout).
  bool wait_for(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                std::chrono::nanoseconds timeout, const std::function<bool()>& ready) const {
    return wait_until(cv, lock, steady_now() + timeout, ready);
  }
};

// The process's real clocks. Thread-safe; lives as long as the process.
Clock& system_clock();

// A clock that moves only when told: wall time from `start`, steady time from zero, both
// advancing together.
//
// Waiting: wait_until() returns once advance() has moved steady time to the deadline (or
// `ready()` holds). advance() notifies the condition variable of every waiter, but it cannot
// take the waiters' mutexes, so a notification that falls between a waiter's check and its
// sleep is lost; each waiter therefore also re-checks every kRecheck of real time. That bounds
// the cost of a lost wake-up; it is never needed for correctness.
//
// Tests synchronise with waiting threads through await_waiters(): "the code under test is
// now blocked on a deadline", so the test can move time past it.
//
// Thread-safe. REQUIRES: no thread waits on it when it is destroyed.
class ManualClock final : public Clock {
 public:
  static constexpr std::chrono::milliseconds kRecheck{5};

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

  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  SteadyTime deadline, const std::function<bool()>& ready) const override;
  bool wait_until(std::condition_variable_any& cv, std::unique_lock<std::recursive_mutex>& lock,
                  SteadyTime deadline, const std::function<bool()>& ready) const override;
  void wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
            const std::function<bool()>& ready) const override;

  // Moves both times forward and wakes every waiter to re-check its deadline.
  void advance(std::chrono::nanoseconds by);

  // Blocks until at least `count` threads wait in wait(), or in wait_until() on a deadline
  // that has not passed yet, or until `real_bound` of real time has passed; true in the first
  // case.
  bool await_waiters(std::size_t count,
                     std::chrono::milliseconds real_bound = std::chrono::seconds(30)) const;

  // Blocks until `holds` is true of the deadlines threads wait for now (sorted; a passed
  // deadline is left out, a wait() without one counts as SteadyTime::max()), or until
  // `real_bound` of real time has passed; true in the first case. This is how a test knows
  // which deadline the code under test waits for before it moves time past it.
  bool await_deadlines(const std::function<bool(const std::vector<SteadyTime>&)>& holds,
                       std::chrono::milliseconds real_bound = std::chrono::seconds(30)) const;

  // Threads waiting now without a deadline or on one that has not passed.
  std::size_t waiters() const;

 private:
  struct Waiter {
    std::condition_variable* cv;  // one of these two is set
    std::condition_variable_any* cv_any;
    SteadyTime deadline;
  };
  template <typename Cv, typename Lock>
  bool wait_on(Cv& cv, Lock& lock, SteadyTime deadline, const std::function<bool()>& ready) const;
  std::vector<SteadyTime> pending_deadlines_locked() const;  // REQUIRES: waiters_mutex_ held

  const std::int64_t wall_;  // nanoseconds since the epoch at the start
  std::atomic<std::int64_t> moved_{0};
  mutable std::mutex waiters_mutex_;
  mutable std::condition_variable waiters_changed_;
  mutable std::vector<const Waiter*> waiters_;  // GUARDED_BY(waiters_mutex_)
};

}  // namespace pop
