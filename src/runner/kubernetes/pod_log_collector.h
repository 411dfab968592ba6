// Fetching the log of an attempt's ended handler container: into LaunchRequest::log_path up
// to its limit, and its last bytes for HandlerResult::log_tail.
#pragma once

#include <cstddef>
#include <string>

#include "kubernetes/kube_client.h"
#include "kubernetes/stop_signal.h"
#include "runner/kubernetes/pod_attempt.h"

namespace pop::kubernetes_runner {

class PodLogCollector {
 public:
  // Borrows `client` and `abandon` (which gives up on a request in flight); both must
  // outlive it. Tails are at most `tail_bytes` long.
  PodLogCollector(kubernetes::KubeClient& client, const kubernetes::StopSignal& abandon,
                  std::size_t tail_bytes)
      : client_(client), abandon_(abandon), tail_bytes_(tail_bytes) {}

  // Writes the log to the attempt's log_path (when it has one) and returns its tail; a log
  // over the limit is fetched twice, its head for the file and its end for the tail. An
  // unreadable log is an empty tail: the attempt's result does not depend on it. Blocks on
  // the API server; thread-safe.
  std::string collect(const PodAttempt& attempt) const;

  // An empty log file for an attempt whose Pod is gone or never ran, rather than an older
  // file left in place.
  static void write_empty_log(const PodAttempt& attempt);

 private:
  kubernetes::KubeClient& client_;
  const kubernetes::StopSignal& abandon_;
  const std::size_t tail_bytes_;
};

}  // namespace pop::kubernetes_runner
