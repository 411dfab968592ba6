// The process's descriptor limit (RLIMIT_NOFILE). Distributions start processes with a soft
// limit of 1,024 and a far higher hard one; a server or an executor that keeps the soft one
// runs out of descriptors under ordinary load.
#pragma once

#include <cstddef>

namespace pop {

// Raises the soft limit to the hard one when it is lower, and returns the soft limit in
// force afterwards (also when raising failed: then the old one). Call before threads start
// opening descriptors.
std::size_t raise_open_file_limit();

// How many client connections a server may hold when it has `open_file_limit` descriptors
// and `reserved` of them must stay free for everything else it opens (its store, handlers'
// pipes and pidfds, outbound connections): the rest, capped at `wanted`, and never fewer
// than `minimum` (a server that cannot take a few connections is no server).
std::size_t connections_within(std::size_t open_file_limit, std::size_t reserved,
                               std::size_t wanted, std::size_t minimum = 16);

}  // namespace pop
