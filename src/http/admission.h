// How a server decides on a request from its head alone, before a byte of its body is read:
// which handler takes it and how much body it may carry, or the answer that refuses it (an
// unknown path, a sender that is not authenticated). A refused request's body is never
// read, so an unauthenticated client cannot make the server hold its bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "http/http_types.h"
#include "http/responder.h"

namespace pop::http {

struct Admission {
  // Set: the request is answered with this; a body still unread is not read (the
  // connection is closed after the answer). The others are then ignored.
  std::optional<HttpResponse> refusal;
  // The most body this request may carry, after de-chunking. A larger declared length is
  // answered 413 before the body is read; a chunked body is cut off with 413 when it grows
  // past it.
  std::size_t max_body_bytes = 0;
  // Answers the request once its body has been read, with the head as admit() left it.
  Handler handler;
  // The pattern of the route that took the request ("/v1/agendas/{id}"), also when its gate
  // refused it; empty when no route did. A label of bounded cardinality, unlike the path.
  std::string route;
};

// Decides on `head` (a request with an empty body), and may fill in what its handler will
// need (path parameters, the authenticated principal): the same object, with the body
// added, is what the handler receives. Called once per request on a handler thread, never
// the event loop, so it may block briefly (a store read to check a token); must be
// thread-safe. An exception escaping it is answered 500, like a handler's.
using Admitter = std::function<Admission(HttpRequest& head)>;

}  // namespace pop::http
