// The server's own metrics (docs/observability.md): what it records as it answers (HTTP
// requests by route and status, their latency) and what it reads at each scrape (the depth
// of every insight's queue and its oldest wait, the scheduling decisions, the process's
// figures). The other parts record theirs into the same registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include "http/server.h"
#include "metrics/metrics_registry.h"
#include "scheduler/queues/insight_queues.h"
#include "util/clock.h"

namespace pop::server {

class ServerMetrics {
 public:
  // Borrows all, which must outlive it; `clock` tells the queues' oldest waits.
  ServerMetrics(metrics::MetricsRegistry& registry, const scheduler::InsightQueues& queues,
                const Clock& clock);

  // Records each answer of an http::Server (its ServerOptions::on_response); valid while
  // this object lives.
  http::ResponseObserver response_observer();

 private:
  void observe(const http::ResponseRecord& record);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  metrics::CollectorHandle queues_;
  metrics::CollectorHandle process_;
};

}  // namespace pop::server
