// The Pod in which a puller runs one agenda's executor (`pop executor`, see
// docs/kubernetes.md, "Executor Pods"): one container "executor" that never restarts, with
// the leased assignment, the handler registry and the server credentials in its environment,
// its own name, namespace and uid from the downward API (so the handler Pods it starts can
// name it as their owner), and labels by which the puller counts and cleans up its
// executor Pods.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kubernetes/pod_plan.h"
#include "util/result.h"

namespace pop::executor_pods {

inline constexpr char kExecutorContainer[] = "executor";

namespace executor_label {
inline constexpr char kRole[] = "pop.role";
inline constexpr char kRoleExecutor[] = "executor";
// Annotation only.
inline constexpr char kEpoch[] = "pop.epoch";
}  // namespace executor_label

// What `pop executor` reads from its environment.
namespace executor_env {
inline constexpr char kAssignment[] = "POP_ASSIGNMENT";               // model/assignment_json.h
inline constexpr char kHandlersDocument[] = "POP_HANDLERS_DOCUMENT";  // registry, JSON or YAML
inline constexpr char kToken[] = "POP_TOKEN";                         // the puller token
// A kubeconfig document, for executor Pods that cannot use their service account.
inline constexpr char kKubeconfigDocument[] = "POP_KUBECONFIG_DOCUMENT";
inline constexpr char kServerCaDocument[] = "POP_SERVER_CA_DOCUMENT";  // PEM, for --ca
inline constexpr char kPodName[] = "POP_POD_NAME";
inline constexpr char kPodNamespace[] = "POP_POD_NAMESPACE";
inline constexpr char kPodUid[] = "POP_POD_UID";
}  // namespace executor_env

struct SecretKeyRef {
  std::string name{};
  std::string key{};
};

// Parses "NAME/KEY"; kInvalidArgument naming the text otherwise.
Result<SecretKeyRef> parse_secret_key_ref(std::string_view text);

// What every executor Pod of one puller shares.
struct ExecutorPodTemplate {
  std::string name_space{};
  std::string image{};
  std::string pop_path = "/usr/local/bin/pop";  // where the image has pop
  std::vector<std::string> arguments{};         // after "executor": --server, runner flags
  std::string service_account{};                // empty: the namespace's default
  std::string resource_pool_id{};
  std::string puller_instance{};  // the pop.runnerInstance label: which puller started it
  std::string handlers_document{};
  std::string kubeconfig_document{};
  std::string server_ca_document{};
  // The puller token: from this Secret's key when set, else `token` as a literal value
  // (readable by anyone who may read the Pod).
  std::optional<SecretKeyRef> token_secret{};
  std::string token{};
  std::size_t max_assignment_bytes = kubernetes::kMaxPodPayloadBytes;
};

// `assignment` is the POP_ASSIGNMENT document (model/assignment_json.h), which names the
// agenda, its insight and the lease epoch; `unique_suffix` (lower-case alphanumerics) makes
// the name unique. kInvalidArgument when the document exceeds max_assignment_bytes (naming
// the agenda, the size and the limit) or the template has no image.
Result<kubernetes::PodPlan> build_executor_pod(const ExecutorPodTemplate& pod_template,
                                               const nlohmann::json& assignment,
                                               std::string_view unique_suffix);

// The selector of the executor Pods of `resource_pool_id`.
std::string executor_pod_selector(const std::string& resource_pool_id);

}  // namespace pop::executor_pods
