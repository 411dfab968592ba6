#include "store/sqlite/write_batcher.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "store/sqlite/sqlite_transaction.h"

namespace pop::store::sqlite {

// Lives on the calling thread's stack for the duration of run(); the writer thread must
// not touch it after complete().
struct WriteBatcher::Pending {
  const Work* work = nullptr;
  Result<void> result;
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

namespace {

Result<void> run_in_savepoint(Connection& connection, const WriteBatcher::Work& work) {
  auto savepoint = Savepoint::begin(connection);
  if (!savepoint) return fail(std::move(savepoint.error()));
  Result<void> result;
  try {
    result = work(connection);
  } catch (const std::exception& e) {  // nothing may escape the writer thread
    result = fail(ErrorCode::kInternal, std::string("store write failed: ") + e.what());
  } catch (...) {
    result = fail(ErrorCode::kInternal, "store write failed with an unknown exception");
  }
  if (!result) return result;  // ~Savepoint rolls this unit back
  return savepoint->release();
}

}  // namespace

WriteBatcher::WriteBatcher(Connection connection, std::size_t max_batch)
    : connection_(std::move(connection)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      writer_([this] { writer_loop(); }) {}

WriteBatcher::~WriteBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

Result<void> WriteBatcher::run(const Work& work) {
  Pending pending;
  pending.work = &work;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return fail(ErrorCode::kUnavailable, "the store is closing");
    queue_.push_back(&pending);
  }
  wake_writer_.notify_one();
  pending.wait();
  return std::move(pending.result);
}

std::vector<Result<void>> WriteBatcher::run_all(const std::vector<Work>& works) {
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

WriteBatcher::Statistics WriteBatcher::statistics() const {
  return {commits_.load(), operations_.load(), largest_batch_.load()};
}

void WriteBatcher::writer_loop() {
  std::deque<Pending*> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued unit is done
      const auto take = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
      batch.assign(queue_.begin(), queue_.begin() + take);
      queue_.erase(queue_.begin(), queue_.begin() + take);
    }
    execute_batch(batch);
  }
}

void WriteBatcher::execute_batch(std::deque<Pending*>& batch) {
  if (batch.size() > largest_batch_.load()) largest_batch_.store(batch.size());
  while (!batch.empty()) {
    const std::size_t completed = execute_transaction(batch);
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(completed));
  }
}

std::size_t WriteBatcher::execute_transaction(std::deque<Pending*>& batch) {
  std::size_t ran = 0;
  Result<void> outcome;
  auto transaction = Transaction::begin(connection_);
  if (!transaction) {
    outcome = fail(std::move(transaction.error()));
    ran = batch.size();  // none of them can run now; they all get the error
  } else {
    while (ran < batch.size()) {
      Pending& pending = *batch[ran++];
      operations_.fetch_add(1);
      pending.result = run_in_savepoint(connection_, *pending.work);
      if (!connection_.in_transaction()) {
        // SQLite rolled the whole transaction back by itself (I/O error, disk full): the
        // units before this one are gone too. Later units get a fresh transaction.
        Error error = pending.result ? Error{ErrorCode::kUnavailable, "write aborted", {}}
                                     : pending.result.error();
        error.message = "the batch's transaction was aborted: " + error.message;
        outcome = fail(std::move(error));
        break;
      }
    }
    if (outcome) {
      outcome = transaction->commit();
      if (outcome) commits_.fetch_add(1);
    }
  }
  for (std::size_t i = 0; i < ran; ++i) {
    Pending& pending = *batch[i];
    if (!outcome && pending.result) pending.result = fail(outcome.error());
    pending.complete();  // `pending` may be gone after this
  }
  return ran;
}

}  // namespace pop::store::sqlite
