// What a store's group commit does (store/group_commit.h), as Prometheus metrics: batches
// committed, how long each took (its statements and the durable commit), and how many
// writes each carried.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "metrics/metrics_registry.h"

namespace pop::store {

class CommitMetrics {
 public:
  // Registers in `registry`, which must outlive it; `store` labels the series ("sqlite",
  // "postgresql").
  CommitMetrics(metrics::MetricsRegistry& registry, const std::string& store);

  // A batch of `writes` units ran for `took`; `committed` unless it was rolled back.
  void observe(std::size_t writes, bool committed, std::chrono::duration<double> took);

 private:
  prometheus::Counter& committed_;
  prometheus::Counter& failed_;
  prometheus::Histogram& duration_;
  prometheus::Histogram& writes_;
};

}  // namespace pop::store
