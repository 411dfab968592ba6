// `pop puller`: the agent of one resource pool as its own process, talking only outbound
// HTTP(S) to the server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include "agenda/declared_resources.h"
#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/runner_choice.h"
#include "cli/signal_watcher.h"
#include "handlers/handler_registry.h"
#include "puller/http_work_source.h"
#include "puller/puller_agent.h"
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
};

int fail_start(const std::string& what, const Error& error) {
  return print_error("puller", what, error, 2);
}

int run_puller(const PullerSettings& settings) {
  std::mutex mutex;
  puller::PullerAgent* running_agent = nullptr;
  SignalWatcher signals([&](int, int) {
    std::lock_guard lock(mutex);
    if (running_agent != nullptr) running_agent->stop();
  });

  // Handlers that post to the report endpoint trust what the puller trusts.
  auto registry = handler_registry_for(settings.runner, settings.handlers_path, settings.ca_file);
  if (!registry) return fail_start("handlers", registry.error());
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
  auto source = puller::HttpWorkSource::create(client, settings.pool, puller_id);
  if (!source) return fail_start("server " + settings.server, source.error());
  auto work_root = TempDir::create("pop-puller-");
  if (!work_root) return fail_start("work directory", work_root.error());
  auto runner = create_runner(settings.runner, work_root->path(), settings.pool);
  if (!runner) return fail_start(settings.runner.kind + " runner", runner.error());

  puller::AgentOptions options;
  options.capacity = settings.capacity;
  auto resources = resources_from_flags(settings.resources);
  if (!resources) return fail_start("invalid option", resources.error());
  options.resources = std::move(*resources);
  options.report_interval =
      std::chrono::milliseconds(static_cast<long long>(settings.report_seconds * 1000));
  options.report_url = settings.report_url;
  if (options.report_url.empty()) {
    std::string base = settings.server;
    while (!base.empty() && base.back() == '/') base.pop_back();
    options.report_url = base + "/v1/reports";
  }
  puller::PullerAgent agent(**source, *registry, **runner, options);
  {
    std::lock_guard lock(mutex);
    running_agent = &agent;
    if (signals.first_signal() != 0) agent.stop();
  }
  std::printf("pop puller %s: pulling pool \"%s\" from %s with capacity %zu\n", puller_id.c_str(),
              settings.pool.c_str(), settings.server.c_str(), settings.capacity);
  std::fflush(stdout);
  agent.run();
  std::lock_guard lock(mutex);
  running_agent = nullptr;
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
  return {puller, [settings] { return run_puller(*settings); }};
}

}  // namespace pop::cli
