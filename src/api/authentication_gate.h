// The Router gate that authenticates every guarded request: the bearer token becomes the
// request's principal, or the request is answered 401 (with WWW-Authenticate) without
// reaching its route. It runs on the request's head, before the body is read (a refused
// request's body is never read), on a handler thread. Rejections are logged through the
// request's logger with their reason, the peer and the correlation id — never the token; a
// client refused again and again cannot flood the log: past kRefusalLogBurst events in
// kRefusalLogInterval, refusals are only counted, and the next event logged says how many
// were left out.
#pragma once

#include <chrono>
#include <cstddef>

#include "auth/authenticator.h"
#include "auth/principal.h"
#include "http/router.h"
#include "util/clock.h"
#include "util/log_throttle.h"

namespace pop::api {

inline constexpr std::size_t kRefusalLogBurst = 20;
inline constexpr std::chrono::seconds kRefusalLogInterval{10};

// Borrows `authenticator` and `clock` (which paces the refusal log), both of which must
// outlive the router.
http::Gate authentication_gate(const auth::Authenticator& authenticator,
                               const Clock& clock = system_clock());

// The principal the gate set; a principal that may see and do nothing when there is none
// (a router without a gate), so that a missing gate fails closed.
const auth::Principal& caller_of(const http::HttpRequest& request);

}  // namespace pop::api
