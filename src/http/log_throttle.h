// Keeps a repeating log line (a failing accept under a descriptor shortage fails as often as
// it is retried) to one line per interval, saying how many were left out.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace pop::http {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

  // Whether to write the line now: the number of lines left out since the last one written
  // (0 for the first), or nothing when this one is to be left out. Not synchronised.
  std::optional<std::size_t> admit(Clock::time_point now);

 private:
  const Clock::duration interval_;
  std::optional<Clock::time_point> last_;
  std::size_t suppressed_ = 0;
};

}  // namespace pop::http
