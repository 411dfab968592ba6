// `pop server`: the API, the durable store, the scheduler and, unless disabled, an embedded
// puller for the default resource pool with the local runner, so that a fresh install
// executes agendas with no other process.
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "agenda/declared_resources.h"
#include "api/agenda_routes.h"
#include "api/authentication_gate.h"
#include "api/config_routes.h"
#include "api/readiness_routes.h"
#include "api/report_routes.h"
#include "api/token_routes.h"
#include "auth/admin_token_file.h"
#include "auth/jwt_authenticator.h"
#include "cli/commands.h"
#include "cli/data_directory.h"
#include "cli/descriptor_reserve.h"
#include "cli/error_output.h"
#include "cli/runner_choice.h"
#include "cli/signal_watcher.h"
#include "http/server.h"
#include "puller/puller_agent.h"
#include "registry/handler_registry.h"
#include "server/local_work_source.h"
#include "service/agenda_access.h"
#include "service/config_access.h"
#include "service/report_authenticator.h"
#include "service/report_secret.h"
#include "service/report_service.h"
#include "service/store_readiness.h"
#include "service/token_service.h"
#include "store/sqlite/sqlite_store.h"
#include "util/open_file_limit.h"
#include "util/process_privacy.h"
#include "util/quantity.h"

namespace pop::cli {
namespace {

// JWTs are accepted when any key is configured (auth/jwt_authenticator.h).
struct JwtSettings {
  std::string hs256_secret_file;
  std::vector<std::string> public_key_files;
  std::string jwks_file;
  auth::JwtOptions options;

  bool enabled() const {
    return !hs256_secret_file.empty() || !public_key_files.empty() || !jwks_file.empty();
  }
};

Result<std::unique_ptr<auth::JwtAuthenticator>> jwt_authenticator(const JwtSettings& settings) {
  auth::JwtOptions options = settings.options;
  if (!settings.hs256_secret_file.empty()) {
    std::ifstream in(settings.hs256_secret_file, std::ios::binary);
    if (!in) return fail(ErrorCode::kInvalidArgument, "cannot read " + settings.hs256_secret_file);
    std::stringstream secret;
    secret << in.rdbuf();
    options.hs256_secret = secret.str();
    // A trailing newline is the editor's, not the key's.
    while (!options.hs256_secret.empty() &&
           (options.hs256_secret.back() == '\n' || options.hs256_secret.back() == '\r'))
      options.hs256_secret.pop_back();
  }
  options.public_key_files = settings.public_key_files;
  options.jwks_file = settings.jwks_file;
  return auth::JwtAuthenticator::create(std::move(options));
}

struct ServerSettings {
  std::string listen = "127.0.0.1:8080";
  std::string data = "./pop-data";
  std::string handlers_path;
  RunnerSettings runner;  // the embedded puller's
  std::size_t capacity = 4;
  std::vector<std::string> resources;
  double lease_seconds = 30;
  bool embedded_puller = true;
  JwtSettings jwt;
  std::string tls_certificate;  // with tls_key: serve HTTPS
  std::string tls_key;
  std::string max_body_memory = "256Mi";  // a memory quantity (util/quantity.h)
  std::size_t max_connections = 0;        // 0: as many as the descriptor limit allows
  std::size_t max_connections_per_address = http::ServerOptions{}.max_connections_per_address;
  api::LongPollLimits long_polls;
};

// --max-body-memory in bytes. kInvalidArgument when it is not a memory quantity.
Result<std::size_t> body_memory_from(const ServerSettings& settings) {
  auto budget = memory_bytes_from(settings.max_body_memory);
  if (!budget)
    return fail(ErrorCode::kInvalidArgument, "--max-body-memory: " + budget.error().message);
  return static_cast<std::size_t>(*budget);
}

// The server's HTTP options from the settings: no request may carry more than the largest
// body a route of `router` reads, the memory for bodies in flight is `body_memory` (which
// must hold at least one such body: kInvalidArgument otherwise), and connections are as
// many as the descriptor limit (`open_file_limit`) leaves room for.
Result<http::ServerOptions> http_options(const ServerSettings& settings, bool tls,
                                         const std::pair<std::string, std::uint16_t>& address,
                                         std::size_t open_file_limit, std::size_t body_memory,
                                         const http::Router& router) {
  http::ServerOptions options;
  options.host = address.first;
  options.port = address.second;
  options.max_body_bytes = router.max_body_bytes();
  if (body_memory < options.max_body_bytes) {
    return fail(
        ErrorCode::kInvalidArgument,
        "--max-body-memory " + settings.max_body_memory + " (" + std::to_string(body_memory) +
            " bytes) is less than the largest request body a route accepts (" +
            std::to_string(options.max_body_bytes) + " bytes): such a request could never be read");
  }
  options.max_body_memory_bytes = body_memory;
  const std::size_t wanted =
      settings.max_connections > 0 ? settings.max_connections : options.max_connections;
  // The embedded puller runs up to --capacity agendas, each with as many operations at once
  // as its executor allows (the default, which the agent keeps).
  const std::size_t reserved =
      reserved_descriptors(open_file_limit, settings.embedded_puller ? settings.capacity : 0,
                           puller::AgentOptions{}.executor.concurrency);
  options.max_connections = connections_within(open_file_limit, reserved, wanted);
  options.max_connections_per_address = settings.max_connections_per_address;
  if (tls) options.tls = http::TlsOptions{settings.tls_certificate, settings.tls_key};
  return options;
}

int fail_server_start(const std::string& what, const Error& error) {
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

// On the first start (no admin token file yet), an admin token for whoever runs the server,
// in a file only its user can read.
Result<void> bootstrap_admin_token(service::TokenService& tokens,
                                   const std::filesystem::path& data) {
  const auto path = data / auth::kAdminTokenFileName;
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored)) return {};
  service::NewToken admin;
  admin.role = auth::Role::kAdmin;
  admin.description = "bootstrap admin token of " + path.string();
  auto issued = tokens.issue(admin, "pop server");
  if (!issued) return tl::unexpected(issued.error());
  if (auto written = auth::write_admin_token_file(path, issued->token); !written) {
    // Nobody could ever present this token: take it back rather than leave a live admin
    // credential that no file records.
    (void)tokens.revoke(auth::admin_principal("pop server"), issued->document.value("id", ""));
    return written;
  }
  std::printf("pop server: created an admin token (id %s) in %s\n",
              issued->document.value("id", "").c_str(), path.c_str());
  return {};
}

// Where the embedded puller's handlers reach this server: its own listen address, with a
// wildcard host replaced by loopback.
std::string local_report_url(bool tls, const std::string& host, std::uint16_t port) {
  std::string reachable = host;
  if (host == "0.0.0.0") {
    reachable = "127.0.0.1";
  } else if (host == "::" || host == "[::]") {
    reachable = "[::1]";
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    reachable = "[" + host + "]";
  }
  return (tls ? "https://" : "http://") + reachable + ":" + std::to_string(port) + "/v1/reports";
}

int serve(const ServerSettings& settings) {
  // Handlers run as this user: they must not read the tokens and keys in this process.
  hide_from_processes_of_the_same_user();
  // Each connection, store file and running handler takes descriptors: with the usual soft
  // limit of 1,024 a few idle clients would leave none to accept with.
  const std::size_t open_file_limit = raise_open_file_limit();
  // Before any thread: only the watcher receives SIGINT/SIGTERM.
  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;
  SignalWatcher signals([&](int, int) {
    std::lock_guard lock(mutex);
    stopping = true;
    stop_requested.notify_all();
  });

  // A file size limit (ulimit -f) must fail the write that exceeds it, as a full disk does,
  // not kill the server. Handlers start with the default again (runner/local/child_process.cc).
  std::signal(SIGXFSZ, SIG_IGN);

  auto address = split_listen(settings.listen);
  if (!address) return fail_server_start("invalid option", address.error());
  auto body_memory = body_memory_from(settings);
  if (!body_memory) return fail_server_start("invalid option", body_memory.error());
  // Before anything in the directory is read or written; held until serve() returns.
  auto data = DataDirectory::claim(settings.data, "pop.db");
  if (!data) return fail_server_start("", data.error());  // the message names the directory
  if (!data->tightened().empty())
    std::fprintf(stderr,
                 "pop server: tightened permissions in %s (no access for group or others): %s\n",
                 data->path().c_str(), describe_entries(data->tightened()).c_str());
  const bool tls = !settings.tls_certificate.empty();
  // Handlers posting to the HTTPS report URL trust the server's own certificate (curl takes
  // it as the anchor).
  auto loaded_registry =
      handler_registry_for(settings.runner, settings.handlers_path, settings.tls_certificate);
  if (!loaded_registry) return fail_server_start("handlers", loaded_registry.error());
  const HandlerRegistry& registry = *loaded_registry;

  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_directory = data->path();
  store_options.warn = [](const std::string& line) {
    std::fprintf(stderr, "pop server: %s\n", line.c_str());
  };
  auto store = store::sqlite::SqliteStore::open(store_options);
  if (!store) return fail_server_start("cannot open the store in " + settings.data, store.error());
  // A killed predecessor's leftovers go at once (the lock proves it is gone), but only once
  // the database exists: a work directory beside none reads as a lost database.
  std::optional<std::filesystem::path> work_root;
  if (settings.embedded_puller) {
    auto fresh = data->fresh_subdirectory(DataDirectory::kWorkDirectoryName);
    if (!fresh) return fail_server_start("cannot prepare the work directory", fresh.error());
    work_root = std::move(*fresh);
  }

  service::ReadySignal ready;
  service::InsightQueues queues([&ready](const std::string& pool, const std::string& insight) {
    ready.notify(pool, insight);
  });
  service::ServiceOptions options;
  options.lease_duration =
      std::chrono::milliseconds(static_cast<long long>(settings.lease_seconds * 1000));
  service::AgendaService service(
      **store, queues, [&registry](std::string_view type) { return registry.has(type); },
      [] { return std::chrono::system_clock::now(); }, options);
  if (auto started = service.start(); !started)
    return fail_server_start("cannot load the queues", started.error());
  auto secret = service::load_or_create_report_secret(**store, std::chrono::system_clock::now());
  if (!secret) return fail_server_start("cannot load the report token secret", secret.error());
  service::ReportService reports(**store, std::move(*secret),
                                 [] { return std::chrono::system_clock::now(); });

  const service::WallClock clock = [] { return std::chrono::system_clock::now(); };
  service::AuditTrail audit(**store, clock);
  service::AgendaAccess agendas(service, audit, reports);
  service::TokenService tokens(**store, clock);
  service::ReportAuthenticator report_tokens(reports);
  auth::AuthenticatorChain authenticators;
  authenticators.add(tokens);
  authenticators.add(report_tokens);
  std::unique_ptr<auth::JwtAuthenticator> jwts;
  if (settings.jwt.enabled()) {
    auto created = jwt_authenticator(settings.jwt);
    if (!created) return fail_server_start("invalid JWT options", created.error());
    jwts = std::move(*created);
    authenticators.add(*jwts);
  }

  http::Router router;
  router.set_gate(api::authentication_gate(authenticators));
  api::AgendaRoutes routes(agendas, ready, settings.long_polls);
  if (auto added = routes.add_to(router); !added) return fail_server_start("routes", added.error());
  service::ConfigService config(
      **store, queues, [&registry](std::string_view type) { return registry.has(type); },
      [] { return std::chrono::system_clock::now(); },
      {options.default_resource_pool, options.limits});
  service::ConfigAccess config_access(config, audit);
  api::ConfigRoutes config_routes(config_access, config, agendas);
  if (auto added = config_routes.add_to(router); !added)
    return fail_server_start("routes", added.error());
  if (auto added = api::add_report_routes(router, reports, agendas); !added)
    return fail_server_start("routes", added.error());
  if (auto added = api::add_token_routes(router, tokens, audit, **store); !added)
    return fail_server_start("routes", added.error());
  service::StoreReadiness readiness([&store](WallTime now) { return (*store)->probe_write(now); },
                                    clock, [] { return std::chrono::steady_clock::now(); }, {});
  if (auto added = api::add_readiness_routes(router, readiness); !added)
    return fail_server_start("routes", added.error());
  auto server_options =
      http_options(settings, tls, *address, open_file_limit, *body_memory, router);
  if (!server_options) return fail_server_start("invalid option", server_options.error());
  if (auto bootstrapped = bootstrap_admin_token(tokens, data->path()); !bootstrapped)
    return fail_server_start("cannot create the admin token", bootstrapped.error());
  http::Server http(*server_options, router.to_admitter());
  if (auto started = http.start(); !started)
    return fail_server_start("cannot listen on " + settings.listen, started.error());
  std::printf("pop server: listening on %s://%s:%u, data in %s\n", tls ? "https" : "http",
              address->first.c_str(), static_cast<unsigned>(http.port()), data->path().c_str());
  std::fflush(stdout);

  std::unique_ptr<Runner> runner;
  std::unique_ptr<puller::LocalWorkSource> source;
  std::unique_ptr<puller::PullerAgent> agent;
  std::thread agent_thread;
  if (settings.embedded_puller) {
    auto created = create_runner(settings.runner, *work_root, options.default_resource_pool);
    if (!created) return fail_server_start(settings.runner.kind + " runner", created.error());
    runner = std::move(*created);
    // Its own credential: a puller of the default pool, held to the rules of any puller.
    source = std::make_unique<puller::LocalWorkSource>(
        agendas, ready, reports,
        auth::puller_principal("embedded-puller", options.default_resource_pool),
        "embedded-" + std::to_string(getpid()));
    puller::AgentOptions agent_options;
    agent_options.capacity = settings.capacity;
    auto resources = resources_from_flags(settings.resources);
    if (!resources) return fail_server_start("invalid option", resources.error());
    agent_options.resources = std::move(*resources);
    agent_options.report_interval =
        std::min<std::chrono::milliseconds>(options.lease_duration / 3, std::chrono::seconds(2));
    agent_options.report_url = local_report_url(tls, address->first, http.port());
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
  add_runner_options(*server, settings->runner);
  server->add_option("--capacity", settings->capacity, "Agendas the embedded puller runs at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  server
      ->add_option("--lease-seconds", settings->lease_seconds,
                   "How long a puller may stay silent before its agendas are taken back")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  server
      ->add_option("--jwt-hs256-secret-file", settings->jwt.hs256_secret_file,
                   "Accept HS256 JWTs signed with the secret in this file (32 bytes or more)")
      ->check(CLI::ExistingFile);
  server
      ->add_option("--jwt-public-key", settings->jwt.public_key_files,
                   "Accept RS256/ES256 JWTs signed by this PEM public key, repeatable")
      ->check(CLI::ExistingFile);
  server
      ->add_option("--jwks", settings->jwt.jwks_file,
                   "Accept RS256/ES256 JWTs signed by a key of this JWKS file")
      ->check(CLI::ExistingFile);
  server->add_option("--jwt-issuer", settings->jwt.options.issuer, "Required iss of JWTs");
  server->add_option("--jwt-audience", settings->jwt.options.audience, "Required aud of JWTs");
  server
      ->add_option("--jwt-customers-claim", settings->jwt.options.customers_claim,
                   "JWT claim with the customer accounts (a name, or a JSON pointer)")
      ->capture_default_str();
  server
      ->add_option("--jwt-roles-claim", settings->jwt.options.roles_claim,
                   "JWT claim with the roles (a name, or a JSON pointer)")
      ->capture_default_str();
  server
      ->add_option("--jwt-admin-role", settings->jwt.options.admin_role,
                   "Role in the roles claim that makes a JWT's bearer an admin")
      ->capture_default_str();
  server
      ->add_option("--max-long-polls", settings->long_polls.max_waiting,
                   "Pulls that may wait for work at once; more are answered empty at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  server
      ->add_option("--max-long-polls-per-caller", settings->long_polls.max_waiting_per_caller,
                   "Pulls of one credential that may wait for work at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  server->add_flag("!--no-embedded-puller", settings->embedded_puller,
                   "Do not run a puller for the default pool inside the server");
  CLI::Option* certificate =
      server
          ->add_option("--tls-cert", settings->tls_certificate,
                       "PEM certificate chain (server first): serve HTTPS, with --tls-key")
          ->check(CLI::ExistingFile);
  CLI::Option* key =
      server->add_option("--tls-key", settings->tls_key, "PEM private key of --tls-cert")
          ->check(CLI::ExistingFile);
  certificate->needs(key);
  key->needs(certificate);
  server
      ->add_option("--max-body-memory", settings->max_body_memory,
                   "Memory for request bodies being read, across all connections (e.g. 256Mi; "
                   "at least the largest body a route accepts); a body past it is answered 503")
      ->capture_default_str();
  server->add_option("--max-connections", settings->max_connections,
                     "Client connections held at once (default: 10000, or fewer when the "
                     "descriptor limit leaves room for fewer)");
  server
      ->add_option("--max-connections-per-address", settings->max_connections_per_address,
                   "Client connections from one address (0: no cap); raise it behind a proxy")
      ->capture_default_str();
  return {server, [settings] { return serve(*settings); }};
}

}  // namespace pop::cli
