// Turning a server's non-2xx answer back into the pop::Error it was made from. The server
// sends {"error": {"code", "message", "details", "correlationId"}} (see
// http/error_response.h); anything else (a proxy's HTML page, an empty body) still becomes a
// readable Error.
#pragma once

#include "http_client/message.h"
#include "util/result.h"

namespace pop::http_client {

// The one table from an HTTP status to an ErrorCode, for every client of an HTTP API (the
// Kubernetes client overrides the statuses its API documents otherwise, kube_status.cc).
// The inverse of the server's mapping (http/error_response.h) for the codes that have a
// status of their own: 400 kInvalidArgument, 401 kUnauthenticated, 403 kForbidden, 404
// kNotFound, 409 kConflict, 412 kPreconditionFailed, 413 kTooLarge, 422 kInvalidAgenda (the
// server's 422 also carries kInvalidDocument; the status alone cannot tell them apart), 429
// kResourceExhausted. Every 5xx (and 408) is kUnavailable, since from here the server is an
// external system that failed; any other 4xx (405, 410, ...) is kInvalidArgument, as the
// request is what must change.
ErrorCode error_code_for_status(int status);

// The Error for `response`, which should not be ok(). Message and details are the server's
// when the body has the error shape; otherwise the message names the URL and status and
// quotes the start of the body. The correlation id (from the body, else the X-Correlation-Id
// header) is kept as a last detail line "correlation id: <id>" for support requests.
Error error_from_response(const Response& response);

}  // namespace pop::http_client
