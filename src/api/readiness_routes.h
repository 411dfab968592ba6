// GET and HEAD /readyz: 200 {"status": "ready"} while the store accepts writes, else 503 in
// the error shape with the reason (store/store_readiness.h). Open like /healthz, so that
// load balancers and orchestrators probe it without a token; it costs at most one small
// write per second however often it is asked.
#pragma once

#include "http/router.h"
#include "store/store_readiness.h"

namespace pop::api {

// Borrows `readiness`, which must outlive the router's handlers. kConflict when a route is
// already there.
Result<void> add_readiness_routes(http::Router& router, store::StoreReadiness& readiness);

}  // namespace pop::api
