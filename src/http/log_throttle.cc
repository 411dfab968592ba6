#include "http/log_throttle.h"

#include <utility>

namespace pop::http {

std::optional<std::size_t> LogThrottle::admit(Clock::time_point now) {
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_ = now;
  return std::exchange(suppressed_, 0);
}

}  // namespace pop::http
