// The metrics of a standalone puller or executor (`pop puller`, `pop executor`): a registry
// holding the process's own figures, into which its agent records (puller/puller_metrics.h),
// exported as its metrics flags ask, exactly as the server's are.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/metrics_flags.h"
#include "metrics/metrics_registry.h"
#include "server/metrics_export.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop::cli {

class StandaloneMetrics {
 public:
  // kInvalidArgument for a bad flag; kUnavailable when --metrics-listen's port cannot be had.
  // Borrows `logger`, which must outlive it.
  static Result<std::unique_ptr<StandaloneMetrics>> start(const MetricsFlags& flags,
                                                          Logger& logger);

  // Must outlive whatever records into it: declare the agent after this object.
  metrics::MetricsRegistry& registry() { return registry_; }
  std::optional<std::uint16_t> port() const { return export_->port(); }
  // Tells on standard output where /metrics is served, when it is, as "`who`: serving
  // metrics ... on http://HOST:PORT/metrics" (the port a port 0 was given).
  void announce(const std::string& who) const;

 private:
  StandaloneMetrics() = default;

  std::string listen_host_;
  metrics::MetricsRegistry registry_;
  metrics::CollectorHandle process_;
  std::unique_ptr<server::MetricsExport> export_;  // last: stops before the registry goes
};

}  // namespace pop::cli
