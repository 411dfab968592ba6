// The --log-format flag of the long-running subcommands (server, puller, executor): how their
// logger writes events on standard error (util/stream_logger.h).
#pragma once

#include <CLI/CLI.hpp>

#include "util/stream_logger.h"

namespace pop::cli {

// Adds --log-format to `command`, setting `format`, which must outlive the parse.
void add_log_format_flag(CLI::App& command, LogFormat& format);

}  // namespace pop::cli
