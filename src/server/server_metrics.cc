#include "server/server_metrics.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "metrics/process_metrics.h"

namespace pop::server {
namespace {

metrics::Families queue_families(const scheduler::InsightQueues& queues, const Clock& clock) {
  const WallTime now = clock.now();
  std::vector<metrics::Sample> waiting;
  std::vector<metrics::Sample> ready;
  std::vector<metrics::Sample> oldest;
  std::vector<metrics::Sample> admitted;
  for (const scheduler::QueueDepth& depth : queues.depths()) {
    metrics::Labels labels{{"pool", depth.resource_pool_id}, {"insight", depth.insight_id}};
    waiting.push_back({labels, static_cast<double>(depth.waiting)});
    ready.push_back({labels, static_cast<double>(depth.ready)});
    // An empty queue has waited for nothing; a clock set back does not make a wait negative.
    const double age =
        depth.oldest_enqueued_at
            ? std::max(0.0, std::chrono::duration<double>(now - *depth.oldest_enqueued_at).count())
            : 0.0;
    oldest.push_back({labels, age});
    labels.emplace_back("algorithm", depth.algorithm);
    admitted.push_back({std::move(labels), static_cast<double>(depth.admitted)});
  }
  return {
      metrics::gauge_family("pop_queue_waiting_agendas",
                            "Agendas waiting under an insight's scheduling algorithm, not "
                            "yet admitted to its ready queue (queues this replica keeps).",
                            waiting),
      metrics::gauge_family("pop_queue_ready_agendas",
                            "Agendas in an insight's ready queue, waiting for a puller.", ready),
      metrics::gauge_family("pop_queue_oldest_waiting_seconds",
                            "How long the agenda queued longest under an insight (waiting or "
                            "ready) has waited, to the second; 0 when the queue is empty.",
                            oldest),
      metrics::counter_family("pop_scheduler_admissions_total",
                              "Scheduling decisions: agendas an insight's algorithm admitted to "
                              "its ready queue, since this replica began keeping the queue.",
                              admitted)};
}

}  // namespace

ServerMetrics::ServerMetrics(metrics::MetricsRegistry& registry,
                             const scheduler::InsightQueues& queues, const Clock& clock)
    : requests_(prometheus::BuildCounter()
                    .Name("pop_http_requests_total")
                    .Help("HTTP requests answered, by method, route pattern and status.")
                    .Register(registry.families())),
      latency_(prometheus::BuildHistogram()
                   .Name("pop_http_request_duration_seconds")
                   .Help("Time from a request's head read to its answer's head written, by "
                         "method and route pattern (a long poll's includes its wait).")
                   .Register(registry.families())),
      queues_(registry.add_collector([&queues, &clock] { return queue_families(queues, clock); })),
      process_(registry.add_collector([] { return metrics::process_metrics(); })) {}

http::ResponseObserver ServerMetrics::response_observer() {
  return [this](const http::ResponseRecord& record) { observe(record); };
}

void ServerMetrics::observe(const http::ResponseRecord& record) {
  // Labels are bounded whatever clients send: no route is an unknown path (whose text is
  // theirs), and a method no route serves is "other".
  static const std::set<std::string, std::less<>> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                              "DELETE", "PATCH", "OPTIONS"};
  static const std::vector<double> kBuckets = metrics::latency_buckets();
  const std::string route = record.route.empty() ? "unmatched" : record.route;
  const std::string method = kMethods.contains(record.method) ? record.method : "other";
  requests_.Add({{"method", method}, {"route", route}, {"status", std::to_string(record.status)}})
      .Increment();
  latency_.Add({{"method", method}, {"route", route}}, kBuckets).Observe(record.duration.count());
}

}  // namespace pop::server
