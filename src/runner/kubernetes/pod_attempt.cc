#include "runner/kubernetes/pod_attempt.h"

#include <utility>

namespace pop::kubernetes_runner {

std::string pod_key(const std::string& name_space, const std::string& name) {
  return name_space + "/" + name;
}

std::string describe_duration(std::chrono::milliseconds duration) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  if (seconds >= 60 && seconds % 60 == 0) return std::to_string(seconds / 60) + " min";
  if (seconds >= 1) return std::to_string(seconds) + " s";
  return std::to_string(duration.count()) + " ms";
}

PodAttempt::PodAttempt(std::string name_space_in, std::string pod_name_in,
                       const LaunchRequest& request, RunListener& listener_in, WallTime started_in,
                       Clock::SteadyTime launched_at_in)
    : name_space(std::move(name_space_in)),
      pod_name(std::move(pod_name_in)),
      key(pod_key(name_space, pod_name)),
      insight_id(request.insight_id),
      log_path(request.log_path),
      log_limit_bytes(request.log_limit_bytes),
      started(started_in),
      launched_at(launched_at_in),
      listener(&listener_in) {}

}  // namespace pop::kubernetes_runner
