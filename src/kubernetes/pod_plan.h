// What POP's Pod builders produce (the handler Pod of the Kubernetes runner, the executor Pod
// of a puller), and what they share.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace pop::kubernetes {

// The payload travels in POP_PAYLOAD. Linux refuses to start a program with any one
// "NAME=value" environment string over 128 KiB (MAX_ARG_STRLEN), whatever the Pod object
// could hold (etcd takes 1.5 MiB), so the limit keeps a margin under that.
inline constexpr std::size_t kMaxPodPayloadBytes = 120u << 10;

// The Pod whose lifetime bounds the handler Pods (the puller's executor Pod): Kubernetes'
// garbage collector deletes them when it goes. Owner references cannot cross namespaces, so
// it is set only on Pods in the owner's namespace.
struct OwnerPod {
  std::string name_space{};
  std::string name{};
  std::string uid{};
};

struct PodPlan {
  std::string name_space{};
  std::string name{};
  nlohmann::json pod{};  // the v1 Pod to POST
};

}  // namespace pop::kubernetes
