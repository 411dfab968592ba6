#include "cli/metrics_flags.h"

#include <chrono>
#include <cstdint>
#include <utility>

#include "cli/host_port.h"

namespace pop::cli {

void add_metrics_flags(CLI::App& command, MetricsFlags& flags) {
  command.add_option("--metrics-listen", flags.listen,
                     "HOST:PORT to serve GET /metrics on without a credential, for Prometheus");
  command.add_option("--graphite", flags.graphite,
                     "HOST:PORT of a Graphite (carbon, plaintext protocol) to push the metrics to");
  command
      .add_option("--graphite-interval-seconds", flags.graphite_interval_seconds,
                  "With --graphite: how often to push")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
}

Result<server::MetricsExportConfig> metrics_export_config(const MetricsFlags& flags) {
  server::MetricsExportConfig config;
  if (!flags.listen.empty()) {
    auto listen = parse_host_port("--metrics-listen", flags.listen);
    if (!listen) return fail(listen.error());
    config.listen = std::move(*listen);
  }
  if (!flags.graphite.empty()) {
    auto graphite = parse_host_port("--graphite", flags.graphite);
    if (!graphite) return fail(graphite.error());
    config.graphite = std::move(*graphite);
    config.graphite_interval = std::chrono::milliseconds(
        static_cast<std::int64_t>(flags.graphite_interval_seconds * 1000));
  }
  return config;
}

}  // namespace pop::cli
