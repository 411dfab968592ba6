// GET /v1/events: the live event stream as Server-Sent Events (docs/observability.md, "Event
// stream"; docs/api/openapi.yaml). Filters are query parameters; Last-Event-ID (the header,
// or the lastEventId parameter for clients that cannot set headers) resumes.
#pragma once

#include "api/event_streams.h"
#include "http/router.h"

namespace pop::api {

// Adds the route to `router`; borrows `streams`, which must outlive the router's use. Without
// streams (a server started with --event-window 0) the route answers 404 saying the stream is
// off. kConflict when the route is already there.
Result<void> add_event_routes(http::Router& router, EventStreams* streams);

}  // namespace pop::api
