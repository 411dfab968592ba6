// How a process's metrics leave it (docs/observability.md): GET /metrics without a
// credential on a port of its own (the scrapers' convention; a small HTTP server with that
// route alone) and pushes to Graphite at an interval. Shared by `pop server`, `pop puller`
// and `pop executor`, so that each exposes its registry the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "http/router.h"
#include "http/server.h"
#include "metrics/graphite.h"
#include "metrics/metrics_registry.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop::server {

struct MetricsExportConfig {
  // Serve GET /metrics, open, on this host and port (0: any free one; port() tells which).
  std::optional<std::pair<std::string, std::uint16_t>> listen = {};
  // Push to Graphite (carbon's plaintext protocol) at this host and port, every interval.
  std::optional<std::pair<std::string, std::uint16_t>> graphite = {};
  std::chrono::milliseconds graphite_interval{10'000};
};

class MetricsExport {
 public:
  // Starts what `config` asks for (nothing, when it asks for nothing). Borrows `registry` and
  // `logger`, which must outlive the export. kUnavailable naming --metrics-listen and the
  // address when its port cannot be had.
  static Result<std::unique_ptr<MetricsExport>> start(const metrics::MetricsRegistry& registry,
                                                      const MetricsExportConfig& config,
                                                      Logger& logger);
  ~MetricsExport();  // stop()
  MetricsExport(const MetricsExport&) = delete;
  MetricsExport& operator=(const MetricsExport&) = delete;

  // The open /metrics port, when one is served.
  std::optional<std::uint16_t> port() const;
  // Stops serving and pushing; idempotent.
  void stop();

 private:
  MetricsExport() = default;

  http::Router router_;  // /metrics alone
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<metrics::GraphitePusher> graphite_;
};

}  // namespace pop::server
