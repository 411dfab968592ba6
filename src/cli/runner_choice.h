// The --runner choice of `pop server` (embedded puller), `pop puller` and `pop run`: which
// Runner executes handlers, with its options, and the built-in handlers as that runner
// starts them (a host path for local processes, `pop` inside the handler image otherwise).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "kubernetes/kube_client.h"
#include "registry/handler_registry.h"
#include "runner/kubernetes/handler_pod_spec.h"
#include "runner/runner.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::cli {

struct RunnerSettings {
  std::string kind = "local";  // local | docker | kubernetes
  std::string docker_host;     // empty: $DOCKER_HOST, else the engine's default socket
  std::string docker_network = "host";
  // The image of the built-in handlers under a container runner (scripts/build-handler-image.sh).
  std::string image = "pop:local";
  // Kubernetes: where the API server is (empty: $KUBECONFIG, in-cluster, ~/.kube/config).
  std::string kubeconfig;
  std::string kube_context;
  std::string kube_namespace;  // empty: the configuration's, else "default"
  double pod_pending_timeout_seconds = 300;
  double keep_failed_pods_seconds = 0;
  double kube_qps = 20;
  int kube_burst = 40;
};

void add_runner_options(CLI::App& command, RunnerSettings& settings);

// The built-in handlers for the chosen runner, then the registry file when one is named.
// `report_ca`: the CA a local handler's curl should trust for the report endpoint (put into
// POP_REPORT_CA unless the environment sets it); container handlers do not see host paths.
Result<HandlerRegistry> handler_registry_for(const RunnerSettings& settings,
                                             const std::string& registry_file,
                                             const std::string& report_ca);

// Executor Pods (`pop executor`, docs/kubernetes.md): what only an executor Pod gives its
// Kubernetes runner. Its own Pod owns the handler Pods; its name is their runner instance, so
// the puller finds what a dead executor left; no orphan reaping, since the pool's other Pods
// belong to executors that still run.
struct KubernetesRunnerExtras {
  std::optional<kubernetes::OwnerPod> owner{};
  std::string instance_id{};  // empty: a random one
  bool reap_orphans = true;
};

// The runner; `work_root` must exist (per-attempt directories go there), and
// `resource_pool_id` labels containers so that a restart can remove its predecessor's. The
// runner logs to `logger` and reads time from `clock`, which must outlive it.
// `kubernetes_extras` applies to --runner kubernetes only.
Result<std::unique_ptr<Runner>> create_runner(const RunnerSettings& settings,
                                              const std::filesystem::path& work_root,
                                              const std::string& resource_pool_id, Logger& logger,
                                              Clock& clock,
                                              const KubernetesRunnerExtras& kubernetes_extras = {});

// Executor Pods (`pop puller --executor-pods`): a client for the API server --runner
// kubernetes would use, and the namespace its Pods go to by default (--namespace, else the
// configuration's, else "default").
struct KubernetesConnection {
  std::shared_ptr<kubernetes::KubeClient> client;
  std::string default_namespace;
  std::string description;  // "https://host:6443 (kubeconfig ..., context ...)"
};
Result<KubernetesConnection> connect_kubernetes(const RunnerSettings& settings);

}  // namespace pop::cli
