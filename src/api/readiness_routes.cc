#include "api/readiness_routes.h"

#include "http/error_response.h"

namespace pop::api {

Result<void> add_readiness_routes(http::Router& router, service::StoreReadiness& readiness) {
  auto ready = [&readiness](const http::HttpRequest& request) {
    auto checked = readiness.check();
    http::HttpResponse response =
        checked ? http::json_response(200, {{"status", "ready"}})
                : http::error_response(checked.error(), request.correlation_id);
    response.headers.set("Cache-Control", "no-store");
    return response;
  };
  if (auto added = router.add("GET", "/readyz", ready, http::Access::kOpen); !added) return added;
  // HEAD: the status and headers of GET, without the body.
  return router.add(
      "HEAD", "/readyz",
      [ready](const http::HttpRequest& request) {
        http::HttpResponse response = ready(request);
        response.body.clear();
        return response;
      },
      http::Access::kOpen);
}

}  // namespace pop::api
