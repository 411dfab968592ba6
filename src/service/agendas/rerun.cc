#include "service/agendas/rerun.h"

#include <deque>

#include "agenda/agenda_graph.h"

namespace pop::service {
namespace {

Result<std::vector<std::string>> operation_list(const Json& value) {
  std::vector<std::string> names;
  auto add = [&names](std::string_view name) {
    const auto first = name.find_first_not_of(' ');
    if (first == std::string_view::npos) return;
    names.emplace_back(name.substr(first, name.find_last_not_of(' ') - first + 1));
  };
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    std::size_t start = 0;
    for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos;
         start = comma + 1) {
      add(std::string_view(text).substr(start, comma - start));
    }
    add(std::string_view(text).substr(start));
  } else if (value.is_array()) {
    for (const auto& name : value) {
      if (!name.is_string())
        return fail(ErrorCode::kInvalidArgument, "operationsToReset must list operation names");
      add(name.get<std::string>());
    }
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "operationsToReset must be a comma-separated string or an array of names");
  }
  if (names.empty())
    return fail(ErrorCode::kInvalidArgument, "operationsToReset names no operation");
  return names;
}

// POP's params array: "resetAll", "continue", "skipExecution", "operationsToReset=a,b".
Result<Json> from_pop_params(const Json& params) {
  if (!params.is_array())
    return fail(ErrorCode::kInvalidArgument, "params must be an array of strings");
  Json body = Json::object();
  for (const auto& param : params) {
    if (!param.is_string())
      return fail(ErrorCode::kInvalidArgument, "params must be an array of strings");
    const std::string text = param.get<std::string>();
    const auto equals = text.find('=');
    if (equals == std::string::npos) {
      body[text] = true;
    } else {
      body[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  return body;
}

Result<bool> flag(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return false;
  if (!it->is_boolean())
    return fail(ErrorCode::kInvalidArgument, std::string(name) + " must be true or false");
  return it->get<bool>();
}

}  // namespace

Result<RerunRequest> rerun_request_from_json(const Json& input) {
  if (!input.is_object())
    return fail(ErrorCode::kInvalidArgument, "the rerun request must be a JSON object");
  Json body = input;
  if (auto params = input.find("params"); params != input.end()) {
    if (input.size() != 1)
      return fail(ErrorCode::kInvalidArgument, "params cannot be combined with other fields");
    auto converted = from_pop_params(*params);
    if (!converted) return fail(converted.error());
    body = std::move(*converted);
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "resetAll" && key != "continue" && key != "operationsToReset" &&
        key != "skipExecution") {
      return fail(ErrorCode::kInvalidArgument,
                  "unknown rerun parameter \"" + key +
                      "\" (expected resetAll, continue, operationsToReset, skipExecution)");
    }
  }
  RerunRequest request;
  auto reset_all = flag(body, "resetAll");
  auto continue_mode = flag(body, "continue");
  auto skip = flag(body, "skipExecution");
  for (const auto* parsed : {&reset_all, &continue_mode, &skip})
    if (!*parsed) return fail(parsed->error());
  request.skip_execution = *skip;
  int modes = (*reset_all ? 1 : 0) + (*continue_mode ? 1 : 0);
  if (auto names = body.find("operationsToReset"); names != body.end()) {
    auto list = operation_list(*names);
    if (!list) return fail(list.error());
    request.operations_to_reset = std::move(*list);
    request.mode = RerunRequest::Mode::kOperationsToReset;
    ++modes;
  } else if (*continue_mode) {
    request.mode = RerunRequest::Mode::kContinue;
  }
  if (modes > 1)
    return fail(ErrorCode::kInvalidArgument,
                "choose one of resetAll, continue and operationsToReset");
  return request;
}

Result<AgendaProgress> reset_for_rerun(const Agenda& agenda, AgendaProgress progress,
                                       const RerunRequest& request) {
  const std::size_t count = agenda.operations.size();
  if (progress.operations.size() != count)
    return fail(ErrorCode::kInternal, "the progress does not match the agenda's operations");
  std::vector<bool> reset(count, true);
  if (request.mode != RerunRequest::Mode::kResetAll) {
    for (std::size_t i = 0; i < count; ++i)
      reset[i] = progress.operations[i].state != OperationState::kSucceeded;
  }
  if (request.mode == RerunRequest::Mode::kOperationsToReset) {
    const auto index = index_operation_names(agenda);
    IssueList ignored;
    const AgendaGraph graph = build_agenda_graph(agenda, ignored);
    std::deque<std::size_t> pending;
    for (const auto& name : request.operations_to_reset) {
      auto it = index.find(fold_name(name));
      if (it == index.end())
        return fail(ErrorCode::kInvalidArgument,
                    "operationsToReset: the agenda has no operation \"" + name + "\"");
      pending.push_back(it->second);
    }
    std::vector<bool> visited(count, false);
    while (!pending.empty()) {
      const std::size_t at = pending.front();
      pending.pop_front();
      if (visited[at]) continue;
      visited[at] = reset[at] = true;
      for (std::size_t dependant : graph.dependants[at]) pending.push_back(dependant);
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!reset[i]) continue;
    OperationProgress fresh;
    fresh.operation = progress.operations[i].operation;
    progress.operations[i] = std::move(fresh);
  }
  progress.state = ProcessingState::kWaiting;
  progress.outcome = AgendaOutcome::kNone;
  progress.completed_time.reset();
  progress.started_time.reset();
  progress.recompute_percent();
  return progress;
}

}  // namespace pop::service
