// The process's metrics in Prometheus' data model (prometheus-cpp's core library): the
// counters, gauges and histograms that parts record into as things happen, and collectors
// asked at each scrape for what is cheaper to read then than to keep up to date (queue
// depths, store statistics, the process's own figures). One collection feeds the text
// exposition (GET /metrics) and Graphite.
#pragma once

#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/families.h"

namespace pop::metrics {

using Collector = std::function<Families()>;

class MetricsRegistry;

// Keeps a collector registered; unregisters it when destroyed, so that a part can register
// a collector reading its own state and be destroyed before the registry.
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(CollectorHandle&& other) noexcept { *this = std::move(other); }
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  ~CollectorHandle();

 private:
  friend class MetricsRegistry;
  CollectorHandle(MetricsRegistry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
  MetricsRegistry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

// Thread-safe: parts record from any thread while a scrape collects.
class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Where parts register the families they record into (prometheus::BuildCounter() ...
  // .Register(families())). Names follow Prometheus practice: pop_ prefix, base units,
  // _total counters, _seconds histograms.
  prometheus::Registry& families() { return *families_; }

  // Runs `collect` at every scrape for as long as the handle lives. It runs on the scraping
  // thread: it must be quick and must not call back into the registry.
  [[nodiscard]] CollectorHandle add_collector(Collector collect);

  // Every family: the registered ones, then each collector's.
  Families collect() const;
  // collect() in the Prometheus text exposition format (version 0.0.4).
  std::string text() const;

 private:
  friend class CollectorHandle;
  void remove_collector(std::uint64_t id);

  std::shared_ptr<prometheus::Registry> families_;
  mutable std::mutex mutex_;  // guards collectors_ and next_id_
  std::map<std::uint64_t, Collector> collectors_;
  std::uint64_t next_id_ = 1;
};

// Histogram buckets in seconds: for latencies (requests, commits: 0.5 ms to 60 s) and for
// durations of work (operations, agendas, waits: 10 ms to 6 h).
std::vector<double> latency_buckets();
std::vector<double> duration_buckets();

}  // namespace pop::metrics
