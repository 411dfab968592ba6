#include "runner/local/run_control.h"

#include <signal.h>

#include <utility>

namespace pop {

RunControl::RunControl(std::uint64_t attempt_id, ChildProcess child, RunListener& listener,
                       std::shared_ptr<IoWakeup> wakeup, const Clock& clock)
    : attempt_id_(attempt_id),
      wakeup_(std::move(wakeup)),
      clock_(clock),
      child_(std::move(child)),
      listener_(&listener) {}

void RunControl::terminate(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (child_.reaped()) return;
    if (termination_ == Termination::kNone) {
      termination_ = Termination::kRequested;
      child_.signal_group(SIGTERM);
    }
    if (grace <= std::chrono::milliseconds::zero()) {
      child_.signal_group(SIGKILL);
      return;
    }
    const auto deadline = clock_.steady_now() + grace;
    if (kill_deadline_ && *kill_deadline_ <= deadline) return;
    kill_deadline_ = deadline;
  }
  wakeup_->post(attempt_id_);
}

void RunControl::detach() {
  std::lock_guard lock(mutex_);
  listener_ = nullptr;
  child_.signal_group(SIGKILL);
}

void RunControl::shut_down() {
  std::lock_guard lock(mutex_);
  if (child_.reaped()) return;
  if (termination_ == Termination::kNone) termination_ = Termination::kShutdown;
  child_.signal_group(SIGKILL);
}

void RunControl::kill() {
  std::lock_guard lock(mutex_);
  child_.signal_group(SIGKILL);
}

std::optional<Clock::SteadyTime> RunControl::kill_deadline() const {
  std::lock_guard lock(mutex_);
  return kill_deadline_;
}

RunControl::Termination RunControl::termination() const {
  std::lock_guard lock(mutex_);
  return termination_;
}

ExitStatus RunControl::kill_group_and_reap() {
  std::lock_guard lock(mutex_);
  return child_.kill_group_and_reap();
}

}  // namespace pop
