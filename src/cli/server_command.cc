// `pop server`: the API, the durable store, the scheduler and, unless disabled, an embedded
// puller for the default resource pool with the local runner, so that a fresh install
// executes agendas with no other process.
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "auth/jwt_authenticator.h"
#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/host_port.h"
#include "cli/log_flags.h"
#include "cli/metrics_flags.h"
#include "cli/runner_choice.h"
#include "cli/signal_watcher.h"
#include "server/server.h"
#include "service/agendas/attempt_logs.h"
#include "util/open_file_limit.h"
#include "util/process_privacy.h"
#include "util/quantity.h"
#include "util/stream_logger.h"

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

// The secret in the file `path` names (for `flag`), without the trailing newline an editor
// adds.
Result<std::string> read_secret_file(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kInvalidArgument, std::string(flag) + ": cannot read " + path);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string secret = contents.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

// The JWT options of the flags, with the HS256 secret read from its file.
Result<auth::JwtOptions> jwt_options(const JwtSettings& settings) {
  auth::JwtOptions options = settings.options;
  if (!settings.hs256_secret_file.empty()) {
    auto secret = read_secret_file(settings.hs256_secret_file, "--jwt-hs256-secret-file");
    if (!secret) return fail(secret.error());
    options.hs256_secret = std::move(*secret);
  }
  options.public_key_files = settings.public_key_files;
  options.jwks_file = settings.jwks_file;
  return options;
}

struct ServerSettings {
  std::string listen = "127.0.0.1:8080";
  MetricsFlags metrics;
  bool keep_metrics = true;
  std::size_t metrics_customer_labels = 0;
  bool access_log = false;
  std::string data = "./pop-data";
  std::string store;  // empty: SQLite in `data`
  std::string store_password_file;
  std::size_t store_connections = 8;
  double takeover_seconds = 4;
  double store_poll_seconds = 30;
  std::string advertise_url;
  std::string handlers_path;
  RunnerSettings runner;  // the embedded puller's
  std::size_t capacity = 4;
  std::vector<std::string> resources;
  double lease_seconds = 30;
  std::uint64_t attempt_log_limit_bytes = service::AttemptLogOptions{}.limit_bytes;
  std::int64_t attempt_log_retention_hours = service::AttemptLogOptions{}.retention.count();
  bool embedded_puller = true;
  JwtSettings jwt;
  std::string tls_certificate;  // with tls_key: serve HTTPS
  std::string tls_key;
  std::string max_body_memory = "256Mi";  // a memory quantity (util/quantity.h)
  std::size_t max_connections = 0;        // 0: as many as the descriptor limit allows
  std::size_t max_connections_per_address = http::ServerOptions{}.max_connections_per_address;
  api::LongPollLimits long_polls;
  LogSettings log;
  std::size_t event_window = server::ServerConfig{}.event_window;
  api::EventStreamLimits event_streams;
  double event_keep_alive_seconds = 15;
  double event_stream_max_seconds = 600;
};

int fail_server_start(const std::string& what, const Error& error) {
  return print_error("server", what, error, 2);
}

// --advertise-url, checked: where other replicas send pullers (with their tokens), so never a
// guess. Without it the listen address is advertised, which a wildcard is not.
Result<std::string> advertise_url(std::string url, const std::string& listen_host) {
  if (url.empty()) {
    if (listen_host == "0.0.0.0" || listen_host == "::" || listen_host == "[::]")
      return fail(ErrorCode::kInvalidArgument,
                  "--store with --listen on a wildcard address needs --advertise-url: the URL "
                  "at which the other replicas send pullers to this one");
    return url;
  }
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return fail(ErrorCode::kInvalidArgument,
                "--advertise-url must be an http:// or https:// URL, not \"" + url + "\"");
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// The flags as a server configuration. kInvalidArgument naming the flag that is wrong.
Result<server::ServerConfig> server_config(const ServerSettings& settings,
                                           std::size_t open_file_limit) {
  server::ServerConfig config;
  auto address = parse_host_port("--listen", settings.listen);
  if (!address) return fail(address.error());
  config.host = address->first;
  config.port = address->second;
  auto metrics_export = metrics_export_config(settings.metrics);
  if (!metrics_export) return fail(metrics_export.error());
  config.metrics_export = std::move(*metrics_export);
  config.metrics_customer_labels = settings.metrics_customer_labels;
  config.keep_metrics = settings.keep_metrics;
  config.access_log = settings.access_log;
  auto body_memory = memory_bytes_from(settings.max_body_memory);
  if (!body_memory)
    return fail(ErrorCode::kInvalidArgument, "--max-body-memory: " + body_memory.error().message);
  config.max_body_memory_bytes = static_cast<std::size_t>(*body_memory);
  config.data_directory = settings.data;
  if (!settings.store.empty()) {
    if (!settings.store.starts_with("postgresql://") && !settings.store.starts_with("postgres://"))
      return fail(ErrorCode::kInvalidArgument,
                  "--store must be a PostgreSQL URI (postgresql://...); without it agendas are "
                  "kept in SQLite under --data");
    config.store_uri = settings.store;
    config.store_connections = settings.store_connections;
    config.takeover =
        std::chrono::milliseconds(static_cast<long long>(settings.takeover_seconds * 1000));
    auto advertised = advertise_url(settings.advertise_url, config.host);
    if (!advertised) return fail(advertised.error());
    config.advertise_url = std::move(*advertised);
    config.store_resync =
        std::chrono::milliseconds(static_cast<long long>(settings.store_poll_seconds * 1000));
    if (!settings.store_password_file.empty()) {
      auto password = read_secret_file(settings.store_password_file, "--store-password-file");
      if (!password) return fail(password.error());
      config.store_password = std::move(*password);
    }
  } else if (!settings.store_password_file.empty()) {
    return fail(ErrorCode::kInvalidArgument, "--store-password-file needs --store");
  } else if (!settings.advertise_url.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "--advertise-url needs --store: only replicas send pullers to each other");
  }
  config.lease_duration =
      std::chrono::milliseconds(static_cast<long long>(settings.lease_seconds * 1000));
  config.max_connections = settings.max_connections;
  config.max_connections_per_address = settings.max_connections_per_address;
  config.open_file_limit = open_file_limit;
  config.long_polls = settings.long_polls;
  config.event_window = settings.event_window;
  config.event_streams = settings.event_streams;
  config.event_streams.keep_alive = std::chrono::milliseconds(
      static_cast<std::int64_t>(settings.event_keep_alive_seconds * 1000));
  config.event_streams.max_age = std::chrono::milliseconds(
      static_cast<std::int64_t>(settings.event_stream_max_seconds * 1000));
  config.attempt_logs = {settings.attempt_log_limit_bytes,
                         std::chrono::hours(settings.attempt_log_retention_hours)};
  if (!settings.tls_certificate.empty())
    config.tls = http::TlsOptions{settings.tls_certificate, settings.tls_key};
  if (settings.jwt.enabled()) {
    auto jwt = jwt_options(settings.jwt);
    if (!jwt) return fail(jwt.error());
    config.jwt = std::move(*jwt);
  }
  if (settings.embedded_puller) {
    auto resources = resources_from_flags(settings.resources);
    if (!resources) return fail(resources.error());
    config.embedded_puller = server::EmbeddedPullerConfig{
        [runner = settings.runner](const std::filesystem::path& work_root, const std::string& pool,
                                   Logger& logger, Clock& clock) {
          auto created = create_runner(runner, work_root, pool, logger, clock);
          if (!created)
            created.error().message = runner.kind + " runner: " + created.error().message;
          return created;
        },
        settings.capacity, std::move(*resources), settings.runner.kind};
  }
  return config;
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

  StreamLogger logger("pop server", settings.log.format, settings.log.level);
  auto config = server_config(settings, open_file_limit);
  if (!config) return fail_server_start("invalid option", config.error());
  // Handlers posting to the HTTPS report URL trust the server's own certificate (curl takes
  // it as the anchor).
  auto registry =
      handler_registry_for(settings.runner, settings.handlers_path, settings.tls_certificate);
  if (!registry) return fail_server_start("handlers", registry.error());
  config->registry = std::move(*registry);
  config->logger = &logger;

  // As given (a wildcard stays one): where it listens, not how to reach it.
  const std::string listen_host = config->host;
  auto server = server::Server::start(std::move(*config));
  if (!server) return fail_server_start("", server.error());
  logger.info("listening on " + std::string(settings.tls_certificate.empty() ? "http" : "https") +
              "://" + listen_host + ":" + std::to_string((*server)->port()) + ", data in " +
              (*server)->data_directory().string() +
              (settings.store.empty() ? "" : ", agendas in " + settings.store));
  if (auto metrics_port = (*server)->metrics_port()) {
    logger.info("serving metrics without a credential on http://" +
                settings.metrics.listen.substr(0, settings.metrics.listen.rfind(':')) + ":" +
                std::to_string(*metrics_port) + "/metrics");
  }

  {
    std::unique_lock lock(mutex);
    stop_requested.wait(lock, [&] { return stopping; });
  }
  logger.info("stopping");
  (*server)->stop();
  return 0;
}

}  // namespace

Command add_server_command(CLI::App& app) {
  auto settings = std::make_shared<ServerSettings>();
  CLI::App* server =
      app.add_subcommand("server", "Run the POP server (API, store, scheduler, embedded puller)");
  add_metrics_flags(*server, settings->metrics);
  server->add_flag("!--no-metrics", settings->keep_metrics,
                   "Keep no metrics: GET /metrics (on the API port, for admins) answers 404");
  server
      ->add_option("--metrics-customer-labels", settings->metrics_customer_labels,
                   "Count submissions and leases per customer for the first N customers seen "
                   "(the rest as customer=\"other\"); 0: no per-customer series")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  server->add_option("--listen", settings->listen, "HOST:PORT to serve the API on")
      ->capture_default_str();
  server->add_option("--data", settings->data, "Directory for the database and work files")
      ->capture_default_str();
  server->add_option("--store", settings->store,
                     "Keep agendas in PostgreSQL at this URI (postgresql://HOST/DB?...), shared "
                     "by replicas; default: SQLite in --data");
  server
      ->add_option("--store-password-file", settings->store_password_file,
                   "File with the PostgreSQL password (else PGPASSWORD or PGPASSFILE)")
      ->check(CLI::ExistingFile);
  server
      ->add_option("--store-connections", settings->store_connections,
                   "PostgreSQL connections for reads (one more writes, one more listens)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  server
      ->add_option("--takeover-seconds", settings->takeover_seconds,
                   "With --store: longest a pool's queues stay without an owner after their "
                   "replica dies")
      ->capture_default_str()
      ->check(CLI::Range(0.4, 3600.0));
  server
      ->add_option("--store-poll-seconds", settings->store_poll_seconds,
                   "With --store: how often to read waiting agendas and configuration again "
                   "whatever notifications said (lower it behind a pooler that drops LISTEN)")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 3600.0));
  server->add_option("--advertise-url", settings->advertise_url,
                     "With --store: the URL other replicas redirect pullers to (default: "
                     "http(s)://HOST:PORT of --listen)");
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
  server
      ->add_option("--event-window", settings->event_window,
                   "Events kept for clients of GET /v1/events that reconnect (Last-Event-ID); "
                   "0: no event stream and no log of agenda changes")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000000));
  server
      ->add_option("--max-event-streams", settings->event_streams.max_streams,
                   "Event streams (GET /v1/events) open at once; more are answered 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  server
      ->add_option("--max-event-streams-per-caller", settings->event_streams.max_streams_per_caller,
                   "Event streams of one credential open at once; more are answered 429")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  server
      ->add_option("--event-keep-alive-seconds", settings->event_keep_alive_seconds,
                   "How often an idle event stream gets a keep-alive comment")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  server
      ->add_option("--event-stream-max-seconds", settings->event_stream_max_seconds,
                   "An event stream older than this is ended (its client resumes with "
                   "Last-Event-ID and its credential is checked again)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  server
      ->add_option("--attempt-log-limit-bytes", settings->attempt_log_limit_bytes,
                   "Bytes of each attempt's output the server keeps; the rest is counted. 0: "
                   "keep no attempt logs (the embedded puller ships none)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
  server
      ->add_option("--attempt-log-retention-hours", settings->attempt_log_retention_hours,
                   "Delete attempt logs last written longer ago than this; 0: keep them "
                   "as long as their agenda")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{24} * 365 * 100));
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
  add_log_flags(*server, settings->log);
  server->add_flag("--access-log", settings->access_log,
                   "Log every answered request: method, path, route, status, seconds, client "
                   "address, correlation id");
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
