#include "api/request_body.h"

#include "util/json_limits.h"

namespace pop::api {

Result<nlohmann::json> json_body(const http::HttpRequest& request, std::size_t max_bytes,
                                 int max_depth) {
  auto body = parse_json_limited(request.body, max_bytes, max_depth);
  if (!body) return fail(body.error().code, "request body: " + body.error().message);
  return body;
}

}  // namespace pop::api
