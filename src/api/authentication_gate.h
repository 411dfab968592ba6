// The Router gate that authenticates every guarded request: the bearer token becomes the
// request's principal, or the request is answered 401 (with WWW-Authenticate) without
// reaching its route. It runs on the request's head, before the body is read (a refused
// request's body is never read), on a handler thread. Rejections are logged with their
// reason, the peer and the correlation id — never the token — with request data escaped
// (escape_for_log) so that it cannot forge log lines; a client refused again and again
// cannot flood the log: past kRefusalLogBurst lines in kRefusalLogInterval, refusals are
// only counted, and the next line logged says how many were left out.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>

#include "auth/authenticator.h"
#include "auth/principal.h"
#include "http/router.h"
#include "util/log_throttle.h"

namespace pop::api {

inline constexpr std::size_t kRefusalLogBurst = 20;
inline constexpr std::chrono::seconds kRefusalLogInterval{10};

// Where the gate logs its refusals, one line per call (without a newline), and the clock
// that paces them. Both are called on handler threads, one call at a time.
struct RefusalLog {
  std::function<void(std::string_view line)> write;
  std::function<LogThrottle::Clock::time_point()> now;
};

// Borrows `authenticator`, which must outlive the router. Refusals go to `log`; by default
// to standard error, paced by the steady clock.
http::Gate authentication_gate(const auth::Authenticator& authenticator, RefusalLog log = {});

// The principal the gate set; a principal that may see and do nothing when there is none
// (a router without a gate), so that a missing gate fails closed.
const auth::Principal& caller_of(const http::HttpRequest& request);

}  // namespace pop::api
