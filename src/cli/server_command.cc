// `pop server`: the API, the durable store, the scheduler and, unless disabled, an embedded
// puller for the default resource pool with the local runner, so that a fresh install
// executes agendas with no other process.
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "agenda/declared_resources.h"
#include "api/agenda_routes.h"
#include "api/config_routes.h"
#include "api/report_routes.h"
#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/signal_watcher.h"
#include "handlers/handler_registry.h"
#include "http/server.h"
#include "puller/local_work_source.h"
#include "puller/puller_agent.h"
#include "runner/local_runner.h"
#include "service/agenda_service.h"
#include "service/report_secret.h"
#include "service/report_service.h"
#include "store/sqlite/sqlite_store.h"

namespace pop::cli {
namespace {

struct ServerSettings {
  std::string listen = "127.0.0.1:8080";
  std::string data = "./pop-data";
  std::string handlers_path;
  std::size_t capacity = 4;
  std::vector<std::string> resources;
  double lease_seconds = 30;
  bool embedded_puller = true;
};

int fail_start(const std::string& what, const Error& error) {
  return print_error("server", what, error, 2);
}

Result<std::pair<std::string, std::uint16_t>> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT, not \"" + listen + "\"");
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return fail(ErrorCode::kInvalidArgument, "--listen port must be a number from 0 to 65535");
  return std::pair{listen.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port))};
}

// Where the embedded puller's handlers reach this server: its own listen address, with a
// wildcard host replaced by loopback.
std::string local_report_url(const std::string& host, std::uint16_t port) {
  std::string reachable = host;
  if (host == "0.0.0.0") {
    reachable = "127.0.0.1";
  } else if (host == "::" || host == "[::]") {
    reachable = "[::1]";
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    reachable = "[" + host + "]";
  }
  return "http://" + reachable + ":" + std::to_string(port) + "/v1/reports";
}

int serve(const ServerSettings& settings) {
  // Before any thread: only the watcher receives SIGINT/SIGTERM.
  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;
  SignalWatcher signals([&](int, int) {
    std::lock_guard lock(mutex);
    stopping = true;
    stop_requested.notify_all();
  });

  auto address = split_listen(settings.listen);
  if (!address) return fail_start("invalid option", address.error());
  HandlerRegistry registry = HandlerRegistry::builtin(current_executable());
  if (!settings.handlers_path.empty()) {
    if (auto merged = registry.merge_file(settings.handlers_path); !merged)
      return fail_start("handlers", merged.error());
  }

  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_directory = settings.data;
  auto store = store::sqlite::SqliteStore::open(store_options);
  if (!store) return fail_start("cannot open the store in " + settings.data, store.error());

  service::ReadySignal ready;
  service::InsightQueues queues([&ready](const std::string&) { ready.notify(); });
  service::ServiceOptions options;
  options.lease_duration =
      std::chrono::milliseconds(static_cast<long long>(settings.lease_seconds * 1000));
  service::AgendaService service(
      **store, queues, [&registry](std::string_view type) { return registry.has(type); },
      [] { return std::chrono::system_clock::now(); }, options);
  if (auto started = service.start(); !started)
    return fail_start("cannot load the queues", started.error());
  auto secret = service::load_or_create_report_secret(**store, std::chrono::system_clock::now());
  if (!secret) return fail_start("cannot load the report token secret", secret.error());
  service::ReportService reports(**store, std::move(*secret),
                                 [] { return std::chrono::system_clock::now(); });

  http::Router router;
  api::AgendaRoutes routes(service, ready, reports);
  if (auto added = routes.add_to(router); !added) return fail_start("routes", added.error());
  service::ConfigService config(
      **store, queues, [&registry](std::string_view type) { return registry.has(type); },
      [] { return std::chrono::system_clock::now(); },
      {options.default_resource_pool, options.limits});
  api::ConfigRoutes config_routes(config, service);
  if (auto added = config_routes.add_to(router); !added) return fail_start("routes", added.error());
  if (auto added = api::add_report_routes(router, reports); !added)
    return fail_start("routes", added.error());
  http::ServerOptions http_options;
  http_options.host = address->first;
  http_options.port = address->second;
  http_options.max_body_bytes = 64u << 20;
  http::Server http(http_options, router.to_handler());
  if (auto started = http.start(); !started)
    return fail_start("cannot listen on " + settings.listen, started.error());
  std::printf("pop server: listening on http://%s:%u, data in %s\n", address->first.c_str(),
              static_cast<unsigned>(http.port()), std::filesystem::absolute(settings.data).c_str());
  std::fflush(stdout);

  std::unique_ptr<LocalRunner> runner;
  std::unique_ptr<puller::LocalWorkSource> source;
  std::unique_ptr<puller::PullerAgent> agent;
  std::thread agent_thread;
  if (settings.embedded_puller) {
    const auto work_root = std::filesystem::absolute(settings.data) / "work";
    std::error_code ignored;
    std::filesystem::remove_all(work_root, ignored);  // leftovers of a killed predecessor
    std::filesystem::create_directories(work_root, ignored);
    auto created = LocalRunner::create({work_root});
    if (!created) return fail_start("local runner", created.error());
    runner = std::move(*created);
    source = std::make_unique<puller::LocalWorkSource>(service, ready, reports, "default",
                                                       "embedded-" + std::to_string(getpid()));
    puller::AgentOptions agent_options;
    agent_options.capacity = settings.capacity;
    auto resources = resources_from_flags(settings.resources);
    if (!resources) return fail_start("invalid option", resources.error());
    agent_options.resources = std::move(*resources);
    agent_options.report_interval =
        std::min<std::chrono::milliseconds>(options.lease_duration / 3, std::chrono::seconds(2));
    agent_options.report_url = local_report_url(address->first, http.port());
    agent = std::make_unique<puller::PullerAgent>(*source, registry, *runner, agent_options);
    agent_thread = std::thread([&] { agent->run(); });
  }

  // Expired leases are found by this timer: a lease ends by silence, so there is no event.
  // Outputs handlers reported under leases that have ended are swept on the same beat.
  std::thread reclaimer([&] {
    std::unique_lock lock(mutex);
    while (!stopping) {
      stop_requested.wait_for(lock, options.lease_duration / 4);
      lock.unlock();
      if (auto reclaimed = service.reclaim_expired(); !reclaimed)
        std::fprintf(stderr, "pop server: reclaiming leases: %s\n",
                     reclaimed.error().message.c_str());
      if (auto swept = reports.sweep(); !swept)
        std::fprintf(stderr, "pop server: sweeping reported outputs: %s\n",
                     swept.error().message.c_str());
      lock.lock();
    }
  });

  {
    std::unique_lock lock(mutex);
    stop_requested.wait(lock, [&] { return stopping; });
  }
  std::printf("pop server: stopping\n");
  if (agent) agent->stop();
  if (agent_thread.joinable()) agent_thread.join();
  routes.stop();
  http.stop();
  reclaimer.join();
  return 0;
}

}  // namespace

Command add_server_command(CLI::App& app) {
  auto settings = std::make_shared<ServerSettings>();
  CLI::App* server =
      app.add_subcommand("server", "Run the POP server (API, store, scheduler, embedded puller)");
  server->add_option("--listen", settings->listen, "HOST:PORT to serve the API on")
      ->capture_default_str();
  server->add_option("--data", settings->data, "Directory for the database and work files")
      ->capture_default_str();
  server->add_option("--handlers", settings->handlers_path,
                     "Handler registry (JSON or YAML) for validation and the embedded puller");
  server->add_option("--resource", settings->resources,
                     "NAME=AMOUNT the embedded puller may run at once, repeatable (e.g. cpu=8)");
  server->add_option("--capacity", settings->capacity, "Agendas the embedded puller runs at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  server
      ->add_option("--lease-seconds", settings->lease_seconds,
                   "How long a puller may stay silent before its agendas are taken back")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  server->add_flag("!--no-embedded-puller", settings->embedded_puller,
                   "Do not run a puller for the default pool inside the server");
  return {server, [settings] { return serve(*settings); }};
}

}  // namespace pop::cli
