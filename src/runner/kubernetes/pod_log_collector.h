// Completing the log of an attempt's ended handler container: into LaunchRequest::log_path up
// to its limit (after what a PodLogFollower wrote while it ran, if one did), and its last bytes
// for HandlerResult::log_tail.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "kubernetes/kube_client.h"
#include "kubernetes/stop_signal.h"
#include "runner/kubernetes/pod_attempt.h"
#include "runner/kubernetes/pod_log_follower.h"

namespace pop::kubernetes_runner {

class PodLogCollector {
 public:
  // Borrows `client` and `abandon` (which gives up on a request in flight); both must
  // outlive it. Tails are at most `tail_bytes` long.
  PodLogCollector(kubernetes::KubeClient& client, const kubernetes::StopSignal& abandon,
                  std::size_t tail_bytes)
      : client_(client), abandon_(abandon), tail_bytes_(tail_bytes) {}

  // Writes the log to the attempt's log_path (when it has one) and returns its tail. The log
  // is fetched once more, to its limit, and what `followed` lacks is appended (nothing when the
  // follow already went past the limit); a log over the limit is also fetched for its end, the
  // tail. An unreadable log is what was followed, or an empty tail: the attempt's result does
  // not depend on it. Blocks on the API server; thread-safe.
  std::string collect(const PodAttempt& attempt, std::optional<FollowedLog> followed) const;

  // For an attempt whose Pod is gone or never ran: the log is what was followed, or an empty
  // file rather than an older file left in place. Returns its tail.
  static std::string keep(const PodAttempt& attempt, std::optional<FollowedLog> followed);

 private:
  std::string tail_of(const Result<std::string>& text) const;

  kubernetes::KubeClient& client_;
  const kubernetes::StopSignal& abandon_;
  const std::size_t tail_bytes_;
};

}  // namespace pop::kubernetes_runner
