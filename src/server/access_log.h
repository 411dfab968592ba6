// The access log (`pop server --access-log`): one event per answered request on the
// server's logger (so in its format, text or JSON, with request data escaped), written as
// the answer's head goes out: method, path (never the query, which may carry what a caller
// would not want kept), the route that took it, status, seconds taken, the client's address
// and the correlation id that the answer's X-Correlation-Id carries.
#pragma once

#include "http/server.h"
#include "util/logger.h"

namespace pop::server {

// Borrows `logger`, which must outlive the observer.
http::ResponseObserver access_log(Logger& logger);

}  // namespace pop::server
