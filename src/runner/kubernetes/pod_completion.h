// What an attempt's HandlerResult says, from how its Pod ended: the exit code, the output
// (the handler container's termination message), and the failure in words. Decided here,
// apart from the runner's work around it (fetching the log, deleting or keeping the Pod).
#pragma once

#include "runner/kubernetes/pod_attempt.h"
#include "runner/runner.h"

namespace pop::kubernetes_runner {

// succeeded, terminated, exit_code, output and message of the attempt that ended with
// `outcome` after `termination`; the caller fills in times and the log tail.
HandlerResult result_of_pod(const Outcome& outcome, Termination termination);

}  // namespace pop::kubernetes_runner
