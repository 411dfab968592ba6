// What POP needs to know about one of its Pods (a handler's, an executor's), read from its status:
// where it is in its life, how its container ended, and the conditions that mean it will never run
// (so the attempt fails at once with the reason in words instead of waiting out a timeout).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pop::kubernetes {

struct PodState {
  enum class Phase { kPending, kRunning, kSucceeded, kFailed, kUnknown };
  Phase phase = Phase::kPending;
  bool being_deleted = false;  // metadata.deletionTimestamp is set

  // The container whose end is the Pod's result.
  bool started = false;  // running now, or ran and ended
  bool ended = false;    // terminated: exit_code and termination_message are final
  std::optional<int> exit_code{};
  std::string termination_message{};  // what the handler wrote to POP_OUTPUT_FILE
  std::string termination_reason;     // "Completed", "Error", "OOMKilled", ...

  // Why it is not running yet, in words ("ContainerCreating", "Unschedulable: 0/3 nodes
  // are available: 3 Insufficient cpu."): for the pending timeout's message.
  std::string pending_reason{};
  // The scheduler found no node (PodScheduled False, Unschedulable), in words. Kept apart
  // from `fatal` because a cluster autoscaler may still add a node.
  std::optional<std::string> unschedulable{};
  // A condition under which the handler will never run or finish normally, in words naming
  // the image or the reason: image pull failures, invalid image name, container creation
  // errors, crash loops, eviction, an exceeded deadline, a Pod that failed without its
  // container having ended.
  std::optional<std::string> fatal{};
  // How the Pod failed, in words, when phase is Failed or the container was OOM-killed
  // ("the Pod was evicted: The node was low on resource: memory.").
  std::string failure_message{};
};

// Reads `pod` (a v1 Pod) whose result is the end of its container named `container` (the
// first container's when none has that name). Missing fields read as "not there yet".
PodState read_pod_state(const nlohmann::json& pod, std::string_view container);

}  // namespace pop::kubernetes
