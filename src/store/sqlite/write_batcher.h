// Group commit on SQLite (store/group_commit.h): one writer connection runs each batch in
// one transaction, each unit in its own savepoint.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "store/group_commit.h"
#include "store/sqlite/sqlite_connection.h"
#include "util/result.h"

namespace pop::store::sqlite {

class WriteBatcher {
 public:
  using Commits = GroupCommit<Connection>;
  using Work = Commits::Work;
  using Statistics = Commits::Statistics;

  // Takes the writer connection (schema already migrated) and starts the writer thread;
  // records its batches into `metrics` when given (it must outlive this).
  // REQUIRES: max_batch >= 1.
  WriteBatcher(Connection connection, std::size_t max_batch,
               metrics::MetricsRegistry* metrics = nullptr);
  // Finishes every unit already queued, then stops the thread and closes the connection.
  ~WriteBatcher();

  // GroupCommit::run and run_all.
  Result<void> run(const Work& work) { return commits_.run(work); }
  std::vector<Result<void>> run_all(const std::vector<Work>& works) {
    return commits_.run_all(works);
  }

  Statistics statistics() const { return commits_.statistics(); }

 private:
  // Runs as many of `batch` as one transaction allows.
  Commits::Outcome execute_transaction(std::span<Commits::Unit* const> batch);

  Connection connection_;  // used only by the writer thread
  std::optional<CommitMetrics> metrics_;
  Commits commits_;  // last: its thread uses connection_ and metrics_
};

}  // namespace pop::store::sqlite
