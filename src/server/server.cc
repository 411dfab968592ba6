#include "server/server.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/agenda_routes.h"
#include "api/attempt_log_routes.h"
#include "api/authentication_gate.h"
#include "api/config_routes.h"
#include "api/event_routes.h"
#include "api/metrics_routes.h"
#include "api/readiness_routes.h"
#include "api/report_routes.h"
#include "api/token_routes.h"
#include "auth/admin_token_file.h"
#include "puller/puller_agent.h"
#include "scheduler/queues/insight_queues.h"
#include "server/access_log.h"
#include "server/data_directory.h"
#include "server/descriptor_reserve.h"
#include "server/event_log.h"
#include "server/local_work_source.h"
#include "server/metrics_export.h"
#include "server/pool_keeper.h"
#include "server/ready_signal.h"
#include "server/server_metrics.h"
#include "service/agendas/agenda_access.h"
#include "service/agendas/agenda_service.h"
#include "service/audit/audit_trail.h"
#include "service/config/config_access.h"
#include "service/config/config_service.h"
#include "service/reports/report_authenticator.h"
#include "service/reports/report_secret.h"
#include "service/reports/report_service.h"
#include "service/tokens/token_service.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_readiness.h"
#include "util/open_file_limit.h"

namespace pop::server {
namespace {

// `error` with what failed in front of its message.
Error in(const std::string& what, Error error) {
  error.message = what + ": " + error.message;
  return error;
}

// The host as a client reaches it: a wildcard as loopback, an IPv6 address in brackets.
std::string reachable_host(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::" || host == "[::]") return "[::1]";
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

// The HTTP options: no request may carry more than the largest body a route of `router`
// reads, the memory for bodies in flight must hold at least one such body, and connections
// are as many as the descriptor limit leaves room for beside the embedded puller's handlers.
Result<http::ServerOptions> http_options(const ServerConfig& config, const http::Router& router) {
  http::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.max_body_bytes = router.max_body_bytes();
  if (config.max_body_memory_bytes < options.max_body_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                "--max-body-memory (" + std::to_string(config.max_body_memory_bytes) +
                    " bytes) is less than the largest request body a route accepts (" +
                    std::to_string(options.max_body_bytes) +
                    " bytes): such a request could never be read");
  }
  options.max_body_memory_bytes = config.max_body_memory_bytes;
  const std::size_t wanted =
      config.max_connections > 0 ? config.max_connections : options.max_connections;
  // The embedded puller runs up to `capacity` agendas, each with as many operations at once
  // as its executor allows (the default, which the agent keeps).
  const std::size_t reserved = reserved_descriptors(
      config.open_file_limit, config.embedded_puller ? config.embedded_puller->capacity : 0,
      puller::AgentOptions{}.executor.concurrency);
  options.max_connections = connections_within(config.open_file_limit, reserved, wanted);
  options.max_connections_per_address = config.max_connections_per_address;
  options.tls = config.tls;
  return options;
}

}  // namespace

// Declared in the order they are built; destroyed in reverse, after stop().
struct Server::Parts {
  explicit Parts(ServerConfig server_config) : config(std::move(server_config)) {}

  WallTime now() const { return config.clock->now(); }
  // Where clients reach the listener; REQUIRES: listen() succeeded.
  std::string url() const {
    return std::string(config.tls ? "https://" : "http://") + reachable_host(config.host) + ":" +
           std::to_string(http->port());
  }

  Result<void> open_store();
  Result<void> build_services();
  Result<void> build_routes();
  Result<void> bootstrap_admin_token();
  Result<void> not_first_server();
  Result<void> listen();
  Result<void> start_embedded_puller();
  void start_reclaimer();
  void watch_other_servers();
  void keep_pools();
  void stop();

  ServerConfig config;
  // Before every part (the store included): each may record into it, and unregister from
  // it, until it is destroyed.
  metrics::MetricsRegistry metrics;
  // Where the parts record: nowhere when metrics are off.
  metrics::MetricsRegistry* recorded() { return config.keep_metrics ? &metrics : nullptr; }
  std::optional<DataDirectory> data;
  std::unique_ptr<store::Store> own_store;
  store::Store* store = nullptr;
  std::optional<std::filesystem::path> work_root;

  server::ReadySignal ready;
  std::unique_ptr<scheduler::InsightQueues> queues;
  std::unique_ptr<ServerMetrics> server_metrics;
  std::unique_ptr<service::PoolOwnership> ownership;  // replicas only: the pools this one keeps
  std::unique_ptr<service::EventJournal> events;
  std::unique_ptr<EventLog> event_log;  // after the journal it follows
  std::unique_ptr<service::AgendaService> agendas;
  std::unique_ptr<service::ReportService> reports;
  std::unique_ptr<service::AuditTrail> audit;
  std::unique_ptr<service::AgendaAccess> agenda_access;
  std::unique_ptr<service::AttemptLogs> attempt_logs;
  std::unique_ptr<service::TokenService> tokens;
  std::unique_ptr<service::ReportAuthenticator> report_tokens;
  std::unique_ptr<auth::JwtAuthenticator> jwts;
  auth::AuthenticatorChain authenticators;
  std::unique_ptr<service::ConfigService> config_service;
  std::unique_ptr<service::ConfigAccess> config_access;
  std::unique_ptr<store::StoreReadiness> readiness;
  // What other servers sharing the store change; after the services it calls, so that it
  // goes first.
  std::unique_ptr<store::Watch> watch;

  std::shared_ptr<api::LongPolls> long_polls;
  std::unique_ptr<api::EventStreams> event_streams;
  std::unique_ptr<api::LogFollowers> log_followers;
  http::Router router;
  std::unique_ptr<api::AgendaRoutes> agenda_routes;
  std::unique_ptr<api::ConfigRoutes> config_routes;
  std::unique_ptr<http::Server> http;
  std::unique_ptr<MetricsExport> metrics_export;  // --metrics-listen, --graphite

  std::unique_ptr<PoolKeeper> pool_keeper;

  std::unique_ptr<Runner> runner;
  std::unique_ptr<LocalWorkSource> source;
  std::unique_ptr<puller::PullerAgent> agent;
  std::thread agent_thread;

  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;  // GUARDED_BY(mutex)
  std::thread reclaimer;
};

Result<void> Server::Parts::open_store() {
  const bool on_postgres = !config.store_uri.empty();
  // Before anything in the directory is read or written; held until the server goes. With
  // PostgreSQL no database file is there to be lost.
  auto claimed = DataDirectory::claim(config.data_directory, on_postgres ? "" : "pop.db");
  if (!claimed) return fail(claimed.error());  // the message names the directory
  data.emplace(std::move(*claimed));
  if (!data->tightened().empty()) {
    config.logger->warning(
        "tightened permissions (no access for group or others)",
        {{"directory", data->path().string()}, {"entries", describe_entries(data->tightened())}});
  }
  const auto warn = [logger = config.logger](const std::string& line) { logger->warning(line); };
  if (config.shared_store != nullptr) {
    store = config.shared_store;
  } else if (on_postgres) {
    store::postgres::PostgresStoreOptions options;
    options.metrics = recorded();
    options.uri = config.store_uri;
    options.password = config.store_password;
    options.read_connections = config.store_connections;
    options.resync_interval = config.store_resync;
    options.clock = config.clock;
    options.warn = warn;
    auto opened = store::postgres::PostgresStore::open(options);
    if (!opened) return fail(in("cannot open the PostgreSQL store", opened.error()));
    own_store = std::move(*opened);
    store = own_store.get();
  } else {
    store::sqlite::SqliteStoreOptions options;
    options.metrics = recorded();
    options.data_directory = data->path();
    options.warn = warn;
    auto opened = store::sqlite::SqliteStore::open(options);
    if (!opened)
      return fail(in("cannot open the store in " + config.data_directory.string(), opened.error()));
    own_store = std::move(*opened);
    store = own_store.get();
  }
  // A killed predecessor's leftovers go at once (the claim proves it is gone), but only once
  // the database exists: a work directory beside none reads as a lost database.
  if (config.embedded_puller) {
    auto fresh = data->fresh_subdirectory(DataDirectory::kWorkDirectoryName);
    if (!fresh) return fail(in("cannot prepare the work directory", fresh.error()));
    work_root = std::move(*fresh);
  }
  return {};
}

Result<void> Server::Parts::build_services() {
  const auto type_known = [this](std::string_view type) { return config.registry.has(type); };
  queues = std::make_unique<scheduler::InsightQueues>(
      [this](const std::string& pool, const std::string& insight) { ready.notify(pool, insight); });
  service::ServiceOptions options;
  options.lease_duration = config.lease_duration;
  options.logger = config.logger;
  options.metrics = recorded();
  options.customer_labels = config.metrics_customer_labels;
  if (config.event_window > 0) {
    events = std::make_unique<service::EventJournal>(config.event_window);
    event_log = std::make_unique<EventLog>(*events, *config.logger);
    options.events = events.get();
  }
  if (store->pool_claims() != nullptr) {
    auto id = data->replica_id();
    if (!id) return fail(in("cannot keep the replica's id", id.error()));
    ownership = std::make_unique<service::PoolOwnership>(std::move(*id));
    options.ownership = ownership.get();
  }
  agendas =
      std::make_unique<service::AgendaService>(*store, *queues, type_known, *config.clock, options);
  if (auto started = agendas->start(); !started)
    return fail(in("cannot load the queues", started.error()));
  auto secret = service::load_or_create_report_secret(*store, now());
  if (!secret) return fail(in("cannot load the report token secret", secret.error()));
  reports = std::make_unique<service::ReportService>(*store, std::move(*secret), *config.clock);
  audit = std::make_unique<service::AuditTrail>(*store, *config.clock, *config.logger);
  agenda_access = std::make_unique<service::AgendaAccess>(*agendas, *audit, *reports);
  attempt_logs = std::make_unique<service::AttemptLogs>(*agenda_access, *store, *config.clock,
                                                        config.attempt_logs);
  tokens = std::make_unique<service::TokenService>(*store, *config.clock);
  report_tokens = std::make_unique<service::ReportAuthenticator>(*reports);
  authenticators.add(*tokens);
  authenticators.add(*report_tokens);
  if (config.jwt) {
    auth::JwtOptions jwt = *config.jwt;
    // One time for the whole server: a test that moves it expires JWTs with everything else.
    jwt.clock = config.clock;
    auto created = auth::JwtAuthenticator::create(std::move(jwt));
    if (!created) return fail(in("invalid JWT options", created.error()));
    jwts = std::move(*created);
    authenticators.add(*jwts);
  }
  config_service = std::make_unique<service::ConfigService>(
      *store, *queues, type_known, *config.clock,
      service::ConfigOptions{options.default_resource_pool, options.limits, config.logger});
  config_access = std::make_unique<service::ConfigAccess>(*config_service, *audit);
  readiness = std::make_unique<store::StoreReadiness>(
      [this](WallTime at) { return store->probe_write(at); }, *config.clock,
      store::StoreReadiness::Options{});
  watch_other_servers();
  return {};
}

// Replicas on one database: an agenda that starts waiting through any of them is queued by the
// one that keeps its pool's queues; a configuration change through any of them reaches all
// (each binds submits to insights).
void Server::Parts::watch_other_servers() {
  Logger* logger = config.logger;
  auto report = [logger](const char* what, const std::string& id, const Result<void>& done) {
    if (!done) logger->warning(what, {{"id", id}, {"error", done.error().message}});
  };
  store::WatchCallbacks callbacks;
  callbacks.agenda_waiting = [this, report](const std::string& id, const std::string& insight) {
    // Not read at all by the replicas that do not keep the queues of the insight's pool.
    if (!agendas->keeps_queue_of(insight)) return;
    report("cannot queue an agenda another server queued", id, agendas->learn_waiting(id));
  };
  callbacks.document_changed = [this, report](store::DocumentKind kind, const std::string& id) {
    report("cannot apply a configuration change of another server", id,
           config_service->reload(kind, id));
  };
  // Configuration first: an agenda waiting in an insight this server has not heard of yet
  // would not be queued.
  callbacks.resync = [this, report] {
    report("cannot read the configuration again", "", config_service->reload_all());
    report("cannot read the waiting agendas again", "", agendas->resync());
  };
  watch = store->watch(std::move(callbacks));
}

Result<void> Server::Parts::build_routes() {
  long_polls = std::make_shared<api::LongPolls>(config.long_polls, *config.clock);
  std::weak_ptr<api::LongPolls> polls = long_polls;
  ready.set_listener([polls](const std::string& pool_id, const std::string& insight_id) {
    if (auto alive = polls.lock()) alive->wake(pool_id, insight_id);
  });
  if (events)
    event_streams =
        std::make_unique<api::EventStreams>(*events, config.event_streams, *config.clock);
  log_followers =
      std::make_unique<api::LogFollowers>(*attempt_logs, *config.clock, config.log_followers);
  attempt_logs->on_appended(
      [followers = log_followers.get()](const service::AttemptLogTarget& target) {
        followers->appended(target);
      });
  router.set_gate(api::authentication_gate(authenticators, *config.clock));
  if (config.keep_metrics)
    server_metrics = std::make_unique<ServerMetrics>(metrics, *queues, *store, *config.clock);
  agenda_routes = std::make_unique<api::AgendaRoutes>(*agenda_access, long_polls);
  config_routes =
      std::make_unique<api::ConfigRoutes>(*config_access, *config_service, *agenda_access);
  for (Result<void> added : {agenda_routes->add_to(router), config_routes->add_to(router),
                             api::add_report_routes(router, *reports, *agenda_access),
                             api::add_attempt_log_routes(router, *attempt_logs, *log_followers),
                             api::add_token_routes(router, *tokens, *audit),
                             api::add_readiness_routes(router, *readiness),
                             api::add_event_routes(router, event_streams.get()),
                             api::add_metrics_route(router, recorded(), http::Access::kGuarded)}) {
    if (!added) return fail(in("routes", added.error()));
  }
  return {};
}

// Marks a shared database whose bootstrap admin token was issued.
constexpr std::string_view kBootstrapMarker = "bootstrap-admin-token";

// On the first start (no admin token file yet), an admin token for whoever runs the server,
// in a file only its user can read.
Result<void> Server::Parts::bootstrap_admin_token() {
  const auto path = data->path() / auth::kAdminTokenFileName;
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored)) return {};
  // Replicas share the database, each with its own data directory: only the first to start
  // on the database keeps the token it issued. The marker saying so is created last, once the
  // token is in its file, so that a crash before it costs nothing: the next start issues one.
  const bool shared = !config.store_uri.empty();
  if (shared) {
    auto marked = store->get_document(store::DocumentKind::kServerSecret, kBootstrapMarker);
    if (marked) return not_first_server();
    if (marked.error().code != ErrorCode::kNotFound)
      return fail(in("cannot create the admin token", marked.error()));
  }
  service::NewToken admin;
  admin.role = auth::Role::kAdmin;
  admin.description = "bootstrap admin token of " + path.string();
  auto issued = tokens->issue(admin, "pop server");
  if (!issued) return fail(in("cannot create the admin token", issued.error()));
  const std::string id = issued->document.value("id", "");
  // Nobody could ever present a token its file does not keep: take it back rather than
  // leave a live admin credential that no file records.
  const auto take_back = [&] {
    (void)tokens->revoke(auth::admin_principal("pop server"), id);
    std::filesystem::remove(path, ignored);
  };
  if (auto written = auth::write_admin_token_file(path, issued->token); !written) {
    take_back();
    return fail(in("cannot create the admin token", written.error()));
  }
  if (shared) {
    store::DocumentRecord marker;
    marker.kind = store::DocumentKind::kServerSecret;
    marker.id = kBootstrapMarker;
    marker.added_time = marker.updated_time = now();
    marker.document = {{"adminTokenId", id}};
    auto created = store->create_document(marker);
    if (!created) {
      take_back();
      if (created.error().code == ErrorCode::kConflict) return not_first_server();
      return fail(in("cannot create the admin token", created.error()));
    }
  }
  config.logger->info("created an admin token", {{"id", id}, {"file", path.string()}});
  return {};
}

Result<void> Server::Parts::not_first_server() {
  config.logger->info(
      "not creating an admin token: the database's was issued by the first server to start on it");
  return {};
}

Result<void> Server::Parts::listen() {
  auto options = http_options(config, router);
  if (!options) return fail(in("invalid option", options.error()));
  options->logger = config.logger;
  if (server_metrics) options->on_response = server_metrics->response_observer();
  if (config.access_log) {
    options->on_response = [metered = std::move(options->on_response),
                            logged =
                                access_log(*config.logger)](const http::ResponseRecord& record) {
      if (metered) metered(record);
      logged(record);
    };
  }
  http = std::make_unique<http::Server>(std::move(*options), router.to_admitter());
  if (auto started = http->start(); !started)
    return fail(
        in("cannot listen on " + config.host + ":" + std::to_string(config.port), started.error()));
  if (!config.keep_metrics) return {};
  auto exported = MetricsExport::start(metrics, config.metrics_export, *config.logger);
  if (!exported) return fail(std::move(exported).error());
  metrics_export = std::move(*exported);
  return {};
}

Result<void> Server::Parts::start_embedded_puller() {
  const EmbeddedPullerConfig& puller = *config.embedded_puller;
  const std::string pool = service::ServiceOptions{}.default_resource_pool;
  auto created = puller.make_runner(*work_root, pool, *config.logger, *config.clock);
  if (!created) return fail(created.error());
  runner = std::move(*created);
  // Its own credential: a puller of the default pool, held to the rules of any puller.
  source = std::make_unique<LocalWorkSource>(*agenda_access, ready, *reports, *attempt_logs,
                                             auth::puller_principal("embedded-puller", pool),
                                             "embedded-" + std::to_string(getpid()), *config.clock);
  puller::AgentOptions options;
  options.capacity = puller.capacity;
  options.resources = puller.resources;
  options.report_interval =
      std::min<std::chrono::milliseconds>(config.lease_duration / 3, std::chrono::seconds(2));
  options.logger = config.logger;
  options.executor.clock = config.clock;
  options.report_url = url() + "/v1/reports";
  options.log_directory = *work_root;
  // The server keeps none of their bytes: shipping would only count them.
  options.ship_logs = config.attempt_logs.limit_bytes > 0;
  options.metrics = recorded();
  options.runner_name = puller.runner_name;
  agent = std::make_unique<puller::PullerAgent>(*source, config.registry, *runner, options);
  agent_thread = std::thread([this] { agent->run(); });
  return {};
}

// Replicas only: the pools' queues are shared out between them. Once listening, because the
// others send pullers to this replica's address.
void Server::Parts::keep_pools() {
  store::PoolClaims* claims = store->pool_claims();
  if (claims == nullptr) return;
  pool_keeper = std::make_unique<PoolKeeper>(
      *claims, *store, *agendas, *ownership, *config.clock, *config.logger,
      PoolKeeperOptions{config.takeover,
                        config.advertise_url.empty() ? url() : config.advertise_url});
  pool_keeper->start();
}

// Expired leases are found by this timer: a lease ends by silence, so there is no event.
// Outputs handlers reported under leases that have ended are swept on the same beat.
void Server::Parts::start_reclaimer() {
  reclaimer = std::thread([this] {
    std::unique_lock lock(mutex);
    while (!stopping) {
      config.clock->wait_for(stop_requested, lock, config.lease_duration / 4,
                             [this] { return stopping; });
      lock.unlock();
      if (auto reclaimed = agendas->reclaim_expired(); !reclaimed)
        config.logger->error("cannot reclaim expired leases",
                             {{"error", reclaimed.error().message}});
      if (auto swept = reports->sweep(); !swept)
        config.logger->error("cannot sweep reported outputs", {{"error", swept.error().message}});
      if (auto swept = attempt_logs->sweep(); !swept)
        config.logger->error("cannot delete attempt logs past their retention",
                             {{"error", swept.error().message}});
      lock.lock();
    }
  });
}

void Server::Parts::stop() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  stop_requested.notify_all();
  if (pool_keeper) pool_keeper->stop();
  watch.reset();
  if (agent) agent->stop();
  if (agent_thread.joinable()) agent_thread.join();
  ready.set_listener({});
  if (long_polls) long_polls->stop();
  // Before the listener: its stop would otherwise wait out its grace for the open streams.
  if (event_streams) event_streams->stop();
  if (log_followers) log_followers->stop();
  if (http) http->stop();
  if (metrics_export) metrics_export->stop();
  if (reclaimer.joinable()) reclaimer.join();
}

Result<std::unique_ptr<Server>> Server::start(ServerConfig config) {
  if (!config.keep_metrics && (config.metrics_export.listen || config.metrics_export.graphite))
    return fail(ErrorCode::kInvalidArgument,
                "--metrics-listen and --graphite export metrics, which --no-metrics turns off");
  auto parts = std::make_unique<Parts>(std::move(config));
  for (Result<void> (Parts::*step)() :
       {&Parts::open_store, &Parts::build_services, &Parts::build_routes,
        &Parts::bootstrap_admin_token, &Parts::listen}) {
    if (auto done = ((*parts).*step)(); !done) {
      parts->stop();
      return fail(done.error());
    }
  }
  if (parts->config.embedded_puller) {
    if (auto started = parts->start_embedded_puller(); !started) {
      parts->stop();
      return fail(started.error());
    }
  }
  parts->keep_pools();
  parts->start_reclaimer();
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return parts_->http->port(); }

std::optional<std::uint16_t> Server::metrics_port() const {
  if (!parts_->metrics_export) return std::nullopt;
  return parts_->metrics_export->port();
}

std::string Server::url() const { return parts_->url(); }

std::filesystem::path Server::data_directory() const { return parts_->data->path(); }

store::Store& Server::store() { return *parts_->store; }

void Server::stop() { parts_->stop(); }

}  // namespace pop::server
