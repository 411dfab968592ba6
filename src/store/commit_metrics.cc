#include "store/commit_metrics.h"

namespace pop::store {
namespace {

prometheus::Family<prometheus::Counter>& batches(metrics::MetricsRegistry& registry) {
  return prometheus::BuildCounter()
      .Name("pop_store_commits_total")
      .Help(
          "Group-commit batches, by outcome: committed (one durable sync for all their "
          "writes) or rolled back.")
      .Register(registry.families());
}

}  // namespace

CommitMetrics::CommitMetrics(metrics::MetricsRegistry& registry, const std::string& store)
    : committed_(batches(registry).Add({{"store", store}, {"outcome", "committed"}})),
      failed_(batches(registry).Add({{"store", store}, {"outcome", "rolled_back"}})),
      duration_(prometheus::BuildHistogram()
                    .Name("pop_store_commit_duration_seconds")
                    .Help("Time a group-commit batch took: its statements and the durable "
                          "commit.")
                    .Register(registry.families())
                    .Add({{"store", store}}, metrics::latency_buckets())),
      writes_(prometheus::BuildHistogram()
                  .Name("pop_store_writes_per_commit")
                  .Help("Writes (units of work) a group-commit batch carried.")
                  .Register(registry.families())
                  .Add({{"store", store}}, prometheus::Histogram::BucketBoundaries{
                                               1, 2, 4, 8, 16, 32, 64, 128, 256, 512})) {}

void CommitMetrics::observe(std::size_t writes, bool committed,
                            std::chrono::duration<double> took) {
  (committed ? committed_ : failed_).Increment();
  duration_.Observe(took.count());
  writes_.Observe(static_cast<double>(writes));
}

}  // namespace pop::store
