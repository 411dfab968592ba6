#include "runner/call_count_family.h"

#include <utility>
#include <vector>

namespace pop {

prometheus::MetricFamily call_count_family(std::string name, std::string help,
                                           std::string_view what_label,
                                           const std::vector<CallCounts::Count>& counts) {
  std::vector<metrics::Sample> samples;
  samples.reserve(counts.size());
  for (const CallCounts::Count& count : counts) {
    samples.push_back(
        {{{std::string(what_label), count.what}, {"status", std::to_string(count.status)}},
         static_cast<double>(count.calls)});
  }
  return metrics::counter_family(std::move(name), std::move(help), samples);
}

}  // namespace pop
