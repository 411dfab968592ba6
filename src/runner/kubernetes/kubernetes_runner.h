// Runs each handler attempt as a Kubernetes Pod (see docs/handler-contract.md and
// runner/kubernetes/handler_pod_spec.h for what the Pod looks like), through the API server's REST
// API.
//
// start() creates the Pod and returns; from then on one watch stream per namespace in use
// (label-selected to this runner's Pods, never one per Pod) follows every Pod: on_running
// when the handler container runs, on_finished once at the end with the exit code, the
// output read from the container's termination message, and the log's tail. The log also goes
// to LaunchRequest::log_path, up to log_limit_bytes: followed as it comes while the container
// runs (up to max_log_follows at once), and completed before on_finished. Conditions under
// which a Pod will never run (unschedulable, image pull failures, container creation errors,
// eviction) fail the attempt at once with the reason in words; a Pod still not running after
// the pending timeout fails with its last waiting reason.
//
// Pods are deleted when their attempt ends; failed ones may be kept for a while for
// debugging. At start-up the runner deletes the Pods of its resource pool left behind by an
// earlier puller process (any runner instance but its own). That assumes one puller per
// resource pool in a cluster, or pullers that run as Pods and set `owner` (then Kubernetes'
// garbage collector removes what a dead puller left, and reap_orphans can be off).
//
// Thread-safety: start(), the HandlerRun methods and the queries may be called from any
// thread. Listener calls come from the runner's watch and worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kubernetes/kube_client.h"
#include "kubernetes/pod_watcher.h"
#include "runner/kubernetes/handler_pod_spec.h"
#include "runner/runner.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop {

class KubernetesRunner final : public Runner {
 public:
  struct Options {
    // For requests that name no namespace (LaunchRequest::kubernetes_namespace empty);
    // empty: the namespace of the client's configuration (kubeconfig context or service
    // account), else "default".
    std::string default_namespace{};
    // Labels every Pod (pop.resourcePoolId), and selects the orphans to reap.
    std::string resource_pool_id{};
    // The pop.runnerInstance label of this runner's Pods; empty: a random UUID. Must differ
    // between puller processes, or one would adopt or reap the other's Pods.
    std::string instance_id{};
    // The executor Pod that owns the handler Pods in its namespace (see pod_spec.h).
    std::optional<kubernetes::OwnerPod> owner;
    // A Pod whose container has not started by then fails, naming its last waiting reason.
    std::chrono::milliseconds pending_timeout = std::chrono::minutes(5);
    // How long an Unschedulable Pod may wait for a node (a cluster autoscaler may add one)
    // before it fails; zero fails it at once.
    std::chrono::milliseconds unschedulable_grace{0};
    // Failed Pods stay this long for debugging (kubectl describe, logs); zero deletes them at
    // once like the others.
    std::chrono::milliseconds keep_failed_pods{0};
    // Delete, at start-up, the Pods of resource_pool_id that another runner instance left.
    bool reap_orphans = true;
    std::size_t log_tail_bytes = 4096;  // how much of the log end HandlerResult carries
    // At most this many running handlers' logs are followed into LaunchRequest::log_path as
    // they come, each by a thread and an API server connection of its own; the logs of the
    // others reach the file at their attempt's end.
    std::size_t max_log_follows = 64;
    // How soon a follow that ended while its container runs is resumed (doubled while nothing
    // new comes, up to 16 times).
    std::chrono::milliseconds log_follow_retry{1000};
    // After terminate()'s grace, how long to wait for the Pod to be seen ending before the
    // attempt ends anyway (and the Pod is deleted at once).
    std::chrono::milliseconds terminate_margin{30000};
    // The destructor waits this long for Pod deletions before abandoning them.
    std::chrono::milliseconds shutdown_timeout{15000};
    // Slack above timeout + grace for the Pods' activeDeadlineSeconds (see pod_spec.h).
    std::chrono::seconds deadline_slack{600};
    kubernetes::PodWatcher::Options watch{};  // its logger and clock are this one's
    int worker_threads = 4;                   // fetch logs, delete Pods, parse results
    Logger* logger = &null_logger();          // borrowed
    // Borrowed: stamps attempts and times the pending timeout, the unschedulable grace, the
    // terminate margin, the expiry of Pods kept and the shutdown timeout (on a ManualClock a
    // stuck shutdown waits until time moves); also the Pod watcher's (`watch.clock` is
    // replaced by this one).
    Clock* clock = &system_clock();
  };

  struct Stats {
    std::uint64_t pods_created = 0;
    std::uint64_t pods_deleted = 0;  // deletions this runner asked for, orphans included
    std::uint64_t orphans_reaped = 0;
    // Summed over the namespace watchers that exist now.
    std::uint64_t watch_lists = 0;
    std::uint64_t watch_reconnects = 0;
    std::uint64_t watch_events = 0;
    // This runner's attempts by where their Pod stands now.
    std::size_t pods_creating = 0;
    std::size_t pods_pending = 0;
    std::size_t pods_running = 0;
    std::size_t pods_finishing = 0;
  };

  // Borrows nothing: `client` is shared so that the caller may read its stats. Starts the
  // worker threads and, with reap_orphans, the orphan reaping (in the background). Does not
  // contact the API server before returning.
  static Result<std::unique_ptr<KubernetesRunner>> create(
      std::shared_ptr<kubernetes::KubeClient> client, Options options);

  // Stops the watches, deletes every Pod still running (no grace) and Pods kept for
  // debugging, and tells their listeners (terminated = true). No listener is called after it
  // returns.
  ~KubernetesRunner() override;

  // Creates the Pod. Errors: kInvalidArgument for a request that cannot become a Pod (no
  // image, payload too large); the API server's refusal (kForbidden, kInvalidArgument,
  // kResourceExhausted for an exhausted quota, ...) or kUnavailable, naming the Pod. No Pod
  // is left behind then.
  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override;

  // The Pods of `insight_id` (label pop.insightId) that are Pending or Running, of every POP
  // runner sharing the cluster, plus this runner's Pods still being created (which a list
  // may not show yet; counting one twice is the safe side): what the puller compares with
  // the insight's execution limit. One list request, across namespaces when the account may
  // list them all, else in the namespaces this runner uses. Errors: the API server's
  // (kUnavailable, kForbidden, ...).
  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override;

  const std::string& instance_id() const;
  Stats stats() const;
  // The stats above and the API requests by verb and status (pop_kubernetes_*).
  metrics::Families metrics() const override;
  // Blocks until the start-up orphan reaping has ended, at most `timeout`; true when it has.
  bool wait_for_orphan_reaping(std::chrono::milliseconds timeout) const;

  class Impl;

 private:
  explicit KubernetesRunner(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace pop
