// A fixed set of read-only connections shared by the reading threads. In WAL mode readers
// never wait for the writer (nor the writer for them), so reads scale with the pool while
// every write still goes through the one writer.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "store/sqlite/sqlite_connection.h"

namespace pop::store::sqlite {

class ConnectionPool {
 public:
  // Borrowed use of one connection; gives it back when destroyed.
  class Handle {
   public:
    Handle(Handle&& other) noexcept;
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_; }

   private:
    friend class ConnectionPool;
    Handle(ConnectionPool& pool, Connection& connection) : pool_(&pool), connection_(&connection) {}
    ConnectionPool* pool_;
    Connection* connection_;
  };

  // REQUIRES: at least one connection.
  explicit ConnectionPool(std::vector<Connection> connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // REQUIRES: every Handle was destroyed.
  ~ConnectionPool() = default;

  // Waits until a connection is free. Thread-safe.
  Handle acquire();

 private:
  void give_back(Connection& connection);

  std::vector<Connection> connections_;  // never resized: Handles point into it
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> free_;  // GUARDED_BY(mutex_)
};

}  // namespace pop::store::sqlite
