#include "postgres/pg_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "postgres/pg_connection.h"

namespace pop::postgres {

Listener::Listener(ListenerOptions options, Notified notified, std::function<void()> resync)
    : options_(std::move(options)),
      notified_(std::move(notified)),
      resync_(std::move(resync)),
      wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      thread_([this] { run(); }) {}

Listener::~Listener() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopped_.notify_all();
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wakeup_.get(), &one, sizeof one);
  thread_.join();
}

void Listener::run() {
  while (true) {
    listen_once();
    if (!pause(options_.reconnect_delay)) return;
  }
}

bool Listener::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !options_.clock->wait_for(stopped_, lock, delay, [this] { return stopping_; });
}

void Listener::listen_once() {
  auto connection = Connection::open(options_.uri, options_.password);
  if (!connection) return;
  for (const std::string& channel : options_.channels) {
    if (!connection->execute("LISTEN " + channel)) return;
  }
  resync_();
  auto next_resync = options_.clock->steady_now() + options_.resync_interval;
  // libpq may have read notifications with the answers to LISTEN: poll would not see them.
  while (auto notification = connection->next_notification())
    notified_(notification->first, notification->second);
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const auto now = options_.clock->steady_now();
    if (now >= next_resync) {
      resync_();
      next_resync = now + options_.resync_interval;
    }
    const auto until_resync =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_resync - now).count();
    pollfd fds[2] = {{connection->socket(), POLLIN, 0}, {wakeup_.get(), POLLIN, 0}};
    // Capped, so that a clock that moves without waiting (tests) is seen within a second.
    const int timeout = static_cast<int>(std::clamp<long long>(until_resync, 0, 1000));
    if (::poll(fds, 2, timeout) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    if (!connection->consume_input()) return;
    while (auto notification = connection->next_notification())
      notified_(notification->first, notification->second);
  }
}

}  // namespace pop::postgres
