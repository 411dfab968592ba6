// Maps method + path to handlers. Patterns are literal segments and `{name}` segments,
// e.g. "/v1/agendas/{id}/progress"; a `{name}` segment matches one non-empty path segment
// and its percent-decoded value lands in HttpRequest::path_params. An unknown path gets a
// 404 and a known path with another method a 405 with Allow, both in the error shape. HEAD
// is served by the GET route of a path that has no HEAD route of its own (the server sends
// the GET's head without its body).
//
// Each route declares how much body it reads (BodyLimit); the router decides on a request
// from its head alone (admit(): route, gate, limit), so that a server reads no body of a
// request it refuses and no more body than its route takes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/admission.h"
#include "http/http_types.h"
#include "http/responder.h"
#include "util/result.h"

namespace pop::http {

// A handler that answers at once; exceptions are handled as for Handler.
using SyncHandler = std::function<HttpResponse(const HttpRequest& request)>;

// Runs before every guarded route (authentication): returns a response to send instead of
// running the route (a 401), or nothing to let the route run, having filled in what the
// route needs (HttpRequest::principal). Runs on a handler thread, once per request, before
// the request's body is read.
using Gate = std::function<std::optional<HttpResponse>(HttpRequest& request)>;

// Whether a route passes the gate; the few open ones (health checks) are marked at add().
enum class Access { kGuarded, kOpen };

// The body a route of no declared limit accepts: enough for a client that sends "{}" or a
// small form where none is read, far too little to cost the server memory.
inline constexpr std::size_t kDefaultMaxBodyBytes = 16 * 1024;

// The most body bytes (after de-chunking) a route reads; a larger body is answered 413
// naming this limit, before it is read.
struct BodyLimit {
  std::size_t bytes = kDefaultMaxBodyBytes;
};

// Build it, then hand it to the server with to_admitter(). Not synchronised: add() must not
// run concurrently with admit() or dispatch(); those are const and may run on many threads.
class Router {
 public:
  // Registers a route. Literal segments match exactly (case-sensitive); when two patterns
  // match a path, the one with a literal at the first differing segment wins, so
  // "/v1/agendas/search" beats "/v1/agendas/{id}". Fails with kInvalidArgument for a
  // malformed pattern (not starting with '/', empty or duplicate {name}, a '{' that is not
  // a whole segment) and kConflict when the same method and pattern shape are registered
  // twice. Without a BodyLimit, the route takes kDefaultMaxBodyBytes.
  Result<void> add(std::string method, std::string_view pattern, SyncHandler handler,
                   Access access = Access::kGuarded);
  Result<void> add(std::string method, std::string_view pattern, SyncHandler handler,
                   BodyLimit body, Access access = Access::kGuarded);
  Result<void> add_async(std::string method, std::string_view pattern, Handler handler,
                         Access access = Access::kGuarded);
  Result<void> add_async(std::string method, std::string_view pattern, Handler handler,
                         BodyLimit body, Access access = Access::kGuarded);

  // Every guarded route, including those added later, passes `gate` first. Routes are
  // guarded by default so that a new one cannot be left open by forgetting a line.
  void set_gate(Gate gate);

  // Finds the route for head.method and head.path, fills path_params and, for a guarded
  // route, runs the gate: the route's handler and body limit, or a refusal (400 for
  // undecodable path segments, 404, 405 as above, or the gate's answer).
  Admission admit(HttpRequest& head) const;

  // admit() and then, unless refused or the body is over the route's limit (413), the
  // route's handler, for a request already read whole.
  void dispatch(HttpRequest request, Responder responder) const;

  // The largest body any route reads (kDefaultMaxBodyBytes when there is no route): what a
  // Server in front of this router need accept at most (ServerOptions::max_body_bytes).
  std::size_t max_body_bytes() const;

  // What a Server decides requests with: admit() on a copy of this router, shared by all
  // threads.
  Admitter to_admitter() const;
  // A Handler that dispatches through a copy of this router (for a Server built from a
  // Handler, whose requests have one body limit).
  Handler to_handler() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    Access access = Access::kGuarded;
    std::size_t max_body_bytes = kDefaultMaxBodyBytes;
  };

  // Routes whose pattern matches `segments` (decoded), best first.
  std::vector<const Route*> matching(const std::vector<std::string>& segments) const;

  std::vector<Route> routes_;
  Gate gate_;
};

}  // namespace pop::http
