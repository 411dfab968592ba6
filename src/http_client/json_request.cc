#include "http_client/json_request.h"

#include <utility>

#include "http_client/error_mapping.h"

namespace pop::http_client {

Request json_request(std::string method, std::string target, const std::optional<Json>& body) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers["Accept"] = "application/json";
  if (body) {
    request.body = body->dump(-1, ' ', false, Json::error_handler_t::replace);
    request.headers["Content-Type"] = "application/json";
  }
  return request;
}

Result<Json> json_result(Result<Response> response) {
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(error_from_response(*response));
  if (response->body.find_first_not_of(" \t\r\n") == std::string::npos) return Json();
  Json parsed = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return fail(ErrorCode::kUnavailable, response->url + " answered " +
                                             std::to_string(response->status) +
                                             " with a body that is not JSON");
  }
  return parsed;
}

Result<Json> request_json(Client& client, std::string method, std::string target,
                          const std::optional<Json>& body,
                          const std::optional<RetryPolicy>& retry) {
  const Request request = json_request(std::move(method), std::move(target), body);
  return json_result(retry ? client.send(request, *retry) : client.send(request));
}

}  // namespace pop::http_client
