// The runner: starts, watches, stops and cleans up one handler attempt. One interface for
// local processes, containers and Kubernetes Pods, so it is asynchronous throughout: start()
// returns as soon as the handler is launched (a Pod may then sit in Pending for minutes),
// progress arrives while it runs, and the result (exit status, output, log tail) arrives
// once at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "metrics/families.h"
#include "registry/handler_registry.h"
#include "util/result.h"

namespace pop {

using Json = nlohmann::json;

// Everything the handler contract gives a handler, plus where its log goes.
struct LaunchRequest {
  std::string agenda_id;
  std::string operation_name;
  std::string operation_type;
  std::string customer_id;
  // Where the agenda was bound; container and Pod runners label what they create with them.
  std::string resource_pool_id;
  std::string insight_id;
  // The customer's Kubernetes namespace; empty: the Kubernetes runner's default.
  std::string kubernetes_namespace;
  int attempt = 1;  // 1-based, exported as POP_ATTEMPT
  Json payload;     // already resolved: references replaced
  HandlerSpec handler;
  // Where the runner writes the handler's combined stdout and stderr, capped at
  // log_limit_bytes (a truncation marker follows the cap). Empty: keep only the tail.
  std::filesystem::path log_path;
  std::size_t log_limit_bytes = 8u << 20;
  // Progress and output endpoint of the server, when there is one (POP_REPORT_URL/TOKEN).
  std::string report_url;
  std::string report_token;
};

struct HandlerResult {
  bool succeeded = false;   // exit code 0 and a valid (or absent) output
  bool terminated = false;  // ended by terminate() or by the runner's own shutdown
  std::optional<int> exit_code;
  std::optional<int> signal;  // the signal that ended the handler, if any
  Json output;                // parsed POP_OUTPUT_FILE; null when the handler wrote none
  std::string message;        // why it failed, in words; empty on success
  std::string log_tail;       // the last few KiB of the log, for diagnostics
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point ended;
  // Monotonic instants at which the handler was launched and its end was observed;
  // used for traces and latency measurements.
  std::chrono::steady_clock::time_point launched_at;
  std::chrono::steady_clock::time_point observed_end_at;
};

// Receives one attempt's events. Called from a runner thread; implementations must be
// thread-safe and quick (hand the event to their own thread). on_finished is called
// exactly once per successful start(), unless the HandlerRun is destroyed first.
class RunListener {
 public:
  virtual ~RunListener() = default;
  // The handler is executing: a process was spawned, a container started, a Pod left
  // Pending. Per-attempt timeouts count from here, so time spent waiting for a node or an
  // image is not charged to the handler. May be called from within start(), before it
  // returns; not called when the handler never got to run.
  virtual void on_running() = 0;
  virtual void on_progress(double percent_complete, const std::string& message) = 0;
  virtual void on_finished(HandlerResult result) = 0;
};

// Owns one running attempt. Destroying it while the handler still runs kills the handler
// at once (no grace), releases everything it holds, and guarantees that the listener is
// not called after the destructor returns.
class HandlerRun {
 public:
  virtual ~HandlerRun() = default;
  // Asks the handler to stop: SIGTERM (or the runner's equivalent) now, forced kill after
  // `grace`. Returns at once; on_finished follows with terminated = true. Idempotent; a
  // shorter grace on a later call takes effect.
  virtual void terminate(std::chrono::milliseconds grace) = 0;
};

class Runner {
 public:
  virtual ~Runner() = default;
  // Launches the handler. The listener must outlive the returned HandlerRun. Errors
  // (kUnavailable: cannot create the process, the command does not exist, ...) mean
  // nothing was started and nothing is left behind.
  virtual Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                                    RunListener& listener) = 0;

  // How many handlers launched for `insight_id` (LaunchRequest::insight_id) are active,
  // starting or running, on this runner's platform: for container and Pod runners also
  // those of other processes sharing it, found by their labels. It is what pullers compare
  // with an insight's executionLimit. nullopt: this runner cannot tell (the caller counts
  // what it knows of itself). Errors (kUnavailable: the platform does not answer) mean the
  // count is unknown. Thread-safe.
  virtual Result<std::optional<std::size_t>> active_handlers(const std::string& /*insight_id*/) {
    return std::optional<std::size_t>();
  }

  // What the runner knows of its platform, as metrics (e.g. the Kubernetes API requests and
  // Pods, the Docker Engine calls), read at each scrape. Thread-safe.
  virtual metrics::Families metrics() const { return {}; }
};

}  // namespace pop
