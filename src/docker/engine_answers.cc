#include "docker/engine_answers.h"

#include <optional>

#include "util/json_fields.h"

namespace pop::docker {
namespace {

ErrorCode code_for_status(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    default:
      return ErrorCode::kUnavailable;
  }
}

}  // namespace

Error engine_error(const http_client::Response& response, std::string_view what) {
  std::string message;
  const Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    message = body["message"].get<std::string>();
  } else {
    message = "HTTP " + std::to_string(response.status) + " " + response.body.substr(0, 200);
  }
  return Error{code_for_status(response.status), std::string(what) + ": " + message, {}};
}

Result<Json> parse_answer(const http_client::Response& response, std::string_view what) {
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_discarded())
    return fail(ErrorCode::kUnavailable, std::string(what) + ": the engine's answer is not JSON");
  return body;
}

Result<std::string> created_container_id(const Json& answer, std::string_view what) {
  const auto id = answer.is_object() ? answer.find("Id") : answer.end();
  if (id == answer.end() || !id->is_string())
    return fail(ErrorCode::kUnavailable, std::string(what) + ": no Id in the answer");
  return id->get<std::string>();
}

Result<ContainerExit> container_exit(const Json& answer) {
  const auto code = answer.is_object() ? answer.find("StatusCode") : answer.end();
  if (code == answer.end() || !code->is_number_integer())
    return fail(ErrorCode::kUnavailable, "wait for container: no StatusCode in the answer");
  const std::optional<int> status = int_value(*code);
  if (!status)
    return fail(ErrorCode::kUnavailable,
                "wait for container: the StatusCode " + code->dump() + " is not an exit status");
  return ContainerExit{*status};
}

bool container_running(const Json& inspected) {
  const auto state = inspected.is_object() ? inspected.find("State") : inspected.end();
  if (state == inspected.end() || !state->is_object()) return false;
  const auto running = state->find("Running");
  return running != state->end() && *running == true;
}

std::vector<std::string> listed_container_ids(const Json& answer) {
  std::vector<std::string> ids;
  if (!answer.is_array()) return ids;
  for (const auto& container : answer) {
    const auto id = container.is_object() ? container.find("Id") : container.end();
    if (id != container.end() && id->is_string()) ids.push_back(id->get<std::string>());
  }
  return ids;
}

Result<void> pull_outcome(std::string_view body, const std::string& image) {
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const Json line = Json::parse(body.substr(start, end - start), nullptr, false);
    if (line.is_object() && line.contains("error"))
      return fail(ErrorCode::kUnavailable, "pull image " + image + ": " + line["error"].dump());
    start = end + 1;
  }
  return {};
}

}  // namespace pop::docker
