// bench_server's peers: graphile-worker and pg-boss (npm) enqueuing and completing no-op jobs
// on the same PostgreSQL cluster as POP's drain rows, through bench/peers/run.mjs
// (bench/peers/README.md says what it measures and how to install it).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/postgres_cluster.h"

namespace pop::bench {

// One peer's figures, as run.mjs prints them with --json.
struct PeerRow {
  std::string peer;     // "graphile-worker", "graphile-worker batched", "pg-boss"
  std::string version;  // of the npm package
  std::size_t jobs = 0;
  double enqueue_per_second = 0;
  double enqueue_seconds = 0;
  double drain_seconds = 0;  // from the first enqueue until every job is complete
  double jobs_per_second = 0;
};

struct PeerRun {
  std::vector<PeerRow> rows;
  std::string node_version;  // "v20.20.2"
  // Why there are no rows (no node, no bench/peers/node_modules, the script failed); empty
  // when there are.
  std::string skipped;
};

// Runs every peer, each in a fresh database of `cluster`: `jobs` no-op jobs enqueued by
// `clients` concurrent enqueuers while a worker with `concurrency` slots runs them. `scratch`
// holds the script's captured output while it runs. Blocks until the script ends (it gives up
// on a peer after 10 minutes); never throws for a missing or failing peer: see `skipped`.
PeerRun run_peer_queues(const testing::PostgresCluster& cluster, std::size_t jobs, int concurrency,
                        int clients, const std::filesystem::path& scratch);

}  // namespace pop::bench
