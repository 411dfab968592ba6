// The Router gate that authenticates every guarded request: the bearer token becomes the
// request's principal, or the request is answered 401 (with WWW-Authenticate) without
// reaching its route. It runs on the request's head, before the body is read (a refused
// request's body is never read), on a handler thread. Every rejection is logged to stderr
// with its reason, the peer and the correlation id — never the token — with request data
// escaped (escape_for_log) so that it cannot forge log lines.
#pragma once

#include "auth/authenticator.h"
#include "auth/principal.h"
#include "http/router.h"

namespace pop::api {

// Borrows `authenticator`, which must outlive the router.
http::Gate authentication_gate(const auth::Authenticator& authenticator);

// The principal the gate set; a principal that may see and do nothing when there is none
// (a router without a gate), so that a missing gate fails closed.
const auth::Principal& caller_of(const http::HttpRequest& request);

}  // namespace pop::api
