#include "runner/kubernetes/pod_completion.h"

#include <string>
#include <utility>

#include "kubernetes/pod_status.h"
#include "model/output_limits.h"
#include "runner/kubernetes/handler_pod_spec.h"
#include "util/json_limits.h"

namespace pop::kubernetes_runner {
namespace {

// Kubernetes keeps at most this much of a termination message; the output must fit.
constexpr std::size_t kTerminationMessageLimit = 4096;
// Outputs parsed from a termination message are small, but parsed with limits all the same.
constexpr std::size_t kMaxOutputBytes = 64u << 10;

}  // namespace

HandlerResult result_of_pod(const Outcome& outcome, Termination termination) {
  HandlerResult result;
  const kubernetes::PodState& state = outcome.state;
  bool output_ok = true;
  if (outcome.failure.empty()) {
    result.exit_code = state.exit_code;
    if (state.exit_code != 0) {
      result.message = state.exit_code ? "exited with status " + std::to_string(*state.exit_code)
                                       : "the container ended without an exit code";
      if (!state.failure_message.empty()) result.message += ": " + state.failure_message;
    } else if (state.termination_message.find_first_not_of(" \t\r\n") != std::string::npos) {
      auto output =
          parse_json_limited(state.termination_message, {.max_bytes = kMaxOutputBytes,
                                                         .max_depth = kMaxOutputDepth,
                                                         .max_values = kOutputLimits.max_values});
      if (output) {
        result.output = std::move(*output);
      } else {
        output_ok = false;
        result.message =
            "the output (the termination message at " +
            std::string(kubernetes_runner::kTerminationMessagePath) +
            ") is not valid JSON: " + output.error().message +
            (state.termination_message.size() >= kTerminationMessageLimit
                 ? "; Kubernetes keeps at most 4096 bytes of it, so larger outputs must be "
                   "posted to POP_REPORT_URL"
                 : "");
      }
    }
  } else {
    result.message = outcome.failure;
    if (state.ended) result.exit_code = state.exit_code;
  }
  result.succeeded = outcome.failure.empty() && state.exit_code == 0 && output_ok;

  result.terminated = termination != Termination::kNone;
  if (result.terminated && !result.succeeded) {
    result.message.insert(0, termination == Termination::kRequested
                                 ? "terminated after request: "
                                 : "terminated by runner shutdown: ");
  } else if (!result.succeeded && state.being_deleted && outcome.failure.empty()) {
    result.message += " (the Pod was being deleted by someone else)";
  }
  return result;
}

}  // namespace pop::kubernetes_runner
