#include "cli/runner_choice.h"

#include <cstdlib>

#include "cli/runner_registry.h"
#include "kubernetes/kube_client.h"
#include "kubernetes/kube_config.h"

namespace pop::cli {
namespace {
// Where scripts/build-handler-image.sh puts pop in the handler image.
constexpr char kPopInImage[] = "/usr/local/bin/pop";

std::string runner_help() {
  std::string help = "How handlers run: ";
  const auto kinds = runner_kinds();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) help += i + 1 == kinds.size() ? ", or " : ", ";
    help += kinds[i].description;
  }
  return help;
}

}  // namespace

void add_runner_options(CLI::App& command, RunnerSettings& settings) {
  command.add_option("--runner", settings.kind, runner_help())
      ->capture_default_str()
      ->check(CLI::IsMember(runner_names()));
  command.add_option("--docker-host", settings.docker_host,
                     "Docker-compatible engine socket, unix:///path (default: $DOCKER_HOST, "
                     "else unix:///var/run/docker.sock)");
  command
      .add_option("--docker-network", settings.docker_network,
                  "Network of handler containers: host (reach the server on loopback), none, "
                  "or a network of the engine")
      ->capture_default_str();
  command
      .add_option("--image", settings.image,
                  "Image of the built-in handlers under a container runner (see "
                  "scripts/build-handler-image.sh)")
      ->capture_default_str();
  command.add_option("--kubeconfig", settings.kubeconfig,
                     "Kubernetes: kubeconfig file (default: $KUBECONFIG, the Pod's service "
                     "account inside a cluster, then ~/.kube/config)");
  command.add_option("--context", settings.kube_context,
                     "Kubernetes: kubeconfig context (default: its current-context)");
  command.add_option("--namespace", settings.kube_namespace,
                     "Kubernetes: namespace of handler Pods for customers without a "
                     "kubernetesNamespace (default: the configuration's, else default)");
  command
      .add_option("--pod-pending-timeout", settings.pod_pending_timeout_seconds,
                  "Kubernetes: seconds a Pod may stay Pending before its attempt fails")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  command
      .add_option("--keep-failed-pods", settings.keep_failed_pods_seconds,
                  "Kubernetes: seconds failed Pods are kept for debugging (0: deleted at once)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 30 * 86400.0));
  command
      .add_option("--kube-qps", settings.kube_qps,
                  "Kubernetes: API requests per second, sustained (client-side rate limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 10000.0));
  command.add_option("--kube-burst", settings.kube_burst, "Kubernetes: API requests in a burst")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
}

Result<HandlerRegistry> handler_registry_for(const RunnerSettings& settings,
                                             const std::string& registry_file,
                                             const std::string& report_ca) {
  auto kind = find_runner(settings.kind);
  if (!kind) return fail(std::move(kind).error());
  const bool local = (*kind)->handlers_on_host;
  HandlerRegistry registry = HandlerRegistry::builtin(local ? current_executable() : kPopInImage);
  if (!local) {
    if (auto merged = registry.merge_json(
            {{"handlers",
              {{"sample",
                {{"command", {kPopInImage, "handler", "sample"}}, {"image", settings.image}}}}}},
            "--image");
        !merged)
      return fail(std::move(merged).error());
  }
  if (local && !report_ca.empty() && std::getenv("POP_REPORT_CA") == nullptr) {
    const nlohmann::json env = {{"POP_REPORT_CA", std::filesystem::absolute(report_ca).string()}};
    if (auto merged = registry.merge_json({{"defaults", {{"env", env}}}}, "report CA"); !merged)
      return fail(std::move(merged).error());
  }
  if (!registry_file.empty()) {
    if (auto merged = registry.merge_file(registry_file); !merged)
      return fail(std::move(merged).error());
  }
  return registry;
}

Result<KubernetesConnection> connect_kubernetes(const RunnerSettings& settings) {
  kubernetes::KubeConfigDiscovery discovery;
  discovery.kubeconfig = settings.kubeconfig;
  discovery.context = settings.kube_context;
  auto config = kubernetes::discover_kube_config(discovery);
  if (!config) return fail(std::move(config).error());
  kubernetes::KubeClientOptions client_options;
  client_options.rate_limit = {settings.kube_qps, settings.kube_burst};
  auto client = kubernetes::KubeClient::create(*config, client_options);
  if (!client) return fail(std::move(client).error());
  std::string name_space = !settings.kube_namespace.empty()     ? settings.kube_namespace
                           : !config->default_namespace.empty() ? config->default_namespace
                                                                : "default";
  return KubernetesConnection{std::move(*client), std::move(name_space),
                              config->server + " (" + config->origin + ")"};
}

Result<std::unique_ptr<Runner>> create_runner(const RunnerSettings& settings,
                                              const std::filesystem::path& work_root,
                                              const std::string& resource_pool_id, Logger& logger,
                                              Clock& clock,
                                              const KubernetesRunnerExtras& kubernetes_extras) {
  auto kind = find_runner(settings.kind);
  if (!kind) return fail(std::move(kind).error());
  return (*kind)->make({.settings = settings,
                        .work_root = work_root,
                        .resource_pool_id = resource_pool_id,
                        .logger = logger,
                        .clock = clock,
                        .kubernetes_extras = kubernetes_extras});
}

}  // namespace pop::cli
