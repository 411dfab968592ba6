// LISTEN on PostgreSQL channels: a connection and a thread of its own hand each notification
// to a callback as it arrives. Notifications sent while the connection is down are lost, so
// whoever listens must be able to catch up by reading the state itself: `resync` is called
// each time the listener (re)starts listening, and every resync_interval as well, for
// connection poolers that do not pass LISTEN on (or drop it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/clock.h"
#include "util/unique_fd.h"

namespace pop::postgres {

struct ListenerOptions {
  std::string uri;
  std::string password;  // empty: PGPASSWORD or the password file
  std::vector<std::string> channels;
  // After a lost connection, the pause before connecting again.
  std::chrono::milliseconds reconnect_delay{1000};
  std::chrono::milliseconds resync_interval{30'000};
  const Clock* clock = &system_clock();
};

class Listener {
 public:
  using Notified = std::function<void(const std::string& channel, const std::string& payload)>;

  // Starts listening at once, on its thread; both callbacks are called there. REQUIRES: the
  // channels are SQL identifiers (lower case letters, digits and _).
  Listener(ListenerOptions options, Notified notified, std::function<void()> resync);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  // Stops the thread; no callback runs after it returns.
  ~Listener();

 private:
  void run();
  // Listens on one connection until it breaks or the listener stops.
  void listen_once();
  // Waits `delay` unless stopped first; false when stopped.
  bool pause(std::chrono::milliseconds delay);

  const ListenerOptions options_;
  const Notified notified_;
  const std::function<void()> resync_;
  UniqueFd wakeup_;  // an eventfd: written to stop the thread's poll
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;     // last: starts after everything it uses exists
};

}  // namespace pop::postgres
