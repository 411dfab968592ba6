// One attempt of the Kubernetes runner: its Pod, its listener and where it stands. Shared by
// the runner (kubernetes_runner.cc) and the parts it delegates to: watch evaluation
// (pod_watch_evaluation.h), completion (pod_completion.h) and log collection
// (pod_log_collector.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "kubernetes/pod_status.h"
#include "runner/runner.h"
#include "util/clock.h"

namespace pop::kubernetes_runner {

enum class Stage {
  kCreating,   // the Pod is being created; events are held back until it is confirmed
  kPending,    // created, the container has not run yet
  kRunning,    // the container runs
  kFinishing,  // the end is known; the result is being put together on a worker
  kDone,       // on_finished was called (or the listener detached)
};

enum class Termination { kNone, kRequested, kShutdown };

// How an attempt ended, as far as the Pod tells.
struct Outcome {
  kubernetes::PodState state;  // state.ended: the container ran to its end
  std::string failure;         // set when the attempt failed without a container end to read
  bool pod_gone = false;
};

// "namespace/name", the key of attempts and of log fields.
std::string pod_key(const std::string& name_space, const std::string& name);

// A duration in the words of a failure message: "5 min", "30 s", "250 ms".
std::string describe_duration(std::chrono::milliseconds duration);

struct PodAttempt {
  // `started` and `launched_at`: when the attempt began, on the runner's clock.
  PodAttempt(std::string name_space_in, std::string pod_name_in, const LaunchRequest& request,
             RunListener& listener_in, WallTime started_in, Clock::SteadyTime launched_at_in);

  bool pending_or_running() const {
    const Stage now = stage.load();
    return now == Stage::kPending || now == Stage::kRunning;
  }

  const std::string name_space;
  const std::string pod_name;
  const std::string key;
  const std::string insight_id;
  const std::filesystem::path log_path;
  const std::size_t log_limit_bytes;
  const WallTime started;
  const Clock::SteadyTime launched_at;

  // Read without the mutex to count attempts still creating; written under it, except the
  // step from kCreating to kPending, taken under the runner's mutex (see start()).
  std::atomic<Stage> stage{Stage::kCreating};

  // Recursive: a listener may terminate or destroy its own run from a callback.
  std::recursive_mutex mutex;
  RunListener* listener;                                     // guarded by mutex; null once detached
  Termination termination = Termination::kNone;              // guarded by mutex
  std::optional<std::chrono::milliseconds> requested_grace;  // guarded by mutex
  Json last_pod;                                             // guarded by mutex
  bool deleted_while_creating = false;                       // guarded by mutex
  std::string pending_reason;                                // guarded by mutex
  std::optional<Clock::SteadyTime> unschedulable_since;      // guarded by mutex
  Clock::SteadyTime confirmed_at;                            // guarded by mutex
};

}  // namespace pop::kubernetes_runner
