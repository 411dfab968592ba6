// A POP server assembled in-process from a configuration: the store (its own SQLite in the
// data directory, or one it shares), the services, the routes behind the authentication
// gate, the long polls, the lease reclaimer and, when configured, the embedded puller.
// `pop server` only turns its flags into a ServerConfig; tests start as many servers as they
// need, several on one store if they like.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "agenda/declared_resources.h"
#include "api/event_streams.h"
#include "api/log_followers.h"
#include "api/long_polls.h"
#include "auth/jwt_authenticator.h"
#include "http/server.h"
#include "registry/handler_registry.h"
#include "runner/runner.h"
#include "server/metrics_export.h"
#include "service/agendas/attempt_logs.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop::server {

// The puller of the default resource pool that runs inside the server.
struct EmbeddedPullerConfig {
  // Its runner, given the work directory (emptied at every start), the pool's id and the
  // server's logger and clock.
  std::function<Result<std::unique_ptr<Runner>>(const std::filesystem::path& work_root,
                                                const std::string& resource_pool_id, Logger& logger,
                                                Clock& clock)>
      make_runner;
  std::size_t capacity = 4;                 // agendas at once
  std::optional<Resources> resources = {};  // what its agendas may declare, in all
  std::string runner_name = "local";        // labels its metrics
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (Server::port() tells which)
  // Holds the admin token file, the embedded puller's work directory and, unless a store is
  // shared, the SQLite store; claimed (locked) for as long as the server runs.
  std::filesystem::path data_directory = "./pop-data";
  // A store shared with others (other servers of one test process); it must outlive the
  // server. Null: the server opens its own store, as `store` says.
  store::Store* shared_store = nullptr;
  // Where agendas are kept when no store is shared: empty for SQLite in data_directory; a
  // PostgreSQL connection URI (postgresql://...) for a database that replicas share.
  std::string store_uri;
  // PostgreSQL: the password, when not from PGPASSWORD or the password file; the pool of
  // read connections.
  std::string store_password;
  std::size_t store_connections = 8;
  // Replicas on PostgreSQL: the longest a resource pool's queues stay without an owner when
  // their replica dies (server/pool_keeper.h), and the URL at which the other replicas send
  // pullers to this one (empty: url()). Unused on SQLite.
  std::chrono::milliseconds takeover{4000};
  // PostgreSQL: how often each replica reads the waiting agendas and the configuration again,
  // whatever it heard by notification (the fallback where LISTEN does not work).
  std::chrono::milliseconds store_resync{30'000};
  std::string advertise_url;
  HandlerRegistry registry;  // the handler types agendas may name
  std::chrono::milliseconds lease_duration{30'000};
  std::optional<auth::JwtOptions> jwt = {};  // accept JWTs signed by these keys; checked at `clock`
  std::optional<http::TlsOptions> tls = {};  // serve HTTPS
  // Memory for request bodies being read, across all connections: at least the largest body
  // a route accepts.
  std::size_t max_body_memory_bytes = std::size_t{256} << 20;
  std::size_t max_connections = 0;  // 0: as many as open_file_limit leaves room for
  std::size_t max_connections_per_address = http::ServerOptions{}.max_connections_per_address;
  std::size_t open_file_limit = 1024;  // the process's descriptor limit, shared with handlers
  api::LongPollLimits long_polls = {};
  // Attempt logs: the cap per attempt and the retention (service/agendas/attempt_logs.h), and
  // the bounds on readers following them (api/log_followers.h).
  service::AttemptLogOptions attempt_logs = {};
  api::LogFollowerLimits log_followers = {};
  // Also serve GET /metrics, open, on a port of its own (metrics_port() tells which), and
  // push to Graphite. Without a port, /metrics is on the API port only, for admins.
  MetricsExportConfig metrics_export = {};
  // Customers whose agendas get metric series of their own (the first ones seen; the rest
  // share customer="other"); 0: no per-customer series (service/agendas/agenda_metrics.h).
  std::size_t metrics_customer_labels = 0;
  // Log every answered request (server/access_log.h).
  bool access_log = false;
  // Record metrics: with false, none are kept, GET /metrics answers 404 and metrics_export
  // must be empty.
  bool keep_metrics = true;
  // The event stream (GET /v1/events): how many of the last events are kept for clients that
  // reconnect (the resume window; 0: no stream and no log of agenda changes), and how many
  // streams may be open.
  std::size_t event_window = 10'000;
  api::EventStreamLimits event_streams = {};
  std::optional<EmbeddedPullerConfig> embedded_puller = {};
  // Borrowed; must outlive the server. Every part reads time from it: the services, the JWT
  // check, the long polls, the lease reclaimer, the embedded puller (its agent, executors and
  // long poll) and its runner (through make_runner).
  Clock* clock = &system_clock();
  Logger* logger = &null_logger();
};

class Server {
 public:
  // Builds and starts every part. Errors name the part that failed ("cannot open the store
  // in DIR: ...", "cannot listen on HOST:PORT: ..."); kInvalidArgument for a configuration
  // that cannot work. On failure nothing keeps running.
  static Result<std::unique_ptr<Server>> start(ServerConfig config);

  // Stops, as stop() does.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // The --metrics-listen port, when configured.
  std::optional<std::uint16_t> metrics_port() const;
  // "http://HOST:PORT" or "https://HOST:PORT", with a wildcard host as loopback.
  std::string url() const;
  std::filesystem::path data_directory() const;
  store::Store& store();

  // Stops the embedded puller (its agendas are handed out again), answers waiting long
  // polls, stops listening and joins every thread. Idempotent.
  void stop();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace pop::server
