#include "runner/kubernetes/handler_pod_spec.h"

#include <cmath>

#include "kubernetes/labels.h"
#include "runner/handler_environment.h"
#include "util/quantity.h"

namespace pop::kubernetes_runner {
using Json = nlohmann::json;
// The Pod is written in the API client's vocabulary.
using namespace kubernetes;

namespace {

// "pop-<operation>-<attempt>-<suffix>" in at most 63 characters.
std::string pod_name(const LaunchRequest& request, std::string_view unique_suffix) {
  const std::string attempt = std::to_string(request.attempt);
  const std::size_t fixed = 4 + 1 + attempt.size() + 1 + unique_suffix.size();
  const std::size_t room = fixed < kMaxDnsLabelBytes ? kMaxDnsLabelBytes - fixed : 0;
  std::string operation = dns_label_part(request.operation_name, room);
  if (operation.empty()) operation = "op";
  std::string name = "pop-" + operation + "-" + attempt + "-" + std::string(unique_suffix);
  if (name.size() > kMaxDnsLabelBytes) name = dns_label_part(name, kMaxDnsLabelBytes);
  return name;
}

Json environment(const LaunchRequest& request, std::string payload) {
  Json env = Json::array();
  auto add = [&env](std::string_view name, std::string value) {
    env.push_back({{"name", name}, {"value", std::move(value)}});
  };
  // The spec's variables first; names the contract reserves are the contract's alone.
  for (const auto& [name, value] : request.handler.env) {
    if (!contract_env::is_reserved(name)) add(name, value);
  }
  add(contract_env::kPayload, std::move(payload));
  add(contract_env::kAgendaId, request.agenda_id);
  add(contract_env::kOperationName, request.operation_name);
  add(contract_env::kCustomerId, request.customer_id);
  add(contract_env::kAttempt, std::to_string(request.attempt));
  add(contract_env::kOutputFile, kTerminationMessagePath);
  if (!request.report_url.empty()) add(contract_env::kReportUrl, request.report_url);
  if (!request.report_token.empty()) add(contract_env::kReportToken, request.report_token);
  return env;
}

Json resources(const ContainerSpec& container) {
  Json requests = Json::object();
  Json limits = Json::object();
  if (container.cpu_request > 0) requests["cpu"] = cpu_quantity(container.cpu_request);
  if (container.cpu_limit > 0) limits["cpu"] = cpu_quantity(container.cpu_limit);
  if (container.memory_bytes > 0) {
    // Request equal to limit: the scheduler reserves what the handler may use, so a node
    // is never overcommitted into OOM kills of other Pods.
    requests["memory"] = memory_quantity(container.memory_bytes);
    limits["memory"] = memory_quantity(container.memory_bytes);
  }
  Json out = Json::object();
  if (!requests.empty()) out["requests"] = std::move(requests);
  if (!limits.empty()) out["limits"] = std::move(limits);
  return out;
}

// Every identity is a label (made a valid label value) to select Pods by, and an annotation
// with the exact value.
Json metadata(const LaunchRequest& request, const PodSpecOptions& options, const std::string& name,
              const std::string& name_space) {
  const std::string attempt = std::to_string(request.attempt);
  const std::pair<const char*, const std::string*> identities[] = {
      {label::kAgendaId, &request.agenda_id},
      {label::kOperationName, &request.operation_name},
      {label::kOperationType, &request.operation_type},
      {label::kCustomerId, &request.customer_id},
      {label::kResourcePoolId, &request.resource_pool_id},
      {label::kInsightId, &request.insight_id},
      {label::kAttempt, &attempt},
  };
  Json labels = {{label::kManagedBy, label::kManagedByPop},
                 {label::kRunnerInstance, label_value(options.runner_instance)}};
  Json annotations = Json::object();
  for (const auto& [key, value] : identities) {
    labels[key] = label_value(*value);
    annotations[key] = *value;
  }
  Json meta = {{"name", name},
               {"namespace", name_space},
               {"labels", std::move(labels)},
               {"annotations", std::move(annotations)}};
  if (options.owner && options.owner->name_space == name_space) {
    meta["ownerReferences"] = Json::array({{{"apiVersion", "v1"},
                                            {"kind", "Pod"},
                                            {"name", options.owner->name},
                                            {"uid", options.owner->uid},
                                            {"controller", false},
                                            {"blockOwnerDeletion", false}}});
  }
  return meta;
}

}  // namespace

Result<PodPlan> build_pod(const LaunchRequest& request, const PodSpecOptions& options,
                          std::string_view unique_suffix) {
  const HandlerSpec& spec = request.handler;
  if (spec.container.image.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "handler type \"" + request.operation_type +
                    "\" has no image: the Kubernetes runner needs \"image\" in its registry "
                    "entry");
  }
  std::string payload;
  try {
    payload = request.payload.dump();
  } catch (const Json::exception& error) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot serialize the payload of " + request.operation_name + ": " + error.what());
  }
  if (payload.size() > options.max_payload_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                "the payload of operation " + request.operation_name + " is " +
                    std::to_string(payload.size()) +
                    " bytes; the Kubernetes runner passes it in the environment "
                    "(POP_PAYLOAD), which takes at most " +
                    std::to_string(options.max_payload_bytes) + " bytes");
  }

  PodPlan plan;
  plan.name_space = request.kubernetes_namespace.empty() ? options.default_namespace
                                                         : request.kubernetes_namespace;
  plan.name = pod_name(request, unique_suffix);

  Json container = {{"name", kHandlerContainer},
                    {"image", spec.container.image},
                    {"env", environment(request, std::move(payload))},
                    {"terminationMessagePath", kTerminationMessagePath},
                    {"terminationMessagePolicy", "File"}};
  if (!spec.command.empty()) container["command"] = spec.command;
  if (!spec.container.image_pull_policy.empty()) {
    container["imagePullPolicy"] = spec.container.image_pull_policy;
  }
  if (Json limits = resources(spec.container); !limits.empty()) {
    container["resources"] = std::move(limits);
  }

  Json pod_spec = {{"restartPolicy", "Never"},
                   // Service links would add variables for every Service in the namespace:
                   // noise in the handler's environment, and a risk to its size limit.
                   {"enableServiceLinks", false},
                   // The handler's grace also when someone else deletes the Pod (kubectl
                   // delete) or activeDeadlineSeconds ends it; the runner's own deletions name
                   // theirs.
                   {"terminationGracePeriodSeconds",
                    static_cast<std::int64_t>(std::ceil(spec.termination_grace_seconds))},
                   {"containers", Json::array({std::move(container)})}};
  if (spec.timeout_seconds > 0) {
    pod_spec["activeDeadlineSeconds"] =
        static_cast<std::int64_t>(std::ceil(spec.timeout_seconds)) +
        static_cast<std::int64_t>(std::ceil(spec.termination_grace_seconds)) +
        options.deadline_slack.count();
  }
  if (!spec.container.node_selector.empty()) {
    pod_spec["nodeSelector"] = spec.container.node_selector;
  }
  if (spec.container.tolerations.is_array() && !spec.container.tolerations.empty()) {
    pod_spec["tolerations"] = spec.container.tolerations;
  }
  if (!spec.container.service_account_name.empty()) {
    pod_spec["serviceAccountName"] = spec.container.service_account_name;
  }

  plan.pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", metadata(request, options, plan.name, plan.name_space)},
              {"spec", std::move(pod_spec)}};
  return plan;
}

}  // namespace pop::kubernetes_runner
