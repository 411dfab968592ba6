// HOST:PORT flags (--listen, --metrics-listen, --graphite), read with errors naming the flag.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "util/result.h"

namespace pop::cli {

// The host and port of `text`, given to `flag`. kInvalidArgument naming the flag when it is
// not HOST:PORT with a port from 0 to 65535.
Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& flag,
                                                              const std::string& text);

}  // namespace pop::cli
