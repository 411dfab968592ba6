#include "api/request_body.h"

namespace pop::api {

Result<nlohmann::json> json_body(const http::HttpRequest& request, const JsonLimits& limits) {
  auto body = parse_json_limited(request.body, limits);
  if (!body) return fail(body.error().code, "request body: " + body.error().message);
  return body;
}

}  // namespace pop::api
