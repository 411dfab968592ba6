// What a puller does, as Prometheus metrics (docs/observability.md): every operation
// attempt and every operation's whole run (first attempt to its last state), by handler
// type, runner and outcome; and, read at each scrape, its capacity, the slots in use and
// what its runner tells of its platform (Runner::metrics()).
// Labels stay bounded: types are those of the puller's handler registry (an agenda of
// another type is never run), runners and outcomes are fixed words.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "engine/executor.h"
#include "metrics/metrics_registry.h"
#include "model/operation_state.h"
#include "runner/runner.h"

namespace pop::puller {

class PullerMetrics {
 public:
  struct Slots {
    std::size_t capacity = 0;
    std::size_t in_use = 0;
  };

  // Registers its families in `registry`, which must outlive it; `runner_name` labels
  // every series; `slots` and `runner` are asked at each scrape (until this object is
  // destroyed); `runner` is borrowed.
  PullerMetrics(metrics::MetricsRegistry& registry, const Runner& runner, std::string runner_name,
                std::function<Slots()> slots);

  void attempt_ended(std::string_view type, AttemptEnd end, std::chrono::duration<double> took);
  // `state` is terminal; `took` runs from its first attempt's start to that state.
  void operation_ended(std::string_view type, OperationState state,
                       std::chrono::duration<double> took);

 private:
  const std::string runner_;
  prometheus::Family<prometheus::Counter>& attempts_;
  prometheus::Family<prometheus::Histogram>& attempt_duration_;
  prometheus::Family<prometheus::Histogram>& operation_duration_;
  metrics::CollectorHandle slots_;
};

}  // namespace pop::puller
