#include "executor_pods/executor_pod_spec.h"

#include "kubernetes/labels.h"

namespace pop::executor_pods {
using Json = nlohmann::json;
// The Pod is written in the API client's vocabulary.
using namespace kubernetes;

namespace {

// "pop-executor-<agenda>-<epoch>-<suffix>" in at most 63 characters.
std::string executor_pod_name(const std::string& agenda_id, std::uint64_t epoch,
                              std::string_view unique_suffix) {
  const std::string lease = std::to_string(epoch);
  const std::size_t fixed = 13 + 1 + lease.size() + 1 + unique_suffix.size();
  const std::size_t room = fixed < kMaxDnsLabelBytes ? kMaxDnsLabelBytes - fixed : 0;
  std::string agenda = dns_label_part(agenda_id, room);
  if (agenda.empty()) agenda = "agenda";
  std::string name = "pop-executor-" + agenda + "-" + lease + "-" + std::string(unique_suffix);
  if (name.size() > kMaxDnsLabelBytes) name = dns_label_part(name, kMaxDnsLabelBytes);
  return name;
}

Json environment(const ExecutorPodTemplate& pod_template, const std::string& assignment) {
  Json env = Json::array();
  auto add = [&env](std::string_view name, const std::string& value) {
    if (!value.empty()) env.push_back({{"name", name}, {"value", value}});
  };
  auto add_field = [&env](std::string_view name, std::string_view path) {
    env.push_back({{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}});
  };
  add(executor_env::kAssignment, assignment);
  add(executor_env::kHandlersDocument, pod_template.handlers_document);
  add(executor_env::kKubeconfigDocument, pod_template.kubeconfig_document);
  add(executor_env::kServerCaDocument, pod_template.server_ca_document);
  if (pod_template.token_secret) {
    env.push_back({{"name", executor_env::kToken},
                   {"valueFrom",
                    {{"secretKeyRef",
                      {{"name", pod_template.token_secret->name},
                       {"key", pod_template.token_secret->key}}}}}});
  } else {
    add(executor_env::kToken, pod_template.token);
  }
  add_field(executor_env::kPodName, "metadata.name");
  add_field(executor_env::kPodNamespace, "metadata.namespace");
  add_field(executor_env::kPodUid, "metadata.uid");
  return env;
}

}  // namespace

Result<SecretKeyRef> parse_secret_key_ref(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos)
    return fail(ErrorCode::kInvalidArgument,
                "\"" + std::string(text) + "\" is not NAME/KEY (a Secret and one of its keys)");
  return SecretKeyRef{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

std::string executor_pod_selector(const std::string& resource_pool_id) {
  return selector({{label::kManagedBy, label::kManagedByPop},
                   {executor_label::kRole, executor_label::kRoleExecutor},
                   {label::kResourcePoolId, label_value(resource_pool_id)}});
}

Result<PodPlan> build_executor_pod(const ExecutorPodTemplate& pod_template, const Json& assignment,
                                   std::string_view unique_suffix) {
  const Json agenda = assignment.value("agenda", Json::object());
  const std::string agenda_id = agenda.value("id", "");
  const std::string insight_id =
      agenda.value("agendaInsight", Json::object()).value("insightId", "");
  const std::uint64_t epoch = assignment.value("epoch", std::uint64_t{0});
  if (pod_template.image.empty())
    return fail(ErrorCode::kInvalidArgument, "executor Pods need an image (--executor-image)");
  const std::string text = assignment.dump();
  if (text.size() > pod_template.max_assignment_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                "agenda " + agenda_id + " with its progress is " + std::to_string(text.size()) +
                    " bytes; an executor Pod receives it in the environment (" +
                    executor_env::kAssignment + "), which takes at most " +
                    std::to_string(pod_template.max_assignment_bytes) + " bytes");
  }
  PodPlan plan;
  plan.name_space = pod_template.name_space;
  plan.name = executor_pod_name(agenda_id, epoch, unique_suffix);

  std::vector<std::string> arguments = {"executor"};
  arguments.insert(arguments.end(), pod_template.arguments.begin(), pod_template.arguments.end());
  Json container = {{"name", kExecutorContainer},
                    {"image", pod_template.image},
                    {"command", Json::array({pod_template.pop_path})},
                    {"args", arguments},
                    {"env", environment(pod_template, text)}};
  Json spec = {{"restartPolicy", "Never"},
               {"enableServiceLinks", false},
               {"containers", Json::array({std::move(container)})}};
  if (!pod_template.service_account.empty())
    spec["serviceAccountName"] = pod_template.service_account;

  Json labels = {{label::kManagedBy, label::kManagedByPop},
                 {executor_label::kRole, executor_label::kRoleExecutor},
                 {label::kAgendaId, label_value(agenda_id)},
                 {label::kResourcePoolId, label_value(pod_template.resource_pool_id)},
                 {label::kRunnerInstance, label_value(pod_template.puller_instance)}};
  // The insight is an annotation, not a label: selectors for an insight's handler Pods
  // (execution limits) must not count executors.
  Json annotations = {{label::kAgendaId, agenda_id},
                      {label::kResourcePoolId, pod_template.resource_pool_id},
                      {label::kInsightId, insight_id},
                      {executor_label::kEpoch, std::to_string(epoch)}};
  plan.pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", plan.name},
                {"namespace", plan.name_space},
                {"labels", std::move(labels)},
                {"annotations", std::move(annotations)}}},
              {"spec", std::move(spec)}};
  return plan;
}

}  // namespace pop::executor_pods
