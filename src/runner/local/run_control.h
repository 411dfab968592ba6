// The part of one attempt that its HandlerRun handle and the local runner's I/O thread
// share: the process, the listener and the termination request.
//
// One mutex orders everything that must not interleave: signals against reaping (the group
// is signalled only while its unreaped leader pins the group id, so the id cannot belong to
// anyone else), and listener calls against detaching (no call after detach() returns). It
// is recursive because a listener may terminate or destroy its own run from a callback.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "runner/local/child_process.h"
#include "runner/local/io_wakeup.h"
#include "runner/runner.h"
#include "util/clock.h"

namespace pop {

class RunControl {
 public:
  enum class Termination { kNone, kRequested, kShutdown };

  RunControl(std::uint64_t attempt_id, ChildProcess child, RunListener& listener,
             std::shared_ptr<IoWakeup> wakeup, const Clock& clock);
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // --- From the HandlerRun handle.
  // SIGTERM now (first call only); SIGKILL at now + grace, or earlier if already due
  // earlier. The I/O thread learns the deadline through the wakeup.
  void terminate(std::chrono::milliseconds grace);
  // SIGKILL now, and no listener call from now on.
  void detach();

  // --- From the I/O thread (and from start() before the I/O thread knows the attempt).
  int pidfd() const { return child_.pidfd(); }
  // The runner is going away: SIGKILL now.
  void shut_down();
  // SIGKILL now, because the grace period is over.
  void kill();
  std::optional<Clock::SteadyTime> kill_deadline() const;
  Termination termination() const;
  ExitStatus kill_group_and_reap();

  // Calls f(listener) unless detached.
  template <typename F>
  void notify(F&& f) {
    std::lock_guard lock(mutex_);
    if (listener_ != nullptr) f(*listener_);
  }

 private:
  const std::uint64_t attempt_id_;
  const std::shared_ptr<IoWakeup> wakeup_;
  const Clock& clock_;  // borrowed: times the kill deadline
  mutable std::recursive_mutex mutex_;
  ChildProcess child_;
  RunListener* listener_;
  Termination termination_ = Termination::kNone;
  std::optional<Clock::SteadyTime> kill_deadline_;
};

}  // namespace pop
