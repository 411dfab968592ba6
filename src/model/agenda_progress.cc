#include "model/agenda_progress.h"

#include <algorithm>

#include "util/json_fields.h"

namespace pop {
namespace {

void put_time(Json& object, const char* key, const std::optional<WallTime>& time) {
  if (time) object[key] = format_time(*time);
}

Result<std::optional<WallTime>> read_time(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<WallTime>{};
  auto time = parse_time(*it);
  if (!time)
    return fail(ErrorCode::kInvalidArgument, std::string(key) + ": " + time.error().message);
  return std::optional<WallTime>{*time};
}

// A number field, or `fallback` when absent; a wrong type or an out-of-range value is an
// error naming the field (and never an undefined conversion).
Result<double> number_field(const Json& object, const char* key, double fallback, double low,
                            double high) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number() || !(it->get<double>() >= low && it->get<double>() <= high)) {
    return fail(ErrorCode::kInvalidArgument, std::string(key) + " must be a number from " +
                                                 std::to_string(static_cast<long long>(low)) +
                                                 " to " +
                                                 std::to_string(static_cast<long long>(high)));
  }
  return it->get<double>();
}

Result<std::vector<DiagnosticEvent>> read_events(const Json& object) {
  std::vector<DiagnosticEvent> events;
  auto it = object.find("diagnosticEvents");
  if (it == object.end() || it->is_null()) return events;
  if (!it->is_array())
    return fail(ErrorCode::kInvalidArgument, "diagnosticEvents must be an array");
  for (const auto& item : *it) {
    if (!item.is_object())
      return fail(ErrorCode::kInvalidArgument, "diagnosticEvents entries must be objects");
    auto time = read_time(item, "time");
    if (!time) return fail(time.error());
    events.push_back(
        {string_field(item, "message"), time->value_or(WallTime{}), string_field(item, "logTail")});
  }
  return events;
}

Result<OperationProgress> read_operation(const Json& item, std::size_t index) {
  const std::string where = "operationProgress[" + std::to_string(index) + "]";
  if (!item.is_object()) return fail(ErrorCode::kInvalidArgument, where + " must be an object");
  OperationProgress progress;
  progress.operation = string_field(item, "operation");
  if (progress.operation.empty())
    return fail(ErrorCode::kInvalidArgument, where + ".operation must be a non-empty string");
  auto state = parse_operation_state(string_field(item, "processingState"),
                                     string_field(item, "processingStateMessage"));
  if (!state) return fail(ErrorCode::kInvalidArgument, where + ": " + state.error().message);
  progress.state = *state;
  auto percent = number_field(item, "percentComplete", 0, 0, 100);
  auto attempts = number_field(item, "attemptCount", 0, 0, 1000000);
  for (const auto* number : {&percent, &attempts}) {
    if (!*number) return fail(ErrorCode::kInvalidArgument, where + "." + number->error().message);
  }
  progress.percent_complete = *percent;
  progress.attempt_count = static_cast<int>(*attempts);
  progress.message = string_field(item, "message");
  progress.result_payload = item.value("resultPayload", Json());
  auto events = read_events(item);
  if (!events) return fail(ErrorCode::kInvalidArgument, where + ": " + events.error().message);
  progress.diagnostic_events = std::move(*events);
  for (auto [key, slot] : {std::pair{"startedTime", &progress.started_time},
                           std::pair{"attemptTime", &progress.attempt_time},
                           std::pair{"completedTime", &progress.completed_time}}) {
    auto time = read_time(item, key);
    if (!time) return fail(ErrorCode::kInvalidArgument, where + "." + time.error().message);
    *slot = *time;
  }
  return progress;
}

}  // namespace

std::string AgendaProgress::state_message() const {
  switch (outcome) {
    case AgendaOutcome::kSucceeded:
      return "succeeded";
    case AgendaOutcome::kFailed:
      return "failed";
    case AgendaOutcome::kCancelled:
      return "cancelled";
    case AgendaOutcome::kNone:
      break;
  }
  return state == ProcessingState::kExecuting ? "running" : "pending";
}

void AgendaProgress::recompute_percent() {
  if (operations.empty()) {
    percent_complete = 0;
    return;
  }
  double sum = 0;
  for (const auto& operation : operations) {
    if (operation.state == OperationState::kSucceeded) {
      sum += 100;
    } else if (operation.state == OperationState::kRunning) {
      sum += std::clamp(operation.percent_complete, 0.0, 100.0);
    }
  }
  percent_complete = sum / static_cast<double>(operations.size());
}

Json diagnostic_event_to_json(const DiagnosticEvent& event) {
  Json out = {{"message", event.message}, {"time", format_time(event.time)}};
  if (!event.log_tail.empty()) out["logTail"] = event.log_tail;
  return out;
}

Json operation_progress_to_json(const OperationProgress& progress) {
  Json out = {{"operation", progress.operation},
              {"processingState", processing_state_name(processing_state_of(progress.state))},
              {"processingStateMessage", state_message_of(progress.state)},
              {"percentComplete", progress.percent_complete},
              {"attemptCount", progress.attempt_count},
              {"resultPayload", progress.result_payload},
              {"diagnosticEvents", Json::array()}};
  if (!progress.message.empty()) out["message"] = progress.message;
  for (const auto& event : progress.diagnostic_events)
    out["diagnosticEvents"].push_back(diagnostic_event_to_json(event));
  put_time(out, "startedTime", progress.started_time);
  put_time(out, "attemptTime", progress.attempt_time);
  put_time(out, "completedTime", progress.completed_time);
  return out;
}

Json agenda_progress_to_json(const AgendaProgress& progress) {
  Json out = {{"agendaId", progress.agenda_id},
              {"processingState", processing_state_name(progress.state)},
              {"processingStateMessage", progress.state_message()},
              {"percentComplete", progress.percent_complete},
              {"diagnosticEvents", Json::array()},
              {"operationProgress", Json::array()}};
  for (const auto& event : progress.diagnostic_events)
    out["diagnosticEvents"].push_back(diagnostic_event_to_json(event));
  for (const auto& operation : progress.operations)
    out["operationProgress"].push_back(operation_progress_to_json(operation));
  put_time(out, "startedTime", progress.started_time);
  put_time(out, "completedTime", progress.completed_time);
  return out;
}

Result<AgendaProgress> agenda_progress_from_json(const Json& document) {
  if (!document.is_object())
    return fail(ErrorCode::kInvalidArgument, "progress must be a JSON object");
  AgendaProgress progress;
  progress.agenda_id = string_field(document, "agendaId");
  auto state = parse_processing_state(string_field(document, "processingState"));
  if (!state) return fail(state.error());
  progress.state = *state;
  if (progress.state == ProcessingState::kComplete) {
    const std::string message = string_field(document, "processingStateMessage");
    progress.outcome = message == "succeeded"   ? AgendaOutcome::kSucceeded
                       : message == "cancelled" ? AgendaOutcome::kCancelled
                                                : AgendaOutcome::kFailed;
  }
  auto percent = number_field(document, "percentComplete", 0, 0, 100);
  if (!percent) return fail(percent.error());
  progress.percent_complete = *percent;
  auto events = read_events(document);
  if (!events) return fail(events.error());
  progress.diagnostic_events = std::move(*events);
  auto operations = document.find("operationProgress");
  if (operations == document.end() || !operations->is_array())
    return fail(ErrorCode::kInvalidArgument, "operationProgress must be an array");
  for (std::size_t i = 0; i < operations->size(); ++i) {
    auto operation = read_operation((*operations)[i], i);
    if (!operation) return fail(operation.error());
    progress.operations.push_back(std::move(*operation));
  }
  for (auto [key, slot] : {std::pair{"startedTime", &progress.started_time},
                           std::pair{"completedTime", &progress.completed_time}}) {
    auto time = read_time(document, key);
    if (!time) return fail(time.error());
    *slot = *time;
  }
  return progress;
}

}  // namespace pop
