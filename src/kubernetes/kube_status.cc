#include "kubernetes/kube_status.h"

#include <string>
#include <string_view>

#include "http_client/error_mapping.h"
#include "util/json_fields.h"
#include "util/text.h"

namespace pop::kubernetes {

using Json = nlohmann::json;

namespace {

constexpr std::string_view kReasonPrefix = "reason: ";

// POP's table (http_client/error_mapping.h), except where the Kubernetes API documents another
// meaning for a status.
ErrorCode code_for_http_status(int http_status) {
  switch (http_status) {
    case 410:
      // A list or watch whose resourceVersion is too old: the caller lists again (is_expired).
      return ErrorCode::kPreconditionFailed;
    case 422:
      // The object POP built failed the API server's validation (reason Invalid): a fault of
      // the request this client made, not of an agenda a user wrote.
      return ErrorCode::kInvalidArgument;
    default:
      return http_client::error_code_for_status(http_status);
  }
}

ErrorCode code_for_reason(std::string_view reason, int http_status, std::string_view message) {
  if (reason == "NotFound") return ErrorCode::kNotFound;
  if (reason == "AlreadyExists" || reason == "Conflict") return ErrorCode::kConflict;
  if (reason == "Invalid" || reason == "BadRequest") return ErrorCode::kInvalidArgument;
  if (reason == "Unauthorized") return ErrorCode::kUnauthenticated;
  if (reason == "Forbidden") {
    // Admission answers 403 when a namespace's ResourceQuota is used up: that passes.
    return message.find("exceeded quota") != std::string_view::npos ? ErrorCode::kResourceExhausted
                                                                    : ErrorCode::kForbidden;
  }
  if (reason == "Gone" || reason == "Expired") return ErrorCode::kPreconditionFailed;
  if (reason == "TooManyRequests") return ErrorCode::kResourceExhausted;
  if (reason == "RequestEntityTooLarge") return ErrorCode::kTooLarge;
  if (reason == "MethodNotAllowed" || reason == "NotAcceptable" ||
      reason == "UnsupportedMediaType") {
    return ErrorCode::kInternal;  // this client sent something the API never accepts
  }
  if (reason == "ServerTimeout" || reason == "Timeout" || reason == "InternalError" ||
      reason == "ServiceUnavailable") {
    return ErrorCode::kUnavailable;
  }
  return code_for_http_status(http_status);
}

bool has_reason(const Error& error, std::string_view reason) {
  for (const auto& detail : error.details) {
    if (detail.starts_with(kReasonPrefix) && detail.substr(kReasonPrefix.size()) == reason) {
      return true;
    }
  }
  return false;
}

}  // namespace

Error error_from_status(int http_status, const Json& status, const std::string& url) {
  std::string reason;
  std::string message;
  int code = http_status;
  if (status.is_object()) {
    reason = string_field(status, "reason");
    message = string_field(status, "message");
    if (auto it = status.find("code"); it != status.end()) code = int_value(*it).value_or(code);
  }
  Error error{code_for_reason(reason, code, message), message, {}};
  if (error.message.empty()) {
    error.message = url + " answered " + std::to_string(code);
    if (!reason.empty()) error.message += " " + reason;
  }
  error.message = valid_utf8(error.message);
  if (!reason.empty()) error.details.push_back(std::string(kReasonPrefix) + reason);
  return error;
}

Error error_from_response(const http_client::Response& response) {
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    Error error = error_from_status(response.status, Json(), response.url);
    if (!response.body.empty()) {
      std::string quoted = valid_utf8(response.body.substr(0, 200));
      for (char& c : quoted) {
        if (c == '\r' || c == '\n') c = ' ';
      }
      error.message += ": " + quoted;
    }
    return error;
  }
  return error_from_status(response.status, body, response.url);
}

bool is_expired(const Error& error) { return error.code == ErrorCode::kPreconditionFailed; }

bool is_already_exists(const Error& error) {
  // A 409 on create without a reason can only be the name being taken.
  return error.code == ErrorCode::kConflict && !has_reason(error, "Conflict");
}

}  // namespace pop::kubernetes
