#include "http/handler_pool.h"

#include <system_error>

namespace pop::http::detail {

HandlerPool::HandlerPool(std::size_t max_threads) : max_threads_(max_threads) {}

HandlerPool::~HandlerPool() { stop(); }

bool HandlerPool::post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  tasks_.push_back(std::move(task));
  // Idle threads outnumbering queued tasks will take this one; otherwise it would wait
  // behind a blocked handler, so a thread is added while the cap allows.
  if (idle_ < tasks_.size() && threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { work(); });
      return true;
    } catch (const std::system_error&) {
      // Out of threads (a process or memory limit): the threads there are take it later.
      if (threads_.empty()) {
        tasks_.pop_back();
        return false;
      }
    }
  }
  wake_.notify_one();
  return true;
}

void HandlerPool::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, and nothing left to run
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what it captured goes now, not when the next task arrives
    lock.lock();
  }
}

void HandlerPool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (std::thread& thread : threads) thread.join();
}

std::size_t HandlerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

}  // namespace pop::http::detail
