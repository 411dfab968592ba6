// Following the log of an attempt's running handler container into its log file
// (LaunchRequest::log_path) as the kubelet sends it, so that the file grows while the handler
// runs and the puller ships it live (docs/observability.md, "Attempt logs").
// PodLogCollector completes the file at the attempt's end: a follow is a live view, never the
// authority on what the log holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <thread>

#include "kubernetes/kube_client.h"
#include "kubernetes/stop_signal.h"
#include "runner/kubernetes/pod_attempt.h"
#include "runner/log_sink.h"
#include "util/clock.h"

namespace pop::kubernetes_runner {

// What a follow wrote: the attempt's log file, open, and how many bytes of the container's
// log (counted from its start) went into it.
struct FollowedLog {
  LogSink sink;
  std::size_t received = 0;
};

// Owns one follow: a thread of its own and, while a stream is open, one connection to the API
// server. Not copyable or movable; destroying it stops the follow (the connection is closed at
// once) and joins the thread.
class PodLogFollower {
 public:
  struct Options {
    std::size_t tail_bytes = 0;  // as PodLogCollector's
    // Between a stream that ended (or failed) while the container still runs and the next;
    // doubled while streams bring nothing new, up to 16 times this.
    std::chrono::milliseconds retry_delay{1000};
    const Clock* clock = &system_clock();  // borrowed: times the retry delays
  };

  // Truncates the attempt's log file and starts following its handler container, reconnecting
  // while `keep_following` holds (it is asked after each stream: the container still runs).
  // Borrows `client`, which must outlive it. kUnavailable when the file cannot be created.
  // REQUIRES: attempt.log_path is not empty.
  static Result<std::unique_ptr<PodLogFollower>> start(kubernetes::KubeClient& client,
                                                       const PodAttempt& attempt,
                                                       std::function<bool()> keep_following,
                                                       Options options);

  PodLogFollower(const PodLogFollower&) = delete;
  PodLogFollower& operator=(const PodLogFollower&) = delete;
  ~PodLogFollower();

  // Stops following and hands over what was written. Call once.
  FollowedLog finish();

 private:
  PodLogFollower(kubernetes::KubeClient& client, const PodAttempt& attempt, LogSink sink,
                 std::function<bool()> keep_following, Options options);
  void run();
  void stop();

  kubernetes::KubeClient& client_;
  const std::string name_space_;
  const std::string pod_name_;
  const std::size_t limit_bytes_;
  const std::function<bool()> keep_following_;
  const Options options_;
  kubernetes::StopSignal stop_;
  FollowedLog followed_;  // written by the thread only, until it is joined
  std::thread thread_;    // last: started once the rest exists
};

}  // namespace pop::kubernetes_runner
