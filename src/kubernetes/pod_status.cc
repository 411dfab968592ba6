#include "kubernetes/pod_status.h"

#include <string_view>

#include "kubernetes/object_fields.h"
#include "util/json_fields.h"

namespace pop::kubernetes {
using Json = nlohmann::json;

namespace {

PodState::Phase phase_of(std::string_view phase) {
  if (phase == "Pending") return PodState::Phase::kPending;
  if (phase == "Running") return PodState::Phase::kRunning;
  if (phase == "Succeeded") return PodState::Phase::kSucceeded;
  if (phase == "Failed") return PodState::Phase::kFailed;
  return phase.empty() ? PodState::Phase::kPending : PodState::Phase::kUnknown;
}

// The status of the container named `name`, or the first container's.
const Json& container_status(const Json& status, std::string_view name) {
  const Json& statuses = field(status, "containerStatuses");
  if (!statuses.is_array() || statuses.empty()) return field(status, "none");
  for (const Json& container : statuses) {
    if (text(container, "name") == name) return container;
  }
  return statuses.front();
}

std::string with_message(std::string words, const std::string& message) {
  if (!message.empty()) words += ": " + message;
  return words;
}

// Waiting reasons after which the container will not start without someone fixing the
// image, the registry entry or the cluster.
std::optional<std::string> fatal_waiting(const std::string& reason, const std::string& message,
                                         const std::string& image) {
  const std::string quoted = "\"" + image + "\"";
  if (reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "ErrImageNeverPull") {
    return with_message("cannot pull image " + quoted + " (" + reason + ")", message);
  }
  if (reason == "InvalidImageName") {
    return with_message("invalid image name " + quoted + " (" + reason + ")", message);
  }
  if (reason == "CreateContainerConfigError" || reason == "CreateContainerError" ||
      reason == "RunContainerError") {
    return with_message(
        "cannot create the handler container from image " + quoted + " (" + reason + ")", message);
  }
  if (reason == "CrashLoopBackOff") {
    return with_message("the handler container keeps crashing (CrashLoopBackOff)", message);
  }
  return std::nullopt;
}

void read_container(const Json& container, const std::string& image, PodState& state) {
  const Json& current = field(container, "state");
  if (const Json& running = field(current, "running"); running.is_object()) {
    state.started = true;
  }
  if (const Json& terminated = field(current, "terminated"); terminated.is_object()) {
    state.started = true;
    state.ended = true;
    state.exit_code = int_value(field(terminated, "exitCode"));
    state.termination_message = text(terminated, "message");
    state.termination_reason = text(terminated, "reason");
    if (state.termination_reason == "OOMKilled") {
      state.failure_message = "the handler was killed for exceeding its memory limit (OOMKilled)";
    }
  }
  if (const Json& waiting = field(current, "waiting"); waiting.is_object()) {
    const std::string reason = text(waiting, "reason");
    const std::string message = text(waiting, "message");
    if (!reason.empty()) state.pending_reason = with_message(reason, message);
    if (auto fatal = fatal_waiting(reason, message, image)) state.fatal = std::move(fatal);
  }
}

}  // namespace

PodState read_pod_state(const Json& pod, std::string_view container_name) {
  PodState state;
  const Json& metadata = field(pod, "metadata");
  state.being_deleted = !field(metadata, "deletionTimestamp").is_null();
  const Json& status = field(pod, "status");
  state.phase = phase_of(text(status, "phase"));

  std::string image;
  if (const Json& containers = field(field(pod, "spec"), "containers");
      containers.is_array() && !containers.empty()) {
    image = text(containers.front(), "image");
  }
  const Json& container = container_status(status, container_name);
  if (container.is_object()) {
    if (image.empty()) image = text(container, "image");
    read_container(container, image, state);
  }

  if (const Json& conditions = field(status, "conditions"); conditions.is_array()) {
    for (const Json& condition : conditions) {
      if (text(condition, "type") == "PodScheduled" && text(condition, "status") == "False" &&
          text(condition, "reason") == "Unschedulable") {
        state.unschedulable =
            with_message("the Pod cannot be scheduled (Unschedulable)", text(condition, "message"));
        state.pending_reason = with_message("Unschedulable", text(condition, "message"));
      }
    }
  }

  // Succeeded means every container exited 0, even when the status lost the details.
  if (state.phase == PodState::Phase::kSucceeded && !state.ended) {
    state.started = state.ended = true;
    state.exit_code = 0;
  }
  if (state.phase == PodState::Phase::kFailed) {
    const std::string reason = text(status, "reason");
    const std::string message = text(status, "message");
    if (reason == "Evicted") {
      state.failure_message = with_message("the Pod was evicted", message);
    } else if (reason == "DeadlineExceeded") {
      state.failure_message =
          with_message("the Pod exceeded its activeDeadlineSeconds (DeadlineExceeded)", message);
    } else if (!reason.empty() && state.failure_message.empty()) {
      state.failure_message = with_message("the Pod failed (" + reason + ")", message);
    }
    // Failed before the handler ran to its end (evicted, deadline, node lost): nothing else
    // will happen to this Pod.
    if (!state.ended) {
      state.fatal = state.failure_message.empty()
                        ? with_message("the Pod failed before its container ended", message)
                        : state.failure_message;
    }
  }
  return state;
}

}  // namespace pop::kubernetes
