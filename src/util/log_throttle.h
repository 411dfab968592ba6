// Keeps a repeating log line to a few per interval, saying how many were left out: a failing
// accept under a descriptor shortage fails as often as it is retried, and a client that
// reconnects with a bad token is refused as often as it likes.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace pop {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // At most `burst` lines (at least one) per `interval`; an interval starts with the first
  // line written after the previous one has passed.
  explicit LogThrottle(Clock::duration interval, std::size_t burst = 1)
      : interval_(interval), burst_(burst > 0 ? burst : 1) {}

  // Whether to write the line now: the number of lines left out since the last one written
  // (0 unless this line is the first of an interval after some were left out), or nothing
  // when this one is to be left out. Not synchronised.
  std::optional<std::size_t> admit(Clock::time_point now);

 private:
  const Clock::duration interval_;
  const std::size_t burst_;
  std::optional<Clock::time_point> started_;  // of the current interval
  std::size_t written_ = 0;                   // in the current interval
  std::size_t left_out_ = 0;                  // since the last line written
};

}  // namespace pop
