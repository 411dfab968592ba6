#include "kubernetes/task_pool.h"

#include <algorithm>

namespace pop::kubernetes {

TaskPool::TaskPool(int threads) {
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

void TaskPool::post_at(Clock::time_point when, Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.emplace(std::make_pair(when, next_sequence_++), std::move(task));
  }
  changed_.notify_all();
}

bool TaskPool::wait_idle(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  while (true) {
    const bool due = !tasks_.empty() && tasks_.begin()->first.first <= Clock::now();
    if (!due && running_ == 0) return true;
    if (Clock::now() >= deadline) return false;
    // Woken when a task ends; a delayed task falling due is noticed by the bounded wait.
    changed_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
  }
}

void TaskPool::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    const bool due = !tasks_.empty() && tasks_.begin()->first.first <= Clock::now();
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
      // A copy: wait_until reads its deadline again after waking, when another thread may
      // have taken the task (and freed the map node) meanwhile.
      const Clock::time_point next = tasks_.begin()->first.first;
      changed_.wait_until(lock, next);
    }
  }
}

}  // namespace pop::kubernetes
