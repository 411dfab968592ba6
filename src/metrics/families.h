// Metric families as prometheus-cpp's data model holds them, and their construction at
// scrape time: what a part that reads its own state when asked (a collector) returns,
// without the registry's heavier headers.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace pop::metrics {

using Families = std::vector<prometheus::MetricFamily>;

// Families built at scrape time: one sample per label set.
using Labels = std::vector<std::pair<std::string, std::string>>;
struct Sample {
  Labels labels;
  double value = 0;
};
prometheus::MetricFamily gauge_family(std::string name, std::string help,
                                      const std::vector<Sample>& samples);
prometheus::MetricFamily counter_family(std::string name, std::string help,
                                        const std::vector<Sample>& samples);

}  // namespace pop::metrics
