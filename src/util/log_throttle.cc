#include "util/log_throttle.h"

#include <utility>

namespace pop {

std::optional<std::size_t> LogThrottle::admit(Clock::time_point now) {
  if (!started_ || now - *started_ >= interval_) {
    started_ = now;
    written_ = 0;
  }
  if (written_ >= burst_) {
    ++left_out_;
    return std::nullopt;
  }
  ++written_;
  return std::exchange(left_out_, 0);
}

}  // namespace pop
