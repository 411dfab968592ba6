// GET /metrics: the server's metrics in the Prometheus text exposition format
// (metrics/metrics_registry.h). On the API port it is guarded (admins only,
// access::check_read_metrics); on the --metrics-listen port, whose router holds nothing else,
// it is open, as scrapers expect.
#pragma once

#include "http/router.h"
#include "metrics/metrics_registry.h"

namespace pop::api {

// Borrows `registry`, which must outlive the router's handlers; without one (a server started
// with --no-metrics) the route answers 404 saying metrics are off. kConflict when the route is
// already there.
Result<void> add_metrics_route(http::Router& router, const metrics::MetricsRegistry* registry,
                               http::Access access);

}  // namespace pop::api
