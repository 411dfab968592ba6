// When to repeat a request that failed for a reason that may pass: pure decisions on plain
// values, so the policy is tested without sockets or sleeping. Client::send applies it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "http_client/headers.h"

namespace pop::http_client {

struct RetryPolicy {
  int max_attempts = 4;  // including the first; 1 disables retries
  std::chrono::milliseconds initial_delay{200};
  std::chrono::milliseconds max_delay{10000};  // cap of the exponential back-off
  // No attempt starts later than this after the first one began; a wait that would cross
  // it (including a long Retry-After) ends the retries instead.
  std::chrono::milliseconds max_elapsed{60000};
};

// What one attempt came to, as far as the policy cares.
struct AttemptOutcome {
  // True when the request never reached the server (refused, DNS, TLS handshake, connect
  // timeout). Failures after the request was sent are not retried: the server may be
  // acting on it and a timeout suggests it is overloaded.
  bool connect_failed = false;
  int status = 0;  // the response's status when there was one
  std::optional<std::chrono::milliseconds> retry_after{};
};

// True when repeating the request cannot do anything twice: the idempotent methods of
// RFC 9110 §9.2.2 (GET, HEAD, OPTIONS, PUT, DELETE), or any request carrying an
// Idempotency-Key header, which lets the server recognise the repeat.
bool is_repeatable(std::string_view method, const Headers& headers);

// True for the statuses that say "try again later": 429, and 502, 503 and 504 from a server
// or proxy that is restarting or overloaded.
bool is_retryable_status(int status);

// How long to wait before attempt `attempts_made + 1`, or nullopt to give up and return
// `outcome` to the caller. `elapsed` is the time since the first attempt started;
// `unit_random` in [0, 1) draws the jitter. The back-off is d = min(initial_delay *
// 2^(attempts_made-1), max_delay) drawn uniformly from [d/2, d], so clients that failed
// together do not retry together; a Retry-After from the server replaces it.
// REQUIRES: attempts_made >= 1 and the request is repeatable.
std::optional<std::chrono::milliseconds> next_retry_delay(const RetryPolicy& policy,
                                                          const AttemptOutcome& outcome,
                                                          int attempts_made,
                                                          std::chrono::milliseconds elapsed,
                                                          double unit_random);

// The delay a Retry-After value asks for: delta-seconds ("120") or an HTTP-date, relative to
// `now`; a date in the past is zero. nullopt when the value is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace pop::http_client
