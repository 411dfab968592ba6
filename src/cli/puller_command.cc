// `pop puller`: the agent of one resource pool as its own process, talking only outbound
// HTTP(S) to the server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>

#include "agenda/declared_resources.h"
#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/log_flags.h"
#include "cli/metrics_flags.h"
#include "cli/report_url.h"
#include "cli/runner_choice.h"
#include "cli/signal_watcher.h"
#include "cli/standalone_metrics.h"
#include "executor_pods/executor_pod_launcher.h"
#include "executor_pods/executor_pod_spec.h"
#include "puller/http_work_source.h"
#include "puller/puller_agent.h"
#include "registry/handler_registry.h"
#include "util/process_privacy.h"
#include "util/stream_logger.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

struct PullerSettings {
  std::string server = "http://127.0.0.1:8080";
  std::string pool = "default";
  std::string token;
  std::string ca_file;
  RunnerSettings runner;
  std::size_t capacity = 4;
  std::vector<std::string> resources;
  std::string handlers_path;
  std::string puller_id;
  double report_seconds = 2;
  std::string report_url;  // empty: the server's own /v1/reports
  // Executor Pods (docs/kubernetes.md): one Pod running `pop executor` per agenda.
  bool executor_pods = false;
  std::string executor_image;            // empty: runner.image
  std::string executor_service_account;  // empty: the namespace's default
  std::string executor_token_secret;     // NAME/KEY; empty: the token as a literal value
  std::string executor_kubeconfig;       // passed as a document, for Pods without a service account
  LogSettings log;
  MetricsFlags metrics;
};

int fail_puller_start(const std::string& what, const Error& error) {
  return print_error("puller", what, error, 2);
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return fail(ErrorCode::kInvalidArgument, "cannot read " + path);
  return text.str();
}

// What each executor Pod runs with: the server and report endpoint as the puller reaches
// them, the runner flags that mean the same inside the Pod (not host paths: kubeconfig,
// CA and registry files travel as documents in the environment).
Result<executor_pods::ExecutorPodTemplate> executor_pod_template(const PullerSettings& settings,
                                                                 const std::string& name_space,
                                                                 const std::string& token,
                                                                 const std::string& puller_id) {
  executor_pods::ExecutorPodTemplate pod;
  pod.name_space = name_space;
  pod.image = settings.executor_image.empty() ? settings.runner.image : settings.executor_image;
  pod.service_account = settings.executor_service_account;
  pod.resource_pool_id = settings.pool;
  pod.puller_instance = puller_id;
  const RunnerSettings& runner = settings.runner;
  pod.arguments = {"--server",
                   settings.server,
                   "--report-url",
                   report_url_or_default(settings.report_url, settings.server),
                   "--report-seconds",
                   std::to_string(settings.report_seconds),
                   "--runner",
                   "kubernetes",
                   "--image",
                   runner.image,
                   "--namespace",
                   name_space,
                   "--pod-pending-timeout",
                   std::to_string(runner.pod_pending_timeout_seconds),
                   "--keep-failed-pods",
                   std::to_string(runner.keep_failed_pods_seconds),
                   "--kube-qps",
                   std::to_string(runner.kube_qps),
                   "--kube-burst",
                   std::to_string(runner.kube_burst)};
  const std::pair<const std::string*, std::string*> documents[] = {
      {&settings.handlers_path, &pod.handlers_document},
      {&settings.executor_kubeconfig, &pod.kubeconfig_document},
      {&settings.ca_file, &pod.server_ca_document}};
  for (const auto& [path, document] : documents) {
    if (path->empty()) continue;
    auto text = read_text(*path);
    if (!text) return fail(std::move(text).error());
    *document = std::move(*text);
  }
  if (!settings.executor_token_secret.empty()) {
    auto secret = executor_pods::parse_secret_key_ref(settings.executor_token_secret);
    if (!secret) return fail(std::move(secret).error());
    pod.token_secret = std::move(*secret);
  } else {
    pod.token = token;
  }
  return pod;
}

// Runs `loop` (a PullerAgent or an ExecutorPodLauncher) until it stops by itself or a signal
// stops it.
class StopOnSignal {
 public:
  StopOnSignal()
      : signals_([this](int, int) {
          std::lock_guard lock(mutex_);
          if (stop_) stop_();
        }) {}

  template <typename Loop>
  void run(Loop& loop) {
    {
      std::lock_guard lock(mutex_);
      stop_ = [&loop] { loop.stop(); };
      if (signals_.first_signal() != 0) loop.stop();
    }
    loop.run();
    std::lock_guard lock(mutex_);
    stop_ = nullptr;
  }

 private:
  std::mutex mutex_;
  std::function<void()> stop_;  // guarded by mutex_
  SignalWatcher signals_;       // last: its thread may call into the rest at once
};

// The executor-Pod mode: pulls for free slots and starts an executor Pod per agenda.
int run_executor_pods(const PullerSettings& settings, puller::WorkSource& source,
                      const std::string& token, const std::string& puller_id,
                      StopOnSignal& signals) {
  if (settings.runner.kind != "kubernetes")
    return fail_puller_start(
        "invalid option",
        {ErrorCode::kInvalidArgument, "--executor-pods needs --runner kubernetes", {}});
  if (!settings.resources.empty())
    return fail_puller_start(
        "invalid option", {ErrorCode::kInvalidArgument,
                           "--resource is not supported with --executor-pods (the puller does not "
                           "learn what adopted executor Pods declared)",
                           {}});
  auto connection = connect_kubernetes(settings.runner);
  if (!connection) return fail_puller_start("kubernetes", connection.error());
  auto pod = executor_pod_template(settings, connection->default_namespace, token, puller_id);
  if (!pod) return fail_puller_start("executor Pods", pod.error());

  executor_pods::ExecutorPodLauncher::Options options;
  options.capacity = settings.capacity;
  options.recount_interval =
      std::chrono::milliseconds(static_cast<long long>(settings.report_seconds * 1000));
  options.pod = std::move(*pod);
  StreamLogger logger("pop puller", settings.log.format, settings.log.level);
  options.logger = &logger;
  auto metrics = StandaloneMetrics::start(settings.metrics, logger);
  if (!metrics) return fail_puller_start("metrics", metrics.error());
  executor_pods::ExecutorPodLauncher launcher(source, *connection->client, std::move(options));
  std::printf(
      "pop puller %s: pulling pool \"%s\" from %s with capacity %zu, each agenda in an "
      "executor Pod in namespace \"%s\" through %s\n",
      puller_id.c_str(), settings.pool.c_str(), settings.server.c_str(), settings.capacity,
      connection->default_namespace.c_str(), connection->description.c_str());
  (*metrics)->announce("pop puller " + puller_id);
  std::fflush(stdout);
  signals.run(launcher);
  return 0;
}

int run_puller(const PullerSettings& settings) {
  // Handlers run as this user: they must not read its token (POP_TOKEN) from its environment.
  hide_from_processes_of_the_same_user();
  StopOnSignal signals;

  // Handlers that post to the report endpoint trust what the puller trusts.
  auto registry = handler_registry_for(settings.runner, settings.handlers_path, settings.ca_file);
  if (!registry) return fail_puller_start("handlers", registry.error());
  http_client::ClientOptions client;
  client.base_url = settings.server;
  client.bearer_token = settings.token;
  if (client.bearer_token.empty()) {
    const char* token = std::getenv("POP_TOKEN");
    if (token != nullptr) client.bearer_token = token;
  }
  client.ca_file = settings.ca_file;
  const std::string puller_id =
      settings.puller_id.empty() ? "puller-" + std::to_string(getpid()) : settings.puller_id;
  auto source = puller::HttpWorkSource::create(client, settings.pool, puller_id, system_clock());
  if (!source) return fail_puller_start("server " + settings.server, source.error());
  if (settings.executor_pods)
    return run_executor_pods(settings, **source, client.bearer_token, puller_id, signals);
  auto work_root = TempDir::create("pop-puller-");
  if (!work_root) return fail_puller_start("work directory", work_root.error());
  StreamLogger logger("pop puller", settings.log.format, settings.log.level);
  auto runner =
      create_runner(settings.runner, work_root->path(), settings.pool, logger, system_clock());
  if (!runner) return fail_puller_start(settings.runner.kind + " runner", runner.error());
  auto metrics = StandaloneMetrics::start(settings.metrics, logger);
  if (!metrics) return fail_puller_start("metrics", metrics.error());

  puller::AgentOptions options;
  options.capacity = settings.capacity;
  auto resources = resources_from_flags(settings.resources);
  if (!resources) return fail_puller_start("invalid option", resources.error());
  options.resources = std::move(*resources);
  options.report_interval =
      std::chrono::milliseconds(static_cast<long long>(settings.report_seconds * 1000));
  options.report_url = report_url_or_default(settings.report_url, settings.server);
  options.logger = &logger;
  options.metrics = &(*metrics)->registry();
  options.runner_name = settings.runner.kind;
  puller::PullerAgent agent(**source, *registry, **runner, options);
  std::printf("pop puller %s: pulling pool \"%s\" from %s with capacity %zu\n", puller_id.c_str(),
              settings.pool.c_str(), settings.server.c_str(), settings.capacity);
  (*metrics)->announce("pop puller " + puller_id);
  std::fflush(stdout);
  signals.run(agent);
  return 0;
}

}  // namespace

Command add_puller_command(CLI::App& app) {
  auto settings = std::make_shared<PullerSettings>();
  CLI::App* puller =
      app.add_subcommand("puller", "Run a puller for one resource pool against a POP server");
  puller->add_option("--server", settings->server, "Base URL of the POP server")
      ->capture_default_str();
  puller->add_option("--pool", settings->pool, "Resource pool whose agendas to run")
      ->capture_default_str();
  puller->add_option("--token", settings->token,
                     "Bearer token for the server: a puller token of the pool (default: "
                     "$POP_TOKEN)");
  puller
      ->add_option("--ca", settings->ca_file,
                   "PEM file of the CA that signs the server's certificate")
      ->check(CLI::ExistingFile);
  add_runner_options(*puller, settings->runner);
  puller->add_option("--resource", settings->resources,
                     "NAME=AMOUNT this puller may run at once, repeatable (e.g. cpu=8); only "
                     "agendas whose params.resources fit are pulled");
  puller->add_option("--capacity", settings->capacity, "Agendas run at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  puller->add_option("--handlers", settings->handlers_path, "Handler registry (JSON or YAML)");
  add_log_flags(*puller, settings->log);
  add_metrics_flags(*puller, settings->metrics);
  puller->add_option("--puller-id", settings->puller_id,
                     "Name of this puller in leases (default: puller-<pid>)");
  puller
      ->add_option("--report-seconds", settings->report_seconds,
                   "Progress and heartbeat interval; keep well under the server's --lease-seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 600.0));
  puller->add_option("--report-url", settings->report_url,
                     "POP_REPORT_URL for handlers, when they reach the server by another address "
                     "(default: --server + /v1/reports)");
  puller->add_flag("--executor-pods", settings->executor_pods,
                   "With --runner kubernetes: run each agenda's executor in a Pod of its own "
                   "(`pop executor`), which starts the agenda's handler Pods");
  puller->add_option("--executor-image", settings->executor_image,
                     "Image of executor Pods, with pop at /usr/local/bin/pop (default: --image)");
  puller->add_option("--executor-service-account", settings->executor_service_account,
                     "Service account of executor Pods: it must create, watch and delete Pods "
                     "(default: the namespace's default)");
  puller->add_option("--executor-token-secret", settings->executor_token_secret,
                     "NAME/KEY of the Secret whose key holds the puller token for executor Pods "
                     "(default: the puller's token as a literal value in each Pod's spec)");
  puller
      ->add_option("--executor-kubeconfig", settings->executor_kubeconfig,
                   "Kubeconfig passed to executor Pods in $POP_KUBECONFIG_DOCUMENT, for "
                   "clusters where their service account cannot reach the API (tests)")
      ->check(CLI::ExistingFile);
  return {puller, [settings] { return run_puller(*settings); }};
}

}  // namespace pop::cli
