// Reading the Docker Engine's answers without trusting their shape: an engine (or whatever
// listens on its socket) that answers something unexpected gets an error naming the call,
// never an exception or a misread value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http_client/message.h"
#include "util/result.h"

namespace pop::docker {

using Json = nlohmann::json;

struct ContainerExit {
  int status_code = 0;
};

// The error for a failed call `what`: the engine's {"message": "..."} when it sent one, else
// the HTTP status and the start of the body. 400 -> kInvalidArgument, 404 -> kNotFound,
// 409 -> kConflict, anything else kUnavailable.
Error engine_error(const http_client::Response& response, std::string_view what);

// The body as JSON; kUnavailable naming `what` when it is not JSON.
Result<Json> parse_answer(const http_client::Response& response, std::string_view what);

// The "Id" of a create answer; kUnavailable naming `what` when there is none.
Result<std::string> created_container_id(const Json& answer, std::string_view what);

// The "StatusCode" of a wait answer; kUnavailable when it is missing, not an integer or out of
// an int's range (read as something else it could turn a failure into a success).
Result<ContainerExit> container_exit(const Json& answer);

// Whether an inspect answer says the container runs (State.Running; a paused container
// runs too). False when the answer does not say so.
bool container_running(const Json& inspected);

// The "Id" of every container of a list answer; entries without one are skipped.
std::vector<std::string> listed_container_ids(const Json& answer);

// A pull answers 200 at once and reports progress, and failures, as JSON lines: the first
// {"error": ...} line as kUnavailable naming `image`, else success.
Result<void> pull_outcome(std::string_view body, const std::string& image);

}  // namespace pop::docker
