// JSON calls to the POP API: request bodies serialised, answers parsed, and non-2xx answers
// turned into the pop::Error the server reported (see error_mapping.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_client/client.h"
#include "http_client/message.h"
#include "http_client/retry_policy.h"
#include "util/result.h"

namespace pop::http_client {

using Json = nlohmann::json;

// A Request with `body` (when given) serialised as its body, Content-Type and Accept set to
// application/json. Strings that are not valid UTF-8 are sent with U+FFFD in place of the
// bad bytes rather than failing.
Request json_request(std::string method, std::string target,
                     const std::optional<Json>& body = std::nullopt);

// The parsed body of a 2xx response (null when empty, as for 204); error_from_response for
// any other status; kUnavailable when a 2xx body is not JSON; a transport error unchanged.
Result<Json> json_result(Result<Response> response);

// json_request + Client::send (with `retry` when given) + json_result.
Result<Json> request_json(Client& client, std::string method, std::string target,
                          const std::optional<Json>& body = std::nullopt,
                          const std::optional<RetryPolicy>& retry = std::nullopt);

}  // namespace pop::http_client
