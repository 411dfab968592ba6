#include "cli/runner_registry.h"

#include <array>
#include <utility>

#include "docker/docker_engine.h"
#include "runner/docker/docker_runner.h"
#include "runner/kubernetes/kubernetes_runner.h"
#include "runner/local/local_runner.h"
#include "util/duration_limits.h"

namespace pop::cli {
namespace {

Result<std::unique_ptr<Runner>> make_local_runner(const RunnerContext& context) {
  auto runner = LocalRunner::create({.work_root = context.work_root, .clock = &context.clock});
  if (!runner) return fail(std::move(runner).error());
  return std::unique_ptr<Runner>(std::move(*runner));
}

Result<std::unique_ptr<Runner>> make_docker_runner(const RunnerContext& context) {
  const RunnerSettings& settings = context.settings;
  DockerRunner::Options options;
  options.engine_host =
      settings.docker_host.empty() ? docker::DockerEngine::default_host() : settings.docker_host;
  options.work_root = context.work_root;
  options.network = settings.docker_network;
  options.resource_pool_id = context.resource_pool_id;
  options.logger = &context.logger;
  options.clock = &context.clock;
  auto runner = DockerRunner::create(std::move(options));
  if (!runner) return fail(std::move(runner).error());
  if ((*runner)->reaped_at_start() > 0) {
    context.logger.info("removed the containers an earlier run of the pool left",
                        {{"pool", context.resource_pool_id},
                         {"containers", std::to_string((*runner)->reaped_at_start())}});
  }
  return std::unique_ptr<Runner>(std::move(*runner));
}

Result<std::unique_ptr<Runner>> make_kubernetes_runner(const RunnerContext& context) {
  const RunnerSettings& settings = context.settings;
  auto connection = connect_kubernetes(settings);
  if (!connection) return fail(std::move(connection).error());
  KubernetesRunner::Options options;
  options.default_namespace = connection->default_namespace;
  options.resource_pool_id = context.resource_pool_id;
  options.pending_timeout = seconds_to_ms(settings.pod_pending_timeout_seconds);
  options.keep_failed_pods = seconds_to_ms(settings.keep_failed_pods_seconds);
  options.owner = context.kubernetes_extras.owner;
  options.instance_id = context.kubernetes_extras.instance_id;
  options.reap_orphans = context.kubernetes_extras.reap_orphans;
  options.logger = &context.logger;
  options.clock = &context.clock;
  context.logger.info("handler Pods through the Kubernetes API",
                      {{"api", connection->description}, {"namespace", options.default_namespace}});
  auto runner = KubernetesRunner::create(std::move(connection->client), std::move(options));
  if (!runner) return fail(std::move(runner).error());
  return std::unique_ptr<Runner>(std::move(*runner));
}

constexpr std::array<RunnerKind, 3> kRunnerKinds = {{
    {"local", "local processes", true, make_local_runner},
    {"docker", "docker containers (Docker Engine API)", false, make_docker_runner},
    {"kubernetes", "kubernetes Pods (Kubernetes API)", false, make_kubernetes_runner},
}};

}  // namespace

std::span<const RunnerKind> runner_kinds() { return kRunnerKinds; }

std::vector<std::string> runner_names() {
  std::vector<std::string> names;
  for (const RunnerKind& kind : kRunnerKinds) names.emplace_back(kind.name);
  return names;
}

Result<const RunnerKind*> find_runner(std::string_view name) {
  for (const RunnerKind& kind : kRunnerKinds) {
    if (kind.name == name) return &kind;
  }
  std::string known;
  for (const std::string& each : runner_names()) {
    if (!known.empty()) known += ", ";
    known += each;
  }
  return fail(ErrorCode::kInvalidArgument,
              "--runner: unknown runner \"" + std::string(name) + "\"; known: " + known);
}

}  // namespace pop::cli
