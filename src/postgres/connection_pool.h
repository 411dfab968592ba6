// A fixed number of PostgreSQL connections shared by threads: a caller leases one, runs its
// statements and gives it back by letting the lease go. Connections are opened when first
// needed, and one that broke (Connection::healthy) is closed instead of handed out again,
// so a restarted server is reconnected to by the next lease. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "postgres/pg_connection.h"
#include "util/clock.h"
#include "util/result.h"

namespace pop::postgres {

struct ConnectionPoolOptions {
  std::string uri;                                  // libpq connection URI or key=value string
  std::string password;                             // empty: PGPASSWORD or the password file
  std::size_t size = 8;                             // connections at most, open or being opened
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  const Clock* clock = &system_clock();
};

class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection for one caller until the lease goes out of scope. REQUIRES: the pool
  // outlives its leases.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection& operator*() { return connection_; }
    Connection* operator->() { return &connection_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, Connection connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;  // null once moved from
    Connection connection_;
  };

  // kUnavailable when no connection is free within acquire_timeout (naming the pool's size)
  // or a new one cannot be opened (libpq's reason).
  Result<Lease> acquire();

  // Connections open now, leased or idle.
  std::size_t open_connections() const;

 private:
  void give_back(Connection connection);

  const ConnectionPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::vector<Connection> idle_;  // guarded by mutex_
  std::size_t open_ = 0;          // guarded by mutex_: idle, leased and being opened
};

}  // namespace pop::postgres
