// Deciding, from what the watch (or a list) shows of an attempt's Pod, where the attempt
// stands: its handler runs (the listener hears on_running, and its log is followed), it
// ended (with an Outcome), or it still waits for a node or an image, with a deadline to look
// again. The runner does what follows (PodAttemptActions).
#pragma once

#include <chrono>
#include <memory>

#include "runner/kubernetes/pod_attempt.h"

namespace pop::kubernetes_runner {

// What the evaluation asks of the runner.
class PodAttemptActions {
 public:
  // The end is known: the attempt moves to kFinishing and its result is put together on a
  // worker. REQUIRES: attempt->mutex held.
  virtual void end(const std::shared_ptr<PodAttempt>& attempt, Outcome outcome) = 0;
  // The handler container runs and has not ended: its log can be followed.
  // REQUIRES: attempt->mutex held.
  virtual void follow_log(const std::shared_ptr<PodAttempt>& attempt) = 0;
  // PodWatchEvaluation::check(attempt) at `when`, unless the attempt is gone by then.
  virtual void check_at(const std::shared_ptr<PodAttempt>& attempt, Clock::SteadyTime when) = 0;

 protected:
  ~PodAttemptActions() = default;
};

class PodWatchEvaluation {
 public:
  struct Deadlines {
    // A Pod whose container has not started by then fails (KubernetesRunner::Options).
    std::chrono::milliseconds pending_timeout;
    // How long an Unschedulable Pod may wait for a node.
    std::chrono::milliseconds unschedulable_grace;
  };

  // Borrows `actions` and `clock` (which times the deadlines); both must outlive it.
  PodWatchEvaluation(Deadlines deadlines, PodAttemptActions& actions, const Clock& clock)
      : deadlines_(deadlines), actions_(actions), clock_(clock) {}

  // The Pod as last seen (null: not seen, only `deleted`), or its deletion. While the Pod is
  // being created, only remembers it for start() to evaluate once the creation is confirmed.
  // REQUIRES: attempt->mutex held.
  void evaluate(const std::shared_ptr<PodAttempt>& attempt, const Json& pod, bool deleted);

  // A deadline passed: the pending timeout, the unschedulable grace, or the wait for a
  // terminated Pod to end. Takes attempt->mutex.
  void check(const std::shared_ptr<PodAttempt>& attempt);

 private:
  const Deadlines deadlines_;
  PodAttemptActions& actions_;
  const Clock& clock_;
};

}  // namespace pop::kubernetes_runner
