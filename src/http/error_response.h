// Responses with JSON bodies, and the one error shape every failure uses:
//   {"error": {"code": "not_found", "message": "...", "details": ["..."],
//              "correlationId": "..."}}
// `code` is the ErrorCode's name (error_code_name) for errors that come from an Error, or
// one of the protocol codes below for failures the HTTP layer detects itself.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"
#include "util/result.h"

namespace pop::http {

using Json = nlohmann::json;

// Codes for protocol-level failures that have no ErrorCode of their own.
inline constexpr std::string_view kMethodNotAllowedCode = "method_not_allowed";
inline constexpr std::string_view kRequestTimeoutCode = "request_timeout";
inline constexpr std::string_view kNotImplementedCode = "not_implemented";
// A 307 to another server (a pull redirected to the replica that keeps the pool's queues).
inline constexpr std::string_view kMovedCode = "moved";

// The HTTP status for an ErrorCode: 400, 401, 403, 404, 409, 412, 413, 422, 429, 503, 500
// (see result.h).
int http_status(ErrorCode code);

// A response with status `status`, Content-Type application/json and `body` serialised.
// Invalid UTF-8 in strings is replaced (U+FFFD) rather than thrown, so building a response
// never fails.
HttpResponse json_response(int status, const Json& body);

// 204 No Content.
HttpResponse no_content();

// What a 429 answer tells the client in Retry-After.
inline constexpr int kRetryAfterSeconds = 5;

// The error shape for `error`, with the status that its code maps to (and Retry-After for
// a 429).
HttpResponse error_response(const Error& error, std::string_view correlation_id);

// The kTooLarge error (413) for a request body over `limit_bytes`, naming the limit.
Error body_too_large(std::size_t limit_bytes);

// What a 503 for a server at one of its own limits (connections, memory for bodies) tells
// the client in Retry-After: such a limit frees up as soon as other requests end.
inline constexpr int kOverloadedRetryAfterSeconds = 1;

// 503 in the error shape with Retry-After: kOverloadedRetryAfterSeconds.
HttpResponse overloaded_response(std::string_view message, std::string_view correlation_id);

// The error shape with an explicit status and code, for protocol failures (405, 431, ...).
HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            const std::vector<std::string>& details,
                            std::string_view correlation_id);

}  // namespace pop::http
