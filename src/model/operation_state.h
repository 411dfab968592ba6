// The lifecycle of one operation within one execution, and how it reads in POP's progress
// vocabulary (processingState WAITING | EXECUTING | COMPLETE plus a message word).
//
//   pending ──> running ──> succeeded
//                  │ ├────> failed
//                  │ └────> cancelled
//                  └──> retrying ──> running
//                          ├──────> failed (not retried because the agenda stopped)
//                          └──────> cancelled
#pragma once

#include <string_view>

#include "util/result.h"

namespace pop {

enum class OperationState { kPending, kRunning, kRetrying, kSucceeded, kFailed, kCancelled };

enum class ProcessingState { kWaiting, kExecuting, kComplete };

bool can_transition(OperationState from, OperationState to);

ProcessingState processing_state_of(OperationState state);
std::string_view processing_state_name(ProcessingState state);  // "WAITING", ...
std::string_view state_message_of(OperationState state);        // "pending", "running", ...

Result<ProcessingState> parse_processing_state(std::string_view name);
// Reads an operation state back from POP's pair; unknown words map by processingState.
Result<OperationState> parse_operation_state(std::string_view processing_state,
                                             std::string_view message);

}  // namespace pop
