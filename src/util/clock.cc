#include "util/clock.h"

#include <algorithm>
#include <type_traits>

namespace pop {
namespace {

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  SteadyTime deadline, const std::function<bool()>& ready) const override {
    return cv.wait_until(lock, deadline, ready);
  }
  bool wait_until(std::condition_variable_any& cv, std::unique_lock<std::recursive_mutex>& lock,
                  SteadyTime deadline, const std::function<bool()>& ready) const override {
    return cv.wait_until(lock, deadline, ready);
  }
  void wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
            const std::function<bool()>& ready) const override {
    cv.wait(lock, ready);
  }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

bool ManualClock::wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                             SteadyTime deadline, const std::function<bool()>& ready) const {
  return wait_on(cv, lock, deadline, ready);
}

bool ManualClock::wait_until(std::condition_variable_any& cv,
                             std::unique_lock<std::recursive_mutex>& lock, SteadyTime deadline,
                             const std::function<bool()>& ready) const {
  return wait_on(cv, lock, deadline, ready);
}

void ManualClock::wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                       const std::function<bool()>& ready) const {
  wait_on(cv, lock, SteadyTime::max(), ready);
}

template <typename Cv, typename Lock>
bool ManualClock::wait_on(Cv& cv, Lock& lock, SteadyTime deadline,
                          const std::function<bool()>& ready) const {
  if (ready()) return true;
  if (steady_now() >= deadline) return false;
  Waiter waiter{nullptr, nullptr, deadline};
  if constexpr (std::is_same_v<Cv, std::condition_variable>) {
    waiter.cv = &cv;
  } else {
    waiter.cv_any = &cv;
  }
  {
    std::lock_guard registry(waiters_mutex_);
    waiters_.push_back(&waiter);
  }
  waiters_changed_.notify_all();
  bool result = false;
  for (;;) {
    if (ready()) {
      result = true;
      break;
    }
    if (steady_now() >= deadline) break;
    cv.wait_for(lock, kRecheck);
  }
  {
    std::lock_guard registry(waiters_mutex_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  }
  waiters_changed_.notify_all();
  return result;
}

void ManualClock::advance(std::chrono::nanoseconds by) {
  std::lock_guard registry(waiters_mutex_);
  moved_ += by.count();
  for (const Waiter* waiter : waiters_) {
    if (waiter->cv != nullptr) waiter->cv->notify_all();
    if (waiter->cv_any != nullptr) waiter->cv_any->notify_all();
  }
  waiters_changed_.notify_all();
}

std::vector<Clock::SteadyTime> ManualClock::pending_deadlines_locked() const {
  const SteadyTime now = steady_now();
  std::vector<SteadyTime> deadlines;
  for (const Waiter* waiter : waiters_)
    if (waiter->deadline > now) deadlines.push_back(waiter->deadline);
  std::sort(deadlines.begin(), deadlines.end());
  return deadlines;
}

std::size_t ManualClock::waiters() const {
  std::lock_guard registry(waiters_mutex_);
  return pending_deadlines_locked().size();
}

bool ManualClock::await_waiters(std::size_t count, std::chrono::milliseconds real_bound) const {
  return await_deadlines(
      [count](const std::vector<SteadyTime>& deadlines) { return deadlines.size() >= count; },
      real_bound);
}

bool ManualClock::await_deadlines(const std::function<bool(const std::vector<SteadyTime>&)>& holds,
                                  std::chrono::milliseconds real_bound) const {
  std::unique_lock registry(waiters_mutex_);
  return waiters_changed_.wait_for(registry, real_bound,
                                   [&] { return holds(pending_deadlines_locked()); });
}

}  // namespace pop
