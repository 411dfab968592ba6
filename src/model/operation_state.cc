#include "model/operation_state.h"

#include <string>

namespace pop {

bool can_transition(OperationState from, OperationState to) {
  using S = OperationState;
  switch (from) {
    case S::kPending:
      return to == S::kRunning || to == S::kFailed;
    case S::kRunning:
      return to == S::kSucceeded || to == S::kFailed || to == S::kCancelled || to == S::kRetrying;
    case S::kRetrying:
      return to == S::kRunning || to == S::kFailed || to == S::kCancelled;
    case S::kSucceeded:
    case S::kFailed:
    case S::kCancelled:
      return false;
  }
  return false;
}

ProcessingState processing_state_of(OperationState state) {
  switch (state) {
    case OperationState::kPending:
    case OperationState::kRetrying:
      return ProcessingState::kWaiting;
    case OperationState::kRunning:
      return ProcessingState::kExecuting;
    case OperationState::kSucceeded:
    case OperationState::kFailed:
    case OperationState::kCancelled:
      return ProcessingState::kComplete;
  }
  return ProcessingState::kWaiting;
}

std::string_view processing_state_name(ProcessingState state) {
  switch (state) {
    case ProcessingState::kWaiting:
      return "WAITING";
    case ProcessingState::kExecuting:
      return "EXECUTING";
    case ProcessingState::kComplete:
      return "COMPLETE";
  }
  return "WAITING";
}

std::string_view state_message_of(OperationState state) {
  switch (state) {
    case OperationState::kPending:
      return "pending";
    case OperationState::kRunning:
      return "running";
    case OperationState::kRetrying:
      return "retrying";
    case OperationState::kSucceeded:
      return "succeeded";
    case OperationState::kFailed:
      return "failed";
    case OperationState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

Result<ProcessingState> parse_processing_state(std::string_view name) {
  if (name == "WAITING") return ProcessingState::kWaiting;
  if (name == "EXECUTING") return ProcessingState::kExecuting;
  if (name == "COMPLETE") return ProcessingState::kComplete;
  return fail(
      ErrorCode::kInvalidArgument,
      "processingState must be WAITING, EXECUTING or COMPLETE, not \"" + std::string(name) + "\"");
}

Result<OperationState> parse_operation_state(std::string_view processing_state,
                                             std::string_view message) {
  auto state = parse_processing_state(processing_state);
  if (!state) return fail(state.error());
  switch (*state) {
    case ProcessingState::kWaiting:
      return message == "retrying" ? OperationState::kRetrying : OperationState::kPending;
    case ProcessingState::kExecuting:
      return OperationState::kRunning;
    case ProcessingState::kComplete:
      if (message == "succeeded") return OperationState::kSucceeded;
      if (message == "cancelled") return OperationState::kCancelled;
      return OperationState::kFailed;
  }
  return OperationState::kPending;
}

}  // namespace pop
