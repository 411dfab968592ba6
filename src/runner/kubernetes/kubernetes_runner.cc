#include "runner/kubernetes/kubernetes_runner.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "kubernetes/labels.h"
#include "kubernetes/object_fields.h"
#include "kubernetes/pod_status.h"
#include "kubernetes/task_pool.h"
#include "runner/attempt_run.h"
#include "runner/call_count_family.h"
#include "runner/kubernetes/orphan_pods.h"
#include "runner/kubernetes/pod_attempt.h"
#include "runner/kubernetes/pod_completion.h"
#include "runner/kubernetes/pod_log_collector.h"
#include "runner/kubernetes/pod_log_follower.h"
#include "runner/kubernetes/pod_watch_evaluation.h"
#include "util/crypto.h"
#include "util/random_id.h"

namespace pop {
namespace {

using kubernetes::KubeClient;
using kubernetes::PodState;
using kubernetes_runner::describe_duration;
using kubernetes_runner::FollowedLog;
using kubernetes_runner::Outcome;
using kubernetes_runner::pod_key;
using kubernetes_runner::PodAttempt;
using kubernetes_runner::Stage;
using kubernetes_runner::Termination;
using std::chrono::milliseconds;

std::string random_suffix() {
  static constexpr char kHex[] = "0123456789abcdef";
  auto bytes = random_bytes(4);
  std::string raw = bytes ? *bytes : random_uuid().substr(0, 4);
  std::string hex;
  for (char c : raw) {
    hex += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
    hex += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return hex;
}

}  // namespace

// Creates, follows and ends the attempts; what the watch shows is judged by
// PodWatchEvaluation, logs are followed by PodLogFollower and completed by PodLogCollector,
// results are put together by result_of_pod().
class KubernetesRunner::Impl final : public std::enable_shared_from_this<KubernetesRunner::Impl>,
                                     private kubernetes_runner::PodAttemptActions {
 public:
  Impl(std::shared_ptr<KubeClient> client, Options options)
      : client_(std::move(client)),
        options_(std::move(options)),
        spec_options_{.default_namespace = options_.default_namespace,
                      .runner_instance = options_.instance_id,
                      .owner = options_.owner,
                      .deadline_slack = options_.deadline_slack},
        own_selector_(kubernetes::selector(
            {{kubernetes::label::kManagedBy, kubernetes::label::kManagedByPop},
             {kubernetes::label::kRunnerInstance, kubernetes::label_value(options_.instance_id)}})),
        evaluation_({.pending_timeout = options_.pending_timeout,
                     .unschedulable_grace = options_.unschedulable_grace},
                    *this, *options_.clock),
        logs_(*client_, abandon_, options_.log_tail_bytes),
        tasks_(options_.worker_threads, *options_.clock) {}

  void begin() {
    if (!options_.reap_orphans) {
      mark_reaping_done();
      return;
    }
    tasks_.post([this] {
      reap_orphans();
      mark_reaping_done();
    });
  }

  void shut_down();

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request, RunListener& listener);
  void terminate(const std::shared_ptr<PodAttempt>& attempt, milliseconds grace);
  void detach(const std::shared_ptr<PodAttempt>& attempt);

  Result<std::size_t> active_handlers(const std::string& insight_id);

  const std::string& instance_id() const { return options_.instance_id; }
  const kubernetes::KubeClient& client() const { return *client_; }

  Stats stats() const {
    Stats stats{.pods_created = pods_created_.load(),
                .pods_deleted = pods_deleted_.load(),
                .orphans_reaped = orphans_reaped_.load()};
    std::lock_guard lock(mutex_);
    for (const auto& [name_space, watcher] : watchers_) {
      const auto watched = watcher->stats();
      stats.watch_lists += watched.lists;
      stats.watch_reconnects += watched.reconnects;
      stats.watch_events += watched.events;
    }
    for (const auto& [key, attempt] : attempts_) {
      switch (attempt->stage.load()) {
        case Stage::kCreating:
          ++stats.pods_creating;
          break;
        case Stage::kPending:
          ++stats.pods_pending;
          break;
        case Stage::kRunning:
          ++stats.pods_running;
          break;
        case Stage::kFinishing:
          ++stats.pods_finishing;
          break;
        case Stage::kDone:
          break;
      }
    }
    return stats;
  }

  bool wait_for_orphan_reaping(milliseconds timeout) const {
    std::unique_lock lock(reaping_mutex_);
    return reaping_changed_.wait_for(lock, timeout, [this] { return reaping_done_; });
  }

 private:
  std::shared_ptr<PodAttempt> find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = attempts_.find(key);
    return it == attempts_.end() ? nullptr : it->second;
  }
  void forget(const PodAttempt& attempt) {
    std::lock_guard lock(mutex_);
    auto it = attempts_.find(attempt.key);
    if (it != attempts_.end() && it->second.get() == &attempt) attempts_.erase(it);
  }
  // REQUIRES: mutex_ held.
  void ensure_watcher(const std::string& name_space);

  // From the watchers.
  void on_pod(const std::string& name_space, const Json& pod, bool deleted);
  void on_listed(const std::string& name_space, const std::vector<Json>& pods,
                 Clock::SteadyTime list_started);

  // PodAttemptActions.
  void end(const std::shared_ptr<PodAttempt>& attempt, Outcome outcome) override;
  void check_at(const std::shared_ptr<PodAttempt>& attempt, Clock::SteadyTime when) override;
  void follow_log(const std::shared_ptr<PodAttempt>& attempt) override;

  // Stops the attempt's follow, if it has one, and hands over what it wrote.
  std::optional<FollowedLog> stop_following(const PodAttempt& attempt);

  // On a worker.
  void complete(const std::shared_ptr<PodAttempt>& attempt, const Outcome& outcome);
  void delete_pod(const std::string& name_space, const std::string& name);
  void reap_orphans();
  kubernetes::PodWatcher::Options watch_options() const {
    kubernetes::PodWatcher::Options watch = options_.watch;
    watch.logger = options_.logger;
    watch.clock = options_.clock;
    return watch;
  }
  void mark_reaping_done() {
    {
      std::lock_guard lock(reaping_mutex_);
      reaping_done_ = true;
    }
    reaping_changed_.notify_all();
  }

  const std::shared_ptr<KubeClient> client_;
  const Options options_;
  const kubernetes_runner::PodSpecOptions spec_options_;
  const std::string own_selector_;
  // Stopped only when the shutdown has waited long enough: every request then gives up.
  kubernetes::StopSignal abandon_;
  kubernetes_runner::PodWatchEvaluation evaluation_;
  const kubernetes_runner::PodLogCollector logs_;
  std::atomic<std::uint64_t> pods_created_{0};
  std::atomic<std::uint64_t> pods_deleted_{0};
  std::atomic<std::uint64_t> orphans_reaped_{0};
  std::atomic<bool> cluster_wide_lists_{true};

  mutable std::mutex reaping_mutex_;
  mutable std::condition_variable reaping_changed_;
  bool reaping_done_ = false;  // guarded by reaping_mutex_

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<PodAttempt>> attempts_;  // guarded by mutex_; by pod key
  std::map<std::string, std::unique_ptr<kubernetes::PodWatcher>> watchers_;  // guarded by mutex_
  std::set<std::pair<std::string, std::string>> kept_pods_;                  // guarded by mutex_
  bool shutting_down_ = false;                                               // guarded by mutex_

  // One thread and one API server connection each, hence bounded (Options::max_log_follows).
  // Before tasks_, whose tasks take followers out; destroying one stops it.
  std::mutex follows_mutex_;
  std::map<std::string, std::unique_ptr<kubernetes_runner::PodLogFollower>>
      follows_;  // guarded by follows_mutex_; by pod key

  // Last: destroyed first, so its threads finish while everything above still exists.
  kubernetes::TaskPool tasks_;
};

namespace {

// The handle's side of an attempt, which may outlive the runner.
class PodRunControl {
 public:
  PodRunControl(std::weak_ptr<KubernetesRunner::Impl> runner, std::shared_ptr<PodAttempt> attempt)
      : runner_(std::move(runner)), attempt_(std::move(attempt)) {}

  void terminate(milliseconds grace) {
    if (auto runner = runner_.lock()) runner->terminate(attempt_, grace);
  }

  void detach() {
    if (auto runner = runner_.lock()) {
      runner->detach(attempt_);
    } else {
      // The runner is gone and has ended (and deleted) everything; only the listener must
      // not hear more, which it cannot.
      std::lock_guard lock(attempt_->mutex);
      attempt_->listener = nullptr;
    }
  }

 private:
  const std::weak_ptr<KubernetesRunner::Impl> runner_;
  const std::shared_ptr<PodAttempt> attempt_;
};

}  // namespace

void KubernetesRunner::Impl::ensure_watcher(const std::string& name_space) {
  if (watchers_.contains(name_space)) return;
  kubernetes::PodWatcher::Callbacks callbacks{
      .on_pod = [this, name_space](const Json& pod,
                                   bool deleted) { on_pod(name_space, pod, deleted); },
      .on_listed =
          [this, name_space](const std::vector<Json>& pods, Clock::SteadyTime list_started) {
            on_listed(name_space, pods, list_started);
          }};
  watchers_.emplace(
      name_space, std::make_unique<kubernetes::PodWatcher>(*client_, name_space, own_selector_,
                                                           watch_options(), std::move(callbacks)));
}

Result<std::unique_ptr<HandlerRun>> KubernetesRunner::Impl::start(const LaunchRequest& request,
                                                                  RunListener& listener) {
  auto plan = kubernetes_runner::build_pod(request, spec_options_, random_suffix());
  if (!plan) return fail(std::move(plan).error());
  auto attempt = std::make_shared<PodAttempt>(plan->name_space, plan->name, request, listener,
                                              options_.clock->now(), options_.clock->steady_now());
  {
    // Registered before the Pod exists, so that no event about it can be missed; the
    // watcher holds events back until the creation is confirmed.
    std::lock_guard lock(mutex_);
    if (shutting_down_) {
      return fail(ErrorCode::kUnavailable, "the Kubernetes runner is shutting down");
    }
    attempts_.emplace(attempt->key, attempt);
    ensure_watcher(attempt->name_space);
  }
  auto created = client_->create_pod(plan->name_space, plan->pod, &abandon_);
  if (!created) {
    forget(*attempt);
    Error error = created.error();
    error.message = "cannot create Pod " + attempt->key + ": " + error.message;
    // A create that failed in transit may still have happened: make sure it did not.
    if (error.code == ErrorCode::kUnavailable) {
      tasks_.post([this, name_space = attempt->name_space, name = attempt->pod_name] {
        delete_pod(name_space, name);
      });
    }
    return fail(std::move(error));
  }
  pods_created_.fetch_add(1);
  {
    std::lock_guard lock(attempt->mutex);
    attempt->confirmed_at = options_.clock->steady_now();
  }
  {
    // Under mutex_, so that a shutdown either sees the attempt pending (and ends it) or has
    // begun before (and the attempt is abandoned here).
    std::lock_guard lock(mutex_);
    if (shutting_down_) {
      attempts_.erase(attempt->key);
      tasks_.post([this, name_space = attempt->name_space, name = attempt->pod_name] {
        delete_pod(name_space, name);
      });
      return fail(ErrorCode::kUnavailable, "the Kubernetes runner is shutting down");
    }
    attempt->stage = Stage::kPending;
  }

  auto run = std::make_unique<AttemptRun<PodRunControl>>(
      std::make_shared<PodRunControl>(weak_from_this(), attempt));
  {
    std::lock_guard lock(attempt->mutex);
    // What the watch saw meanwhile is newer than the create's answer.
    const Json pod = attempt->last_pod.is_null() ? std::move(*created) : attempt->last_pod;
    evaluation_.evaluate(attempt, pod, attempt->deleted_while_creating);
  }
  check_at(attempt, attempt->launched_at + options_.pending_timeout);
  return run;
}

void KubernetesRunner::Impl::on_pod(const std::string& name_space, const Json& pod, bool deleted) {
  auto attempt = find(pod_key(name_space, kubernetes::metadata_text(pod, "name")));
  if (!attempt) return;
  std::lock_guard lock(attempt->mutex);
  evaluation_.evaluate(attempt, pod, deleted);
}

void KubernetesRunner::Impl::on_listed(const std::string& name_space, const std::vector<Json>& pods,
                                       Clock::SteadyTime list_started) {
  std::set<std::string> present;
  for (const Json& pod : pods) {
    present.insert(kubernetes::metadata_text(pod, "name"));
    on_pod(name_space, pod, false);
  }
  std::vector<std::shared_ptr<PodAttempt>> in_namespace;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, attempt] : attempts_) {
      if (attempt->name_space == name_space) in_namespace.push_back(attempt);
    }
  }
  // A Pod created before the list began and missing from it was deleted while no watch
  // was there to see it.
  for (const auto& attempt : in_namespace) {
    if (present.contains(attempt->pod_name)) continue;
    std::lock_guard lock(attempt->mutex);
    if (attempt->pending_or_running() && attempt->confirmed_at < list_started) {
      evaluation_.evaluate(attempt, Json(), true);
    }
  }
}

void KubernetesRunner::Impl::end(const std::shared_ptr<PodAttempt>& attempt, Outcome outcome) {
  attempt->stage = Stage::kFinishing;
  tasks_.post([this, attempt, outcome = std::move(outcome)] { complete(attempt, outcome); });
}

void KubernetesRunner::Impl::check_at(const std::shared_ptr<PodAttempt>& attempt,
                                      Clock::SteadyTime when) {
  std::weak_ptr<PodAttempt> weak = attempt;
  tasks_.post_at(when, [this, weak] {
    if (auto alive = weak.lock()) evaluation_.check(alive);
  });
}

void KubernetesRunner::Impl::follow_log(const std::shared_ptr<PodAttempt>& attempt) {
  if (attempt->log_path.empty()) return;
  std::lock_guard lock(follows_mutex_);
  // Beyond the bound the log arrives at the attempt's end, as PodLogCollector fetches it.
  if (follows_.size() >= options_.max_log_follows) return;
  std::weak_ptr<PodAttempt> weak = attempt;
  auto follower =
      kubernetes_runner::PodLogFollower::start(*client_, *attempt,
                                               [weak] {
                                                 auto alive = weak.lock();
                                                 return alive && alive->stage == Stage::kRunning;
                                               },
                                               {.tail_bytes = options_.log_tail_bytes,
                                                .retry_delay = options_.log_follow_retry,
                                                .clock = options_.clock});
  if (!follower) {
    options_.logger->warning("cannot follow a Pod's log",
                             {{"pod", attempt->key}, {"error", follower.error().message}});
    return;
  }
  follows_.emplace(attempt->key, std::move(*follower));
}

std::optional<FollowedLog> KubernetesRunner::Impl::stop_following(const PodAttempt& attempt) {
  std::unique_ptr<kubernetes_runner::PodLogFollower> follower;
  {
    std::lock_guard lock(follows_mutex_);
    auto it = follows_.find(attempt.key);
    if (it == follows_.end()) return std::nullopt;
    follower = std::move(it->second);
    follows_.erase(it);
  }
  return follower->finish();
}

void KubernetesRunner::Impl::terminate(const std::shared_ptr<PodAttempt>& attempt,
                                       milliseconds grace) {
  std::lock_guard lock(attempt->mutex);
  if (!attempt->pending_or_running()) return;
  if (attempt->termination == Termination::kNone) attempt->termination = Termination::kRequested;
  grace = std::max(grace, milliseconds(0));
  if (attempt->requested_grace && *attempt->requested_grace <= grace) return;
  attempt->requested_grace = grace;
  const auto seconds =
      static_cast<std::int64_t>(std::ceil(std::chrono::duration<double>(grace).count()));
  tasks_.post([this, name_space = attempt->name_space, name = attempt->pod_name, seconds] {
    if (auto deleted = client_->delete_pod(name_space, name, seconds, &abandon_)) {
      pods_deleted_.fetch_add(1);
    } else {
      options_.logger->warning("cannot delete a Pod", {{"pod", name_space + "/" + name},
                                                       {"error", deleted.error().message}});
    }
  });
  // Should the Pod never be seen ending, the attempt ends anyway.
  std::weak_ptr<PodAttempt> weak = attempt;
  tasks_.post_at(
      options_.clock->steady_now() + grace + options_.terminate_margin, [this, weak, grace] {
        auto alive = weak.lock();
        if (!alive) return;
        std::lock_guard inner(alive->mutex);
        if (alive->pending_or_running() && alive->requested_grace == grace) {
          end(alive,
              {.state = kubernetes::read_pod_state(alive->last_pod,
                                                   kubernetes_runner::kHandlerContainer),
               .failure = "the Pod was not seen ending within " +
                          describe_duration(grace + options_.terminate_margin) + " of its deletion",
               .pod_gone = false});
        }
      });
}

void KubernetesRunner::Impl::detach(const std::shared_ptr<PodAttempt>& attempt) {
  std::lock_guard lock(attempt->mutex);
  attempt->listener = nullptr;
  if (!attempt->pending_or_running()) return;
  // Finishing with no one to tell: the Pod goes at once, and the attempt with it.
  attempt->stage = Stage::kDone;
  forget(*attempt);
  tasks_.post([this, attempt, name_space = attempt->name_space, name = attempt->pod_name] {
    stop_following(*attempt);
    delete_pod(name_space, name);
  });
}

void KubernetesRunner::Impl::delete_pod(const std::string& name_space, const std::string& name) {
  if (auto deleted = client_->delete_pod(name_space, name, 0, &abandon_)) {
    pods_deleted_.fetch_add(1);
  } else {
    options_.logger->warning("cannot delete a Pod", {{"pod", name_space + "/" + name},
                                                     {"error", deleted.error().message}});
  }
}

void KubernetesRunner::Impl::complete(const std::shared_ptr<PodAttempt>& attempt,
                                      const Outcome& outcome) {
  // Before the listener hears of the end, so that the whole log is in the file by then.
  std::optional<FollowedLog> followed = stop_following(*attempt);
  std::string log_tail;
  if (!outcome.pod_gone && (outcome.state.started || outcome.failure.empty())) {
    log_tail = logs_.collect(*attempt, std::move(followed));
  } else {
    log_tail = kubernetes_runner::PodLogCollector::keep(*attempt, std::move(followed));
  }
  Termination termination;
  {
    std::lock_guard lock(attempt->mutex);
    termination = attempt->termination;
  }
  HandlerResult result = kubernetes_runner::result_of_pod(outcome, termination);
  result.started = attempt->started;
  result.launched_at = attempt->launched_at;
  result.log_tail = std::move(log_tail);

  if (!outcome.pod_gone) {
    const bool keep =
        !result.succeeded && !result.terminated && options_.keep_failed_pods.count() > 0;
    bool kept = false;
    if (keep) {
      std::lock_guard lock(mutex_);
      if (!shutting_down_) {
        kept_pods_.emplace(attempt->name_space, attempt->pod_name);
        kept = true;
      }
    }
    if (kept) {
      tasks_.post_at(options_.clock->steady_now() + options_.keep_failed_pods,
                     [this, name_space = attempt->name_space, name = attempt->pod_name] {
                       {
                         std::lock_guard lock(mutex_);
                         if (kept_pods_.erase({name_space, name}) == 0) return;
                       }
                       delete_pod(name_space, name);
                     });
    } else {
      delete_pod(attempt->name_space, attempt->pod_name);
    }
  }

  result.ended = options_.clock->now();
  result.observed_end_at = options_.clock->steady_now();
  forget(*attempt);
  std::lock_guard lock(attempt->mutex);
  if (attempt->stage != Stage::kFinishing) return;  // detached meanwhile
  attempt->stage = Stage::kDone;
  if (attempt->listener != nullptr) attempt->listener->on_finished(std::move(result));
}

Result<std::size_t> KubernetesRunner::Impl::active_handlers(const std::string& insight_id) {
  std::size_t creating = 0;
  std::set<std::string> namespaces = {options_.default_namespace};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, attempt] : attempts_) {
      if (attempt->insight_id == insight_id && attempt->stage == Stage::kCreating) ++creating;
    }
    for (const auto& [name_space, watcher] : watchers_) namespaces.insert(name_space);
  }
  const std::string selector =
      kubernetes::selector({{kubernetes::label::kManagedBy, kubernetes::label::kManagedByPop},
                            {kubernetes::label::kInsightId, kubernetes::label_value(insight_id)}});
  std::vector<Json> pods;
  auto all = cluster_wide_lists_ ? client_->list_pods("", selector, &abandon_)
                                 : Result<kubernetes::PodList>(fail(ErrorCode::kForbidden, ""));
  if (all) {
    pods = std::move(all->items);
  } else if (all.error().code == ErrorCode::kForbidden ||
             all.error().code == ErrorCode::kNotFound) {
    // Remembered: an account without cluster-wide rights will not get them mid-run.
    cluster_wide_lists_ = false;
    for (const auto& name_space : namespaces) {
      auto some = client_->list_pods(name_space, selector, &abandon_);
      if (!some) return fail(std::move(some).error());
      for (auto& pod : some->items) pods.push_back(std::move(pod));
    }
  } else {
    return fail(std::move(all).error());
  }
  std::size_t active = creating;
  for (const Json& pod : pods) {
    const PodState state = kubernetes::read_pod_state(pod, kubernetes_runner::kHandlerContainer);
    if (state.phase == PodState::Phase::kPending || state.phase == PodState::Phase::kRunning) {
      ++active;
    }
  }
  return active;
}

void KubernetesRunner::Impl::reap_orphans() {
  auto orphans =
      kubernetes_runner::find_orphan_pods(*client_,
                                          {.resource_pool_id = options_.resource_pool_id,
                                           .own_instance_id = options_.instance_id,
                                           .default_namespace = options_.default_namespace},
                                          &abandon_);
  if (!orphans) {
    options_.logger->warning("cannot look for orphaned Pods", {{"error", orphans.error().message}});
    return;
  }
  for (const kubernetes_runner::PodName& pod : *orphans) {
    delete_pod(pod.name_space, pod.name);
    orphans_reaped_.fetch_add(1);
  }
}

void KubernetesRunner::Impl::shut_down() {
  std::vector<std::shared_ptr<PodAttempt>> attempts;
  std::map<std::string, std::unique_ptr<kubernetes::PodWatcher>> watchers;
  std::set<std::pair<std::string, std::string>> kept;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (const auto& [key, attempt] : attempts_) attempts.push_back(attempt);
    watchers.swap(watchers_);
    kept.swap(kept_pods_);
  }
  // No event after this: the end of every attempt is decided here.
  watchers.clear();
  for (const auto& attempt : attempts) {
    std::lock_guard lock(attempt->mutex);
    if (!attempt->pending_or_running()) continue;
    attempt->termination = Termination::kShutdown;
    end(attempt, {.state = kubernetes::read_pod_state(attempt->last_pod,
                                                      kubernetes_runner::kHandlerContainer),
                  .failure = "the Pod was deleted",
                  .pod_gone = false});
  }
  for (const auto& [name_space, name] : kept) {
    tasks_.post([this, name_space = name_space, name = name] { delete_pod(name_space, name); });
  }
  if (!tasks_.wait_idle(options_.shutdown_timeout)) {
    options_.logger->warning("Pod deletions still pending at shutdown; giving up on them",
                             {{"after", describe_duration(options_.shutdown_timeout)}});
    abandon_.request_stop();
    tasks_.wait_idle(options_.shutdown_timeout);
  }
}

Result<std::unique_ptr<KubernetesRunner>> KubernetesRunner::create(
    std::shared_ptr<kubernetes::KubeClient> client, Options options) {
  if (!client) return fail(ErrorCode::kInvalidArgument, "the Kubernetes runner needs a client");
  if (options.default_namespace.empty()) {
    options.default_namespace =
        client->config().default_namespace.empty() ? "default" : client->config().default_namespace;
  }
  if (options.instance_id.empty()) options.instance_id = random_uuid();
  if (options.worker_threads < 1) {
    return fail(ErrorCode::kInvalidArgument, "the Kubernetes runner needs a worker thread");
  }
  auto impl = std::make_shared<Impl>(std::move(client), std::move(options));
  impl->begin();
  return std::unique_ptr<KubernetesRunner>(new KubernetesRunner(std::move(impl)));
}

KubernetesRunner::KubernetesRunner(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

KubernetesRunner::~KubernetesRunner() { impl_->shut_down(); }

Result<std::unique_ptr<HandlerRun>> KubernetesRunner::start(const LaunchRequest& request,
                                                            RunListener& listener) {
  return impl_->start(request, listener);
}

Result<std::optional<std::size_t>> KubernetesRunner::active_handlers(
    const std::string& insight_id) {
  auto count = impl_->active_handlers(insight_id);
  if (!count) return fail(std::move(count).error());
  return std::optional<std::size_t>(*count);
}

const std::string& KubernetesRunner::instance_id() const { return impl_->instance_id(); }

KubernetesRunner::Stats KubernetesRunner::stats() const { return impl_->stats(); }

metrics::Families KubernetesRunner::metrics() const {
  const Stats now = stats();
  const auto count = [](std::uint64_t value) {
    return std::vector<metrics::Sample>{{{}, static_cast<double>(value)}};
  };
  return {
      call_count_family("pop_kubernetes_requests_total",
                        "Kubernetes API requests of this runner (retries included), by verb "
                        "and status (0: no answer).",
                        "verb", impl_->client().stats().by_verb),
      metrics::gauge_family("pop_kubernetes_pods",
                            "This runner's handler Pods by stage: creating (being created), "
                            "pending (container not started), running, finishing.",
                            {{{{"stage", "creating"}}, static_cast<double>(now.pods_creating)},
                             {{{"stage", "pending"}}, static_cast<double>(now.pods_pending)},
                             {{{"stage", "running"}}, static_cast<double>(now.pods_running)},
                             {{{"stage", "finishing"}}, static_cast<double>(now.pods_finishing)}}),
      metrics::counter_family("pop_kubernetes_pods_created_total", "Handler Pods created.",
                              count(now.pods_created)),
      metrics::counter_family("pop_kubernetes_pods_deleted_total",
                              "Handler Pods this runner deleted (orphans included).",
                              count(now.pods_deleted)),
      metrics::counter_family("pop_kubernetes_watch_lists_total",
                              "Pod lists of the runner's watches: the first of each namespace "
                              "and every relist (a resourceVersion the server no longer had).",
                              count(now.watch_lists)),
      metrics::counter_family("pop_kubernetes_watch_restarts_total",
                              "Pod watches resumed after they broke.", count(now.watch_reconnects)),
      metrics::counter_family("pop_kubernetes_watch_events_total",
                              "Pod watch events and bookmarks received.", count(now.watch_events))};
}

bool KubernetesRunner::wait_for_orphan_reaping(milliseconds timeout) const {
  return impl_->wait_for_orphan_reaping(timeout);
}

}  // namespace pop
