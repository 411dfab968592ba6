#include "store/sqlite/connection_pool.h"

#include <utility>

namespace pop::store::sqlite {

ConnectionPool::Handle::Handle(Handle&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::exchange(other.connection_, nullptr)) {}

ConnectionPool::Handle::~Handle() {
  if (pool_ != nullptr) pool_->give_back(*connection_);
}

ConnectionPool::ConnectionPool(std::vector<Connection> connections)
    : connections_(std::move(connections)) {
  free_.reserve(connections_.size());
  for (Connection& connection : connections_) free_.push_back(&connection);
}

ConnectionPool::Handle ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !free_.empty(); });
  Connection* connection = free_.back();
  free_.pop_back();
  return Handle(*this, *connection);
}

void ConnectionPool::give_back(Connection& connection) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&connection);
  }
  available_.notify_one();
}

}  // namespace pop::store::sqlite
