// The puller's executor-Pod mode (`pop puller --runner kubernetes --executor-pods`): instead of
// running executors in-process, each pulled assignment becomes an executor Pod
// (executor_pods/executor_pod_spec.h) running `pop executor`, which runs that one agenda, starts
// its handler Pods, heartbeats and completes the lease itself.
//
// The launcher follows its pool's executor Pods in its namespace with one watch, counts those
// not yet ended against its capacity and pulls only for free slots. Executor Pods that ended
// (Succeeded or Failed) are deleted, the log tail of a failed one printed first; once an
// executor Pod is gone, handler Pods it left (labelled with its name as runner instance) are
// deleted too, in every namespace the account can list: owner references cover only its own
// namespace, and only where a garbage collector runs. Executor Pods of an earlier puller
// process of the pool are adopted the same way: counted while they run, deleted when ended.
//
// Execution limits (an insight's executionLimit, learned from the previous pull answer) hold
// as for the in-process agent (puller/admission.h): an insight's active handlers are its
// handler Pods that are Pending or Running, of every POP runner in the cluster, plus one for
// each of this launcher's executor Pods of the insight that has no active handler Pod (yet).
//
// It never reports for an agenda it handed to an executor Pod: when one dies without
// completing, its lease expires and the server hands the agenda out again in continue mode.
// An assignment the cluster refuses as invalid (e.g. too large for the Pod's environment) is
// completed as failed; other refusals (quota, API unreachable) leave it to lease expiry.
//
// Thread-safety: construct, run() on one thread, stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "executor_pods/executor_pod_spec.h"
#include "kubernetes/kube_client.h"
#include "kubernetes/pod_watcher.h"
#include "kubernetes/stop_signal.h"
#include "puller/admission.h"
#include "puller/work_source.h"
#include "util/logger.h"

namespace pop::executor_pods {

using puller::WorkSource;

class ExecutorPodLauncher {
 public:
  struct Options {
    std::size_t capacity = 4;                     // executor Pods at once
    std::chrono::milliseconds pull_wait{20000};   // long-poll length
    std::chrono::milliseconds retry_delay{1000};  // after a failed pull
    // While an insight is skipped at its limit, the long poll is cut to this, to count again
    // (nobody tells the server when handlers end).
    std::chrono::milliseconds recount_interval{2000};
    // The executor Pods: namespace, image, arguments, labels (resource_pool_id and
    // puller_instance select what this launcher follows).
    ExecutorPodTemplate pod{};
    // Its clock is the launcher's too: creation times are compared with the watcher's list
    // starts.
    kubernetes::PodWatcher::Options watch{};
    Logger* logger = &null_logger();  // borrowed
  };

  // Borrows `source` and `client`; both must outlive the launcher.
  ExecutorPodLauncher(WorkSource& source, kubernetes::KubeClient& client, Options options);
  ~ExecutorPodLauncher();  // stop(); running executor Pods are left to carry on

  // Pulls and starts executor Pods until stop(). Pulls nothing before the first list of the
  // pool's executor Pods, so that adopted ones count.
  void run();
  void stop();

  // Executor Pods counted against the capacity now.
  std::size_t running() const;

 private:
  struct PodEntry {
    bool ended = false;
    std::string insight_id;  // from its annotation
    // When this launcher created it: a list that started earlier may not show it yet.
    std::optional<std::chrono::steady_clock::time_point> created_at;
  };

  void on_pod(const Json& pod, bool deleted);
  void on_listed(const std::vector<Json>& pods, std::chrono::steady_clock::time_point started);
  void launch(Assignment assignment);
  // The janitor thread: deletes ended executor Pods and the handler Pods of gone ones.
  void tidy();
  void delete_ended(const std::string& name);
  void delete_left_handlers(const std::string& executor_name);
  // REQUIRES: mutex_ held.
  std::size_t active() const;
  // The insight's active handlers as counted against its execution limit (see above).
  Result<std::size_t> active_handlers(const std::string& insight_id);

  WorkSource& source_;
  kubernetes::KubeClient& client_;
  const Options options_;
  kubernetes::StopSignal stop_signal_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<bool> stopping_{false};
  bool listed_ = false;                   // guarded by mutex_
  std::map<std::string, PodEntry> pods_;  // by name; guarded by mutex_
  std::set<std::string> to_delete_;       // ended, not yet deleted; guarded by mutex_
  std::set<std::string> failed_;          // of to_delete_, those that failed; guarded by mutex_
  std::set<std::string> gone_;            // handler Pods to clean up; guarded by mutex_
  // From the last pull answer; run()'s thread only.
  std::map<std::string, std::size_t> execution_limits_;
};

}  // namespace pop::executor_pods
