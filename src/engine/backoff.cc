#include "engine/backoff.h"

#include <algorithm>
#include <cmath>

namespace pop {

std::chrono::milliseconds retry_delay(double base_seconds, int failed_attempt, double unit_random) {
  const double cap_ms = static_cast<double>(kMaximumRetryDelay.count());
  // Clamping the exponent keeps pow() finite; the cap applies long before 2^40 anyway.
  const double growth = std::pow(2.0, std::clamp(failed_attempt - 1, 0, 40));
  const double full_ms = std::min(cap_ms, std::max(0.0, base_seconds) * 1000.0 * growth);
  const double jittered = full_ms / 2 + full_ms / 2 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(std::llround(jittered)));
}

}  // namespace pop
