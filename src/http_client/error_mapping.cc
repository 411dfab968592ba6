#include "http_client/error_mapping.h"

#include <nlohmann/json.hpp>
#include <string>

#include "util/json_fields.h"
#include "util/text.h"

namespace pop::http_client {
using Json = nlohmann::json;

namespace {

// Enough of a foreign error page to recognise it, not so much that it floods a terminal.
constexpr std::size_t kQuotedBodyBytes = 200;

std::string quoted_body(const std::string& body) {
  std::string text = body.substr(0, kQuotedBodyBytes);
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  text = valid_utf8(text);
  if (body.size() > kQuotedBodyBytes) text += "...";
  return text;
}

}  // namespace

ErrorCode error_code_for_status(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 412:
      return ErrorCode::kPreconditionFailed;
    case 413:
      return ErrorCode::kTooLarge;
    case 422:
      return ErrorCode::kInvalidAgenda;
    case 429:
      return ErrorCode::kResourceExhausted;
    case 408:
      return ErrorCode::kUnavailable;
    default:
      break;
  }
  if (status >= 500) return ErrorCode::kUnavailable;
  if (status >= 400) return ErrorCode::kInvalidArgument;
  // 1xx and 3xx reach here only from a misbehaving server: this client follows no redirects.
  return ErrorCode::kUnavailable;
}

Error error_from_response(const Response& response) {
  Error error{error_code_for_status(response.status), {}, {}};
  std::string correlation_id;
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const Json& shape = body["error"];
    error.message = string_field(shape, "message");
    correlation_id = string_field(shape, "correlationId");
    if (auto details = shape.find("details"); details != shape.end() && details->is_array()) {
      for (const Json& detail : *details) {
        error.details.push_back(detail.is_string()
                                    ? detail.get<std::string>()
                                    : detail.dump(-1, ' ', false, Json::error_handler_t::replace));
      }
    }
  }
  if (error.message.empty()) {
    error.message = response.url + " answered " + std::to_string(response.status);
    if (!response.body.empty()) error.message += ": " + quoted_body(response.body);
  }
  if (correlation_id.empty()) correlation_id = std::string(response.header("X-Correlation-Id"));
  if (!correlation_id.empty()) error.details.push_back("correlation id: " + correlation_id);
  return error;
}

}  // namespace pop::http_client
