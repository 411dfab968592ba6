// The agent of a resource pool: admits agendas while it has free slots, runs each with
// its own executor (on its own thread) and reports progress, which doubles as the lease
// heartbeat. An admitted agenda is owned until it ends: its operations never go back to
// the queue. When a report says the lease was lost (409: cancelled, or taken back; 404:
// deleted), the agenda is cancelled as `pop cancel` would (its handlers get SIGTERM, then
// SIGKILL after their grace) and nothing more is reported for it. With a report URL, each
// agenda's handlers also get the report endpoint (see reporting_runner.h), read back at
// each heartbeat.
//
// Execution limits (an insight's executionLimit, learned from the previous pull answer):
// before each pull the agent counts the insight's active handlers, as the runner sees them
// on its platform (other processes sharing it included) but never fewer than its own
// agendas of the insight hold (one at least per admitted agenda, so one admitted a moment
// ago whose first handler does not exist yet counts). At the limit the pull skips the
// insight; below it, with some active, the pull asks for no more agendas than the room left.
// A count that fails skips the insight for that round.
//
// Thread-safety: construct, run() on one thread, stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "engine/executor.h"
#include "metrics/metrics_registry.h"
#include "puller/admission.h"
#include "puller/puller_metrics.h"
#include "puller/work_source.h"
#include "registry/handler_registry.h"
#include "runner/runner.h"
#include "util/logger.h"
#include "util/temp_dir.h"

namespace pop::puller {

struct AgentOptions {
  std::size_t capacity = 4;                         // agendas run at once
  std::chrono::milliseconds pull_wait{20000};       // long-poll length
  std::chrono::milliseconds report_interval{1000};  // progress cadence; keep well under the lease
  std::chrono::milliseconds retry_delay{1000};      // after an unreachable server
  // POP_REPORT_URL for the handlers: the server's report endpoint as they reach it. Empty:
  // handlers get no report endpoint (neither POP_REPORT_URL nor POP_REPORT_TOKEN).
  std::string report_url;
  // With a report URL and ship_logs, each attempt's log is also shipped to the server
  // (puller/attempt_log_shipper.h), through files in a private directory the agent makes
  // under this one (empty: $TMPDIR or /tmp) and removes when it ends.
  bool ship_logs = true;
  std::filesystem::path log_directory;
  // What the agent may run at once in the units agendas declare in params.resources (e.g.
  // {"cpu": 8}); unset: its slots alone limit it. Only agendas that fit what is left are
  // pulled.
  std::optional<Resources> resources;
  // Its clock times the agent too: heartbeats, pauses after failures, failure times.
  ExecutorOptions executor;
  Logger* logger = &null_logger();  // borrowed
  // Borrowed; when set, the agent records its metrics there (puller/puller_metrics.h),
  // labelled with `runner_name`.
  metrics::MetricsRegistry* metrics = nullptr;
  std::string runner_name = "local";
};

class PullerAgent {
 public:
  // Borrows everything; all must outlive the agent.
  PullerAgent(WorkSource& source, const HandlerRegistry& registry, Runner& runner,
              AgentOptions options);
  ~PullerAgent();  // stop() and wait for every agenda

  // Pulls and runs until stop(). Returns after every running agenda has ended. Agendas
  // stopped by stop() are abandoned, not completed: their handlers get SIGTERM, then
  // SIGKILL after their grace (so run() may take that long to return), nothing more is
  // reported for them, so their leases expire and the server hands them out again in
  // continue mode.
  void run();
  void stop();

  // Agendas running now (finished ones not yet reaped are not counted).
  std::size_t running() const;

 private:
  Clock& clock() const { return *options_.executor.clock; }
  // What is left of options_.resources after the jobs still running. REQUIRES: mutex_ held.
  Resources free_resources() const;
  // What the next pull may ask for under the execution limits, with `free` slots.
  Admission admission(std::size_t free);
  // The insight's active handlers as counted against its limit (see above).
  Result<std::size_t> active_handlers(const std::string& insight_id);
  // Handlers of this agent's running agendas of the insight, one at least per agenda.
  std::size_t own_handlers(const std::string& insight_id) const;
  // Jobs not done. REQUIRES: mutex_ held.
  std::size_t active_jobs() const;
  struct Job;
  void start_job(Assignment assignment);
  void run_job(Job& job);
  void reap_finished();
  // Calls `visit` with every running job once per report interval (and when jobs change),
  // until the agent stops and every job is reaped.
  void every_interval(const std::function<void(Job&)>& visit);
  // Reports the job's progress, which renews its lease, and passes on what its handlers
  // reported through the API.
  void heartbeat(Job& job);

  WorkSource& source_;
  const HandlerRegistry& registry_;
  Runner& runner_;
  AgentOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<bool> stopping_{false};
  // By agenda id and lease epoch; shared so the reporter can report without holding mutex_.
  std::unordered_map<std::string, std::shared_ptr<Job>> jobs_;
  // From the last pull answer; run()'s thread only.
  std::map<std::string, std::size_t> execution_limits_;
  // Where attempts' logs wait to be shipped; none when logs are not shipped (or it could not
  // be made, which was logged). Outlives the jobs, whose shippers write there.
  std::optional<TempDir> log_files_;
  std::uint64_t jobs_started_ = 0;  // run()'s thread only: names each job's log files
  // Last: its collector asks running() until it is gone.
  std::unique_ptr<PullerMetrics> metrics_;
};

}  // namespace pop::puller
