#include "metrics/metrics_registry.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <optional>

#include "metrics/process_metrics.h"

namespace pop::metrics {
namespace {

TEST(MetricsRegistry, ExposesRegisteredFamiliesAndCollectorsInTheTextFormat) {
  MetricsRegistry registry;
  auto& submitted = prometheus::BuildCounter()
                        .Name("pop_test_submitted_total")
                        .Help("Agendas submitted.")
                        .Register(registry.families());
  submitted.Add({{"outcome", "ok"}}).Increment(3);
  auto& latency = prometheus::BuildHistogram()
                      .Name("pop_test_latency_seconds")
                      .Help("Latency.")
                      .Register(registry.families());
  latency.Add({}, latency_buckets()).Observe(0.003);
  CollectorHandle depth = registry.add_collector([] {
    return Families{gauge_family("pop_test_depth", "Depth.", {{{{"pool", "default"}}, 7}})};
  });
  const std::string text = registry.text();
  EXPECT_NE(text.find("# TYPE pop_test_submitted_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("pop_test_submitted_total{outcome=\"ok\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("pop_test_latency_seconds_bucket{le=\"0.005\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("pop_test_latency_seconds_bucket{le=\"0.0025\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE pop_test_depth gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("pop_test_depth{pool=\"default\"} 7"), std::string::npos) << text;
}

TEST(MetricsRegistry, ACollectorIsAskedUntilItsHandleGoes) {
  MetricsRegistry registry;
  int asked = 0;
  std::optional<CollectorHandle> handle = registry.add_collector([&] {
    ++asked;
    return Families{};
  });
  (void)registry.collect();
  CollectorHandle moved = std::move(*handle);
  handle.reset();
  (void)registry.collect();
  EXPECT_EQ(asked, 2);
  moved = CollectorHandle();
  (void)registry.collect();
  EXPECT_EQ(asked, 2);
}

TEST(ProcessMetrics, ReadsTheProcessOwnFigures) {
  double threads = 0, resident = 0, open = 0, cpu = -1, start = 0;
  for (const auto& family : process_metrics()) {
    ASSERT_EQ(family.metric.size(), 1u) << family.name;
    const auto& metric = family.metric.front();
    if (family.name == "process_threads") threads = metric.gauge.value;
    if (family.name == "process_resident_memory_bytes") resident = metric.gauge.value;
    if (family.name == "process_open_fds") open = metric.gauge.value;
    if (family.name == "process_cpu_seconds_total") cpu = metric.counter.value;
    if (family.name == "process_start_time_seconds") start = metric.gauge.value;
  }
  EXPECT_GE(threads, 1);
  EXPECT_GT(resident, 1 << 20);
  EXPECT_GE(open, 3);  // at least the standard streams
  EXPECT_GE(cpu, 0);
  EXPECT_GT(start, 1.7e9);  // after 2023
}

}  // namespace
}  // namespace pop::metrics
