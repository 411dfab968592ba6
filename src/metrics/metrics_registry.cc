#include "metrics/metrics_registry.h"

#include <prometheus/text_serializer.h>

namespace pop::metrics {
namespace {

prometheus::MetricFamily family_of(std::string name, std::string help, prometheus::MetricType type,
                                   const std::vector<Sample>& samples) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  for (const Sample& sample : samples) {
    prometheus::ClientMetric metric;
    for (const auto& [label, value] : sample.labels) metric.label.push_back({label, value});
    if (type == prometheus::MetricType::Counter) {
      metric.counter.value = sample.value;
    } else {
      metric.gauge.value = sample.value;
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

}  // namespace

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr) registry_->remove_collector(id_);
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

CollectorHandle::~CollectorHandle() {
  if (registry_ != nullptr) registry_->remove_collector(id_);
}

MetricsRegistry::MetricsRegistry() : families_(std::make_shared<prometheus::Registry>()) {}

CollectorHandle MetricsRegistry::add_collector(Collector collect) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  collectors_.emplace(id, std::move(collect));
  return CollectorHandle(this, id);
}

void MetricsRegistry::remove_collector(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  collectors_.erase(id);
}

Families MetricsRegistry::collect() const {
  Families families = families_->Collect();
  // Under the lock, so that a part cannot be destroyed (its handle waits here) while its
  // collector reads it.
  std::lock_guard lock(mutex_);
  for (const auto& [id, collect] : collectors_) {
    for (prometheus::MetricFamily& family : collect()) families.push_back(std::move(family));
  }
  return families;
}

std::string MetricsRegistry::text() const {
  return prometheus::TextSerializer().Serialize(collect());
}

prometheus::MetricFamily gauge_family(std::string name, std::string help,
                                      const std::vector<Sample>& samples) {
  return family_of(std::move(name), std::move(help), prometheus::MetricType::Gauge, samples);
}

prometheus::MetricFamily counter_family(std::string name, std::string help,
                                        const std::vector<Sample>& samples) {
  return family_of(std::move(name), std::move(help), prometheus::MetricType::Counter, samples);
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> duration_buckets() {
  return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600};
}

}  // namespace pop::metrics
