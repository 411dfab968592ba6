#include "cli/standalone_metrics.h"

#include <cstdio>

#include "metrics/process_metrics.h"

namespace pop::cli {

Result<std::unique_ptr<StandaloneMetrics>> StandaloneMetrics::start(const MetricsFlags& flags,
                                                                    Logger& logger) {
  auto config = metrics_export_config(flags);
  if (!config) return fail(std::move(config).error());
  std::unique_ptr<StandaloneMetrics> metrics(new StandaloneMetrics());
  metrics->process_ = metrics->registry_.add_collector([] { return metrics::process_metrics(); });
  auto exported = server::MetricsExport::start(metrics->registry_, *config, logger);
  if (!exported) return fail(std::move(exported).error());
  metrics->export_ = std::move(*exported);
  if (config->listen) metrics->listen_host_ = config->listen->first;
  return metrics;
}

void StandaloneMetrics::announce(const std::string& who) const {
  if (const auto served = port()) {
    std::printf("%s: serving metrics without a credential on http://%s:%u/metrics\n", who.c_str(),
                listen_host_.c_str(), static_cast<unsigned>(*served));
    std::fflush(stdout);
  }
}

}  // namespace pop::cli
