// The attempt log endpoints (docs/observability.md, "Attempt logs"), on top of
// service/agendas/attempt_logs.h. docs/api/openapi.yaml describes them.
//
//   PUT /v1/agendas/{id}/leases/{epoch}/logs/{operation}/{attempt}?offset=N[&end=true]
//       the lease's puller: a chunk of the attempt's output (the raw bytes as the body)
//   GET /v1/agendas/{id}/operations/{name}/logs[?attempt=N][&follow=true]
//       whoever may read the agenda: the log as text/plain, followed while it grows
#pragma once

#include "api/log_followers.h"
#include "http/router.h"
#include "service/agendas/attempt_logs.h"

namespace pop::api {

// The most a chunk's body may hold; pullers send less.
inline constexpr std::size_t kMaxLogChunkBytes = 1 << 20;

// Adds the routes; `logs` and `followers` must outlive the router's handlers. kConflict when
// a route is already there.
Result<void> add_attempt_log_routes(http::Router& router, service::AttemptLogs& logs,
                                    LogFollowers& followers);

}  // namespace pop::api
