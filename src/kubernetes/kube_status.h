// Kubernetes answers every failed request with a Status object ({"kind": "Status", "code":
// 404, "reason": "NotFound", "message": "pods \"x\" not found", ...}); these turn it into the
// pop::Error POP reports, keeping the API server's message.
#pragma once

#include <nlohmann/json.hpp>

#include "http_client/message.h"
#include "util/result.h"

namespace pop::kubernetes {

// NotFound -> kNotFound; AlreadyExists, Conflict -> kConflict; Invalid, BadRequest ->
// kInvalidArgument; Unauthorized -> kUnauthenticated; Forbidden -> kForbidden, except an
// exceeded ResourceQuota, which is kResourceExhausted like TooManyRequests;
// RequestEntityTooLarge -> kTooLarge; Gone and Expired (410: the resourceVersion is too old)
// -> kPreconditionFailed, which is_expired() recognises; server errors and timeouts ->
// kUnavailable. Without a reason the HTTP status decides, by http_client's table
// (error_code_for_status) except for 410 (kPreconditionFailed, as for Gone) and 422
// (kInvalidArgument: the object POP built is invalid, not an agenda). The message is the Status
// message (or the URL and status); the reason is kept as a detail line "reason: NotFound".
// `http_status` 0 takes the code from the Status object (a watch's ERROR event).
Error error_from_status(int http_status, const nlohmann::json& status, const std::string& url);
Error error_from_response(const http_client::Response& response);

// True for the error of a list or watch whose resourceVersion the server no longer has: the
// caller must list again and continue from the new list's resourceVersion.
bool is_expired(const Error& error);

// True for a 409 that is not an update Conflict: the name is taken (AlreadyExists).
bool is_already_exists(const Error& error);

}  // namespace pop::kubernetes
