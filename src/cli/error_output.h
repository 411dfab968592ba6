// How every subcommand reports a failure: "pop <command>: <message>" then one detail per
// line on stderr, so scripts and people read errors the same way everywhere.
#pragma once

#include <string_view>

#include "util/result.h"

namespace pop::cli {

// Prints `error` (prefixed with `context` when not empty) and returns `exit_status`.
int print_error(std::string_view command, std::string_view context, const Error& error,
                int exit_status);

}  // namespace pop::cli
