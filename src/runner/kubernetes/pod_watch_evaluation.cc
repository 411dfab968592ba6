#include "runner/kubernetes/pod_watch_evaluation.h"

#include <mutex>
#include <string>

#include "kubernetes/pod_status.h"
#include "runner/kubernetes/handler_pod_spec.h"

namespace pop::kubernetes_runner {

void PodWatchEvaluation::evaluate(const std::shared_ptr<PodAttempt>& attempt, const Json& pod,
                                  bool deleted) {
  if (attempt->stage == Stage::kCreating) {
    if (!pod.is_null()) attempt->last_pod = pod;
    attempt->deleted_while_creating = deleted;
    return;
  }
  if (!attempt->pending_or_running()) return;
  if (!pod.is_null()) attempt->last_pod = pod;
  const kubernetes::PodState state =
      kubernetes::read_pod_state(pod, kubernetes_runner::kHandlerContainer);

  if (state.started && attempt->stage == Stage::kPending) {
    attempt->stage = Stage::kRunning;
    if (attempt->listener != nullptr) attempt->listener->on_running();
    // The listener may have destroyed or ended the run.
    if (attempt->stage != Stage::kRunning) return;
    if (!state.ended && !deleted) actions_.follow_log(attempt);
  }
  if (state.ended) {
    actions_.end(attempt, {.state = state, .failure = {}, .pod_gone = deleted});
    return;
  }
  if (deleted) {
    actions_.end(attempt, {.state = state,
                           .failure = attempt->stage == Stage::kRunning
                                          ? "the Pod was deleted while its container ran"
                                          : "the Pod was deleted before its container started",
                           .pod_gone = true});
    return;
  }
  if (state.fatal) {
    actions_.end(attempt, {.state = state, .failure = *state.fatal, .pod_gone = false});
    return;
  }
  if (state.started) return;
  if (!state.pending_reason.empty()) attempt->pending_reason = state.pending_reason;
  if (!state.unschedulable) {
    attempt->unschedulable_since.reset();
    return;
  }
  const auto now = clock_.steady_now();
  if (!attempt->unschedulable_since) {
    attempt->unschedulable_since = now;
    if (deadlines_.unschedulable_grace.count() > 0) {
      actions_.check_at(attempt, now + deadlines_.unschedulable_grace);
    }
  }
  if (now - *attempt->unschedulable_since >= deadlines_.unschedulable_grace) {
    actions_.end(attempt, {.state = state, .failure = *state.unschedulable, .pod_gone = false});
  }
}

void PodWatchEvaluation::check(const std::shared_ptr<PodAttempt>& attempt) {
  std::lock_guard lock(attempt->mutex);
  if (!attempt->pending_or_running()) return;
  const auto now = clock_.steady_now();
  if (attempt->stage == Stage::kPending &&
      now - attempt->launched_at >= deadlines_.pending_timeout) {
    actions_.end(attempt,
                 {.state = kubernetes::read_pod_state(attempt->last_pod,
                                                      kubernetes_runner::kHandlerContainer),
                  .failure = "the Pod did not start within " +
                             describe_duration(deadlines_.pending_timeout) + "; last reason: " +
                             (attempt->pending_reason.empty() ? std::string("none reported")
                                                              : attempt->pending_reason),
                  .pod_gone = false});
    return;
  }
  evaluate(attempt, attempt->last_pod, false);
}

}  // namespace pop::kubernetes_runner
