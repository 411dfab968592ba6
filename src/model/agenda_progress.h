// POP's progress objects: AgendaProgress with one OperationProgress per operation. They are
// what `pop run --output json` prints, what `--resume` reads back, and (later) what
// executors report to the server.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/operation_state.h"
#include "util/result.h"
#include "util/time_format.h"

namespace pop {

using Json = nlohmann::json;

struct DiagnosticEvent {
  std::string message;
  WallTime time;
  std::string log_tail;  // the end of the handler's log, when one is relevant
};

struct OperationProgress {
  std::string operation;  // the operation's name
  OperationState state = OperationState::kPending;
  double percent_complete = 0;
  std::string message;  // the handler's latest progress message
  Json result_payload;  // the handler's output; null until it succeeds
  std::vector<DiagnosticEvent> diagnostic_events;
  int attempt_count = 0;
  std::optional<WallTime> started_time;    // first attempt's start
  std::optional<WallTime> attempt_time;    // latest attempt's start
  std::optional<WallTime> completed_time;  // when it reached a terminal state
};

enum class AgendaOutcome { kNone, kSucceeded, kFailed, kCancelled };

struct AgendaProgress {
  std::string agenda_id;
  ProcessingState state = ProcessingState::kWaiting;
  AgendaOutcome outcome = AgendaOutcome::kNone;  // set once state is kComplete
  double percent_complete = 0;
  std::vector<OperationProgress> operations;  // in agenda order
  std::vector<DiagnosticEvent> diagnostic_events;
  std::optional<WallTime> started_time;
  std::optional<WallTime> completed_time;

  // "pending", "running", or the outcome word once complete.
  std::string state_message() const;
  // POP's formula: (completed*100 + sum of running percentages, each capped at 100) / ops.
  void recompute_percent();
};

Json diagnostic_event_to_json(const DiagnosticEvent& event);
Json operation_progress_to_json(const OperationProgress& progress);
Json agenda_progress_to_json(const AgendaProgress& progress);

// Reads a document written by agenda_progress_to_json (or by POP). Errors name the field.
Result<AgendaProgress> agenda_progress_from_json(const Json& document);

}  // namespace pop
