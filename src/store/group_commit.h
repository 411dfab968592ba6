// Group commit, the part every store shares. Every write of a store is a unit of work queued
// here; one writer thread takes whatever has queued up and hands it to the store's executor,
// which runs the units in ONE transaction (each inside its own savepoint, so that a failing
// unit is undone alone), commits once, and sets each unit's result. Only then is every caller
// woken. Durability therefore costs one sync per batch, not per write, and a caller is never
// told "done" before its data is durable.
//
// Batches form by themselves: while one commit syncs, the next callers queue up. No delay is
// added to wait for more.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "store/commit_metrics.h"
#include "util/result.h"

namespace pop::store {

template <typename Connection>
class GroupCommit {
 public:
  // Runs on the writer thread inside a savepoint. Returning an error rolls back what it did
  // and only that. It must not begin or end transactions itself. It may be run again when the
  // store retries its batch (a deadlock, a connection lost before the commit), so what it
  // hands back to its caller is set anew each time.
  using Work = std::function<Result<void>(Connection&)>;

  struct Unit {
    const Work* work = nullptr;
    Result<void> result;
  };

  // What the executor did with a batch: it finished the first `completed` units (at least
  // one), whose results are final, and committed them when `committed`.
  struct Outcome {
    std::size_t completed = 0;
    bool committed = false;
  };
  // Called on the writer thread with the units in queue order; the ones it did not finish
  // come back in the next call.
  using Executor = std::function<Outcome(std::span<Unit* const> batch)>;

  struct Statistics {
    std::uint64_t commits = 0;     // successful commits (each one sync)
    std::uint64_t operations = 0;  // units of work finished, successful or not
    std::uint64_t largest_batch = 0;
  };

  // Starts the writer thread; records every batch into `metrics` when given (it must
  // outlive this). REQUIRES: max_batch >= 1.
  GroupCommit(Executor executor, std::size_t max_batch, CommitMetrics* metrics = nullptr)
      : executor_(std::move(executor)),
        metrics_(metrics),
        max_batch_(std::max<std::size_t>(max_batch, 1)),
        writer_([this] { writer_loop(); }) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;
  // Finishes every unit already queued, then stops the thread.
  ~GroupCommit() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_writer_.notify_one();
    writer_.join();
  }

  // Queues `work` and blocks until its batch has been committed (success) or failed. Success
  // means `work` succeeded AND the commit containing it is durable. On error nothing `work`
  // did is kept (except when the commit's outcome is unknown, store.h): its own error, the
  // commit's, or kUnavailable when the store is closing. Thread-safe.
  Result<void> run(const Work& work) { return std::move(run_all({work}).front()); }

  // Queues every unit of `works` at once and blocks until all are done: they go into the
  // same commit when the batch limit allows, so n writes cost one sync instead of n. Each
  // unit succeeds or fails alone, as with run(); results are in the order of `works`.
  std::vector<Result<void>> run_all(const std::vector<Work>& works) {
    // An array, not a vector: a Pending holds a mutex and must never move.
    auto pending = std::make_unique<Pending[]>(works.size());
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return std::vector<Result<void>>(works.size(),
                                         fail(ErrorCode::kUnavailable, "the store is closing"));
      }
      for (std::size_t i = 0; i < works.size(); ++i) {
        pending[i].work = &works[i];
        queue_.push_back(&pending[i]);
      }
    }
    wake_writer_.notify_one();
    std::vector<Result<void>> results;
    results.reserve(works.size());
    for (std::size_t i = 0; i < works.size(); ++i) {
      pending[i].wait();
      results.push_back(std::move(pending[i].result));
    }
    return results;
  }

  Statistics statistics() const {
    return {commits_.load(), operations_.load(), largest_batch_.load()};
  }

 private:
  // Lives on the calling thread's stack for the duration of run_all(); the writer thread
  // must not touch it after complete().
  struct Pending : Unit {
    // A condition variable rather than a semaphore: libstdc++'s semaphore spins with
    // sched_yield before sleeping, which with dozens of waiting callers costs the writer CPU.
    std::mutex mutex;
    std::condition_variable signal;
    bool done = false;  // GUARDED_BY(mutex)

    void wait() {
      std::unique_lock lock(mutex);
      signal.wait(lock, [this] { return done; });
    }
    void complete() {
      std::lock_guard lock(mutex);  // notify under the lock: the waiter may destroy us at once
      done = true;
      signal.notify_one();
    }
  };

  void writer_loop() {
    std::vector<Unit*> batch;
    while (true) {
      {
        std::unique_lock lock(mutex_);
        wake_writer_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and every queued unit is done
        const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
        batch.assign(queue_.begin(), queue_.begin() + take);
        queue_.erase(queue_.begin(), queue_.begin() + take);
      }
      if (batch.size() > largest_batch_.load()) largest_batch_.store(batch.size());
      std::span<Unit* const> rest(batch);
      while (!rest.empty()) {
        const auto started = std::chrono::steady_clock::now();
        const Outcome outcome = executor_(rest);
        const std::size_t completed = std::clamp<std::size_t>(outcome.completed, 1, rest.size());
        if (metrics_ != nullptr) {
          metrics_->observe(completed, outcome.committed,
                            std::chrono::steady_clock::now() - started);
        }
        if (outcome.committed) commits_.fetch_add(1);
        operations_.fetch_add(completed);
        for (Unit* unit : rest.first(completed)) static_cast<Pending*>(unit)->complete();
        rest = rest.subspan(completed);
      }
    }
  }

  const Executor executor_;
  CommitMetrics* const metrics_;
  const std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::vector<Pending*> queue_;  // GUARDED_BY(mutex_); owned by the waiting callers
  bool stopping_ = false;        // GUARDED_BY(mutex_)

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> operations_{0};
  std::atomic<std::uint64_t> largest_batch_{0};

  std::thread writer_;  // last: starts after everything it uses exists
};

// Runs `write`, a unit of work that returns a value (Result<T>), through `writer` (a
// GroupCommit, or a store's batcher over one) and returns that value once it is committed.
template <typename T, typename Writer, typename Write>
Result<T> run_returning(Writer& writer, Write write) {
  T value{};
  auto done = writer.run([&](auto& db) -> Result<void> {
    auto result = write(db);
    if (!result) return fail(std::move(result.error()));
    value = std::move(*result);
    return {};
  });
  if (!done) return fail(std::move(done.error()));
  return value;
}

}  // namespace pop::store
