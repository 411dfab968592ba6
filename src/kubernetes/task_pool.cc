#include "kubernetes/task_pool.h"

#include <algorithm>

namespace pop::kubernetes {

TaskPool::TaskPool(int threads, const Clock& clock) : clock_(clock) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { run(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void TaskPool::post_at(Time when, Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.emplace(std::make_pair(when, next_sequence_++), std::move(task));
  }
  changed_.notify_all();
}

bool TaskPool::idle() const {
  const bool due = !tasks_.empty() && tasks_.begin()->first.first <= clock_.steady_now();
  return !due && running_ == 0;
}

bool TaskPool::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // Re-checked whenever a task ends; a delayed task falling due makes the pool busy, not
  // idle, so nothing needs to notice it here.
  return clock_.wait_until(changed_, lock, clock_.steady_now() + timeout,
                           [this] { return idle(); });
}

void TaskPool::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    const bool due = !tasks_.empty() && tasks_.begin()->first.first <= clock_.steady_now();
    if (due) {
      Task task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      ++running_;
      lock.unlock();
      task();
      task = nullptr;  // its captures go before the pool counts it as done
      lock.lock();
      --running_;
      changed_.notify_all();
      continue;
    }
    if (stopping_) return;
    if (tasks_.empty()) {
      changed_.wait(lock);
    } else {
      // A copy: the wait reads its deadline again after waking, when another thread may
      // have taken the task (and freed the map node) meanwhile. Until then, or until an
      // earlier task or the stop comes.
      const Time next = tasks_.begin()->first.first;
      clock_.wait_until(changed_, lock, next, [this, next] {
        return stopping_ || tasks_.empty() || tasks_.begin()->first.first < next;
      });
    }
  }
}

}  // namespace pop::kubernetes
