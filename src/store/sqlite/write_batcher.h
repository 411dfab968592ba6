// Group commit. Every write of the store is a unit of work queued here; one writer thread
// takes whatever has queued up, runs it all in ONE transaction, each unit inside its own
// savepoint so that a failing unit is undone alone, commits once (one fsync for the whole
// batch) and only then wakes every caller. Durability therefore costs one sync per batch,
// not per write, and a caller is never told "done" before its data is on disk.
//
// Batches form by themselves: while one commit syncs, the next callers queue up. No delay
// is added to wait for more.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "util/result.h"

namespace pop::store::sqlite {

class WriteBatcher {
 public:
  // Runs on the writer thread inside a savepoint. Returning an error rolls back what it did
  // and only that. It must not begin or end transactions itself.
  using Work = std::function<Result<void>(Connection&)>;

  struct Statistics {
    std::uint64_t commits = 0;     // successful COMMITs (each one sync)
    std::uint64_t operations = 0;  // units of work run, successful or not
    std::uint64_t largest_batch = 0;
  };

  // Takes the writer connection (schema already migrated) and starts the writer thread.
  // REQUIRES: max_batch >= 1.
  WriteBatcher(Connection connection, std::size_t max_batch);
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;
  // Finishes every unit already queued, then stops the thread and closes the connection.
  ~WriteBatcher();

  // Queues `work` and blocks until its batch has been committed (success) or failed.
  // Success means `work` succeeded AND the commit containing it is durable. On error
  // nothing `work` did is kept: its own error, the commit's (kUnavailable), or kUnavailable
  // when the batcher is shutting down. Thread-safe.
  Result<void> run(const Work& work);

  // Queues every unit of `works` at once and blocks until all are done: they go into the
  // same commit when the batch limit allows, so n writes cost one sync instead of n. Each
  // unit succeeds or fails alone, as with run(); results are in the order of `works`.
  std::vector<Result<void>> run_all(const std::vector<Work>& works);

  Statistics statistics() const;

 private:
  struct Pending;

  void writer_loop();
  void execute_batch(std::deque<Pending*>& batch);
  // Runs as many of `batch` as one transaction allows and completes them; returns how many.
  std::size_t execute_transaction(std::deque<Pending*>& batch);

  Connection connection_;  // used only by the writer thread
  const std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::deque<Pending*> queue_;  // GUARDED_BY(mutex_); owned by the waiting callers
  bool stopping_ = false;       // GUARDED_BY(mutex_)

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> operations_{0};
  std::atomic<std::uint64_t> largest_batch_{0};

  std::thread writer_;  // last: starts after everything it uses exists
};

}  // namespace pop::store::sqlite
