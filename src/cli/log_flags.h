// The logging flags of the long-running subcommands (server, puller, executor): how their
// logger writes events on standard error (--log-format, util/stream_logger.h) and the least
// severe it writes (--log-level).
#pragma once

#include <CLI/CLI.hpp>

#include "util/logger.h"
#include "util/stream_logger.h"

namespace pop::cli {

struct LogSettings {
  LogFormat format = LogFormat::kText;
  LogLevel level = LogLevel::kInfo;
};

// Adds --log-format and --log-level to `command`, setting `settings`, which must outlive the
// parse.
void add_log_flags(CLI::App& command, LogSettings& settings);

}  // namespace pop::cli
