#include "server/metrics_export.h"

#include "api/metrics_routes.h"

namespace pop::server {

Result<std::unique_ptr<MetricsExport>> MetricsExport::start(
    const metrics::MetricsRegistry& registry, const MetricsExportConfig& config, Logger& logger) {
  std::unique_ptr<MetricsExport> exported(new MetricsExport());
  if (config.listen) {
    const auto& [host, port] = *config.listen;
    if (auto added = api::add_metrics_route(exported->router_, &registry, http::Access::kOpen);
        !added)
      return fail(std::move(added).error());
    // A scraper's port: few connections, small requests, no TLS (put it on an internal
    // address).
    http::ServerOptions options;
    options.host = host;
    options.port = port;
    options.threads = 1;
    options.handler_threads = 2;
    options.max_connections = 64;
    options.logger = &logger;
    exported->http_ =
        std::make_unique<http::Server>(std::move(options), exported->router_.to_admitter());
    // Its message names the address already.
    if (auto started = exported->http_->start(); !started)
      return fail(started.error().code, "--metrics-listen: " + started.error().message);
  }
  if (config.graphite) {
    exported->graphite_ = std::make_unique<metrics::GraphitePusher>(
        registry, config.graphite->first, config.graphite->second, config.graphite_interval,
        logger);
  }
  return exported;
}

MetricsExport::~MetricsExport() { stop(); }

std::optional<std::uint16_t> MetricsExport::port() const {
  if (!http_) return std::nullopt;
  return http_->port();
}

void MetricsExport::stop() {
  if (http_) http_->stop();
  graphite_.reset();
}

}  // namespace pop::server
