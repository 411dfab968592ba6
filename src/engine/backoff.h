// Delay before retrying an operation: exponential in the attempt number, with jitter so
// that operations failing together do not retry in lockstep.
#pragma once

#include <chrono>

namespace pop {

inline constexpr std::chrono::milliseconds kMaximumRetryDelay = std::chrono::minutes(5);

// `failed_attempt` is 1 for the first attempt. The delay is drawn uniformly from
// [d/2, d] where d = min(base * 2^(failed_attempt-1), kMaximumRetryDelay); `unit_random`
// is a number in [0, 1) supplied by the caller (so tests are deterministic).
std::chrono::milliseconds retry_delay(double base_seconds, int failed_attempt, double unit_random);

}  // namespace pop
