#include "executor_pods/executor_pod_launcher.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "kubernetes/labels.h"
#include "kubernetes/object_fields.h"
#include "kubernetes/pod_status.h"
#include "model/assignment_json.h"
#include "puller/failed_progress.h"
#include "util/random_id.h"

namespace pop::executor_pods {
using puller::Admission;
using puller::admit_under_limits;
using puller::failed_progress;
using puller::log_uncounted;

namespace {

std::string pod_name(const Json& pod) { return kubernetes::metadata_text(pod, "name"); }

bool has_ended(const Json& pod) {
  const auto phase = kubernetes::read_pod_state(pod, kExecutorContainer).phase;
  return phase == kubernetes::PodState::Phase::kSucceeded ||
         phase == kubernetes::PodState::Phase::kFailed;
}

std::string insight_of(const Json& pod) {
  return kubernetes::metadata_entry(pod, "annotations", kubernetes::label::kInsightId);
}

bool has_failed(const Json& pod) {
  return kubernetes::read_pod_state(pod, kExecutorContainer).phase ==
         kubernetes::PodState::Phase::kFailed;
}

}  // namespace

ExecutorPodLauncher::ExecutorPodLauncher(WorkSource& source, kubernetes::KubeClient& client,
                                         Options options)
    : source_(source), client_(client), options_(std::move(options)) {}

ExecutorPodLauncher::~ExecutorPodLauncher() { stop(); }

void ExecutorPodLauncher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  stop_signal_.request_stop();
  source_.wake();
  changed_.notify_all();
}

std::size_t ExecutorPodLauncher::active() const {
  std::size_t count = 0;
  for (const auto& [name, entry] : pods_) count += entry.ended ? 0 : 1;
  return count;
}

std::size_t ExecutorPodLauncher::running() const {
  std::lock_guard lock(mutex_);
  return active();
}

void ExecutorPodLauncher::on_pod(const Json& pod, bool deleted) {
  const std::string name = pod_name(pod);
  if (name.empty()) return;
  {
    std::lock_guard lock(mutex_);
    if (deleted) {
      pods_.erase(name);
      to_delete_.erase(name);
      failed_.erase(name);
      gone_.insert(name);
    } else {
      PodEntry& entry = pods_[name];
      entry.insight_id = insight_of(pod);
      entry.ended = has_ended(pod);
      if (entry.ended) to_delete_.insert(name);
      if (has_failed(pod)) failed_.insert(name);
    }
  }
  changed_.notify_all();
}

void ExecutorPodLauncher::on_listed(const std::vector<Json>& pods,
                                    std::chrono::steady_clock::time_point started) {
  std::map<std::string, PodEntry> listed;
  {
    std::lock_guard lock(mutex_);
    for (const Json& pod : pods) {
      const std::string name = pod_name(pod);
      if (name.empty()) continue;
      PodEntry& entry = listed[name];
      entry.insight_id = insight_of(pod);
      entry.ended = has_ended(pod);
      if (entry.ended) to_delete_.insert(name);
      if (has_failed(pod)) failed_.insert(name);
    }
    for (const auto& [name, entry] : pods_) {
      if (listed.contains(name)) continue;
      // Created after the list began: the list may not show it yet.
      if (entry.created_at && *entry.created_at >= started) {
        listed[name] = entry;
      } else {
        gone_.insert(name);
      }
    }
    pods_ = std::move(listed);
    listed_ = true;
  }
  changed_.notify_all();
}

void ExecutorPodLauncher::run() {
  std::thread janitor([this] { tidy(); });
  std::optional<kubernetes::PodWatcher> watcher;
  watcher.emplace(
      client_, options_.pod.name_space, executor_pod_selector(options_.pod.resource_pool_id),
      options_.watch,
      kubernetes::PodWatcher::Callbacks{
          .on_pod = [this](const Json& pod, bool deleted) { on_pod(pod, deleted); },
          .on_listed =
              [this](const std::vector<Json>& pods, std::chrono::steady_clock::time_point started) {
                on_listed(pods, started);
              }});
  while (!stopping_.load()) {
    std::size_t free = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock,
                    [&] { return stopping_.load() || (listed_ && active() < options_.capacity); });
      if (stopping_.load()) break;
      free = options_.capacity - active();
    }
    const Admission admitted = admit_under_limits(
        execution_limits_, free,
        [this](const std::string& insight_id) { return active_handlers(insight_id); });
    log_uncounted(admitted, *options_.logger);
    auto wait = options_.pull_wait;
    if (!admitted.skip_insight_ids.empty()) wait = std::min(wait, options_.recount_interval);
    auto pulled = source_.pull(admitted.max, wait, std::nullopt, admitted.skip_insight_ids);
    if (!pulled) {
      if (stopping_.load()) break;
      options_.logger->warning("pull failed", {{"error", pulled.error().message}});
      std::unique_lock lock(mutex_);
      options_.watch.clock->wait_for(changed_, lock, options_.retry_delay,
                                     [&] { return stopping_.load(); });
      continue;
    }
    execution_limits_ = std::move(pulled->execution_limits);
    for (auto& assignment : pulled->assignments) launch(std::move(assignment));
  }
  watcher.reset();
  changed_.notify_all();
  janitor.join();
}

void ExecutorPodLauncher::launch(Assignment assignment) {
  const std::string agenda_id = assignment.agenda.value("id", "");
  auto plan =
      build_executor_pod(options_.pod, assignment_to_json(assignment), random_uuid().substr(0, 8));
  if (!plan) {
    options_.logger->error("agenda fails",
                           {{"agenda", agenda_id}, {"error", plan.error().message}});
    (void)source_.complete(
        agenda_id, assignment.epoch, assignment.report_key,
        failed_progress(assignment, plan.error().message, options_.watch.clock->now()));
    return;
  }
  {
    // Counted from now: the watch may report it only after the next pull.
    std::lock_guard lock(mutex_);
    pods_[plan->name] = {false, insight_of(plan->pod), options_.watch.clock->steady_now()};
  }
  auto created = client_.create_pod(plan->name_space, plan->pod, &stop_signal_);
  if (created) {
    options_.logger->info("agenda runs in an executor Pod",
                          {{"agenda", agenda_id},
                           {"epoch", std::to_string(assignment.epoch)},
                           {"pod", plan->name_space + "/" + plan->name}});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    pods_.erase(plan->name);
  }
  changed_.notify_all();
  const std::string message = "cannot create executor Pod " + plan->name_space + "/" + plan->name +
                              ": " + created.error().message;
  if (created.error().code == ErrorCode::kInvalidArgument) {
    options_.logger->error("agenda fails", {{"agenda", agenda_id}, {"error", message}});
    (void)source_.complete(agenda_id, assignment.epoch, assignment.report_key,
                           failed_progress(assignment, message, options_.watch.clock->now()));
  } else {
    options_.logger->warning("agenda is handed out again when its lease expires",
                             {{"agenda", agenda_id}, {"error", message}});
  }
}

Result<std::size_t> ExecutorPodLauncher::active_handlers(const std::string& insight_id) {
  const std::string selector =
      kubernetes::selector({{kubernetes::label::kManagedBy, kubernetes::label::kManagedByPop},
                            {kubernetes::label::kInsightId, kubernetes::label_value(insight_id)}});
  // Across namespaces when the account may list them all; otherwise where it works.
  auto pods = client_.list_pods("", selector, &stop_signal_);
  if (!pods &&
      (pods.error().code == ErrorCode::kForbidden || pods.error().code == ErrorCode::kNotFound))
    pods = client_.list_pods(options_.pod.name_space, selector, &stop_signal_);
  if (!pods) return fail(pods.error());
  std::size_t active = 0;
  std::set<std::string> runners;  // the runner instances of active handler Pods
  for (const Json& pod : pods->items) {
    const auto phase = kubernetes::read_pod_state(pod, kExecutorContainer).phase;
    if (phase != kubernetes::PodState::Phase::kPending &&
        phase != kubernetes::PodState::Phase::kRunning)
      continue;
    ++active;
    runners.insert(kubernetes::metadata_entry(pod, "labels", kubernetes::label::kRunnerInstance));
  }
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : pods_) {
    if (!entry.ended && entry.insight_id == insight_id &&
        !runners.contains(kubernetes::label_value(name)))
      ++active;
  }
  return active;
}

void ExecutorPodLauncher::tidy() {
  for (;;) {
    std::set<std::string> ended;
    std::set<std::string> failed;
    std::set<std::string> gone;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock,
                    [&] { return stopping_.load() || !to_delete_.empty() || !gone_.empty(); });
      if (stopping_.load()) return;
      ended.swap(to_delete_);
      failed.swap(failed_);
      gone.swap(gone_);
    }
    for (const auto& name : ended) {
      if (failed.contains(name)) {
        kubernetes::LogQuery query;
        query.container = kExecutorContainer;
        query.tail_lines = 20;
        auto log = client_.pod_log(options_.pod.name_space, name, query, &stop_signal_);
        options_.logger->error(
            "executor Pod failed",
            {{"pod", name}, {log ? "log_tail" : "error", log ? *log : log.error().message}});
      }
      delete_ended(name);
    }
    for (const auto& name : gone) delete_left_handlers(name);
  }
}

void ExecutorPodLauncher::delete_ended(const std::string& name) {
  auto deleted = client_.delete_pod(options_.pod.name_space, name, std::nullopt, &stop_signal_);
  if (!deleted && !stop_signal_.stop_requested())
    options_.logger->warning("cannot delete an ended executor Pod",
                             {{"pod", name}, {"error", deleted.error().message}});
}

void ExecutorPodLauncher::delete_left_handlers(const std::string& executor_name) {
  const std::string selector = kubernetes::selector(
      {{kubernetes::label::kManagedBy, kubernetes::label::kManagedByPop},
       {kubernetes::label::kRunnerInstance, kubernetes::label_value(executor_name)}});
  auto pods = client_.list_pods("", selector, &stop_signal_);
  if (!pods &&
      (pods.error().code == ErrorCode::kForbidden || pods.error().code == ErrorCode::kNotFound))
    pods = client_.list_pods(options_.pod.name_space, selector, &stop_signal_);
  if (!pods) {
    if (!stop_signal_.stop_requested())
      options_.logger->warning("cannot look for the handler Pods an executor Pod left",
                               {{"pod", executor_name}, {"error", pods.error().message}});
    return;
  }
  for (const Json& pod : pods->items) {
    std::string name_space = kubernetes::metadata_text(pod, "namespace");
    if (name_space.empty()) name_space = options_.pod.name_space;
    (void)client_.delete_pod(name_space, pod_name(pod), 0, &stop_signal_);
  }
}

}  // namespace pop::executor_pods
