#include "cli/signal_watcher.h"

#include <pthread.h>
#include <signal.h>

namespace pop::cli {
namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // the destructor's wake-up call
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int, int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    int count = 0;
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      // SIGUSR1 from anyone but our destructor must not end the watcher: SIGINT and SIGTERM
      // would then stay blocked for good.
      if (signal == SIGUSR1) {
        if (stopping_.load()) return;
        continue;
      }
      int expected = 0;
      first_signal_.compare_exchange_strong(expected, signal);
      on_signal_(signal, ++count);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  stopping_.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace pop::cli
