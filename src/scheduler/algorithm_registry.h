// Chooses an insight's scheduling algorithm by the name stored in its
// `schedulingAlgorithm` field. The built-in algorithms are listed in one table here; there
// is no run-time registration.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "scheduler/algorithm_config.h"
#include "scheduler/scheduling_algorithm.h"
#include "util/result.h"

namespace pop::scheduler {

// The names make_algorithm() accepts for new insights, in the order to show them.
std::span<const std::string_view> algorithm_names();

// A new, empty algorithm. Names are matched exactly; the original POP's names
// "FirstInFirstOut" and "RoundRobin" are accepted as aliases of fifo and roundRobin so
// that stored insights keep working. Fails with kInvalidArgument for an unknown name (the
// message lists the known ones) or an invalid configuration (one detail per bad field).
Result<std::unique_ptr<SchedulingAlgorithm>> make_algorithm(std::string_view name,
                                                            const AlgorithmConfig& config = {});

}  // namespace pop::scheduler
