// Group commit on PostgreSQL (store/group_commit.h): one writer connection runs each batch in
// one transaction, each unit in its own savepoint.
//
// What several writers on one database add to the SQLite batcher, handled here so that the
// store's methods need not:
// - A deadlock (other replicas lock the same rows in another order) or a serialization
//   failure makes PostgreSQL give up a transaction that may simply be run again: the whole
//   batch is run again, up to a few times.
// - A connection found broken before the commit was sent (the server restarted, a network
//   cut) committed nothing: the batch is run again on a new connection. Lost during the
//   commit, the outcome is unknown: every unit that had succeeded gets kUnavailable saying so
//   (store.h's one exception to "an error changed nothing").
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "postgres/connection_pool.h"
#include "store/group_commit.h"

namespace pop::store::postgres {

class PgWriteBatcher {
 public:
  using Commits = GroupCommit<::pop::postgres::Connection>;
  using Work = Commits::Work;
  using Statistics = Commits::Statistics;

  // How often one batch is run when PostgreSQL rolled it back for a reason that running it
  // again can cure (a deadlock, a serialization failure, a lost connection).
  static constexpr int kMaxAttempts = 5;

  // `connections` is the writer's own pool (one connection is enough: batching, not
  // parallelism, makes writes fast), schema already migrated. REQUIRES: it outlives this,
  // max_batch >= 1.
  // Records its batches into `metrics` when given (it must outlive this).
  PgWriteBatcher(::pop::postgres::ConnectionPool& connections, std::size_t max_batch,
                 metrics::MetricsRegistry* metrics = nullptr);
  // Finishes every unit already queued, then stops the thread.
  ~PgWriteBatcher();

  // GroupCommit::run and run_all.
  Result<void> run(const Work& work) { return commits_.run(work); }
  std::vector<Result<void>> run_all(const std::vector<Work>& works) {
    return commits_.run_all(works);
  }

  Statistics statistics() const { return commits_.statistics(); }
  // Batches run again after a deadlock, serialization failure or lost connection.
  std::uint64_t retried_batches() const { return retried_.load(); }

 private:
  enum class Attempt { kCommitted, kFailed, kRetry };

  Commits::Outcome execute(std::span<Commits::Unit* const> batch);
  Attempt attempt(std::span<Commits::Unit* const> batch);

  ::pop::postgres::ConnectionPool& connections_;
  std::atomic<std::uint64_t> retried_{0};
  std::optional<CommitMetrics> metrics_;
  Commits commits_;  // last: its thread uses the members above
};

}  // namespace pop::store::postgres
