#include "api/readiness_routes.h"

#include "http/error_response.h"

namespace pop::api {

Result<void> add_readiness_routes(http::Router& router, store::StoreReadiness& readiness) {
  auto ready = [&readiness](const http::HttpRequest& request) {
    auto checked = readiness.check();
    http::HttpResponse response =
        checked ? http::json_response(200, {{"status", "ready"}})
                : http::error_response(checked.error(), request.correlation_id);
    response.headers.set("Cache-Control", "no-store");
    return response;
  };
  // HEAD is served by this GET route too (the status and headers, without the body).
  return router.add("GET", "/readyz", ready, http::Access::kOpen);
}

}  // namespace pop::api
