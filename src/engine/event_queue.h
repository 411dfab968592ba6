// A multi-producer, single-consumer queue the executor sleeps on: runner threads push,
// the executor wakes for the next event or the next deadline, whichever comes first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "util/clock.h"

namespace pop {

template <typename Event>
class EventQueue {
 public:
  void push(Event event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    ready_.notify_one();
  }

  // Returns every queued event, waiting until there is one or `deadline` passes on `clock`
  // (then the result may be empty). No deadline waits indefinitely.
  std::vector<Event> wait(std::optional<Clock::SteadyTime> deadline, const Clock& clock) {
    std::unique_lock lock(mutex_);
    auto has_events = [this] { return !events_.empty(); };
    if (deadline) {
      clock.wait_until(ready_, lock, *deadline, has_events);
    } else {
      clock.wait(ready_, lock, has_events);
    }
    std::vector<Event> out(std::make_move_iterator(events_.begin()),
                           std::make_move_iterator(events_.end()));
    events_.clear();
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
};

}  // namespace pop
