#include "api/metrics_routes.h"

#include "access/access_policy.h"
#include "api/api_error.h"
#include "api/authentication_gate.h"

namespace pop::api {

Result<void> add_metrics_route(http::Router& router, const metrics::MetricsRegistry* registry,
                               http::Access access) {
  auto scrape = [registry, access](const http::HttpRequest& request) {
    if (access == http::Access::kGuarded) {
      if (auto allowed = access::check_read_metrics(caller_of(request)); !allowed)
        return api_error(allowed.error(), request);
    }
    if (registry == nullptr) {
      return api_error(Error{ErrorCode::kNotFound,
                             "this server keeps no metrics (it was started with --no-metrics)",
                             {}},
                       request);
    }
    http::HttpResponse response;
    response.status = 200;
    response.body = registry->text();
    response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.headers.set("Cache-Control", "no-store");
    return response;
  };
  return router.add("GET", "/metrics", scrape, access);
}

}  // namespace pop::api
