// `pop executor`: runs exactly one agenda leased by a puller to its end, then exits; what a
// puller in executor-Pod mode starts in a Pod of its own per agenda (docs/kubernetes.md,
// "Executor Pods"). The agenda runs, heartbeats and completes exactly as in a puller: a
// PullerAgent of capacity 1 over a SingleAssignmentSource that hands out the assignment once.
//
// Exit status: 0 when the server accepted the agenda's completion (whatever its outcome);
// 1 when the lease was lost, the server could not be reached to complete it, or a signal
// stopped it first (the server then hands the agenda out again once the lease expires);
// 2 for bad input (no or malformed POP_ASSIGNMENT, a bad registry).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>

#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/log_flags.h"
#include "cli/metrics_flags.h"
#include "cli/report_url.h"
#include "cli/runner_choice.h"
#include "cli/signal_watcher.h"
#include "cli/standalone_metrics.h"
#include "executor_pods/executor_pod_spec.h"
#include "model/assignment_json.h"
#include "puller/http_work_source.h"
#include "puller/puller_agent.h"
#include "puller/single_assignment_source.h"
#include "registry/handler_registry.h"
#include "util/environment.h"
#include "util/json_limits.h"
#include "util/process_privacy.h"
#include "util/stream_logger.h"
#include "util/temp_dir.h"
#include "util/yaml_json.h"

namespace pop::cli {
namespace {

namespace env = executor_pods::executor_env;

struct ExecutorSettings {
  std::string server = "http://127.0.0.1:8080";
  std::string ca_file;
  std::string report_url;
  std::string handlers_path;
  RunnerSettings runner;
  double report_seconds = 2;
  LogSettings log;
  MetricsFlags metrics;
};

int fail_start(const std::string& what, const Error& error) {
  return print_error("executor", what, error, 2);
}

Result<Assignment> assignment_from_environment() {
  const std::string text = environment_variable(env::kAssignment);
  if (text.empty())
    return fail(ErrorCode::kInvalidArgument,
                std::string(env::kAssignment) + " is not set: it carries the leased agenda");
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded())
    return fail(ErrorCode::kInvalidArgument, std::string(env::kAssignment) + " is not JSON");
  auto assignment = assignment_from_json(document);
  if (!assignment) return fail(std::move(assignment).error());
  if (!assignment->agenda.value("id", nlohmann::json()).is_string())
    return fail(ErrorCode::kInvalidArgument,
                std::string(env::kAssignment) + " holds an agenda without an id");
  return assignment;
}

// A document passed in the environment, as a file for options that take one (the Pod has
// no volume with it). Empty path when the variable is unset.
Result<std::string> document_file(const char* name, const std::filesystem::path& path) {
  const std::string text = environment_variable(name);
  if (text.empty()) return std::string();
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return fail(ErrorCode::kUnavailable,
                "cannot write " + std::string(name) + " to " + path.string());
  return path.string();
}

Result<void> merge_handlers_document(HandlerRegistry& registry) {
  const std::string text = environment_variable(env::kHandlersDocument);
  if (text.empty()) return {};
  // JSON first: a JSON document's error message is clearer as JSON than as YAML.
  auto document = parse_json_limited(text, kRegistryLimits);
  if (!document && document.error().code == ErrorCode::kInvalidArgument) {
    auto yaml = yaml_to_json(text, kRegistryLimits);
    if (!yaml)
      return fail(ErrorCode::kInvalidArgument,
                  std::string(env::kHandlersDocument) +
                      " is neither JSON nor YAML: " + yaml.error().message);
    document = std::move(*yaml);
  }
  if (!document)
    return fail(ErrorCode::kInvalidArgument,
                std::string(env::kHandlersDocument) + ": " + document.error().message);
  return registry.merge_json(*document, env::kHandlersDocument);
}

// The Pod this executor runs in (downward API), which then owns its handler Pods.
std::optional<kubernetes::OwnerPod> own_pod() {
  kubernetes::OwnerPod pod{environment_variable(env::kPodNamespace),
                           environment_variable(env::kPodName), environment_variable(env::kPodUid)};
  if (pod.name_space.empty() || pod.name.empty() || pod.uid.empty()) return std::nullopt;
  return pod;
}

int run_executor(ExecutorSettings settings) {
  // Handlers may run as this user: they must not read its assignment (the lease key).
  hide_from_processes_of_the_same_user();
  std::mutex mutex;
  puller::PullerAgent* running_agent = nullptr;
  SignalWatcher signals([&](int, int) {
    std::lock_guard lock(mutex);
    if (running_agent != nullptr) running_agent->stop();
  });

  auto assignment = assignment_from_environment();
  if (!assignment) return fail_start("assignment", assignment.error());
  const std::string agenda_id = assignment->agenda["id"].get<std::string>();
  const std::string token = environment_variable(env::kToken);
  if (token.empty())
    return fail_start("token", Error{ErrorCode::kUnauthenticated,
                                     std::string(env::kToken) + " is not set: it carries the "
                                                                "puller token of the pool",
                                     {}});
  auto work_root = TempDir::create("pop-executor-");
  if (!work_root) return fail_start("work directory", work_root.error());
  if (settings.runner.kubeconfig.empty()) {
    auto kubeconfig = document_file(env::kKubeconfigDocument, work_root->path() / "kubeconfig");
    if (!kubeconfig) return fail_start("kubeconfig", kubeconfig.error());
    settings.runner.kubeconfig = *kubeconfig;
  }
  if (settings.ca_file.empty()) {
    auto ca = document_file(env::kServerCaDocument, work_root->path() / "server-ca.pem");
    if (!ca) return fail_start("server CA", ca.error());
    settings.ca_file = *ca;
  }
  auto registry = handler_registry_for(settings.runner, settings.handlers_path, settings.ca_file);
  if (!registry) return fail_start("handlers", registry.error());
  if (auto merged = merge_handlers_document(*registry); !merged)
    return fail_start("handlers", merged.error());

  http_client::ClientOptions client;
  client.base_url = settings.server;
  client.bearer_token = token;
  client.ca_file = settings.ca_file;
  const auto pod = own_pod();
  const std::string executor_id = "executor-" + (pod ? pod->name : std::to_string(getpid()));
  const nlohmann::json binding = assignment->agenda.value("agendaInsight", nlohmann::json());
  const std::string pool =
      binding.is_object() ? binding.value("resourcePoolId", "default") : "default";
  auto server = puller::HttpWorkSource::create(client, pool, executor_id, system_clock());
  if (!server) return fail_start("server " + settings.server, server.error());
  const std::filesystem::path handler_root = work_root->path() / "work";
  std::filesystem::create_directories(handler_root);
  // The pool's other Pods belong to executors that still run: never reap them.
  KubernetesRunnerExtras extras{pod, pod ? pod->name : "", false};
  StreamLogger logger("pop executor", settings.log.format, settings.log.level);
  auto runner = create_runner(settings.runner, handler_root, pool, logger, system_clock(), extras);
  if (!runner) return fail_start(settings.runner.kind + " runner", runner.error());
  auto metrics = StandaloneMetrics::start(settings.metrics, logger);
  if (!metrics) return fail_start("metrics", metrics.error());
  (*metrics)->announce("pop executor " + executor_id);

  puller::SingleAssignmentSource source(**server, std::move(*assignment), [&] {
    std::lock_guard lock(mutex);
    if (running_agent != nullptr) running_agent->stop();
  });
  puller::AgentOptions options;
  options.capacity = 1;
  options.report_interval =
      std::chrono::milliseconds(static_cast<long long>(settings.report_seconds * 1000));
  options.report_url = report_url_or_default(settings.report_url, settings.server);
  options.logger = &logger;
  options.metrics = &(*metrics)->registry();
  options.runner_name = settings.runner.kind;
  puller::PullerAgent agent(source, *registry, **runner, options);
  {
    std::lock_guard lock(mutex);
    running_agent = &agent;
    if (signals.first_signal() != 0) agent.stop();
  }
  std::fprintf(stderr, "pop executor %s: running agenda %s for %s\n", executor_id.c_str(),
               agenda_id.c_str(), settings.server.c_str());
  agent.run();
  {
    std::lock_guard lock(mutex);
    running_agent = nullptr;
  }

  if (source.completed()) {
    std::fprintf(stderr, "pop executor %s: agenda %s completed\n", executor_id.c_str(),
                 agenda_id.c_str());
    return 0;
  }
  const std::string context = "agenda " + agenda_id;
  if (auto lost = source.lease_lost())
    return print_error("executor", context,
                       {lost->code, "the lease was lost: " + lost->message, {}}, 1);
  if (auto error = source.completion_error())
    return print_error(
        "executor", context,
        {error->code, "cannot complete it at " + settings.server + ": " + error->message, {}}, 1);
  return print_error("executor", context,
                     {ErrorCode::kUnavailable,
                      "stopped before it ended; the server hands it out again once its lease "
                      "expires",
                      {}},
                     1);
}

}  // namespace

Command add_executor_command(CLI::App& app) {
  auto settings = std::make_shared<ExecutorSettings>();
  CLI::App* executor = app.add_subcommand(
      "executor",
      "Run one agenda leased by a puller to its end (what a puller's executor Pod runs); the "
      "assignment comes in $POP_ASSIGNMENT, the puller token in $POP_TOKEN");
  executor->add_option("--server", settings->server, "Base URL of the POP server")
      ->capture_default_str();
  executor
      ->add_option("--ca", settings->ca_file,
                   "PEM file of the CA that signs the server's certificate (default: "
                   "$POP_SERVER_CA_DOCUMENT's text, when set)")
      ->check(CLI::ExistingFile);
  executor->add_option("--report-url", settings->report_url,
                       "POP_REPORT_URL for handlers, when they reach the server by another "
                       "address (default: --server + /v1/reports)");
  add_log_flags(*executor, settings->log);
  add_metrics_flags(*executor, settings->metrics);
  executor->add_option("--handlers", settings->handlers_path,
                       "Handler registry (JSON or YAML); $POP_HANDLERS_DOCUMENT, a registry's "
                       "text, is merged after it");
  add_runner_options(*executor, settings->runner);
  executor
      ->add_option("--report-seconds", settings->report_seconds,
                   "Progress and heartbeat interval; keep well under the server's --lease-seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 600.0));
  return {executor, [settings] { return run_executor(*settings); }};
}

}  // namespace pop::cli
