// Maps method + path to handlers. Patterns are literal segments and `{name}` segments,
// e.g. "/v1/agendas/{id}/progress"; a `{name}` segment matches one non-empty path segment
// and its percent-decoded value lands in HttpRequest::path_params. An unknown path gets a
// 404 and a known path with another method a 405 with Allow, both in the error shape.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"
#include "http/responder.h"
#include "util/result.h"

namespace pop::http {

// A handler that answers at once; exceptions are handled as for Handler.
using SyncHandler = std::function<HttpResponse(const HttpRequest& request)>;

// Runs before every guarded route (authentication): returns a response to send instead of
// running the route (a 401), or nothing to let the route run, having filled in what the
// route needs (HttpRequest::principal).
using Gate = std::function<std::optional<HttpResponse>(HttpRequest& request)>;

// Whether a route passes the gate; the few open ones (health checks) are marked at add().
enum class Access { kGuarded, kOpen };

// Build it, then hand it to the server with to_handler(). Not synchronised: add() must not
// run concurrently with dispatch(); dispatch() itself is const and may run on many threads.
class Router {
 public:
  // Registers a route. Literal segments match exactly (case-sensitive); when two patterns
  // match a path, the one with a literal at the first differing segment wins, so
  // "/v1/agendas/search" beats "/v1/agendas/{id}". Fails with kInvalidArgument for a
  // malformed pattern (not starting with '/', empty or duplicate {name}, a '{' that is not
  // a whole segment) and kConflict when the same method and pattern shape are registered
  // twice.
  Result<void> add(std::string method, std::string_view pattern, SyncHandler handler,
                   Access access = Access::kGuarded);
  Result<void> add_async(std::string method, std::string_view pattern, Handler handler,
                         Access access = Access::kGuarded);

  // Every guarded route, including those added later, passes `gate` first. Routes are
  // guarded by default so that a new one cannot be left open by forgetting a line.
  void set_gate(Gate gate);

  // Finds the route for request.method and request.path, fills path_params and runs it;
  // answers 400 for undecodable path segments, else 404 or 405 as above.
  void dispatch(HttpRequest request, Responder responder) const;

  // A Handler that dispatches through a copy of this router, shared by all threads.
  Handler to_handler() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool param = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
    Access access = Access::kGuarded;
  };

  // Routes whose pattern matches `segments` (decoded), best first.
  std::vector<const Route*> matching(const std::vector<std::string>& segments) const;

  std::vector<Route> routes_;
  Gate gate_;
};

}  // namespace pop::http
