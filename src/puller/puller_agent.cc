#include "puller/puller_agent.h"

#include <algorithm>
#include <vector>

#include "model/agenda_progress.h"
#include "puller/failed_progress.h"
#include "puller/reporting_runner.h"

namespace pop::puller {
namespace {

bool has_ended(OperationState state) {
  return processing_state_of(state) == ProcessingState::kComplete;
}

}  // namespace

// One admitted agenda. The executor runs on `thread`; the reporter thread reads `snapshot`.
struct PullerAgent::Job : ExecutionObserver {
  Assignment assignment;
  std::string agenda_id;
  std::string insight_id;  // where the agenda was bound
  ValidatedAgenda agenda;
  Resources demand;  // declared in params.resources
  // Declared before the executor, whose handler runs must be gone before it is.
  std::unique_ptr<ReportingRunner> reporting;
  std::unique_ptr<Executor> executor;
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<bool> lease_lost{false};  // fenced off: another puller owns it now
  std::atomic<bool> abandoned{false};   // stopped with the agent: left for lease expiry

  std::mutex snapshot_mutex;
  AgendaProgress snapshot;
  bool dirty = true;

  PullerMetrics* metrics = nullptr;  // the agent's, when it keeps metrics
  std::vector<bool> ended;           // operations in a terminal state; the executor's thread

  // Operations already ended when the agenda was resumed were counted by their own puller.
  void note_ended_before(const AgendaProgress& earlier) {
    ended.assign(earlier.operations.size(), false);
    for (std::size_t i = 0; i < earlier.operations.size(); ++i)
      ended[i] = has_ended(earlier.operations[i].state);
  }

  // Only the operation that changed is copied: the whole progress holds every output (up to
  // ExecutionLimits::outputs), and copying all of it on every change would copy megabytes
  // many times a second.
  void on_change(const AgendaProgress& progress, std::size_t operation) override {
    if (metrics != nullptr) count_ended(progress, operation);
    std::lock_guard lock(snapshot_mutex);
    if (operation >= progress.operations.size() ||
        snapshot.operations.size() != progress.operations.size()) {
      snapshot = progress;
    } else {
      snapshot.operations[operation] = progress.operations[operation];
      snapshot.percent_complete = progress.percent_complete;
    }
    dirty = true;
  }

  void on_attempt_ended(const AttemptRecord& attempt) override {
    if (metrics == nullptr) return;
    metrics->attempt_ended(agenda.agenda.operations[attempt.operation].type, attempt.end,
                           attempt.ended_at - attempt.launched_at);
  }

  void count_ended(const AgendaProgress& progress, std::size_t changed) {
    // Cancelled because the lease was lost or the puller stops: not an outcome. The
    // operation runs again under the next lease, which counts how it really ends.
    if (lease_lost.load() || abandoned.load()) return;
    ended.resize(progress.operations.size(), false);
    const bool all = changed >= progress.operations.size();
    for (std::size_t i = all ? 0 : changed; i < (all ? progress.operations.size() : changed + 1);
         ++i) {
      const OperationProgress& operation = progress.operations[i];
      if (ended[i] || !has_ended(operation.state)) continue;
      ended[i] = true;
      if (operation.started_time && operation.completed_time) {
        metrics->operation_ended(agenda.agenda.operations[i].type, operation.state,
                                 *operation.completed_time - *operation.started_time);
      }
    }
  }
};

PullerAgent::PullerAgent(WorkSource& source, const HandlerRegistry& registry, Runner& runner,
                         AgentOptions options)
    : source_(source), registry_(registry), runner_(runner), options_(std::move(options)) {
  if (!options_.report_url.empty() && options_.ship_logs) {
    auto directory = TempDir::create("pop-logs-", options_.log_directory);
    if (directory) {
      log_files_ = std::move(*directory);
    } else {
      options_.logger->warning("cannot keep attempt logs to ship them: none are shipped",
                               {{"error", directory.error().message}});
    }
  }
  if (options_.metrics != nullptr) {
    metrics_ =
        std::make_unique<PullerMetrics>(*options_.metrics, runner_, options_.runner_name, [this] {
          return PullerMetrics::Slots{options_.capacity, running()};
        });
  }
}

PullerAgent::~PullerAgent() {
  stop();
  std::unordered_map<std::string, std::shared_ptr<Job>> jobs;
  {
    std::lock_guard lock(mutex_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) {
    job->abandoned.store(true);
    job->executor->cancel(true);
    if (job->thread.joinable()) job->thread.join();
  }
}

void PullerAgent::stop() {
  {
    // Under the lock, so a waiter between its check and its sleep cannot miss the change.
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  source_.wake();
  changed_.notify_all();
}

std::size_t PullerAgent::running() const {
  std::lock_guard lock(mutex_);
  return active_jobs();
}

std::size_t PullerAgent::active_jobs() const {
  // Finished jobs stay in jobs_ until reaped: count only the ones still running.
  return static_cast<std::size_t>(std::count_if(
      jobs_.begin(), jobs_.end(), [](const auto& entry) { return !entry.second->done.load(); }));
}

void PullerAgent::every_interval(const std::function<void(Job&)>& visit) {
  for (;;) {
    std::vector<std::shared_ptr<Job>> jobs;
    {
      std::unique_lock lock(mutex_);
      if (stopping_.load() && jobs_.empty()) return;
      clock().wait_for(changed_, lock, options_.report_interval,
                       [this] { return stopping_.load() && jobs_.empty(); });
      for (auto& [id, job] : jobs_) jobs.push_back(job);
    }
    for (auto& job : jobs) {
      if (job->done.load() || job->lease_lost.load() || job->abandoned.load()) continue;
      visit(*job);
    }
  }
}

void PullerAgent::heartbeat(Job& job) {
  Json progress;
  {
    std::lock_guard snapshot_lock(job.snapshot_mutex);
    progress = agenda_progress_to_json(job.snapshot);
    job.dirty = false;
  }
  // An unchanged snapshot is still sent: the report is the lease's heartbeat.
  auto reported =
      source_.report(job.agenda_id, job.assignment.epoch, job.assignment.report_key, progress);
  // 409: the lease went to someone else (or the agenda was cancelled); 404: deleted.
  // Stopped as any cancel stops handlers (docs/handler-contract.md): SIGTERM, and
  // SIGKILL only after each handler's terminationGraceSeconds.
  if (!reported && (reported.error().code == ErrorCode::kConflict ||
                    reported.error().code == ErrorCode::kNotFound)) {
    job.lease_lost.store(true);
    job.executor->cancel();
    return;
  }
  // What handlers reported through the API reaches the server with the next heartbeat.
  // A failed poll needs no handling: heartbeats detect a lost lease, and the next
  // poll asks again from the same cursor.
  if (job.reporting) (void)job.reporting->poll();
}

void PullerAgent::run() {
  std::thread reporter([this] { every_interval([this](Job& job) { heartbeat(job); }); });
  // Logs go on a thread of their own: each chunk is a store write under the lease, and the
  // logs of many chatty handlers must never delay the heartbeat that keeps the lease.
  std::thread log_shipper;
  if (log_files_) {
    log_shipper = std::thread([this] {
      every_interval([](Job& job) {
        if (job.reporting) job.reporting->ship_logs();
      });
    });
  }

  while (!stopping_.load()) {
    reap_finished();
    std::size_t free = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_.load() || active_jobs() < options_.capacity; });
      free = options_.capacity - active_jobs();
    }
    if (stopping_.load()) break;
    const Admission admitted = admission(free);
    std::optional<Resources> available;
    auto wait = options_.pull_wait;
    // Nobody tells the server when a skipped insight's handlers end (here or elsewhere on
    // the platform), so the long poll is cut short to count again.
    if (!admitted.skip_insight_ids.empty()) wait = std::min(wait, options_.report_interval);
    if (options_.resources) {
      std::lock_guard lock(mutex_);
      available = free_resources();
      // The server does not learn when a job here ends and frees resources, so while some
      // are held the long poll is cut short to ask again with what is free by then.
      if (available != options_.resources) wait = std::min(wait, options_.report_interval);
    }
    auto pulled = source_.pull(admitted.max, wait, available, admitted.skip_insight_ids);
    if (!pulled) {
      options_.logger->warning("pull failed", {{"error", pulled.error().message}});
      std::unique_lock lock(mutex_);
      clock().wait_for(changed_, lock, options_.retry_delay, [&] { return stopping_.load(); });
      continue;
    }
    execution_limits_ = std::move(pulled->execution_limits);
    for (auto& assignment : pulled->assignments) start_job(std::move(assignment));
  }

  {
    std::lock_guard lock(mutex_);
    for (auto& [id, job] : jobs_) {
      job->abandoned.store(true);
      job->executor->cancel();
    }
  }
  for (;;) {
    reap_finished();
    std::unique_lock lock(mutex_);
    if (jobs_.empty()) break;
    clock().wait_for(changed_, lock, std::chrono::milliseconds(100), [this] {
      return std::any_of(jobs_.begin(), jobs_.end(),
                         [](const auto& entry) { return entry.second->done.load(); });
    });
  }
  changed_.notify_all();
  reporter.join();
  if (log_shipper.joinable()) log_shipper.join();
}

void PullerAgent::start_job(Assignment assignment) {
  auto job = std::make_shared<Job>();
  job->agenda_id = assignment.agenda.value("id", "");
  auto within = check_agenda_document(assignment.agenda);
  auto agenda =
      within ? load_agenda_document(assignment.agenda,
                                    [this](std::string_view type) { return registry_.has(type); })
             : Result<ValidatedAgenda>(fail(within.error()));
  if (!agenda) {
    std::string message = "this puller cannot run the agenda: " + agenda.error().message;
    for (const auto& detail : agenda.error().details) message += "; " + detail;
    (void)source_.complete(job->agenda_id, assignment.epoch, assignment.report_key,
                           failed_progress(assignment, message, clock().now()));
    return;
  }
  job->agenda = std::move(*agenda);
  job->metrics = metrics_.get();
  job->demand = declared_resources(job->agenda.agenda.params).value_or(Resources{});
  ExecutorOptions options = options_.executor;
  options.logger = options_.logger;
  if (!job->agenda.agenda.customer_id.empty()) options.customer_id = job->agenda.agenda.customer_id;
  if (auto binding = assignment.agenda.find("agendaInsight");
      binding != assignment.agenda.end() && binding->is_object()) {
    options.resource_pool_id = binding->value("resourcePoolId", "");
    options.insight_id = binding->value("insightId", "");
  }
  job->insight_id = options.insight_id;
  options.kubernetes_namespace = assignment.kubernetes_namespace;
  if (!options_.report_url.empty() && !assignment.report_key.empty()) {
    std::unique_ptr<AttemptLogShipper> logs;
    if (log_files_) {
      logs = std::make_unique<AttemptLogShipper>(
          source_, LogLease{job->agenda_id, assignment.epoch, assignment.report_key},
          log_files_->path(), std::to_string(++jobs_started_) + "-");
    }
    job->reporting = std::make_unique<ReportingRunner>(
        runner_, source_,
        ReportLease{job->agenda_id, assignment.epoch, assignment.report_key, options_.report_url},
        options_.retry_delay, std::move(logs));
  }
  job->executor = std::make_unique<Executor>(job->agenda, registry_,
                                             job->reporting ? *job->reporting : runner_, options);
  if (auto earlier = agenda_progress_from_json(assignment.progress)) {
    // The first heartbeat may go out before the executor's first change: it must carry
    // what the server has, not an empty document that would erase succeeded operations.
    job->snapshot = *earlier;
    job->note_ended_before(*earlier);
    if (auto resumed = job->executor->resume_from(*earlier); !resumed) {
      (void)source_.complete(
          job->agenda_id, assignment.epoch, assignment.report_key,
          failed_progress(assignment, "cannot resume: " + resumed.error().message, clock().now()));
      return;
    }
  }
  job->assignment = std::move(assignment);
  std::lock_guard lock(mutex_);
  // Started under the lock so that reap_finished() never sees a job without its thread.
  job->thread = std::thread([this, raw = job.get()] { run_job(*raw); });
  // Keyed by lease too: a rerun or retry of an agenda can be handed to this puller again
  // before its finished job was reaped, and the two must not share an entry.
  const std::string key = job->agenda_id + "@" + std::to_string(job->assignment.epoch);
  jobs_[key] = std::move(job);
}

Admission PullerAgent::admission(std::size_t free) {
  Admission admitted = admit_under_limits(
      execution_limits_, free,
      [this](const std::string& insight_id) { return active_handlers(insight_id); });
  log_uncounted(admitted, *options_.logger);
  return admitted;
}

Result<std::size_t> PullerAgent::active_handlers(const std::string& insight_id) {
  const std::size_t own = own_handlers(insight_id);
  auto counted = runner_.active_handlers(insight_id);
  if (!counted) return fail(counted.error());
  return std::max(own, counted->value_or(0));
}

std::size_t PullerAgent::own_handlers(const std::string& insight_id) const {
  std::size_t handlers = 0;
  std::lock_guard lock(mutex_);
  for (const auto& [key, job] : jobs_) {
    if (job->done.load() || job->insight_id != insight_id) continue;
    std::lock_guard snapshot_lock(job->snapshot_mutex);
    const auto running = static_cast<std::size_t>(
        std::count_if(job->snapshot.operations.begin(), job->snapshot.operations.end(),
                      [](const OperationProgress& operation) {
                        return operation.state == OperationState::kRunning;
                      }));
    handlers += std::max<std::size_t>(running, 1);
  }
  return handlers;
}

Resources PullerAgent::free_resources() const {
  Resources free = options_.resources.value_or(Resources{});
  for (const auto& [key, job] : jobs_) {
    if (!job->done.load()) take_from(free, job->demand);
  }
  return free;
}

void PullerAgent::run_job(Job& job) {
  const AgendaProgress final_progress = job.executor->run(&job);
  if (!job.lease_lost.load() && !job.abandoned.load()) {
    // A lost lease means another puller owns the agenda now: reporting would be fenced off
    // anyway, and must not be attempted. Otherwise retry briefly while the server is away.
    const Json document = agenda_progress_to_json(final_progress);
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto completed = source_.complete(job.agenda_id, job.assignment.epoch,
                                        job.assignment.report_key, document);
      if (completed || completed.error().code != ErrorCode::kUnavailable) break;
      std::unique_lock lock(mutex_);
      clock().wait_for(changed_, lock, options_.retry_delay, [] { return false; });
    }
  }
  job.done.store(true);
  changed_.notify_all();
}

void PullerAgent::reap_finished() {
  std::vector<std::shared_ptr<Job>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->second->done.load()) {
        finished.push_back(std::move(it->second));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& job : finished) job->thread.join();
  if (!finished.empty()) changed_.notify_all();
}

}  // namespace pop::puller
