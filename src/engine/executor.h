// Runs one agenda's DAG to completion, failure or cancellation.
//
// Event-driven: the executor thread sleeps on one queue that runner threads feed (progress,
// attempt finished) and wakes for the next event or deadline (timeout, kill escalation,
// retry). Every operation whose dependencies have succeeded starts at once, up to the
// concurrency limit. When an operation fails for good, nothing new starts; running
// operations finish (or are terminated with fail_fast) and the agenda fails naming it.
//
// Thread-safety: run() is called once, on one thread; cancel() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agenda/agenda_validator.h"
#include "model/agenda_progress.h"
#include "model/execution_limits.h"
#include "registry/handler_registry.h"
#include "runner/runner.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop {

struct ExecutorOptions {
  std::size_t concurrency = 32;  // operations running at once; at least 1
  bool fail_fast = false;        // terminate running operations when one fails for good
  std::string customer_id = "local";
  std::string resource_pool_id;  // passed to the runner (see LaunchRequest)
  std::string insight_id;
  std::string kubernetes_namespace;
  // When set, each attempt's log is kept as <log_dir>/<index>-<name>.<attempt>.log.
  std::filesystem::path log_dir;
  std::size_t log_limit_bytes = 8u << 20;
  ExecutionLimits limits;
  Logger* logger = &null_logger();  // borrowed: the executor's own faults
  // Borrowed: stamps progress (wall time) and times timeouts and retries (steady time).
  Clock* clock = &system_clock();
};

// How an attempt ended, as metrics label it.
enum class AttemptEnd { kSucceeded, kFailed, kTimedOut, kStopped };
std::string_view attempt_end_name(AttemptEnd end);  // "succeeded", "failed", "timed_out", "stopped"

// One attempt as it happened, for traces, metrics and latency measurements.
struct AttemptRecord {
  std::size_t operation = 0;
  int attempt = 0;
  bool succeeded = false;
  AttemptEnd end = AttemptEnd::kFailed;
  std::chrono::steady_clock::time_point launched_at;
  std::chrono::steady_clock::time_point ended_at;
};

// Receives changes on the executor's thread; must not block for long.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  // After any change; `operation` is the index that changed, or npos for the agenda.
  virtual void on_change(const AgendaProgress& progress, std::size_t operation) = 0;
  virtual void on_attempt_ended(const AttemptRecord&) {}
};

class Executor {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Borrows everything; all must outlive the executor.
  Executor(const ValidatedAgenda& agenda, const HandlerRegistry& registry, Runner& runner,
           ExecutorOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Seeds state from an earlier run of the same agenda: operations that succeeded there
  // (matched by name) keep their output and are not run again. kInvalidArgument when the
  // progress names an operation the agenda does not have. REQUIRES: before run().
  Result<void> resume_from(const AgendaProgress& earlier);

  // Executes until every operation has succeeded, the agenda has failed, or it was
  // cancelled; returns the final progress (state kComplete). Every handler started has
  // ended when it returns.
  AgendaProgress run(ExecutionObserver* observer = nullptr);

  // Stops the run: running handlers get SIGTERM then, after their grace period, SIGKILL
  // (`immediately`: SIGKILL at once). run() then returns with outcome kCancelled.
  // Thread-safe; may be called before or during run(), repeatedly.
  void cancel(bool immediately = false);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pop
