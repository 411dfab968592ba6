#include "postgres/connection_pool.h"

#include <algorithm>
#include <utility>

namespace pop::postgres {

ConnectionPool::ConnectionPool(ConnectionPoolOptions options) : options_(std::move(options)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(connection_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  const std::size_t size = std::max<std::size_t>(options_.size, 1);
  std::unique_lock lock(mutex_);
  const bool free = options_.clock->wait_for(released_, lock, options_.acquire_timeout,
                                             [&] { return !idle_.empty() || open_ < size; });
  if (!free)
    return fail(ErrorCode::kUnavailable, "no PostgreSQL connection free within " +
                                             std::to_string(options_.acquire_timeout.count()) +
                                             " ms (all " + std::to_string(size) + " in use)");
  if (!idle_.empty()) {
    Connection connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  // Outside the lock: connecting takes a round trip, or libpq's connect timeout.
  auto opened = Connection::open(options_.uri, options_.password);
  if (!opened) {
    lock.lock();
    --open_;
    released_.notify_one();
    return fail(opened.error());
  }
  return Lease(this, std::move(*opened));
}

void ConnectionPool::give_back(Connection connection) {
  // Statements its last user queued and never sent are not the next user's to send.
  connection.drop_deferred(0);
  std::lock_guard lock(mutex_);
  if (connection.healthy()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // closed as it goes out of scope here
  }
  released_.notify_one();
}

std::size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace pop::postgres
