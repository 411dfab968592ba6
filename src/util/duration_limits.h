// Upper bounds on the durations agendas and registries may ask for. Beyond them a value is
// far more likely a mistake (milliseconds written as seconds) than an intent, and bounded
// values convert to chrono durations without overflow.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace pop {

inline constexpr double kMaxTimeoutSeconds = 30 * 24 * 3600;  // 30 days
inline constexpr double kMaxRetryBackoffSeconds = 24 * 3600;
inline constexpr double kMaxTerminationGraceSeconds = 3600;

// Seconds to milliseconds, saturating at the bounds above (and at 0 for negatives or NaN).
inline std::chrono::milliseconds seconds_to_ms(double seconds) {
  if (!(seconds > 0)) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<long long>(std::llround(std::min(seconds, kMaxTimeoutSeconds) * 1000.0)));
}

}  // namespace pop
