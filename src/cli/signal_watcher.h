// Turns SIGINT and SIGTERM into calls on an ordinary thread, so the reaction (cancelling an
// executor) can take locks and allocate, which a signal handler cannot.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace pop::cli {

class SignalWatcher {
 public:
  // Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread, so construct it before any
  // other thread exists: threads inherit the mask and the signals reach only the watcher.
  // `on_signal(signal, count)` runs on the watcher thread; count is 1 for the first signal.
  explicit SignalWatcher(std::function<void(int signal, int count)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // The first signal received, or 0.
  int first_signal() const { return first_signal_; }

 private:
  std::function<void(int, int)> on_signal_;
  std::atomic<int> first_signal_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace pop::cli
