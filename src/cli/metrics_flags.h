// The flags by which the long-running subcommands (server, puller, executor) export their
// metrics: --metrics-listen, --graphite, --graphite-interval-seconds (server/metrics_export.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "server/metrics_export.h"
#include "util/result.h"

namespace pop::cli {

struct MetricsFlags {
  std::string listen;
  std::string graphite;
  double graphite_interval_seconds = 10;
};

// Adds the flags to `command`, setting `flags`, which must outlive the parse.
void add_metrics_flags(CLI::App& command, MetricsFlags& flags);

// What the flags ask for. kInvalidArgument naming the flag that is wrong.
Result<server::MetricsExportConfig> metrics_export_config(const MetricsFlags& flags);

}  // namespace pop::cli
