#include "http/error_response.h"

namespace pop::http {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPreconditionFailed:
      return 412;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kInvalidAgenda:
    case ErrorCode::kInvalidDocument:
      return 422;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse json_response(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

HttpResponse no_content() {
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse error_response(const Error& error, std::string_view correlation_id) {
  HttpResponse response = error_response(http_status(error.code), error_code_name(error.code),
                                         error.message, error.details, correlation_id);
  // A quota frees up as agendas run: say when trying again is worth it.
  if (error.code == ErrorCode::kResourceExhausted)
    response.headers.set("Retry-After", std::to_string(kRetryAfterSeconds));
  return response;
}

Error body_too_large(std::size_t limit_bytes) {
  return Error{ErrorCode::kTooLarge,
               "request body exceeds the limit of " + std::to_string(limit_bytes) + " bytes",
               {}};
}

HttpResponse overloaded_response(std::string_view message, std::string_view correlation_id) {
  HttpResponse response =
      error_response(Error{ErrorCode::kUnavailable, std::string(message), {}}, correlation_id);
  response.headers.set("Retry-After", std::to_string(kOverloadedRetryAfterSeconds));
  return response;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            const std::vector<std::string>& details,
                            std::string_view correlation_id) {
  Json body = {{"error",
                {{"code", code},
                 {"message", message},
                 {"details", details},
                 {"correlationId", correlation_id}}}};
  return json_response(status, body);
}

}  // namespace pop::http
