// The Pod that runs one handler attempt (docs/handler-contract.md): one container
// "handler" that never restarts, the contract's environment, the termination-message path as
// POP_OUTPUT_FILE, the registry's image, resources, node selection and service account, and
// labels by which POP finds its Pods again.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "kubernetes/pod_plan.h"
#include "runner/runner.h"
#include "util/result.h"

namespace pop::kubernetes_runner {

inline constexpr char kHandlerContainer[] = "handler";
inline constexpr char kTerminationMessagePath[] = "/dev/termination-log";

struct PodSpecOptions {
  std::string default_namespace = "default";  // when the request names none
  std::string runner_instance;                // the pop.runnerInstance label's value
  std::optional<kubernetes::OwnerPod> owner;
  // activeDeadlineSeconds is the attempt's timeout plus its grace plus this, so that a Pod
  // whose puller died stops by itself even if nothing deletes it. Counted by Kubernetes from
  // the Pod's start, which includes time spent pending.
  std::chrono::seconds deadline_slack{600};
  std::size_t max_payload_bytes = kubernetes::kMaxPodPayloadBytes;
};

// `unique_suffix` (lower-case alphanumerics, e.g. 8 random hex digits) makes the name unique
// per attempt. kInvalidArgument when the handler has no image or the payload exceeds
// max_payload_bytes (naming the size and the limit).
Result<kubernetes::PodPlan> build_pod(const LaunchRequest& request, const PodSpecOptions& options,
                                      std::string_view unique_suffix);

}  // namespace pop::kubernetes_runner
